// The app webhook contract, on every backend: the per-key webhook and its sealed secret, the
// outbox (enqueue only for keys with a webhook, leases, retries) and the attempts.
#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp/crypto.hpp"
#include "otp/webhook_events.hpp"
#include "storage/store_factories.hpp"

namespace ussd_otp {
namespace {

using namespace testing;

// A fresh store with two keys, one with a webhook, and an OTP under each.
template <class Factory>
struct Fixture : ContractStore<Factory> {
  std::int64_t with_hook = *this->keys.create_api_key("with", "uok_a", {1}, kNow);
  std::int64_t without_hook = *this->keys.create_api_key("without", "uok_b", {2}, kNow);

  Fixture() {
    REQUIRE(this->keys.set_api_key_webhook(with_hook, "https://app.example/hooks", {9, 9, 9}));
    this->store.write([&](OtpStoreTransaction& tx) {
      tx.insert_otp(otp_row("otp_a", with_hook));
      tx.insert_otp(otp_row("otp_b", without_hook));
    });
  }
};

}  // namespace

TEMPLATE_LIST_TEST_CASE("a key's webhook is stored, listed and removed",
                        "[storage][contract][webhooks]", StoreFactories) {
  Fixture<TestType> f;
  auto key = f.keys.find_api_key_by_name("with");
  REQUIRE(key);
  CHECK(key->webhook_url == "https://app.example/hooks");
  CHECK(key->webhook_secret == Bytes{9, 9, 9});
  CHECK(f.keys.find_api_key_by_name("without")->webhook_url.empty());
  REQUIRE(f.keys.set_api_key_webhook(f.with_hook, "", {}));
  key = f.keys.find_api_key_by_name("with");
  CHECK(key->webhook_url.empty());
  CHECK(key->webhook_secret.empty());
  CHECK_FALSE(f.keys.set_api_key_webhook(999, "https://x.example", {1}));
}

TEMPLATE_LIST_TEST_CASE("install_webhook keeps the secret sealed: the file never holds it",
                        "[storage][contract][webhooks]", StoreFactories) {
  Fixture<TestType> f;
  ensure_sodium_initialized();
  const CodeVault vault(ServerKey::generate());
  const std::optional<std::string> secret =
      install_webhook(f.keys, vault, f.without_hook, "http://127.0.0.1:9/h");
  REQUIRE(secret);
  CHECK(secret->rfind("whsec_", 0) == 0);
  const auto key = f.keys.find_api_key_by_name("without");
  const std::string stored(key->webhook_secret.begin(), key->webhook_secret.end());
  CHECK(stored.find(*secret) == std::string::npos);
  CHECK(vault.open(webhook_secret_binding(f.without_hook), key->webhook_secret) == *secret);
  // Bound to the key: the same bytes do not open as another key's secret.
  CHECK_FALSE(vault.open(webhook_secret_binding(f.with_hook), key->webhook_secret));
  CHECK_FALSE(install_webhook(f.keys, vault, 12345, "http://127.0.0.1:9/h"));
}

TEMPLATE_LIST_TEST_CASE("enqueue_webhook queues only for keys that have a webhook",
                        "[storage][contract][webhooks]", StoreFactories) {
  Fixture<TestType> f;
  bool queued_with = false;
  bool queued_without = true;
  f.store.write([&](OtpStoreTransaction& tx) {
    queued_with = tx.enqueue_webhook(f.with_hook, "otp_a", "otp.sent", "{}", kNow);
    queued_without = tx.enqueue_webhook(f.without_hook, "otp_b", "otp.sent", "{}", kNow);
  });
  CHECK(queued_with);
  CHECK_FALSE(queued_without);
  CHECK(f.backend.count_rows("webhook_outbox") == 1);
}

TEMPLATE_LIST_TEST_CASE("a rolled-back event takes its webhook with it",
                        "[storage][contract][webhooks]", StoreFactories) {
  Fixture<TestType> f;
  CHECK_THROWS(f.store.write([&](OtpStoreTransaction& tx) {
    tx.add_event("otp_a", "verified", kNow);
    tx.enqueue_webhook(f.with_hook, "otp_a", "otp.verified", "{}", kNow);
    throw std::runtime_error("disk full");
  }));
  CHECK(f.backend.count_rows("webhook_outbox") == 0);
}

TEMPLATE_LIST_TEST_CASE("claimed webhooks are leased, counted, retried later and completed",
                        "[storage][contract][webhooks]", StoreFactories) {
  Fixture<TestType> f;
  f.store.write([&](OtpStoreTransaction& tx) {
    tx.enqueue_webhook(f.with_hook, "otp_a", "otp.sent", R"({"type":"otp.sent"})", kNow);
    tx.enqueue_webhook(f.with_hook, "otp_a", "otp.verified", R"({"type":"otp.verified"})",
                       kNow + 1);
  });
  std::vector<PendingWebhook> claimed;
  f.store.write([&](OtpStoreTransaction& tx) { claimed = tx.claim_webhooks(kNow, kNow + 60, 10); });
  REQUIRE(claimed.size() == 1);  // the second is not due yet
  CHECK(claimed[0].event == "otp.sent");
  CHECK(claimed[0].payload == R"({"type":"otp.sent"})");
  CHECK(claimed[0].url == "https://app.example/hooks");
  CHECK(claimed[0].sealed_secret == Bytes{9, 9, 9});
  CHECK(claimed[0].attempts == 0);
  CHECK(claimed[0].lease_until == 0);

  // Leased: no other claim sees it until the lease ends, even when due.
  f.store.write([&](OtpStoreTransaction& tx) {
    CHECK(tx.claim_webhooks(kNow + 30, kNow + 90, 10).size() == 1);  // only otp.verified
  });
  f.store.write([&](OtpStoreTransaction& tx) {
    const auto again = tx.claim_webhooks(kNow + 91, kNow + 150, 10);
    REQUIRE(again.size() == 2);
    CHECK(again[0].attempts == 1);             // the first claim counted
    CHECK(again[0].lease_until == kNow + 60);  // a sender died holding it
    tx.retry_webhook_later(again[0].id, kNow + 200);
    tx.complete_webhook(again[1].id);
  });
  f.store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.due_webhooks(kNow + 199, 10).empty());
    const auto due = tx.due_webhooks(kNow + 200, 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0].lease_until == 0);
    CHECK(due[0].attempts == 2);
  });
}

