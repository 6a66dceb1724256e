// parse_json_strict: one JSON text has one meaning, so a key repeated at any depth is refused.
#include <catch2/catch.hpp>

#include <string>

#include "otp/strict_json.hpp"

using ussd_otp::parse_json_strict;

TEST_CASE("strict json: a repeated top-level key is refused and named", "[json]") {
  const auto parsed = parse_json_strict(R"({"phone":"0241234567","phone":"0201234567"})");
  CHECK_FALSE(parsed.ok());
  CHECK_FALSE(parsed.syntax_error());
  CHECK(parsed.duplicate_key == "phone");
  CHECK(ussd_otp::duplicate_key_message(parsed) == R"(duplicate key "phone")");
}

TEST_CASE("strict json: a repeated nested key is named by its dotted path", "[json]") {
  CHECK(parse_json_strict(R"({"expiry":{"amount":5,"amount":1440}})").duplicate_key ==
        "expiry.amount");
  CHECK(parse_json_strict(R"({"a":{"b":{"c":1,"c":2}}})").duplicate_key == "a.b.c");
  CHECK(parse_json_strict(R"({"list":[{"x":1},{"y":1,"y":2}]})").duplicate_key == "list[].y");
  CHECK(parse_json_strict(R"([{"id":"1","id":"2"}])").duplicate_key == "id");
}

TEST_CASE("strict json: the same key in sibling or nested objects is not a duplicate", "[json]") {
  const auto parsed =
      parse_json_strict(R"({"id":1,"meta":{"id":2,"inner":{"id":3}},"list":[{"id":4},{"id":5}]})");
  REQUIRE(parsed.ok());
  CHECK(parsed.duplicate_key.empty());
  CHECK(parsed.value["meta"]["inner"]["id"] == 3);
  CHECK(parsed.value["list"][1]["id"] == 5);
  // A key after a closed nested object is compared with its own object's keys only.
  CHECK(parse_json_strict(R"({"a":{"b":1},"b":2})").ok());
  CHECK(parse_json_strict(R"({"a":{"b":1},"a":2})").duplicate_key == "a");
}

TEST_CASE("strict json: keys are compared after unescaping", "[json]") {
  // "ph\u006fne" is "phone": a filter comparing raw bytes would see two different keys.
  CHECK(parse_json_strict(R"({"phone":"1","ph\u006fne":"2"})").duplicate_key == "phone");
  CHECK(parse_json_strict(R"({"Phone":"1","phone":"2"})").ok());  // keys are case-sensitive
}

TEST_CASE("strict json: broken json is a syntax error, whatever it repeated first", "[json]") {
  CHECK(parse_json_strict("{\"a\":1,").syntax_error());
  CHECK(parse_json_strict(R"({"a":1,"a":2)").syntax_error());
  CHECK(parse_json_strict("").syntax_error());
  CHECK(parse_json_strict(std::string(5000, '[') + std::string(5000, ']')).ok());
  CHECK(parse_json_strict("\"text\"").ok());
  CHECK(parse_json_strict("null").ok());
}
