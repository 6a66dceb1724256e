// Hubtel over HTTP against the real server: typed JSON requests in, response/release JSON out.
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

namespace {

DialectCase hubtel() {
  return {
      .name = "hubtel",
      .id_prefix = "hub-",
      .dial = "initiation.json",
      .answer = "response.json",
      // Lower-case "initiation" and a string Sequence, as in one of Hubtel's own samples.
      .shortcuts = {{"shortcut.json", {}}},
      .exact_bytes = false,
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
  };
}

}  // namespace

USSD_DIALECT_TESTS("hubtel", hubtel)

TEST_CASE("ussd hubtel: ClientState is echoed back when sent", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  auto body = nlohmann::json::parse(fixture("hubtel", "initiation.json", {{"session_id", "h6"}}));
  body["ClientState"] = "100";
  auto expected = nlohmann::json::parse(fixture("hubtel", "dial.reply", {{"session_id", "h6"}}));
  expected["ClientState"] = "100";
  check_reply(hubtel(), send(client, hubtel(), body.dump()), expected.dump());
}

TEST_CASE("ussd hubtel: a ServiceCode other than the configured one is refused", "[ussd][hubtel]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.ussd.dialects["hubtel"].service_code = "*889*142#"; });
  auto client = server.client();
  // Hubtel's bare "889*142" is the same code.
  CHECK(send(client, hubtel(), "initiation.json", {{"session_id", "hub-c1"}}).status == 200);
  auto other =
      nlohmann::json::parse(fixture("hubtel", "initiation.json", {{"session_id", "hub-c2"}}));
  other["ServiceCode"] = "713";
  const HttpResponse refused = send(client, hubtel(), other.dump());
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
}
