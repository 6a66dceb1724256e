// WriteBehind over a real SqliteStore: background batches, flush, backpressure, dropping writes
// that cannot succeed, keeping writes while the database is locked, and the destructor's last
// attempt.
#include "storage/write_behind.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/sqlite/sqlite_store.hpp"
#include "storage/storage_support.hpp"

namespace ussd_otp {
namespace {

using namespace std::chrono_literals;
using namespace testing;

constexpr const char* kScope = "wb";
// Long enough that nothing is committed unless flush() or the destructor asks for it.
constexpr std::chrono::milliseconds kNeverOnItsOwn = 10s;

// Forwards to a real store and counts the transactions WriteBehind opens.
class CountingStore final : public OtpStore {
 public:
  explicit CountingStore(OtpStore& inner) : inner_(inner) {}
  bool writable() override { return inner_.writable(); }

  std::atomic<int> writes{0};

 private:
  void run_write(const TransactionWork& work) override {
    ++writes;
    inner_.write(work);
  }
  void run_read(const TransactionWork& work) override { inner_.read(work); }

  OtpStore& inner_;
};

// Collects what the background thread reports (Catch2 assertions are not thread-safe).
struct Reports {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::size_t>> calls;

  WriteBehind::ErrorReporter reporter() {
    return [this](const std::string& what, std::size_t dropped) {
      std::lock_guard lock(mutex);
      calls.emplace_back(what, dropped);
    };
  }
  std::vector<std::pair<std::string, std::size_t>> snapshot() {
    std::lock_guard lock(mutex);
    return calls;
  }
};

WriteBehind::Options options_with(std::chrono::milliseconds interval,
                                  std::size_t max_pending = 1000, int attempts = 3) {
  WriteBehind::Options options;
  options.interval = interval;
  options.max_pending = max_pending;
  options.attempts = attempts;
  return options;
}

// One row per key: a counter window in kScope.
WriteBehind::Write count(std::string key) {
  return [key = std::move(key)](OtpStoreTransaction& tx) { tx.rate_increment(kScope, key, kNow); };
}

std::int64_t counted(OtpStore& store, const std::string& key) {
  std::int64_t n = 0;
  store.read([&](OtpStoreTransaction& tx) { n = tx.rate_count(kScope, key, kNow); });
  return n;
}

std::size_t rows(OtpStore& store) {
  std::size_t n = 0;
  store.read([&](OtpStoreTransaction& tx) { n = tx.rate_counts_since(kScope, 0).size(); });
  return n;
}

// A fresh database, what the background thread reports, and the queue a test starts over them.
class WriteBehindFixture {
 protected:
  WriteBehind& start(const WriteBehind::Options& options) {
    return writer_.emplace(store, options, reports.reporter());
  }

  TempDir dir;
  SqliteStore store{options_in(dir)};
  Reports reports;

