// The OtpStore contract, on every backend: every OtpStoreTransaction operation (OTPs, events,
// the outbox and its attempts, counters, the send log, idempotency, budgets, housekeeping) and the
// transaction guarantees (rollback, serialisation, read-your-writes), and what must survive a
// restart (the verify throttle, send budgets).
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/otp_store_support.hpp"
#include "storage/store_factories.hpp"

namespace ussd_otp {
namespace {

using namespace testing;

}  // namespace

TEMPLATE_LIST_TEST_CASE("an OTP round-trips every field", "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;

  OtpRecord otp =
      make_otp("otp_0123456789abcdef0123456789abcdef", 42, "233241234567", kNow, kNow + 300);
  otp.sender = "MyBank";
  otp.message_template = "Code {code}, valid {duration}";
  otp.pin_type = PinType::Alphanumeric;
  otp.pin_length = 8;
  otp.expiry_amount = 2;
  otp.expiry_unit = "hours";
  otp.code_hash = {0, 0, 7, 0, 255};  // zero bytes must survive
  otp.code_ciphertext = {0};
  otp.status = OtpStatus::Pending;
  otp.max_attempts = 5;
  otp.failed_attempts = 1;
  otp.send_count = 2;
  otp.last_sent_at = kNow + 10;
  otp.metadata_json = "";

  insert(store, otp);
  auto found = find(store, otp.id);
  REQUIRE(found);
  require_same(*found, otp);

  SECTION("non-empty metadata and empty blobs") {
    OtpRecord other = make_otp("otp_other", 1, "233200000000", kNow, kNow + 60);
    other.metadata_json = R"({"order":"A-1"})";
    other.code_hash.clear();
    other.code_ciphertext.clear();
    other.pin_type = PinType::Alphabetic;
    insert(store, other);
    auto back = find(store, other.id);
    REQUIRE(back);
    require_same(*back, other);
  }

  SECTION("update writes only the mutable fields") {
    OtpRecord changed = otp;
    changed.status = OtpStatus::Verified;
    changed.failed_attempts = 3;
    changed.send_count = 4;
    changed.last_sent_at = kNow + 99;
    changed.phone = "999";  // not a mutable field: must be ignored
    store.write([&](OtpStoreTransaction& tx) { tx.update_otp(changed); });

    OtpRecord expected = changed;
    expected.phone = otp.phone;
    auto back = find(store, otp.id);
    REQUIRE(back);
    require_same(*back, expected);
  }

  SECTION("missing ids, duplicate inserts and unknown updates") {
    CHECK_FALSE(find(store, "otp_missing"));
    CHECK_THROWS(insert(store, otp));
    OtpRecord ghost = make_otp("otp_ghost", 1, "1", kNow, kNow + 1);
    CHECK_THROWS_AS(store.write([&](OtpStoreTransaction& tx) { tx.update_otp(ghost); }),
                    std::runtime_error);
  }
}

TEMPLATE_LIST_TEST_CASE("find_active_otp respects key, phone, status and expiry, newest first",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  const std::string phone = "233241234567";

  insert(store, make_otp("otp_old", 1, phone, kNow - 100, kNow + 200));
  insert(store, make_otp("otp_new", 1, phone, kNow - 10, kNow + 200));
  // Same created_at as otp_new but inserted later: insertion order breaks the tie.
  insert(store, make_otp("otp_new_tie", 1, phone, kNow - 10, kNow + 200));
  insert(store, make_otp("otp_other_key", 2, phone, kNow, kNow + 200));
  insert(store, make_otp("otp_other_phone", 1, "233209999999", kNow, kNow + 200));
  OtpRecord verified = make_otp("otp_verified", 1, phone, kNow, kNow + 200);
  verified.status = OtpStatus::Verified;
  insert(store, verified);
  insert(store, make_otp("otp_expired", 1, phone, kNow, kNow));  // expires_at == now: not active

  store.read([&](OtpStoreTransaction& tx) {
    auto active = tx.find_active_otp(1, phone, kNow);
    REQUIRE(active);
    CHECK(active->id == "otp_new_tie");
    auto other = tx.find_active_otp(2, phone, kNow);
    REQUIRE(other);
    CHECK(other->id == "otp_other_key");
    CHECK_FALSE(tx.find_active_otp(3, phone, kNow));
    CHECK_FALSE(tx.find_active_otp(1, "233200000000", kNow));
    // Past every expiry nothing is active, whatever the stored status says.
    CHECK_FALSE(tx.find_active_otp(1, phone, kNow + 200));
  });
}

TEMPLATE_LIST_TEST_CASE("active_otps_for_phone spans API keys, newest first", "[storage][contract]",
                        StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  const std::string phone = "233241234567";
  insert(store, make_otp("otp_a", 1, phone, kNow - 30, kNow + 100));
  insert(store, make_otp("otp_b", 2, phone, kNow - 20, kNow + 100));
  insert(store, make_otp("otp_c", 3, phone, kNow - 10, kNow + 5));
  insert(store, make_otp("otp_elsewhere", 1, "233200000000", kNow, kNow + 100));
  OtpRecord cancelled = make_otp("otp_cancelled", 1, phone, kNow, kNow + 100);
  cancelled.status = OtpStatus::Cancelled;
  insert(store, cancelled);

  store.read([&](OtpStoreTransaction& tx) {
    CHECK(ids_of(tx.active_otps_for_phone(phone, kNow)) ==
          std::vector<std::string>{"otp_c", "otp_b", "otp_a"});
    CHECK(ids_of(tx.active_otps_for_phone(phone, kNow + 5)) ==
          std::vector<std::string>{"otp_b", "otp_a"});
    CHECK(tx.active_otps_for_phone("233000000000", kNow).empty());
  });
}

TEMPLATE_LIST_TEST_CASE("events come back oldest first", "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  insert(store, make_otp("otp_1", 1, "233241234567", kNow, kNow + 60));
  insert(store, make_otp("otp_2", 1, "233241234567", kNow, kNow + 60));

  store.write([&](OtpStoreTransaction& tx) {
    tx.add_event("otp_1", event::kRequested, kNow);
    tx.add_event("otp_2", event::kRequested, kNow);
    tx.add_event("otp_1", event::kSent, kNow + 1, "via sms");
    tx.add_event("otp_1", event::kVerifyFailed, kNow + 1);
    tx.add_event("otp_1", event::kVerified, kNow + 5, "");
  });

  store.read([&](OtpStoreTransaction& tx) {
    const auto events = tx.events("otp_1");
    REQUIRE(events.size() == 4);
    CHECK(events[0].type == "requested");
    CHECK(events[0].at == kNow);
    CHECK(events[0].detail.empty());
    CHECK(events[1].type == "sent");
    CHECK(events[1].detail == "via sms");
    CHECK(events[2].type == "verify_failed");
    CHECK(events[3].type == "verified");
    CHECK(events[3].at == kNow + 5);
    CHECK(tx.events("otp_2").size() == 1);
    CHECK(tx.events("otp_none").empty());
  });

  // The foreign key rejects events for OTPs that do not exist.
  CHECK_THROWS(
      store.write([](OtpStoreTransaction& tx) { tx.add_event("otp_none", event::kSent, kNow); }));
}

TEMPLATE_LIST_TEST_CASE("the outbox hands out due deliveries and supports retry and completion",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  for (const char* id : {"otp_1", "otp_2", "otp_3"}) {
    insert(store, make_otp(id, 1, "233241234567", kNow, kNow + 600));
  }
  store.write([&](OtpStoreTransaction& tx) {
    tx.enqueue_delivery("otp_1", "initial", kNow);
    tx.enqueue_delivery("otp_2", "initial", kNow + 1);
    tx.enqueue_delivery("otp_3", "resend", kNow + 10);
  });

  std::vector<PendingDelivery> due;
  store.read([&](OtpStoreTransaction& tx) { due = tx.due_deliveries(kNow + 5, 10); });
  REQUIRE(due.size() == 2);
  CHECK(due[0].otp_id == "otp_1");
  CHECK(due[0].reason == "initial");
  CHECK(due[0].created_at == kNow);
  CHECK(due[0].attempts == 0);
  CHECK(due[1].otp_id == "otp_2");

  store.read([&](OtpStoreTransaction& tx) {
    const auto limited = tx.due_deliveries(kNow + 100, 1);
    REQUIRE(limited.size() == 1);
    CHECK(limited[0].otp_id == "otp_1");
    CHECK(tx.due_deliveries(kNow - 1, 10).empty());
  });

  store.write([&](OtpStoreTransaction& tx) {
    tx.retry_delivery_later(due[0].id, kNow + 60);
    tx.complete_delivery(due[1].id);
  });

  store.read([&](OtpStoreTransaction& tx) {
    // otp_1 is waiting for its retry, otp_2 is gone, otp_3 is due.
    const auto at20 = tx.due_deliveries(kNow + 20, 10);
    REQUIRE(at20.size() == 1);
    CHECK(at20[0].otp_id == "otp_3");

    const auto at60 = tx.due_deliveries(kNow + 60, 10);
    REQUIRE(at60.size() == 2);
    CHECK(at60[0].otp_id == "otp_1");  // oldest by creation, even after a retry
    CHECK(at60[0].attempts == 1);
    CHECK(at60[1].otp_id == "otp_3");
  });
}

TEMPLATE_LIST_TEST_CASE("status polls go oldest-due first and stop after max_polls per message",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  insert(store, make_otp("otp_1", 1, "233241234567", kNow, kNow + 600));
  std::vector<std::int64_t> ids;
  store.write([&](OtpStoreTransaction& tx) {
    for (int i = 0; i < 3; ++i) {
      DeliveryAttempt a;
      a.outbox_id = 1;
      a.otp_id = "otp_1";
      a.provider = "hubtel";
      a.reason = "initial";
      a.outcome = "accepted";
      a.gateway_message_id = "m" + std::to_string(i);
      a.started_at = kNow + i;
      a.finished_at = kNow + i;
      ids.push_back(tx.insert_delivery_attempt(a));
    }
  });
  const auto next = [&](int max_polls) {
    std::vector<DeliveryAttempt> due;
    store.read([&](OtpStoreTransaction& tx) {
      due = tx.attempts_awaiting_receipt("hubtel", kNow - 10, max_polls, 1);
    });
    return due.empty() ? std::string() : due[0].gateway_message_id;
  };
  const auto poll = [&](const std::string& id, UnixSeconds at) {
    store.write([&](OtpStoreTransaction& tx) {
      const auto a = tx.find_delivery_attempt("hubtel", id);
      REQUIRE(a);
      tx.count_delivery_poll(a->id);
      tx.record_delivery_receipt(a->id, "pending", "Sent", at);
    });
  };
  // Never-polled messages first, oldest first; then the least recently polled.
  CHECK(next(2) == "m0");
  poll("m0", kNow + 10);
  CHECK(next(2) == "m1");
  poll("m1", kNow + 11);
  CHECK(next(2) == "m2");
  poll("m2", kNow + 12);
  CHECK(next(2) == "m0");
  poll("m0", kNow + 13);  // m0's second poll: its last one
  CHECK(next(2) == "m1");
  poll("m1", kNow + 14);
  poll("m2", kNow + 15);
  CHECK(next(2).empty());  // each was polled twice: no more
  store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.find_delivery_attempt("hubtel", "m0")->polls == 2);
  });
  CHECK(next(3) == "m0");
}

