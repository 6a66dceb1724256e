// Beem over HTTP against the real server: {session_id, command, payload{request_id, response}} in,
// {command continue|terminate, payload{request_id, request}} out.
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

USSD_DIALECT_TESTS(
    "beem", .id_prefix = "B-",
    // A string request_id is echoed as a string.
    .shortcuts = {{"shortcut-in-service-code.json", {}},
                  {"shortcut-in-response.json", {{"request_id", "\"7\""}}}},
    .end_notices = {{"terminate.json", "released"}},
    .check_code_reply =
        [](const nlohmann::json& reply) {
          CHECK(reply["command"] == "terminate");
          CHECK(reply["payload"]["request_id"] == 502);  // a number stays a number
        },
    .bad_requests =
        [] {
          const nlohmann::json good = nlohmann::json::parse(fixture(
              "beem", "answer.json", {{"session_id", "B-6"}, {"request_id", "1"}, {"text", "1"}}));
          auto bad = [&](const std::function<void(nlohmann::json&)>& edit,
                         const std::string& field) {
            return BadRequest{edited(good, edit), {field}};
          };
          return std::vector<BadRequest>{
              bad([](auto& b) { b.erase("session_id"); }, "session_id"),
              bad([](auto& b) { b.erase("msisdn"); }, "msisdn"),
              bad([](auto& b) { b.erase("command"); }, "command"),
              bad([](auto& b) { b.erase("payload"); }, "payload"),
              bad([](auto& b) { b["payload"] = "x"; }, "payload"),
              bad([](auto& b) { b["payload"].erase("request_id"); }, "payload.request_id"),
              bad([](auto& b) { b["payload"].erase("response"); }, "payload.response"),
              bad([](auto& b) { b["payload"]["response"] = nlohmann::json::array(); },
                  "payload.response"),
              bad([](auto& b) { b["payload"]["response"] = std::string(2000, '1'); },
                  "payload.response"),
              bad([](auto& b) { b["command"] = "pause"; }, "command"),
              bad([](auto& b) { b["msisdn"] = false; }, "msisdn"),
              {"not json", {}, "INVALID_JSON"},
              {"\"a string\"", {}, "INVALID_JSON"}};
        })