TEMPLATE_LIST_TEST_CASE("webhook attempts are listed per OTP and go with it when it is purged",
                        "[storage][contract][webhooks]", StoreFactories) {
  Fixture<TestType> f;
  f.store.write([&](OtpStoreTransaction& tx) {
    tx.enqueue_webhook(f.with_hook, "otp_a", "otp.sent", "{}", kNow);
    tx.insert_webhook_attempt({0, 1, "otp_a", "otp.sent", 500, "HTTP 500", 12, kNow});
    tx.insert_webhook_attempt({0, 1, "otp_a", "otp.sent", 0, "connection refused", 3, kNow + 5});
  });
  f.store.read([&](OtpStoreTransaction& tx) {
    const auto attempts = tx.webhook_attempts("otp_a");
    REQUIRE(attempts.size() == 2);
    CHECK(attempts[0].http_status == 500);
    CHECK(attempts[0].latency_ms == 12);
    CHECK(attempts[1].error == "connection refused");
    CHECK(attempts[1].at == kNow + 5);
    CHECK(tx.webhook_attempts("otp_b").empty());
  });
  f.store.write([&](OtpStoreTransaction& tx) { tx.purge_otps_created_before(kNow + 1, 10); });
  CHECK(f.backend.count_rows("webhook_outbox") == 0);
  CHECK(f.backend.count_rows("webhook_attempts") == 0);
}

TEMPLATE_LIST_TEST_CASE("a webhook row of a key whose webhook was removed reads with no URL",
                        "[storage][contract][webhooks]", StoreFactories) {
  Fixture<TestType> f;
  f.store.write([&](OtpStoreTransaction& tx) {
    tx.enqueue_webhook(f.with_hook, "otp_a", "otp.sent", "{}", kNow);
  });
  REQUIRE(f.keys.set_api_key_webhook(f.with_hook, "", {}));
  f.store.read([&](OtpStoreTransaction& tx) {
    const auto due = tx.due_webhooks(kNow, 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0].url.empty());
  });
}

}  // namespace ussd_otp