TEMPLATE_LIST_TEST_CASE("a completed delivery can be reopened under its old id",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  insert(store, make_otp("otp_1", 1, "233241234567", kNow, kNow + 600));
  std::optional<PendingDelivery> row;
  store.write([&](OtpStoreTransaction& tx) {
    tx.enqueue_delivery("otp_1", "initial", kNow);
    row = tx.due_deliveries(kNow, 1).at(0);
    tx.complete_delivery(row->id);
  });
  REQUIRE(row);
  row->next_attempt_at = kNow + 50;
  row->attempts = 2;
  row->receipt_failover_used = true;
  store.write([&](OtpStoreTransaction& tx) {
    tx.reopen_delivery(*row);
    tx.reopen_delivery(*row);  // already there: nothing happens
  });
  store.read([&](OtpStoreTransaction& tx) {
    const auto found = tx.find_delivery(row->id);
    REQUIRE(found);
    CHECK(found->otp_id == "otp_1");
    CHECK(found->reason == "initial");
    CHECK(found->next_attempt_at == kNow + 50);
    CHECK(found->attempts == 2);
    CHECK(found->receipt_failover_used);
    CHECK(found->lease_until == 0);
    CHECK(tx.due_deliveries(kNow + 50, 10).size() == 1);
  });
}

