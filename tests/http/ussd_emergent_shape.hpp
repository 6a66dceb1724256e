// The Emergent wire shape, which Cross-Switch speaks too: one DialectCase for both, with each
// aggregator's own fixtures (tests/fixtures/ussd/<name>/).
#pragma once

#include "http/ussd_dialect_harness.hpp"

namespace ussd_otp::testing {

inline DialectCase emergent_shape(const std::string& name) {
  return {
      .name = name,
      .id_prefix = "S-",
      .end_notices = {{"release.json", "released"}, {"timeout.json", "timed_out"}},
      .check_code_reply =
          [](const nlohmann::json& reply) {
            CHECK(reply["Type"] == "Release");
            CHECK(!reply.contains("MaskNextRoute"));
          },
      .bad_requests =
          [name] {
            const nlohmann::json good = nlohmann::json::parse(
                fixture(name, "answer.json", {{"session_id", "S-6"}, {"text", "1"}}));
            auto without = [&](const char* field) {
              return edited(good, [&](nlohmann::json& body) { body.erase(field); });
            };
            auto with = [&](const char* field, const nlohmann::json& value) {
              return edited(good, [&](nlohmann::json& body) { body[field] = value; });
            };
            return std::vector<BadRequest>{
                {without("SessionId"), {"SessionId"}},
                {without("Mobile"), {"Mobile"}},
                {without("Type"), {"Type"}},
                {without("Message"), {"Message"}},  // an answer needs one
                {with("SessionId", nlohmann::json::object()), {"SessionId"}},
                {with("Mobile", true), {"Mobile"}},
                {with("Type", "AddToCart"), {"Type"}},
                {with("Message", std::string(2000, '1')), {"Message"}},
                {"{\"SessionId\":", {}, "INVALID_JSON"},
                {"[1,2]", {}, "INVALID_JSON"}};
          },
      // Numbers where strings are expected are fine (aggregators mix them).
      .accepted =
          [name] {
            auto body = nlohmann::json::parse(
                fixture(name, "answer.json", {{"session_id", "S-6"}, {"text", "1"}}));
            body["SessionId"] = 12345;
            return std::vector{std::pair{body.dump(), std::string()}};
          },
  };
}

}  // namespace ussd_otp::testing
