// Delivery settings against the real ussd-otp-server binary outside --dev: receipt routes that
// need a path token or an allow-list, and gateway requirements refused at startup.
#include <catch2/catch.hpp>

#include <signal.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace ussd_otp::testing;

namespace {

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Arkesel and Africa's Talking in a route, credentials set; no token, no allow-list, not --dev.
std::vector<std::string> gateway_args(const TempDir& dir, const std::string& db) {
  return {"--db",
          dir.file(db.c_str()).string(),
          "--sms-routes",
          "233=arkesel,africastalking",
          "--sms-arkesel-api-key",
          "ark-key",
          "--sms-arkesel-sender",
          "MyShop",
          "--sms-africastalking-username",
          "sandbox",
          "--sms-africastalking-api-key",
          "at-key"};
}

HttpResponse post_at_receipt(HttpClient& client, const std::string& path) {
  return client.post_raw(path, "id=ATXid_1&status=Success&phoneNumber=%2B233241234567",
                         {"Content-Type: application/x-www-form-urlencoded"});
}

}  // namespace

TEST_CASE(
    "receipts outside --dev: without a path token or allow-list the routes are 404 and "
    "delivery.receipts_disabled is logged; with a token the receipt is accepted",
    "[binary][delivery]") {
  TempDir dir;
  {
    ServerProcess server(dir.path(), gateway_args(dir, "closed.db"));
    HttpClient client(server.url());
    CHECK(client.get("/delivery/arkesel?sms_id=x&status=DELIVERED").status == 404);
    CHECK(post_at_receipt(client, "/delivery/africastalking").status == 404);
    REQUIRE(server.stop(SIGTERM) == 0);
    const std::string logs = server.stderr_text() + server.stdout_text();
    CHECK(logs.find("delivery.receipts_disabled") != std::string::npos);
    CHECK(logs.find("sms-arkesel-receipt-path-token") != std::string::npos);
    CHECK(logs.find("sms-africastalking-receipt-path-token") != std::string::npos);
  }
  const std::string ark_token = "ark-receipts-0123456789";
  const std::string at_token = "at-receipts-0123456789";
  ServerProcess server(dir.path(), with(gateway_args(dir, "open.db"),
                                        {"--sms-arkesel-receipt-path-token", ark_token,
                                         "--sms-africastalking-receipt-path-token", at_token}));
  HttpClient client(server.url());
  const HttpResponse ark =
      client.get("/delivery/arkesel/" + ark_token + "?sms_id=x&status=DELIVERED");
  REQUIRE(ark.status == 200);
  CHECK(ark.json()["data"]["unmatched"] == 1);  // accepted; no message of ours has that id
  const HttpResponse at = post_at_receipt(client, "/delivery/africastalking/" + at_token);
  REQUIRE(at.status == 200);
  CHECK(at.json()["data"]["unmatched"] == 1);
  CHECK(client.get("/delivery/arkesel?sms_id=x&status=DELIVERED").status == 404);
  CHECK(post_at_receipt(client, "/delivery/africastalking/" + ark_token).status == 404);
  REQUIRE(server.stop(SIGTERM) == 0);
  const std::string logs = server.stderr_text() + server.stdout_text();
  CHECK(logs.find("delivery.receipts_disabled") == std::string::npos);
  CHECK(logs.find(ark_token) == std::string::npos);  // tokens never reach the logs
}

TEST_CASE("an Arkesel route without sms-arkesel-sender is refused at startup",
          "[binary][delivery]") {
  TempDir dir;
  const auto result =
      run_server_command({"serve", "--db", dir.file("s.db").string(), "--listen", "127.0.0.1:0",
                          "--sms-routes", "233=arkesel", "--sms-arkesel-api-key", "ark-key"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("sms-arkesel-sender") != std::string::npos);
}

TEST_CASE("a Hubtel or Twilio route with no sender anywhere is refused at startup",
          "[binary][delivery]") {
  TempDir dir;
  const auto hubtel = run_server_command(
      {"serve", "--db", dir.file("h.db").string(), "--listen", "127.0.0.1:0", "--sms-routes",
       "233=hubtel", "--sms-hubtel-client-id", "id", "--sms-hubtel-client-secret", "secret"});
  CHECK(hubtel.exit_code == 2);
  CHECK(hubtel.err.find("sms-hubtel-sender") != std::string::npos);
  CHECK(hubtel.err.find("default-sender") != std::string::npos);
  const auto twilio = run_server_command(
      {"serve", "--db", dir.file("t.db").string(), "--listen", "127.0.0.1:0", "--sms-routes",
       "*=twilio", "--sms-twilio-account-sid", "AC123", "--sms-twilio-auth-token", "token"});
  CHECK(twilio.exit_code == 2);
  CHECK(twilio.err.find("sms-twilio-sender") != std::string::npos);
}

TEST_CASE("a delivery-public-url whose hostname has an underscore is refused when Twilio is routed",
          "[binary][delivery]") {
  TempDir dir;
  const auto result =
      run_server_command({"serve", "--db", dir.file("t.db").string(), "--listen", "127.0.0.1:0",
                          "--sms-routes", "*=twilio", "--sms-twilio-account-sid", "AC123",
                          "--sms-twilio-auth-token", "token", "--sms-twilio-sender", "+15005550006",
                          "--delivery-public-url", "https://otp_api.example.com/base"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("delivery-public-url") != std::string::npos);
  CHECK(result.err.find("21609") != std::string::npos);
}