TEMPLATE_LIST_TEST_CASE("rate counters count per scope, key and window", "[storage][contract]",
                        StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  store.write([&](OtpStoreTransaction& tx) {
    CHECK(tx.rate_count("phone", "233241234567", kNow) == 0);
    for (int i = 0; i < 3; ++i) tx.rate_increment("phone", "233241234567", kNow);
    tx.rate_increment("phone", "233241234567", kNow + 60);
    tx.rate_increment("api_key", "233241234567", kNow);
    tx.rate_increment("phone", "233200000000", kNow);
  });
  store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.rate_count("phone", "233241234567", kNow) == 3);
    CHECK(tx.rate_count("phone", "233241234567", kNow + 60) == 1);
    CHECK(tx.rate_count("api_key", "233241234567", kNow) == 1);
    CHECK(tx.rate_count("phone", "233200000000", kNow) == 1);
    CHECK(tx.rate_count("phone", "233200000000", kNow + 60) == 0);
  });
}

TEMPLATE_LIST_TEST_CASE("the phone send log counts per key or across keys, after since",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  const std::string phone = "233241234567";
  store.write([&](OtpStoreTransaction& tx) {
    CHECK(tx.count_phone_sends(1, phone, kNow - 3600) == 0);
    CHECK_FALSE(tx.phone_send_at(std::nullopt, phone, kNow - 3600, 0));
    tx.log_phone_send(1, phone, kNow - 3600);  // exactly at `since`: outside the window
    tx.log_phone_send(1, phone, kNow - 30);
    tx.log_phone_send(1, phone, kNow - 20);
    tx.log_phone_send(2, phone, kNow - 25);
    tx.log_phone_send(1, "233200000000", kNow - 10);
  });
  store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.count_phone_sends(1, phone, kNow - 3600) == 2);
    CHECK(tx.count_phone_sends(2, phone, kNow - 3600) == 1);
    CHECK(tx.count_phone_sends(3, phone, kNow - 3600) == 0);
    CHECK(tx.count_phone_sends(std::nullopt, phone, kNow - 3600) == 3);
    CHECK(tx.count_phone_sends(std::nullopt, phone, kNow - 3601) == 4);
    CHECK(tx.phone_send_at(1, phone, kNow - 3600, 0) == kNow - 30);
    CHECK(tx.phone_send_at(1, phone, kNow - 3600, 1) == kNow - 20);
    CHECK_FALSE(tx.phone_send_at(1, phone, kNow - 3600, 2));
    CHECK(tx.phone_send_at(std::nullopt, phone, kNow - 3600, 1) == kNow - 25);
  });
  store.write([&](OtpStoreTransaction& tx) { CHECK(tx.purge_phone_sends_until(kNow - 25) == 3); });
  store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.count_phone_sends(std::nullopt, phone, 0) == 1);
    CHECK(tx.count_phone_sends(std::nullopt, "233200000000", 0) == 1);
  });
}

