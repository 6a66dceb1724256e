// Emergent over HTTP against the real server: Hubtel-like JSON in, {Message, Type} out.
// The checks live in http/ussd_emergent_shape.hpp (Emergent and Cross-Switch share the shape);
// the fixtures under tests/fixtures/ussd/emergent/ are this aggregator's own bytes.
#include <catch2/catch.hpp>

#include "http/ussd_emergent_shape.hpp"

using namespace ussd_otp::testing;

TEST_CASE("ussd emergent: dial then number shows the code and records the view",
          "[ussd][emergent]") {
  emergent_shape::full_session("emergent");
}

TEST_CASE("ussd emergent: the number in the dial string goes straight to the code",
          "[ussd][emergent]") {
  emergent_shape::shortcut("emergent");
}

TEST_CASE("ussd emergent: another number gets the neutral answer", "[ussd][emergent]") {
  emergent_shape::wrong_number("emergent");
}

TEST_CASE("ussd emergent: release and timeout end the session and unknown sessions expire",
          "[ussd][emergent]") {
  emergent_shape::release_and_timeout("emergent");
}

TEST_CASE("ussd emergent: malformed requests get a 400 naming the field", "[ussd][emergent]") {
  emergent_shape::malformed("emergent");
}