 private:
  std::optional<WriteBehind> writer_;  // destroyed first: its last attempt needs the store
};

template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = 2s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

}  // namespace

TEST_CASE_METHOD(WriteBehindFixture, "write-behind commits enqueued writes in the background",
                 "[storage]") {
  WriteBehind& writer = start(options_with(5ms));

  REQUIRE(writer.enqueue(count("a")));
  REQUIRE(writer.enqueue(count("b")));
  // No flush: the background thread commits on its own within a few intervals.
  CHECK(eventually([&] { return counted(store, "a") == 1 && counted(store, "b") == 1; }));
  CHECK(eventually([&] { return writer.pending() == 0; }));
  CHECK(writer.dropped() == 0);
  CHECK(reports.snapshot().empty());
}

TEST_CASE_METHOD(WriteBehindFixture,
                 "write-behind flush returns only once earlier writes are committed", "[storage]") {
  WriteBehind& writer = start(options_with(kNeverOnItsOwn));

  REQUIRE(writer.enqueue(count("a")));
  REQUIRE(writer.enqueue([](OtpStoreTransaction& tx) {
    std::this_thread::sleep_for(50ms);  // a slow write: flush must wait for it
    tx.rate_increment(kScope, "slow", kNow);
  }));
  CHECK(writer.pending() == 2);
  CHECK(rows(store) == 0);  // the interval is long: nothing drains on its own

  writer.flush();
  CHECK(counted(store, "a") == 1);
  CHECK(counted(store, "slow") == 1);
  CHECK(writer.pending() == 0);

  writer.flush();  // nothing queued: returns at once
  CHECK(rows(store) == 2);
  CHECK(reports.snapshot().empty());
}

TEST_CASE("write-behind commits queued writes together in one transaction", "[storage]") {
  TempDir dir;
  SqliteStore sqlite(options_in(dir));
  CountingStore store(sqlite);
  Reports reports;
  WriteBehind writer(store, options_with(kNeverOnItsOwn), reports.reporter());

  constexpr int kWrites = 50;
  std::vector<WriteBehind::Write> some;
  for (int i = 0; i < kWrites / 2; ++i) some.push_back(count("k" + std::to_string(i)));
  REQUIRE(writer.enqueue(some));
  CHECK(some.empty());  // taken
  for (int i = kWrites / 2; i < kWrites; ++i)
    REQUIRE(writer.enqueue(count("k" + std::to_string(i))));
  CHECK(writer.pending() == kWrites);

  writer.flush();
  CHECK(store.writes == 1);
  CHECK(writer.pending() == 0);
  CHECK(rows(sqlite) == kWrites);
  CHECK(writer.dropped() == 0);
}

TEST_CASE_METHOD(WriteBehindFixture,
                 "write-behind with a short interval lands every write and empties its queue",
                 "[storage]") {
  WriteBehind& writer = start(options_with(2ms));

  constexpr int kWrites = 200;
  for (int i = 0; i < kWrites; ++i) REQUIRE(writer.enqueue(count("k" + std::to_string(i))));
  writer.flush();
  CHECK(writer.pending() == 0);
  CHECK(rows(store) == kWrites);
  CHECK(writer.dropped() == 0);
  CHECK(reports.snapshot().empty());
}

TEST_CASE_METHOD(WriteBehindFixture,
                 "write-behind refuses writes beyond max_pending and leaves them with the caller",
                 "[storage]") {
  WriteBehind& writer = start(options_with(kNeverOnItsOwn, /*max_pending=*/3));

  std::vector<WriteBehind::Write> two;
  two.push_back(count("a"));
  two.push_back(count("b"));
  REQUIRE(writer.enqueue(two));
  CHECK(two.empty());

  std::vector<WriteBehind::Write> refused;
  refused.push_back(count("c"));
  refused.push_back(count("d"));
  CHECK_FALSE(writer.enqueue(refused));  // 2 + 2 > 3: all or nothing
  REQUIRE(refused.size() == 2);
  CHECK(refused[0]);
  CHECK(refused[1]);
  CHECK(writer.pending() == 2);

  CHECK(writer.enqueue(count("e")));  // exactly at the limit
  CHECK_FALSE(writer.enqueue(count("f")));
  CHECK(writer.pending() == 3);
  CHECK(rows(store) == 0);

  // Once drained there is room again, and the refused writes are still intact.
  writer.flush();
  CHECK(writer.pending() == 0);
  REQUIRE(writer.enqueue(refused));
  writer.flush();
  for (const char* key : {"a", "b", "c", "d", "e"}) {
    INFO(key);
    CHECK(counted(store, key) == 1);
  }
  CHECK(counted(store, "f") == 0);
  CHECK(writer.dropped() == 0);
}

TEST_CASE_METHOD(WriteBehindFixture,
                 "write-behind drops a write that keeps failing, reports it and keeps the rest",
                 "[storage]") {
  constexpr int kAttempts = 3;
  WriteBehind& writer = start(options_with(2ms, 1000, kAttempts));

  std::atomic<int> bad_calls{0};
  REQUIRE(writer.enqueue(count("before")));
  // An event for an OTP that does not exist (e.g. purged meanwhile): the foreign key refuses it.
  REQUIRE(writer.enqueue([&](OtpStoreTransaction& tx) {
    ++bad_calls;
    tx.add_event("otp_gone", event::kSent, kNow);
  }));
  REQUIRE(writer.enqueue(count("after")));

  // Poll rather than flush first: a write that is never dropped would make flush() wait forever.
  REQUIRE(eventually([&] { return writer.dropped() == 1; }));
  writer.flush();
  CHECK(counted(store, "before") == 1);
  CHECK(counted(store, "after") == 1);
  CHECK(writer.pending() == 0);
  CHECK(writer.dropped() == 1);
  CHECK(bad_calls >= kAttempts);

  const auto calls = reports.snapshot();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].second == 1);
  CHECK_THAT(calls[0].first, Catch::Contains("FOREIGN KEY", Catch::CaseSensitive::No));
  std::size_t events = 0;
  store.read([&](OtpStoreTransaction& tx) { events = tx.events("otp_gone").size(); });
  CHECK(events == 0);

  // Later writes are not held back by the dropped one.
  REQUIRE(writer.enqueue(count("later")));
  writer.flush();
  CHECK(counted(store, "later") == 1);
  CHECK(writer.dropped() == 1);
}