TEMPLATE_LIST_TEST_CASE("idempotency records are saved, replaced and found by key",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  const IdempotencyRecord record{7, "req-1", "fp-abc", "otp_1", kNow};
  store.write([&](OtpStoreTransaction& tx) { tx.save_idempotency(record); });

  store.read([&](OtpStoreTransaction& tx) {
    const auto found = tx.find_idempotency(7, "req-1");
    REQUIRE(found);
    CHECK(found->api_key_id == 7);
    CHECK(found->key == "req-1");
    CHECK(found->fingerprint == "fp-abc");
    CHECK(found->otp_id == "otp_1");
    CHECK(found->created_at == kNow);
    CHECK_FALSE(tx.find_idempotency(8, "req-1"));  // keys are per API key
    CHECK_FALSE(tx.find_idempotency(7, "req-2"));
  });

  // A second save for the same (api_key_id, key) replaces the record (an expired one, in use).
  const IdempotencyRecord replacement{7, "req-1", "fp-other", "otp_2", kNow + 1};
  CHECK_NOTHROW(store.write([&](OtpStoreTransaction& tx) { tx.save_idempotency(replacement); }));
  store.read([&](OtpStoreTransaction& tx) {
    const auto found = tx.find_idempotency(7, "req-1");
    REQUIRE(found);
    CHECK(found->fingerprint == "fp-other");
    CHECK(found->otp_id == "otp_2");
    CHECK(found->created_at == kNow + 1);
  });
  // Another API key may use the same key text.
  CHECK_NOTHROW(store.write([&](OtpStoreTransaction& tx) {
    tx.save_idempotency(IdempotencyRecord{8, "req-1", "fp", "otp_3", kNow});
  }));
}

