// Emergent over HTTP against the real server: Hubtel-like JSON in, {Message, Type} out. The case
// is http/ussd_emergent_shape.hpp (Emergent and Cross-Switch share the shape); the fixtures under
// tests/fixtures/ussd/emergent/ are this aggregator's own bytes.
#include <catch2/catch.hpp>

#include "http/ussd_emergent_shape.hpp"

USSD_DIALECT_TESTS("emergent", ussd_otp::testing::emergent_shape("emergent"))
