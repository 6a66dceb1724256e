// Moolre's request parsing without HTTP: extra dialled digits arrive in `data`, not in a dial
// string.
#include <catch2/catch.hpp>

#include "unit/ussd_dialect_parse.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

nlohmann::json request(bool is_new, std::string message, std::string data) {
  return {{"sessionid", "m1"},
          {"new", is_new},
          {"msisdn", "233241234567"},
          {"network", 3},
          {"message", std::move(message)},
          {"extension", 109},
          {"data", std::move(data)}};
}

}  // namespace

TEST_CASE("moolre dialect: data becomes the pre-filled answers", "[ussd][moolre]") {
  const auto parsed = parse_json("moolre", request(true, "", "0241234567"));
  REQUIRE(parsed.ok());
  CHECK(parsed.value().ussd.phase == UssdPhase::Begin);
  CHECK(parsed.value().ussd.prefilled == std::vector<std::string>{"0241234567"});
  CHECK(parsed.value().ussd.service_code == "*203*109#");
  CHECK(parse_json("moolre", request(true, "", "1*0241234567")).value().ussd.prefilled ==
        std::vector<std::string>{"1", "0241234567"});
}

TEST_CASE("moolre dialect: a dial string in message is not counted twice", "[ussd][moolre]") {
  // Both carry the digits: data wins and the message is dropped.
  const auto both = parse_json("moolre", request(true, "*203*109*0241234567#", "0241234567"));
  CHECK(both.value().ussd.prefilled == std::vector<std::string>{"0241234567"});
  CHECK(both.value().ussd.input.empty());
  // Only the message: the extras after *203*<extension> are taken from it.
  const auto message_only = parse_json("moolre", request(true, "*203*109*0241234567#", ""));
  CHECK(message_only.value().ussd.prefilled == std::vector<std::string>{"0241234567"});
  // Someone else's code in the message is left alone.
  CHECK(parse_json("moolre", request(true, "*203*110*0241234567#", ""))
            .value()
            .ussd.prefilled.empty());
}

TEST_CASE("moolre dialect: data is ignored after the first request", "[ussd][moolre]") {
  const auto later = parse_json("moolre", request(false, "0241234567", "0241234567"));
  CHECK(later.value().ussd.phase == UssdPhase::Continue);
  CHECK(later.value().ussd.prefilled.empty());
  CHECK(later.value().ussd.input == "0241234567");
}