TEMPLATE_LIST_TEST_CASE("expire_due only touches due pending OTPs and respects the limit",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  insert(store, make_otp("otp_due_1", 1, "1", kNow - 100, kNow - 50));
  insert(store, make_otp("otp_due_2", 1, "1", kNow - 100, kNow));  // expires_at == now: due
  insert(store, make_otp("otp_future", 1, "1", kNow - 100, kNow + 1));
  OtpRecord verified = make_otp("otp_verified", 1, "1", kNow - 100, kNow - 50);
  verified.status = OtpStatus::Verified;
  insert(store, verified);

  std::vector<std::string> first;
  store.write([&](OtpStoreTransaction& tx) { first = tx.expire_due(kNow, 1); });
  CHECK(first == std::vector<std::string>{"otp_due_1"});  // earliest expiry first

  std::vector<std::string> second;
  store.write([&](OtpStoreTransaction& tx) { second = tx.expire_due(kNow, 10); });
  CHECK(second == std::vector<std::string>{"otp_due_2"});

  std::vector<std::string> third;
  store.write([&](OtpStoreTransaction& tx) { third = tx.expire_due(kNow, 10); });
  CHECK(third.empty());

  CHECK(find(store, "otp_due_1")->status == OtpStatus::Expired);
  CHECK(find(store, "otp_due_2")->status == OtpStatus::Expired);
  CHECK(find(store, "otp_future")->status == OtpStatus::Pending);
  CHECK(find(store, "otp_verified")->status == OtpStatus::Verified);
}

TEMPLATE_LIST_TEST_CASE("purging OTPs cascades to their events and outbox rows",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  insert(store, make_otp("otp_old_1", 1, "1", kNow - 300, kNow - 200));
  insert(store, make_otp("otp_old_2", 1, "1", kNow - 250, kNow - 200));
  insert(store, make_otp("otp_new", 1, "1", kNow, kNow + 60));
  store.write([&](OtpStoreTransaction& tx) {
    for (const char* id : {"otp_old_1", "otp_old_2", "otp_new"}) {
      tx.add_event(id, event::kRequested, kNow - 300);
      tx.add_event(id, event::kSent, kNow - 299);
      tx.enqueue_delivery(id, "initial", kNow - 300);
    }
  });

  std::size_t purged = 0;
  store.write([&](OtpStoreTransaction& tx) { purged = tx.purge_otps_created_before(kNow, 1); });
  CHECK(purged == 1);
  CHECK_FALSE(find(store, "otp_old_1"));  // oldest first
  CHECK(find(store, "otp_old_2"));

  store.write([&](OtpStoreTransaction& tx) { purged = tx.purge_otps_created_before(kNow, 10); });
  CHECK(purged == 1);
  CHECK_FALSE(find(store, "otp_old_2"));
  CHECK(find(store, "otp_new"));

  CHECK(contract.backend.count_rows("otp_events", "otp_id LIKE 'otp_old%'") == 0);
  CHECK(contract.backend.count_rows("outbox", "otp_id LIKE 'otp_old%'") == 0);
  store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.events("otp_new").size() == 2);
    const auto due = tx.due_deliveries(kNow, 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0].otp_id == "otp_new");
  });
}

TEMPLATE_LIST_TEST_CASE("idempotency and rate windows are purged by age", "[storage][contract]",
                        StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  store.write([&](OtpStoreTransaction& tx) {
    tx.save_idempotency({1, "old-1", "f", "otp_1", kNow - 100});
    tx.save_idempotency({1, "old-2", "f", "otp_2", kNow - 1});
    tx.save_idempotency({1, "new", "f", "otp_3", kNow});
    tx.rate_increment("phone", "1", kNow - 120);
    tx.rate_increment("phone", "2", kNow - 60);
    tx.rate_increment("phone", "1", kNow);
  });

  std::size_t idempotency_purged = 0;
  std::size_t windows_purged = 0;
  store.write([&](OtpStoreTransaction& tx) {
    idempotency_purged = tx.purge_idempotency_before(kNow);
    windows_purged = tx.purge_rate_windows_before(kNow);
  });
  CHECK(idempotency_purged == 2);
  CHECK(windows_purged == 2);
  store.read([&](OtpStoreTransaction& tx) {
    CHECK_FALSE(tx.find_idempotency(1, "old-1"));
    CHECK_FALSE(tx.find_idempotency(1, "old-2"));
    CHECK(tx.find_idempotency(1, "new"));
    CHECK(tx.rate_count("phone", "1", kNow - 120) == 0);
    CHECK(tx.rate_count("phone", "1", kNow) == 1);
  });
}

