// App webhooks against the real server: a receiving app on loopback checks each event's
// signature with its own HMAC, its payload (never the code), retries, and a restart.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <thread>

#include "http/ussd_calls.hpp"
#include "http/webhook_receiver.hpp"
#include "otp/webhook_events.hpp"

using namespace ussd_otp::testing;
using nlohmann::json;

namespace {

// A webhook as the docs promise it: signed with the current timestamp, JSON, our user agent.
void check_signed(const ReceivedWebhook& hook, const std::string& secret, TestServer& server) {
  INFO(hook.body);
  CHECK(hook.method == "POST");
  CHECK(hook.path == "/hooks/otp");
  CHECK(hook.header("content-type") == "application/json");
  CHECK(hook.header("user-agent") == "ussd-otp-webhooks/1");
  CHECK(signature_valid(hook, secret));
  CHECK_FALSE(signature_valid(hook, secret + "x"));
  const std::int64_t timestamp = std::stoll(hook.header("x-ussd-otp-timestamp"));
  CHECK(std::abs(timestamp - server.clock().now()) <= 300);  // within the replay window
}

// A receiving app, a server whose "test" key posts webhooks to it (signed with `secret`) and a
// client of that server.
struct WebhookApp {
  explicit WebhookApp(const std::function<void(ussd_otp::Config&)>& adjust = nullptr)
      : server(adjust) {}
  WebhookReceiver receiver;
  TestServer server;
  std::string secret = point_webhook_at(server, receiver);
  HttpClient client = server.client();
};

// Waits until the server has recorded `count` webhook attempts on the OTP (the app sees a POST
// a moment before the sender records its answer); returns them.
json wait_for_attempts(HttpClient& client, const TestServer& server, const std::string& id,
                       std::size_t count) {
  json webhooks;
  for (int i = 0; i < 500; ++i) {
    webhooks = otp_view(client, server, id)["webhooks"];
    if (webhooks.size() >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return webhooks;
}

}  // namespace

TEST_CASE("webhooks: otp.sent and otp.verified arrive signed, with the metadata, never the code",
          "[http][webhooks]") {
  WebhookApp app;
  auto& [receiver, server, secret, client] = app;

  const HttpResponse created = request_otp(
      client, server, {{"metadata", {{"orderId", "A-17"}, {"items", json::array({1, 2})}}}});
  REQUIRE(created.status == 201);
  const std::string id = created.json()["data"]["id"];
  const std::string code = code_in(server.wait_for_message(kPhone));

  const ReceivedWebhook sent = receiver.wait_for_type("otp.sent");
  REQUIRE_FALSE(sent.body.empty());
  check_signed(sent, secret, server);
  const json body = sent.json();
  CHECK(body["id"].get<std::string>().rfind("evt_", 0) == 0);
  CHECK(body["createdAt"].get<std::string>().back() == 'Z');
  CHECK(body["data"]["otpId"] == id);
  CHECK(body["data"]["phone"] == kPhone);
  CHECK(body["data"]["status"] == "pending");
  CHECK(body["data"]["provider"] == "dev-inbox");
  CHECK(body["data"]["metadata"] == json{{"orderId", "A-17"}, {"items", json::array({1, 2})}});

  REQUIRE(verify(client, server, id, code).status == 200);
  const ReceivedWebhook verified = receiver.wait_for_type("otp.verified");
  REQUIRE_FALSE(verified.body.empty());
  check_signed(verified, secret, server);
  CHECK(verified.json()["data"]["status"] == "verified");
  CHECK(verified.json()["id"] != body["id"]);

  for (const ReceivedWebhook& hook : receiver.wait_for(2)) {
    CHECK(hook.body.find(code) == std::string::npos);
    CHECK(hook.body.find("Your code") == std::string::npos);
  }
  // Every attempt is listed on the OTP, with the app's answer.
  const json webhooks = wait_for_attempts(client, server, id, 2);
  REQUIRE(webhooks.size() == 2);
  CHECK(webhooks[0]["event"] == "otp.sent");
  CHECK(webhooks[0]["httpStatus"] == 200);
  CHECK(webhooks[1]["event"] == "otp.verified");
  CHECK_FALSE(webhooks[1].contains("error"));
}

TEST_CASE("webhooks: wrong codes up to the limit send otp.locked, not otp.verified",
          "[http][webhooks]") {
  WebhookApp app;
  auto& [receiver, server, secret, client] = app;
  const std::string id = new_otp(client, server, {{"maxAttempts", 2}});
  server.wait_for_message(kPhone);
  CHECK(verify(client, server, id, "000000").status != 200);
  CHECK(verify(client, server, id, "000001").status != 200);

  const ReceivedWebhook locked = receiver.wait_for_type("otp.locked");
  REQUIRE_FALSE(locked.body.empty());
  check_signed(locked, secret, server);
  CHECK(locked.json()["data"]["status"] == "locked");
  CHECK(locked.json()["data"]["failedAttempts"] == 2);
  CHECK(locked.json()["data"]["metadata"].is_null());
  const std::vector<std::string> types = types_of(receiver.wait_for(2));
  CHECK(std::count(types.begin(), types.end(), "otp.verified") == 0);
}

TEST_CASE("webhooks: the sweeper's expiry sends otp.expired", "[http][webhooks]") {
  WebhookApp app([](ussd_otp::Config& c) { c.sweep_interval_seconds = 1; });
  auto& [receiver, server, secret, client] = app;
  const std::string id = new_otp(client, server, {{"expiry", {{"amount", 1}}}});
  REQUIRE_FALSE(receiver.wait_for_type("otp.sent").body.empty());

  server.clock().advance(61);
  const ReceivedWebhook expired = receiver.wait_for_type("otp.expired");
  REQUIRE_FALSE(expired.body.empty());
  check_signed(expired, secret, server);
  CHECK(expired.json()["data"]["otpId"] == id);
  CHECK(expired.json()["data"]["status"] == "expired");
}

TEST_CASE("webhooks: reading the code over Africa's Talking USSD sends otp.ussd_viewed",
          "[http][webhooks]") {
  WebhookApp app;
  auto& [receiver, server, secret, client] = app;
  const IssuedOtp otp = issue_otp(server, client);
  const std::vector<std::string> form{"Content-Type: application/x-www-form-urlencoded"};
  REQUIRE(client
              .post_raw("/ussd/africastalking",
                        fixture("africastalking", "dial.form", {{"session_id", "ATUid_w1"}}), form)
              .status == 200);
  const HttpResponse shown =
      client.post_raw("/ussd/africastalking",
                      fixture("africastalking", "answer.form",
                              {{"session_id", "ATUid_w1"}, {"text", "0241234567"}}),
                      form);
  REQUIRE(shown.body.find(otp.code) != std::string::npos);

  const ReceivedWebhook viewed = receiver.wait_for_type("otp.ussd_viewed");
  REQUIRE_FALSE(viewed.body.empty());
  check_signed(viewed, secret, server);
  CHECK(viewed.json()["data"]["otpId"] == otp.id);
  CHECK(viewed.json()["data"]["channel"] == "ussd:africastalking");
  CHECK(viewed.body.find(otp.code) == std::string::npos);
}

TEST_CASE("webhooks: a 500 is retried after the backoff with the same event, each attempt listed",
          "[http][webhooks]") {
  WebhookApp app;
  auto& [receiver, server, secret, client] = app;
  receiver.answer_with({500});
  const std::string id = new_otp(client, server);
  REQUIRE(receiver.wait_for(1).size() == 1);
  REQUIRE(wait_for_attempts(client, server, id, 1).size() == 1);

  // Not before the backoff (5 s on the server's clock, which the test holds still).
  CHECK(receiver.wait_for(2, std::chrono::milliseconds(700)).size() == 1);
  server.clock().advance(6);
  const std::vector<ReceivedWebhook> hooks = receiver.wait_for(2);
  REQUIRE(hooks.size() == 2);
  CHECK(hooks[0].type() == "otp.sent");
  CHECK(hooks[1].body == hooks[0].body);  // the payload built when the event happened
  check_signed(hooks[1], secret, server);
  CHECK(hooks[1].header("x-ussd-otp-timestamp") != hooks[0].header("x-ussd-otp-timestamp"));

  const json webhooks = wait_for_attempts(client, server, id, 2);
  REQUIRE(webhooks.size() == 2);
  CHECK(webhooks[0]["httpStatus"] == 500);
  CHECK(webhooks[0]["error"] == "HTTP 500");
  CHECK(webhooks[1]["httpStatus"] == 200);
}

TEST_CASE("webhooks: an app that never answers 2xx gets webhook-max-attempts tries, then none",
          "[http][webhooks]") {
  WebhookApp app([](ussd_otp::Config& c) {
    c.webhooks.max_attempts = 2;
    c.webhooks.retry_max_seconds = 5;
  });
  auto& [receiver, server, secret, client] = app;
  receiver.answer_with({503, 503, 503});
  const std::string id = new_otp(client, server);
  REQUIRE(wait_for_attempts(client, server, id, 1).size() == 1);
  server.clock().advance(6);
  REQUIRE(wait_for_attempts(client, server, id, 2).size() == 2);
  server.clock().advance(60);
  CHECK(receiver.wait_for(3, std::chrono::milliseconds(700)).size() == 2);
  CHECK(otp_view(client, server, id)["webhooks"].size() == 2);
}

TEST_CASE("webhooks: a pending webhook survives a restart", "[http][webhooks]") {
  WebhookApp app;
  auto& [receiver, server, secret, client] = app;
  receiver.answer_with({500});
  const std::string id = new_otp(client, server);
  REQUIRE(wait_for_attempts(client, server, id, 1).size() == 1);

  server.restart();
  server.clock().advance(6);
  const std::vector<ReceivedWebhook> hooks = receiver.wait_for(2);
  REQUIRE(hooks.size() == 2);
  CHECK(hooks[1].body == hooks[0].body);
  check_signed(hooks[1], secret, server);
  auto after = server.client();
  CHECK(wait_for_attempts(after, server, id, 2).size() == 2);
}

TEST_CASE("webhooks: a key without a webhook queues nothing, and removing one drops its events",
          "[http][webhooks]") {
  WebhookReceiver receiver;
  TestServer server;
  auto client = server.client();
  const std::string quiet = new_otp(client, server);
  server.wait_for_message(kPhone);
  CHECK(otp_view(client, server, quiet)["webhooks"].empty());

  point_webhook_at(server, receiver);
  receiver.answer_with({500});
  REQUIRE(
      client.post_json("/v1/otp/" + quiet + "/cancel", json::object(), {server.auth()}).status ==
      200);
  const std::string id = new_otp(client, server);
  REQUIRE(wait_for_attempts(client, server, id, 1).size() == 1);
  const auto key = server.app().store().find_api_key_by_name("test");
  REQUIRE(server.app().store().set_api_key_webhook(key->id, "", {}));
  server.clock().advance(6);
  CHECK(receiver.wait_for(2, std::chrono::milliseconds(700)).size() == 1);
  CHECK(otp_view(client, server, id)["webhooks"].size() == 1);
}