TEST_CASE("write-behind keeps writes while the database is locked and lands them after",
          "[storage]") {
  TempDir dir;
  auto options = options_in(dir);
  options.busy_timeout_ms = 20;  // each blocked attempt gives up quickly
  SqliteStore store(options);
  Reports reports;
  WriteBehind writer(store, options_with(2ms, 1000, /*attempts=*/1), reports.reporter());

  SQLite::Database other(options.path.string(), SQLite::OPEN_READWRITE, 1000);
  other.exec("BEGIN IMMEDIATE");
  REQUIRE(writer.enqueue(count("a")));
  REQUIRE(writer.enqueue(count("b")));

  // Several failed rounds (attempts = 1 would drop a write on its first failure if a locked
  // database counted against it), reported once for the whole outage, nothing dropped.
  REQUIRE(eventually([&] { return reports.snapshot().size() >= 1; }));
  std::this_thread::sleep_for(150ms);  // a few more rounds at 2 ms plus the 20 ms busy wait
  CHECK(reports.snapshot().size() == 1);
  CHECK(writer.dropped() == 0);
  CHECK(rows(store) == 0);  // readers are not blocked by the lock in WAL mode
  for (const auto& [what, dropped] : reports.snapshot()) CHECK(dropped == 0);

  other.exec("ROLLBACK");
  writer.flush();
  CHECK(counted(store, "a") == 1);
  CHECK(counted(store, "b") == 1);
  CHECK(writer.dropped() == 0);
  CHECK(writer.pending() == 0);
}

TEST_CASE("write-behind makes a last attempt when destroyed", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  {
    SqliteStore store(options);
    Reports reports;
    {
      WriteBehind writer(store, options_with(kNeverOnItsOwn), reports.reporter());
      std::vector<WriteBehind::Write> writes;
      writes.push_back(count("a"));
      writes.push_back(count("b"));
      REQUIRE(writer.enqueue(writes));
      REQUIRE(writer.enqueue(count("c")));
      CHECK(writer.pending() == 3);
      CHECK(rows(store) == 0);
    }  // no flush: the destructor commits them
    CHECK(rows(store) == 3);
    CHECK(reports.snapshot().empty());
  }
  // And they are in the file, not just in the store's connection.
  SQLite::Database raw(options.path.string(), SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("SELECT COUNT(*) FROM rate_counters WHERE scope = 'wb'").getInt() == 3);
}

TEST_CASE("write-behind on its last attempt drops only the write that cannot succeed",
          "[storage]") {
  TempDir dir;
  SqliteStore store(options_in(dir));
  Reports reports;
  {
    WriteBehind writer(store, options_with(kNeverOnItsOwn), reports.reporter());
    REQUIRE(writer.enqueue(count("good")));
    REQUIRE(writer.enqueue([](OtpStoreTransaction& tx) {
      tx.add_event("otp_gone", "sent", 1);  // no such OTP: the foreign key refuses it
    }));
    REQUIRE(writer.enqueue(count("also-good")));
  }
  CHECK(counted(store, "good") == 1);
  CHECK(counted(store, "also-good") == 1);
  std::size_t dropped = 0;
  for (const auto& [what, count] : reports.snapshot()) dropped += count;
  CHECK(dropped == 1);
}

}  // namespace ussd_otp
