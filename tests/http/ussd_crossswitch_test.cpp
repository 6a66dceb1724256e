// Cross-Switch over HTTP against the real server: the Emergent shape (http/ussd_emergent_shape.hpp)
// at /ussd/crossswitch, with the fixtures under tests/fixtures/ussd/crossswitch/.
#include <catch2/catch.hpp>

#include "http/ussd_emergent_shape.hpp"

USSD_DIALECT_TESTS("crossswitch", ussd_otp::testing::emergent_shape("crossswitch"))
