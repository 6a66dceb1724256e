// SQLite only: the migration that backfills API keys' public client ids (migration 7) on a file
// an older release left. The client-id behaviour every backend has is in
// contract/template_store_test.cpp.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <set>
#include <string>

#include "otp/codes.hpp"
#include "storage/sqlite/migrations.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/storage_support.hpp"

namespace ussd_otp {
namespace {

using namespace testing;

// The migration that adds client ids, found by what it adds rather than by number (the lead may
// renumber it at merge).
int client_id_migration() {
  for (const SqliteMigration& step : sqlite_migrations()) {
    if (std::string_view(step.sql).find("client_id") != std::string_view::npos) {
      return step.version;
    }
  }
  FAIL("no migration adds api_keys.client_id");
  return 0;
}

}  // namespace

TEST_CASE("keys created before client ids existed get distinct v4 UUIDs from the migration",
          "[storage]") {
  testing::TempDir dir;
  const SqliteOptions options = options_in(dir);
  const int version = client_id_migration();
  {
    // Build the database as the release before the client-id migration would have left it.
    SQLite::Database db(options.path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (const SqliteMigration& step : sqlite_migrations()) {
      if (step.version >= version) break;
      db.exec(std::string(step.sql));
      db.exec("PRAGMA user_version = " + std::to_string(step.version));
    }
    for (int i = 0; i < 20; ++i) {
      db.exec("INSERT INTO api_keys (name, prefix, hash, created_at) VALUES ('k" +
              std::to_string(i) + "', 'uo_', randomblob(16), 1)");
    }
  }
  SqliteStore store(options);
  std::set<std::string> ids;
  for (const ApiKeyRecord& key : store.list_api_keys()) {
    INFO(key.client_id);
    CHECK(is_uuid(key.client_id));
    CHECK(key.client_id[14] == '4');
    CHECK(std::string_view("89ab").find(key.client_id[19]) != std::string_view::npos);
    ids.insert(key.client_id);
  }
  CHECK(ids.size() == 20);
}

}  // namespace ussd_otp
