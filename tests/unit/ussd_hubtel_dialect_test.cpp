// Hubtel's request parsing without HTTP: Type in any case, Sequence as string or number.
#include <catch2/catch.hpp>

#include "server/ussd/dialects/dialect.hpp"

using namespace ussd_otp;

namespace {

std::unique_ptr<UssdDialect> hubtel() {
  for (auto& dialect : all_dialects()) {
    if (dialect->name() == "hubtel") return std::move(dialect);
  }
  FAIL("hubtel is not registered");
  return nullptr;
}

Result<DialectRequest> parse(const nlohmann::json& body) {
  const std::string text = body.dump();
  return hubtel()->parse(DialectHttpRequest{"POST", "application/json", text, {}});
}

nlohmann::json request(std::string type) {
  return {{"Type", std::move(type)},  {"Mobile", "233241234567"}, {"SessionId", "s1"},
          {"ServiceCode", "889*142"}, {"Message", "1"},           {"Sequence", 2}};
}

}  // namespace

TEST_CASE("hubtel dialect: Type is read in any case", "[ussd][hubtel]") {
  CHECK(parse(request("Initiation")).value().ussd.phase == UssdPhase::Begin);
  CHECK(parse(request("INITIATION")).value().ussd.phase == UssdPhase::Begin);
  CHECK(parse(request("response")).value().ussd.phase == UssdPhase::Continue);
  CHECK(parse(request("Release")).value().ussd.phase == UssdPhase::Released);
  CHECK(parse(request("timeout")).value().ussd.phase == UssdPhase::TimedOut);
  const auto unknown = parse(request("HijackSession"));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().fields.contains("Type"));
}

TEST_CASE("hubtel dialect: Sequence may be a string or a number", "[ussd][hubtel]") {
  auto body = request("Response");
  body["Sequence"] = "2";
  CHECK(parse(body).ok());
  body["Sequence"] = 2;
  CHECK(parse(body).ok());
  body.erase("Sequence");
  CHECK(parse(body).ok());
  body["Sequence"] = nlohmann::json::array();
  const auto bad = parse(body);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().fields.contains("Sequence"));
}

TEST_CASE("hubtel dialect: the lower-case serviceCode spelling is read too", "[ussd][hubtel]") {
  auto body = request("Initiation");
  body.erase("ServiceCode");
  body["serviceCode"] = "713";
  CHECK(parse(body).value().ussd.service_code == "713");
}

TEST_CASE("hubtel dialect: replies continue with input and end with display", "[ussd][hubtel]") {
  auto parsed = parse(request("Response"));
  REQUIRE(parsed.ok());
  const auto dialect = hubtel();
  const auto more = nlohmann::json::parse(
      dialect->render(parsed.value(), UssdAnswer{"Enter:", false, "s1", "en"}).body);
  CHECK(more["Type"] == "response");
  CHECK(more["DataType"] == "input");
  CHECK_FALSE(more.contains("ClientState"));  // none was sent
  const auto done = nlohmann::json::parse(
      dialect->render(parsed.value(), UssdAnswer{"Bye", true, "s1", "en"}).body);
  CHECK(done["Type"] == "release");
  CHECK(done["DataType"] == "display");
  CHECK(done["Message"] == "Bye");
}
