// Cross-Switch over HTTP against the real server: Hubtel-like JSON in, {Message, Type} out.
// The checks live in http/ussd_emergent_shape.hpp (Emergent and Cross-Switch share the shape);
// the fixtures under tests/fixtures/ussd/crossswitch/ are this aggregator's own bytes.
#include <catch2/catch.hpp>

#include "http/ussd_emergent_shape.hpp"

using namespace ussd_otp::testing;

TEST_CASE("ussd crossswitch: dial then number shows the code and records the view",
          "[ussd][crossswitch]") {
  emergent_shape::full_session("crossswitch");
}

TEST_CASE("ussd crossswitch: the number in the dial string goes straight to the code",
          "[ussd][crossswitch]") {
  emergent_shape::shortcut("crossswitch");
}

TEST_CASE("ussd crossswitch: another number gets the neutral answer", "[ussd][crossswitch]") {
  emergent_shape::wrong_number("crossswitch");
}

TEST_CASE("ussd crossswitch: release and timeout end the session and unknown sessions expire",
          "[ussd][crossswitch]") {
  emergent_shape::release_and_timeout("crossswitch");
}

TEST_CASE("ussd crossswitch: malformed requests get a 400 naming the field",
          "[ussd][crossswitch]") {
  emergent_shape::malformed("crossswitch");
}
