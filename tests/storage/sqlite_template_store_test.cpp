// SqliteStore as a TemplateStore, API keys' public client ids (backfilled by migration 7) and the
// OTP payload column: what GetOTP and verify-by-user read back.
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

TEST_CASE("a new API key gets a unique public client id that finds it until it is revoked",
          "[storage]") {
  testing::TempDir dir;
  SqliteStore store(options_in(dir));
  REQUIRE(store.create_api_key("alpha", "uo_aaaa", Bytes{0xaa}, kNow));
  REQUIRE(store.create_api_key("beta", "uo_bbbb", Bytes{0xbb}, kNow));
  const auto alpha = store.find_api_key_by_name("alpha");
  const auto beta = store.find_api_key_by_name("beta");
  REQUIRE(alpha);
  REQUIRE(beta);
  CHECK(is_uuid(alpha->client_id));
  CHECK(alpha->client_id != beta->client_id);

  const auto found = store.find_api_key_by_client_id(alpha->client_id);
  REQUIRE(found);
  CHECK(found->name == "alpha");
  CHECK_FALSE(store.find_api_key_by_client_id("00000000-0000-4000-8000-000000000000"));
  REQUIRE(store.revoke_api_key("alpha", kNow + 1));
  CHECK_FALSE(store.find_api_key_by_client_id(alpha->client_id));
}

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

TEST_CASE("templates belong to one key: created, found, listed and deleted per key", "[storage]") {
  testing::TempDir dir;
  SqliteStore store(options_in(dir));
  const std::string id_a = generate_uuid();
  const std::string id_b = generate_uuid();
  store.create_template({id_a, 1, "Your code is {code}", kNow});
  store.create_template({id_b, 1, "Code: {code}", kNow + 1});
  store.create_template({generate_uuid(), 2, "Other {code}", kNow});

  const auto found = store.find_template(1, id_a);
  REQUIRE(found);
  CHECK(found->text == "Your code is {code}");
  CHECK(found->created_at == kNow);
  CHECK_FALSE(store.find_template(2, id_a));  // another key's template is absent

  const auto listed = store.list_templates(1);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].id == id_a);
  CHECK(listed[1].id == id_b);

  CHECK_FALSE(store.delete_template(2, id_a));
  CHECK(store.delete_template(1, id_a));
  CHECK_FALSE(store.find_template(1, id_a));
  CHECK(store.list_templates(1).size() == 1);
}

TEST_CASE("an OTP's payload is stored and read back as given", "[storage]") {
  testing::TempDir dir;
  SqliteStore store(options_in(dir));
  OtpRecord otp = otp_row("otp_payload", 1);
  otp.payload = R"({"order_id":"xfdu48sfdjsdf", "agent_id":2258})";
  store.write([&](OtpStoreTransaction& tx) { tx.insert_otp(otp); });
  std::optional<OtpRecord> found;
  store.read([&](OtpStoreTransaction& tx) { found = tx.find_otp("otp_payload"); });
  REQUIRE(found);
  CHECK(found->payload == otp.payload);
}

}  // namespace ussd_otp
