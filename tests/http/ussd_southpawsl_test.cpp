// SouthPawsl over HTTP against the real server: {sessionId, menuId, ussdString, inputOption, ...}
// in, {message, state CONTINUE|END, menuId, ussdString, option, ussdParameter} out. SouthPawsl has
// no release or timeout request (none is documented): a session stays open until the idle sweep.
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

USSD_DIALECT_TESTS(
    "southpawsl", .id_prefix = "P-",
    .check_code_reply = [](const nlohmann::json& reply) { CHECK(reply["state"] == "END"); },
    .bad_requests =
        [] {
          const nlohmann::json good = nlohmann::json::parse(
              fixture("southpawsl", "answer.json", {{"session_id", "P-6"}, {"text", "1"}}));
          auto without = [&](const char* field) {
            return BadRequest{edited(good, [&](auto& b) { b.erase(field); }), {field}};
          };
          auto with = [&](const char* field, const nlohmann::json& value) {
            return BadRequest{edited(good, [&](auto& b) { b[field] = value; }), {field}};
          };
          return std::vector<BadRequest>{
              without("sessionId"),
              without("msisdn"),
              without("ussdString"),
              without("inputOption"),
              with("inputOption", nlohmann::json::array()),
              with("menuId", nlohmann::json::object()),
              with("inputOption", std::string(2000, '1')),
              with("ussdParameters", std::vector<std::string>(200, "xxxxxxxxxx")),
              {"{", {}, "INVALID_JSON"},
              {"null", {}, "INVALID_JSON"}};
        })

TEST_CASE("ussd southpawsl: ussdParameters and menuId are echoed as sent", "[ussd][southpawsl]") {
  TestServer server;
  auto client = server.client();
  nlohmann::json body =
      nlohmann::json::parse(fixture("southpawsl", "dial.json", {{"session_id", "P-5"}}));
  body["ussdParameters"] = {{{"key", "lang"}, {"value", "en"}}};
  body["menuId"] = 42;
  const HttpResponse reply = send(client, dialect_case(), body.dump());
  REQUIRE(reply.status == 200);
  CHECK(reply.json()["ussdParameter"] == body["ussdParameters"]);
  CHECK(reply.json()["menuId"] == 42);
  CHECK(reply.json()["state"] == "CONTINUE");
}
