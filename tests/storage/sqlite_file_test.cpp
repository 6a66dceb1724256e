// SQLite only, against real temporary files: the schema and its migrations, the file and
// connection options (parent folders, WAL, page cache, memory map, synchronous), the write lock,
// re-entrancy, the query plans, and data surviving a reopen of the file. The behaviour every
// backend has is in contract/otp_store_test.cpp.
#include "storage/sqlite/sqlite_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>
#include <string>

#include "storage/otp_store_support.hpp"
#include "storage/sqlite/migrations.hpp"
#include "storage/storage_support.hpp"

namespace ussd_otp {
namespace {

using namespace testing;

std::set<std::string> schema_names(const std::filesystem::path& path, const char* type) {
  SQLite::Database raw(path.string(), SQLite::OPEN_READONLY);
  SQLite::Statement query(raw, "SELECT name FROM sqlite_master WHERE type = ?");
  query.bind(1, type);
  std::set<std::string> names;
  while (query.executeStep()) names.insert(query.getColumn(0).getString());
  return names;
}

}  // namespace

TEST_CASE("migrations from an empty file reach the latest version", "[storage]") {
  TempDir dir;
  const auto options = migrated_file(dir);
  CHECK(SqliteStore::latest_schema_version() == sqlite_migrations().back().version);
  const auto tables = schema_names(options.path, "table");
  for (const char* table :
       {"api_keys", "otps", "otp_events", "outbox", "rate_counters", "idempotency", "send_budgets",
        "phone_sends", "verify_attempts", "verify_blocks"}) {
    INFO(table);
    CHECK(tables.count(table) == 1);
  }
  const auto indexes = schema_names(options.path, "index");
  for (const char* index : {"otps_active_by_phone", "otps_pending_by_expiry", "otps_by_created",
                            "outbox_by_next_attempt", "otps_by_key_phone"}) {
    INFO(index);
    CHECK(indexes.count(index) == 1);
  }

  // Opening an up-to-date file again is a no-op.
  SqliteStore again(options);
  CHECK(again.schema_version() == SqliteStore::latest_schema_version());
}

TEST_CASE("migration versions are consecutive from 1", "[storage]") {
  int expected = 1;
  for (const auto& step : sqlite_migrations()) CHECK(step.version == expected++);
}

TEST_CASE("a database from a newer build is refused", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  {
    SQLite::Database raw(options.path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("PRAGMA user_version = " + std::to_string(SqliteStore::latest_schema_version() + 1));
  }
  CHECK_THROWS_AS(SqliteStore(options), std::runtime_error);
  CHECK_THROWS_WITH(SqliteStore(options), Catch::Contains("newer"));
}

TEST_CASE("the store creates missing parent directories", "[storage]") {
  TempDir dir;
  SqliteOptions options;
  options.path = dir.path() / "a" / "b" / "otp.db";
  SqliteStore store(options);
  CHECK(std::filesystem::exists(options.path));
}

TEST_CASE("the connection runs in WAL mode", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  SqliteStore store(options);
  SQLite::Database raw(options.path.string(), SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("PRAGMA journal_mode").getString() == "wal");
}

TEST_CASE("the page cache and memory map of every connection follow the options", "[storage]") {
  TempDir dir;
  auto options = options_in(dir);
  auto check_every_connection = [&](std::size_t count, int cache_mib, std::int64_t mmap_mib) {
    const auto connections = SqliteStore(options).connection_memory();
    REQUIRE(connections.size() == count);
    for (const auto& memory : connections) {
      CHECK(memory.cache_kib == cache_mib * 1024);
      CHECK(memory.mmap_bytes == mmap_mib * 1024 * 1024);
    }
  };
  SECTION("the defaults: 16 MiB of cache and a 256 MiB map on each of the 5 connections") {
    check_every_connection(5, 16, 256);
  }
  SECTION("smaller values for a small container") {
    options.cache_mib = 2;
    options.mmap_mib = 5;
    options.readers = 2;
    check_every_connection(3, 2, 5);
  }
  SECTION("no memory map at all") {
    options.mmap_mib = 0;
    for (const auto& memory : SqliteStore(options).connection_memory()) {
      CHECK(memory.mmap_bytes == 0);
    }
  }
  SECTION("values SQLite cannot use throw before a file is created") {
    options.cache_mib = 0;
    CHECK_THROWS_AS(SqliteStore(options), std::invalid_argument);
    options.cache_mib = 1;
    options.mmap_mib = -1;
    CHECK_THROWS_AS(SqliteStore(options), std::invalid_argument);
    CHECK_FALSE(std::filesystem::exists(options.path));
  }
}

TEST_CASE("the synchronous option is applied and validated", "[storage]") {
  TempDir dir;
  auto options = options_in(dir);
  SECTION("FULL") {
    options.synchronous = "FULL";
    CHECK(SqliteStore(options).synchronous_mode() == "FULL");
  }
  SECTION("NORMAL is the default") {
    CHECK(SqliteStore(options).synchronous_mode() == "NORMAL");
  }
  SECTION("OFF, any case") {
    options.synchronous = "off";
    CHECK(SqliteStore(options).synchronous_mode() == "OFF");
  }
  SECTION("invalid values throw before a file is created") {
    options.synchronous = "SOMETIMES";
    CHECK_THROWS_AS(SqliteStore(options), std::invalid_argument);
    CHECK_FALSE(std::filesystem::exists(options.path));
  }
}

TEST_CASE("misuse is reported instead of corrupting or deadlocking", "[storage]") {
  TempDir dir;
  SqliteStore store(options_in(dir));
  SECTION("writing inside read()") {
    CHECK_THROWS_AS(store.read([](OtpStoreTransaction& tx) {
      tx.insert_otp(make_otp("otp_x", 1, "1", kNow, kNow + 1));
    }),
                    std::logic_error);
    CHECK_FALSE(find(store, "otp_x"));
  }
  SECTION("nesting transactions") {
    CHECK_THROWS_AS(store.write([&](OtpStoreTransaction&) { store.read([](auto&) {}); }),
                    std::logic_error);
    CHECK_THROWS_AS(store.write([&](OtpStoreTransaction&) { store.list_api_keys(); }),
                    std::logic_error);
    CHECK_THROWS_AS(store.write([&](OtpStoreTransaction&) { store.write([](auto&) {}); }),
                    std::logic_error);
    CHECK(store.writable());  // and the store recovered
  }
}

TEST_CASE("data survives closing and reopening the file", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  OtpRecord otp = make_otp("otp_persist", 3, "233241234567", kNow, kNow + 300);
  otp.code_hash = {0, 9, 0};
  otp.metadata_json = R"({"a":1})";
  {
    SqliteStore store(options);
    store.write([&](OtpStoreTransaction& tx) {
      tx.insert_otp(otp);
      tx.add_event(otp.id, event::kRequested, kNow, "hi");
      tx.enqueue_delivery(otp.id, "initial", kNow);
      tx.rate_increment("phone", otp.phone, kNow);
      tx.save_idempotency({3, "k", "fp", otp.id, kNow});
    });
    REQUIRE(store.create_api_key("default", "uo_ab", Bytes{1, 2}, kNow));
  }
  // The destructor checkpoints: no committed data is left only in the WAL.
  const auto wal = dir.file("otp.db-wal");
  CHECK((!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0));

  SqliteStore reopened(options);
  CHECK(reopened.schema_version() == SqliteStore::latest_schema_version());
  reopened.read([&](OtpStoreTransaction& tx) {
    const auto back = tx.find_otp(otp.id);
    REQUIRE(back);
    require_same(*back, otp);
    REQUIRE(tx.events(otp.id).size() == 1);
    CHECK(tx.events(otp.id)[0].detail == "hi");
    CHECK(tx.due_deliveries(kNow, 10).size() == 1);
    CHECK(tx.rate_count("phone", otp.phone, kNow) == 1);
    CHECK(tx.find_idempotency(3, "k"));
  });
  CHECK(reopened.find_api_key_by_name("default"));
}

TEST_CASE("writable() reports whether the write lock can be taken", "[storage]") {
  TempDir dir;
  auto options = options_in(dir);
  options.busy_timeout_ms = 50;  // keep the blocked probe short
  SqliteStore store(options);
  CHECK(store.writable());

  SQLite::Database other(options.path.string(), SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  CHECK_FALSE(store.writable());
  other.exec("ROLLBACK");
  CHECK(store.writable());
}

TEST_CASE("the hot lookups use the partial indexes", "[storage]") {
  TempDir dir;
  { SqliteStore store(options_in(dir)); }
  SQLite::Database db(dir.file("otp.db").string(), SQLite::OPEN_READONLY);
  auto plan = [&](const std::string& sql) {
    std::string text;
    SQLite::Statement s(db, "EXPLAIN QUERY PLAN " + sql);
    while (s.executeStep()) text += s.getColumn(3).getString() + "\n";
    return text;
  };
  CHECK_THAT(plan("SELECT id FROM otps WHERE api_key_id = 1 AND phone = 'x' AND status = 'pending' "
                  "AND expires_at > 5 ORDER BY created_at DESC, rowid DESC LIMIT 1"),
             Catch::Contains("otps_active_by_phone"));
  CHECK_THAT(plan("SELECT id FROM otps WHERE status = 'pending' AND expires_at <= 5 "
                  "ORDER BY expires_at LIMIT 10"),
             Catch::Contains("otps_pending_by_expiry"));
}

}  // namespace ussd_otp
