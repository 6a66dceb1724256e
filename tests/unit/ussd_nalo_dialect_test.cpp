// Nalo's request parsing without HTTP: MSGTYPE means "new" in the request, "continue" in the reply.
#include <catch2/catch.hpp>

#include "unit/ussd_dialect_parse.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

nlohmann::json request(nlohmann::json msgtype) {
  return {{"USERID", "NALOTest"}, {"MSISDN", "233241234567"},
          {"USERDATA", "3"},      {"MSGTYPE", std::move(msgtype)},
          {"NETWORK", "MTN"},     {"SESSIONID", "16590115252429751"}};
}

}  // namespace

TEST_CASE("nalo dialect: MSGTYPE flips meaning between request and reply", "[ussd][nalo]") {
  const auto first = parse_json("nalo", request(true));
  REQUIRE(first.ok());
  CHECK(first.value().ussd.phase == UssdPhase::Begin);
  CHECK(first.value().user_id == "NALOTest");
  CHECK(parse_json("nalo", request(false)).value().ussd.phase == UssdPhase::Continue);
  CHECK(parse_json("nalo", request("false")).value().ussd.phase == UssdPhase::Continue);

  const auto more = render_json("nalo", first.value(), "Enter:", false);
  CHECK(more["MSGTYPE"] == true);  // continue
  const auto done = render_json("nalo", first.value(), "Bye", true);
  CHECK(done["MSGTYPE"] == false);  // end
  CHECK(done["USERID"] == "NALOTest");
  CHECK(done["MSG"] == "Bye");
}

TEST_CASE("nalo dialect: screens are limited to 120 characters", "[ussd][nalo]") {
  CHECK(registered_dialect("nalo").screen_limit() == 120);
}

TEST_CASE("nalo dialect: a missing or null USERDATA reads as empty", "[ussd][nalo]") {
  auto body = request(true);
  body["USERDATA"] = nullptr;
  CHECK(parse_json("nalo", body).value().ussd.input.empty());
  body.erase("USERDATA");
  CHECK(parse_json("nalo", body).value().ussd.input.empty());
  body["MSGTYPE"] = 1;
  const auto bad = parse_json("nalo", body);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().fields.contains("MSGTYPE"));
}
