// Hubtel over HTTP against the real server: typed JSON requests in, response/release JSON out.
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

USSD_DIALECT_TESTS(
    "hubtel", .id_prefix = "hub-", .dial = "initiation.json", .answer = "response.json",
    // Lower-case "initiation" and a string Sequence, as in one of Hubtel's own samples.
    .shortcuts = {{"shortcut.json", {}}}, .exact_bytes = false,
    .end_notices = {{"timeout.json", "timed_out", "release.reply"},
                    {"release.json", "released", "release.reply"}},
    .bad_requests =
        [] {
          const auto body =
              nlohmann::json::parse(fixture("hubtel", "initiation.json", {{"session_id", "b"}}));
          return std::vector<BadRequest>{
              {edited(body,
                      [](auto& b) {
                        b.erase("SessionId");
                        b.erase("Mobile");
                      }),
               {"SessionId", "Mobile"}},
              {edited(body,
                      [](auto& b) {
                        b["Sequence"] = true;
                        b["Message"] = nlohmann::json::object();
                      }),
               {"Sequence", "Message"}},
              {edited(body, [](auto& b) { b["Type"] = "AddToCart"; }), {"Type"}},
              {edited(body, [](auto& b) { b["Message"] = std::string(2000, '1'); }), {"Message"}},
              {"{\"Type\":\"Initiation\",", {}, "INVALID_JSON"},
              {"\"Initiation\"", {}, "INVALID_JSON"}};
        },
    // ClientState is echoed back when sent.
    .accepted =
        [] {
          auto body =
              nlohmann::json::parse(fixture("hubtel", "initiation.json", {{"session_id", "h6"}}));
          body["ClientState"] = "100";
          auto reply =
              nlohmann::json::parse(fixture("hubtel", "dial.reply", {{"session_id", "h6"}}));
          reply["ClientState"] = "100";
          return std::vector{std::pair{body.dump(), reply.dump()}};
        })

// Hubtel's bare "889*142" in the fixtures is the same code.
TEST_CASE("ussd hubtel: a ServiceCode other than the configured one is refused", "[ussd][hubtel]") {
  refuses_other_service_code(dialect_case(), "*889*142#", "ServiceCode", "713");
}
