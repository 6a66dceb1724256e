// Nalo's request parsing without HTTP: MSGTYPE means "new" in the request, "continue" in the reply.
#include <catch2/catch.hpp>

#include "server/ussd/dialects/dialect.hpp"

using namespace ussd_otp;

namespace {

std::unique_ptr<UssdDialect> nalo() {
  for (auto& dialect : all_dialects()) {
    if (dialect->name() == "nalo") return std::move(dialect);
  }
  FAIL("nalo is not registered");
  return nullptr;
}

Result<DialectRequest> parse(const nlohmann::json& body) {
  const std::string text = body.dump();
  return nalo()->parse(DialectHttpRequest{"POST", "application/json", text, {}});
}

nlohmann::json request(nlohmann::json msgtype) {
  return {{"USERID", "NALOTest"}, {"MSISDN", "233241234567"},
          {"USERDATA", "3"},      {"MSGTYPE", std::move(msgtype)},
          {"NETWORK", "MTN"},     {"SESSIONID", "16590115252429751"}};
}

}  // namespace

TEST_CASE("nalo dialect: MSGTYPE flips meaning between request and reply", "[ussd][nalo]") {
  const auto first = parse(request(true));
  REQUIRE(first.ok());
  CHECK(first.value().ussd.phase == UssdPhase::Begin);
  CHECK(first.value().user_id == "NALOTest");
  CHECK(parse(request(false)).value().ussd.phase == UssdPhase::Continue);
  CHECK(parse(request("false")).value().ussd.phase == UssdPhase::Continue);

  const auto dialect = nalo();
  const auto more = nlohmann::json::parse(
      dialect->render(first.value(), UssdAnswer{"Enter:", false, "s", "en"}).body);
  CHECK(more["MSGTYPE"] == true);  // continue
  const auto done = nlohmann::json::parse(
      dialect->render(first.value(), UssdAnswer{"Bye", true, "s", "en"}).body);
  CHECK(done["MSGTYPE"] == false);  // end
  CHECK(done["USERID"] == "NALOTest");
  CHECK(done["MSG"] == "Bye");
}

TEST_CASE("nalo dialect: screens are limited to 120 characters", "[ussd][nalo]") {
  CHECK(nalo()->screen_limit() == 120);
}

TEST_CASE("nalo dialect: a missing or null USERDATA reads as empty", "[ussd][nalo]") {
  auto body = request(true);
  body["USERDATA"] = nullptr;
  CHECK(parse(body).value().ussd.input.empty());
  body.erase("USERDATA");
  CHECK(parse(body).value().ussd.input.empty());
  body["MSGTYPE"] = 1;
  const auto bad = parse(body);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().fields.contains("MSGTYPE"));
}