TEMPLATE_LIST_TEST_CASE("write rolls back and rethrows when the work throws", "[storage][contract]",
                        StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  const OtpRecord otp = make_otp("otp_doomed", 1, "1", kNow, kNow + 60);

  CHECK_THROWS_WITH(store.write([&](OtpStoreTransaction& tx) {
    tx.insert_otp(otp);
    tx.rate_increment("phone", "1", kNow);
    throw std::runtime_error("boom");
  }),
                    "boom");
  CHECK_FALSE(find(store, otp.id));
  store.read([&](OtpStoreTransaction& tx) { CHECK(tx.rate_count("phone", "1", kNow) == 0); });

  // The connection is usable afterwards.
  insert(store, otp);
  CHECK(find(store, otp.id));
}

TEMPLATE_LIST_TEST_CASE("concurrent writes are serialised", "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  std::atomic<int> failures{0};
  auto hammer = [&] {
    for (int i = 0; i < 500; ++i) {
      try {
        store.write([](OtpStoreTransaction& tx) {
          // Read-modify-write across statements: only correct if transactions never overlap.
          const auto before = tx.rate_count("bench", "k", kNow);
          tx.rate_increment("bench", "k", kNow);
          if (tx.rate_count("bench", "k", kNow) != before + 1) throw std::logic_error("overlap");
        });
      } catch (...) {
        ++failures;  // Catch2 assertions are not thread-safe; count and check on the main thread
      }
    }
  };
  std::thread a(hammer);
  std::thread b(hammer);
  a.join();
  b.join();
  CHECK(failures == 0);
  store.read([](OtpStoreTransaction& tx) { CHECK(tx.rate_count("bench", "k", kNow) == 1000); });
}

TEMPLATE_LIST_TEST_CASE("group commit: a failing write rolls back only its own work",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  constexpr int kThreads = 8;
  constexpr int kWrites = 150;
  std::atomic<int> failures{0};
  std::atomic<int> unexpected{0};
  auto writer = [&](int thread) {
    for (int i = 0; i < kWrites; ++i) {
      const bool doomed = i % 10 == 3;  // every tenth write throws after writing
      try {
        store.write([&](OtpStoreTransaction& tx) {
          tx.rate_increment("group", "ok", kNow);
          tx.rate_increment("group", "thread-" + std::to_string(thread), kNow);
          if (doomed) throw std::runtime_error("doomed");
        });
        if (doomed) ++unexpected;
      } catch (const std::runtime_error&) {
        if (doomed)
          ++failures;
        else
          ++unexpected;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(writer, t);
  for (auto& thread : threads) thread.join();
  CHECK(unexpected == 0);
  CHECK(failures == kThreads * kWrites / 10);
  const int committed_per_thread = kWrites - kWrites / 10;
  store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.rate_count("group", "ok", kNow) == kThreads * committed_per_thread);
    for (int t = 0; t < kThreads; ++t) {
      CHECK(tx.rate_count("group", "thread-" + std::to_string(t), kNow) == committed_per_thread);
    }
  });
}

TEMPLATE_LIST_TEST_CASE("a write is visible to reads as soon as write() returns",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  for (int i = 1; i <= 50; ++i) {
    store.write([](OtpStoreTransaction& tx) { tx.rate_increment("seen", "k", kNow); });
    store.read([&](OtpStoreTransaction& tx) { REQUIRE(tx.rate_count("seen", "k", kNow) == i); });
  }
}

TEMPLATE_LIST_TEST_CASE("find_latest_otp returns the newest OTP of a key and phone in any status",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  store.write([](OtpStoreTransaction& tx) {
    tx.insert_otp(make_otp("otp_old", 1, "233241234567", kNow, kNow + 300));
    OtpRecord newer = make_otp("otp_new", 1, "233241234567", kNow + 10, kNow + 310);
    newer.status = OtpStatus::Verified;
    tx.insert_otp(newer);
    tx.insert_otp(make_otp("otp_other_key", 2, "233241234567", kNow + 20, kNow + 320));
  });
  store.read([](OtpStoreTransaction& tx) {
    auto latest = tx.find_latest_otp(1, "233241234567");
    REQUIRE(latest);
    CHECK(latest->id == "otp_new");
    CHECK(latest->status == OtpStatus::Verified);
    CHECK_FALSE(tx.find_latest_otp(1, "233200000000"));
    CHECK_FALSE(tx.find_latest_otp(3, "233241234567"));
  });
}

