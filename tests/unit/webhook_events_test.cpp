// App webhook events as data: which events map to which names, the payload (never the code),
// queueing in the event's transaction, URL checks, the retry delay and the signed request.
#include "otp/webhook_events.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "delivery/signature.hpp"
#include "delivery/webhook_sender.hpp"
#include "otp/crypto.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/storage_support.hpp"
#include "support/backoff.hpp"
#include "support/temp_dir.hpp"

namespace ussd_otp {
namespace {

using nlohmann::json;
constexpr UnixSeconds kAt = 1'700'000'000;  // 2023-11-14T22:13:20Z

OtpRecord sample_otp() {
  OtpRecord otp = testing::otp_row("otp_0123456789abcdef0123456789abcdef", 1, kAt, kAt + 300);
  otp.failed_attempts = 1;
  otp.max_attempts = 3;
  otp.metadata_json = R"({"orderId":"A-17"})";
  return otp;
}

}  // namespace

TEST_CASE("webhook events: seven OTP events map to app event names, the rest to none",
          "[webhooks]") {
  CHECK(webhook_event_name(event::kSent) == "otp.sent");
  CHECK(webhook_event_name(event::kDelivered) == "otp.delivered");
  CHECK(webhook_event_name(event::kDeliveryFailed) == "otp.failed");
  CHECK(webhook_event_name(event::kVerified) == "otp.verified");
  CHECK(webhook_event_name(event::kExpired) == "otp.expired");
  CHECK(webhook_event_name(event::kLocked) == "otp.locked");
  CHECK(webhook_event_name(event::kUssdViewed) == "otp.ussd_viewed");
  for (std::string_view other : {event::kRequested, event::kResent, event::kUndelivered,
                                 event::kVerifyFailed, event::kCancelled}) {
    CHECK_FALSE(webhook_event_name(other));
  }
}

TEST_CASE("webhook events: the payload names the OTP, its details and metadata", "[webhooks]") {
  WebhookEventDetails details;
  details.provider = "arkesel";
  details.message_id = "msg-9";
  details.reason = "initial";
  const json body = json::parse(webhook_payload(sample_otp(), "otp.sent", details, kAt,
                                                "evt_00112233445566778899aabbccddeeff"));
  CHECK(body == json{{"id", "evt_00112233445566778899aabbccddeeff"},
                     {"type", "otp.sent"},
                     {"createdAt", "2023-11-14T22:13:20Z"},
                     {"data",
                      {{"otpId", "otp_0123456789abcdef0123456789abcdef"},
                       {"phone", "233241234567"},
                       {"status", "pending"},
                       {"provider", "arkesel"},
                       {"messageId", "msg-9"},
                       {"reason", "initial"},
                       {"failedAttempts", 1},
                       {"maxAttempts", 3},
                       {"metadata", {{"orderId", "A-17"}}}}}});
}

TEST_CASE("webhook events: no metadata is null, and empty details are left out", "[webhooks]") {
  OtpRecord otp = sample_otp();
  otp.metadata_json.clear();
  const json body = json::parse(webhook_payload(otp, "otp.expired", {}, kAt, "evt_1"));
  CHECK(body["data"]["metadata"].is_null());
  CHECK_FALSE(body["data"].contains("provider"));
  CHECK_FALSE(body["data"].contains("error"));
}

TEST_CASE("webhook events: the payload never holds the code, its hash or its ciphertext",
          "[webhooks]") {
  ensure_sodium_initialized();
  const CodeVault vault(ServerKey::generate());
  OtpRecord otp = sample_otp();
  const std::string code = "493817";
  otp.code_hash = vault.hash(otp.id, code);
  otp.code_ciphertext = vault.seal(otp.id, code);
  for (std::string_view name : {"otp.sent", "otp.verified", "otp.ussd_viewed"}) {
    const std::string payload = webhook_payload(otp, name, {}, kAt, "evt_1");
    CHECK(payload.find(code) == std::string::npos);
    CHECK(payload.find("Your code") == std::string::npos);
    CHECK(payload.find("codeHash") == std::string::npos);
    CHECK(payload.find("ciphertext") == std::string::npos);
  }
}

TEST_CASE("webhook events: queue_webhook_event queues in the event's transaction, once per event",
          "[webhooks]") {
  testing::TempDir dir;
  SqliteStore store(SqliteOptions{dir.file("otp.db")});
  const std::int64_t key = *store.create_api_key("k", "uok_k", {1}, kAt);
  REQUIRE(store.set_api_key_webhook(key, "https://app.example/h", {7}));
  OtpRecord otp = sample_otp();
  otp.api_key_id = key;
  store.write([&](OtpStoreTransaction& tx) {
    tx.insert_otp(otp);
    CHECK(queue_webhook_event(tx, otp, event::kVerified, kAt));
    CHECK(queue_webhook_event(tx, otp.id, event::kUssdViewed, kAt));
    CHECK_FALSE(queue_webhook_event(tx, otp, event::kVerifyFailed, kAt));  // not an app event
    CHECK_FALSE(queue_webhook_event(tx, "otp_gone", event::kExpired, kAt));
  });
  store.read([&](OtpStoreTransaction& tx) {
    const auto due = tx.due_webhooks(kAt, 10);
    REQUIRE(due.size() == 2);
    CHECK(due[0].event == "otp.verified");
    CHECK(json::parse(due[0].payload)["type"] == "otp.verified");
    CHECK(due[1].event == "otp.ussd_viewed");
    CHECK(json::parse(due[0].payload)["id"] != json::parse(due[1].payload)["id"]);
  });
}

TEST_CASE("webhook events: URLs must be http or https with a host", "[webhooks]") {
  for (const std::string_view url :
       {"https://app.example/hooks/otp", "http://127.0.0.1:8080/h?x=1"}) {
    INFO(url);
    CHECK_FALSE(webhook_url_problem(url));
  }
  for (const std::string_view url : {"ftp://app.example/", "app.example/hooks", "https:///path",
                                     "https://app.example/a b", ""}) {
    INFO(url);
    CHECK(webhook_url_problem(url));
  }
}

TEST_CASE("webhook events: secrets are whsec_ and 43 URL-safe characters, each new", "[webhooks]") {
  ensure_sodium_initialized();
  const std::string a = generate_webhook_secret();
  CHECK(a.size() == 6 + 43);
  CHECK(a.rfind("whsec_", 0) == 0);
  CHECK(a != generate_webhook_secret());
}

TEST_CASE("webhook sender: retries back off from the base, doubling, capped, with jitter",
          "[webhooks]") {
  WebhookSenderSettings s;
  s.retry_base_seconds = 5;
  s.retry_max_seconds = 3600;
  testing::check_backoff(
      {{1, false, 5},
       {1, true, 5},
       {2, true, 10},
       {3, true, 20},
       {3, false, 5},
       {20, true, 3600},
       {1000, true, 3600}},
      [&](int failures, auto draw) { return webhook_retry_delay(failures, s, draw); });
}

TEST_CASE("webhook sender: the request is a signed JSON POST", "[webhooks]") {
  const OutboundRequest request =
      webhook_request("https://app.example/h", "whsec_test", R"({"type":"otp.sent"})", kAt);
  CHECK(request.method == "POST");
  CHECK(request.url == "https://app.example/h");
  CHECK(request.body == R"({"type":"otp.sent"})");
  std::map<std::string, std::string> headers(request.headers.begin(), request.headers.end());
  CHECK(headers["Content-Type"] == "application/json");
  CHECK(headers["User-Agent"] == "ussd-otp-webhooks/1");
  CHECK(headers["X-Ussd-Otp-Timestamp"] == "1700000000");
  CHECK(webhook_signature_valid("whsec_test", kAt, request.body, headers["X-Ussd-Otp-Signature"],
                                kAt));
}

}  // namespace ussd_otp
