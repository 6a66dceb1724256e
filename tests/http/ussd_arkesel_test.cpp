// Arkesel over HTTP against the real server: JSON in, JSON {message, continueSession} out.
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

USSD_DIALECT_TESTS(
    "arkesel", .id_prefix = "ark-", .exact_bytes = false, .bad_requests = [] {
      return flag_dialect_refusals("arkesel", {"sessionID", "msisdn", "newSession", "userData"});
    })

TEST_CASE("ussd arkesel: a userID other than the configured one is refused", "[ussd][arkesel]") {
  refuses_other_user_id(dialect_case(), "userID");
}
