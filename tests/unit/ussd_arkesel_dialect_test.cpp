// Arkesel's request parsing without HTTP: a null userData and stringified booleans.
#include <catch2/catch.hpp>

#include "unit/ussd_dialect_parse.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

nlohmann::json request() {
  return {{"sessionID", "a1"},   {"userID", "USSD_OTP"},  {"msisdn", "233241234567"},
          {"userData", nullptr}, {"newSession", "false"}, {"network", "MTN"}};
}

}  // namespace

TEST_CASE("arkesel dialect: a null userData and a string newSession are accepted",
          "[ussd][arkesel]") {
  const auto parsed = parse_json("arkesel", request());
  REQUIRE(parsed.ok());
  CHECK(parsed.value().ussd.phase == UssdPhase::Continue);
  CHECK(parsed.value().ussd.input.empty());
  CHECK(parsed.value().user_id == "USSD_OTP");
  CHECK(parsed.value().echo ==
        nlohmann::json{{"sessionID", "a1"}, {"userID", "USSD_OTP"}, {"msisdn", "233241234567"}});
}

TEST_CASE("arkesel dialect: empty ids are as bad as missing ones", "[ussd][arkesel]") {
  auto body = request();
  body["sessionID"] = "";
  body.erase("userID");
  const auto bad = parse_json("arkesel", body);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::ValidationError);
  CHECK(bad.error().fields.contains("sessionID"));
  CHECK(bad.error().fields.contains("userID"));
}
