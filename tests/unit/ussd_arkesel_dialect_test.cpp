// Arkesel's request parsing without HTTP: a null userData and stringified booleans.
#include <catch2/catch.hpp>

#include "server/ussd/dialects/dialect.hpp"

using namespace ussd_otp;

namespace {

Result<DialectRequest> parse(const nlohmann::json& body) {
  for (const auto& dialect : all_dialects()) {
    if (dialect->name() != "arkesel") continue;
    const std::string text = body.dump();
    return dialect->parse(DialectHttpRequest{"POST", "application/json", text, {}});
  }
  FAIL("arkesel is not registered");
  return Error::make(ErrorCode::NotFound, "");
}

nlohmann::json request() {
  return {{"sessionID", "a1"},   {"userID", "USSD_OTP"},  {"msisdn", "233241234567"},
          {"userData", nullptr}, {"newSession", "false"}, {"network", "MTN"}};
}

}  // namespace

TEST_CASE("arkesel dialect: a null userData and a string newSession are accepted",
          "[ussd][arkesel]") {
  const auto parsed = parse(request());
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
  const auto bad = parse(body);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::ValidationError);
  CHECK(bad.error().fields.contains("sessionID"));
  CHECK(bad.error().fields.contains("userID"));
}
