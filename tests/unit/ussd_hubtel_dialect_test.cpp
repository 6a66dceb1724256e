// Hubtel's request parsing without HTTP: Type in any case, Sequence as string or number.
#include <catch2/catch.hpp>

#include "unit/ussd_dialect_parse.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

nlohmann::json request(std::string type) {
  return {{"Type", std::move(type)},  {"Mobile", "233241234567"}, {"SessionId", "s1"},
          {"ServiceCode", "889*142"}, {"Message", "1"},           {"Sequence", 2}};
}

}  // namespace

TEST_CASE("hubtel dialect: Type is read in any case", "[ussd][hubtel]") {
  CHECK(parse_json("hubtel", request("Initiation")).value().ussd.phase == UssdPhase::Begin);
  CHECK(parse_json("hubtel", request("INITIATION")).value().ussd.phase == UssdPhase::Begin);
  CHECK(parse_json("hubtel", request("response")).value().ussd.phase == UssdPhase::Continue);
  CHECK(parse_json("hubtel", request("Release")).value().ussd.phase == UssdPhase::Released);
  CHECK(parse_json("hubtel", request("timeout")).value().ussd.phase == UssdPhase::TimedOut);
  const auto unknown = parse_json("hubtel", request("HijackSession"));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().fields.contains("Type"));
}

TEST_CASE("hubtel dialect: Sequence may be a string or a number", "[ussd][hubtel]") {
  auto body = request("Response");
  body["Sequence"] = "2";
  CHECK(parse_json("hubtel", body).ok());
  body["Sequence"] = 2;
  CHECK(parse_json("hubtel", body).ok());
  body.erase("Sequence");
  CHECK(parse_json("hubtel", body).ok());
  body["Sequence"] = nlohmann::json::array();
  const auto bad = parse_json("hubtel", body);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().fields.contains("Sequence"));
}

TEST_CASE("hubtel dialect: the lower-case serviceCode spelling is read too", "[ussd][hubtel]") {
  auto body = request("Initiation");
  body.erase("ServiceCode");
  body["serviceCode"] = "713";
  CHECK(parse_json("hubtel", body).value().ussd.service_code == "713");
}

TEST_CASE("hubtel dialect: replies continue with input and end with display", "[ussd][hubtel]") {
  auto parsed = parse_json("hubtel", request("Response"));
  REQUIRE(parsed.ok());
  const auto more = render_json("hubtel", parsed.value(), "Enter:", false);
  CHECK(more["Type"] == "response");
  CHECK(more["DataType"] == "input");
  CHECK_FALSE(more.contains("ClientState"));  // none was sent
  const auto done = render_json("hubtel", parsed.value(), "Bye", true);
  CHECK(done["Type"] == "release");
  CHECK(done["DataType"] == "display");
  CHECK(done["Message"] == "Bye");
}
