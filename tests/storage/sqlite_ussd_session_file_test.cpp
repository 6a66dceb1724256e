// SQLite only: the USSD session table on a real file (schema migration 3, from a version 2
// file) and sessions surviving a reopen of the file. The session behaviour every backend has is
// in contract/ussd_session_store_test.cpp.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "storage/sqlite/migrations.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/storage_support.hpp"
#include "storage/ussd_session_support.hpp"

namespace ussd_otp {
namespace {

using namespace testing;

}  // namespace

TEST_CASE("a fresh database has the ussd_sessions table at the latest schema", "[storage]") {
  TempDir dir;
  const auto options = migrated_file(dir);
  CHECK(SqliteStore::latest_schema_version() >= 3);
  SQLite::Database raw(options.path.string(), SQLite::OPEN_READONLY);
  SQLite::Statement names(raw, "SELECT type, name FROM sqlite_master WHERE tbl_name = ?");
  names.bind(1, "ussd_sessions");
  std::set<std::pair<std::string, std::string>> found;
  while (names.executeStep()) {
    found.emplace(names.getColumn(0).getString(), names.getColumn(1).getString());
  }
  CHECK(found.count({"table", "ussd_sessions"}) == 1);
  CHECK(found.count({"index", "ussd_sessions_by_last_seen"}) == 1);

  std::set<std::string> columns;
  SQLite::Statement info(raw, "SELECT name FROM pragma_table_info('ussd_sessions')");
  while (info.executeStep()) columns.insert(info.getColumn(0).getString());
  CHECK(columns == std::set<std::string>{"dialect", "id", "msisdn", "service_code", "language",
                                         "network", "state", "tries", "steps", "created_at",
                                         "last_seen_at", "ended_at", "end_reason", "report"});
}

TEST_CASE("a version 2 database is migrated to USSD sessions and keeps its data", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  {
    // Build the schema as a build with migrations 1 and 2 only would have left it.
    SQLite::Database raw(options.path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    SQLite::Transaction tx(raw);  // one commit, not one per statement
    for (const auto& step : sqlite_migrations()) {
      if (step.version > 2) break;
      raw.exec(std::string(step.sql));
    }
    raw.exec("PRAGMA user_version = 2");
    raw.exec("INSERT INTO api_keys (name, prefix, hash, created_at) VALUES ('old', 'p', x'01', 1)");
    tx.commit();
  }
  SqliteStore store(options);
  CHECK(store.schema_version() == SqliteStore::latest_schema_version());
  CHECK(store.find_api_key_by_name("old"));
  const auto session = make_session("arkesel", "s-1", kNow);
  save(store, session);
  check_stored(store, session);
}

TEST_CASE("USSD sessions survive closing and reopening the store", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  auto open = make_session("arkesel", "open", kNow);
  auto ended = make_session("hubtel", "ended", kNow - 100);
  ended.state.clear();
  ended.ended_at = kNow - 90;
  ended.end_reason = std::string(ussd_end::kTimedOut);
  ended.report = R"({"reason":"timeout"})";
  {
    SqliteStore store(options);
    save(store, open);
    save(store, ended);
  }
  SqliteStore reopened(options);
  check_stored(reopened, open);
  check_stored(reopened, ended);
}

}  // namespace ussd_otp