TEMPLATE_LIST_TEST_CASE("update_send_budget changes only the limits it is given",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  update_send_budget(store, 7, {SendLimit{10}, std::nullopt}, kNow);
  SendBudget updated = update_send_budget(store, 7, {std::nullopt, SendLimit{100}}, kNow);
  CHECK(updated.daily_limit == 10);
  CHECK(updated.balance == 100);
  CHECK(updated.balance_granted == 100);
  updated = update_send_budget(store, 7, {SendLimit{}, std::nullopt}, kNow);
  CHECK_FALSE(updated.daily_limit);
  CHECK(updated.balance == 100);
  CHECK(read_send_budget(store, 7)->balance == 100);
}

TEMPLATE_LIST_TEST_CASE("verify attempts and blocks are kept per key and phone",
                        "[storage][contract]", StoreFactories) {
  TestType backend;
  const std::string phone = "233241234567";
  {
    OtpStore& store = backend.otp();
    store.write([&](OtpStoreTransaction& tx) {
      CHECK_FALSE(tx.verify_blocked_until(1, phone));
      tx.log_verify_attempt(1, phone, kNow - 60);
      tx.log_verify_attempt(1, phone, kNow - 59);
      tx.log_verify_attempt(1, phone, kNow);
      tx.log_verify_attempt(2, phone, kNow);
      tx.block_verifies(1, phone, kNow + 100);
      tx.block_verifies(1, phone, kNow + 300);  // replaces
      tx.block_verifies(2, phone, kNow);
    });
  }
  backend.reopen();  // the throttle survives a restart
  OtpStore& store = backend.otp();
  store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.count_verify_attempts(1, phone, kNow - 60) == 2);
    CHECK(tx.count_verify_attempts(2, phone, kNow - 60) == 1);
    CHECK(tx.count_verify_attempts(1, "233200000000", kNow - 60) == 0);
    CHECK(tx.verify_blocked_until(1, phone) == kNow + 300);
    CHECK(tx.verify_blocked_until(2, phone) == kNow);
    CHECK_FALSE(tx.verify_blocked_until(3, phone));
  });
  // Attempts at or before the cutoff (2) and blocks that have ended (1) go.
  store.write(
      [&](OtpStoreTransaction& tx) { CHECK(tx.purge_verify_throttle(kNow - 59, kNow) == 3); });
  store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.count_verify_attempts(1, phone, 0) == 1);
    CHECK(tx.verify_blocked_until(1, phone) == kNow + 300);
    CHECK_FALSE(tx.verify_blocked_until(2, phone));
  });
}

TEMPLATE_LIST_TEST_CASE("send budgets round-trip with unlimited fields as NULL",
                        "[storage][contract]", StoreFactories) {
  TestType backend;
  {
    OtpStore& store = backend.otp();
    store.read([](OtpStoreTransaction& tx) { CHECK_FALSE(tx.find_send_budget(1)); });
    store.write([](OtpStoreTransaction& tx) {
      tx.save_send_budget(1, SendBudget{std::nullopt, 40, 50, 19675, 3, 10});
      tx.save_send_budget(2, SendBudget{5, std::nullopt, 0, 19675, 1, 1});
      tx.save_send_budget(1, SendBudget{std::nullopt, 39, 50, 19675, 4, 11});  // replaces
    });
  }
  backend.reopen();
  OtpStore& store = backend.otp();
  store.read([](OtpStoreTransaction& tx) {
    auto first = tx.find_send_budget(1);
    REQUIRE(first);
    CHECK_FALSE(first->daily_limit);
    CHECK(first->balance == 39);
    CHECK(first->balance_granted == 50);
    CHECK(first->day == 19675);
    CHECK(first->sent_today == 4);
    CHECK(first->sent_total == 11);
    auto second = tx.find_send_budget(2);
    REQUIRE(second);
    CHECK(second->daily_limit == 5);
    CHECK_FALSE(second->balance);
  });
}

}  // namespace ussd_otp
