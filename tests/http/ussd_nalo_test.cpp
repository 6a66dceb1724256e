// Nalo over HTTP against the real server: JSON in, JSON {MSG, MSGTYPE} out (MSGTYPE true =
// continue).
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

USSD_DIALECT_TESTS(
    "nalo", .id_prefix = "nal-", .exact_bytes = false,
    .bad_requests =
        [] {
          return flag_dialect_refusals("nalo", {"SESSIONID", "MSISDN", "MSGTYPE", "USERDATA"});
        },
    // A string MSGTYPE and a numeric SESSIONID.
    .accepted =
        [] {
          auto body = nlohmann::json::parse(fixture("nalo", "dial.json", {{"session_id", "0"}}));
          body["MSGTYPE"] = "true";
          body["SESSIONID"] = 16590115252429751;
          return std::vector{std::pair{body.dump(), fixture("nalo", "dial.reply")}};
        })

TEST_CASE("ussd nalo: a USERID other than the configured one is refused", "[ussd][nalo]") {
  refuses_other_user_id(dialect_case(), "USERID");
}
