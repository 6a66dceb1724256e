// SQLite only: schema 5's webhook columns and tables on a real file. The webhook behaviour every
// backend has is in contract/webhook_store_test.cpp.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include "storage/sqlite/sqlite_store.hpp"
#include "storage/storage_support.hpp"

namespace ussd_otp {
namespace {

using namespace testing;

struct Fixture {
  TempDir dir;
  SqliteStore store{options_in(dir)};
  std::int64_t with_hook = *store.create_api_key("with", "uok_a", {1}, kNow);
  std::int64_t without_hook = *store.create_api_key("without", "uok_b", {2}, kNow);

  Fixture() {
    REQUIRE(store.set_api_key_webhook(with_hook, "https://app.example/hooks", {9, 9, 9}));
    store.write([&](OtpStoreTransaction& tx) {
      tx.insert_otp(otp_row("otp_a", with_hook));
      tx.insert_otp(otp_row("otp_b", without_hook));
    });
  }
  std::int64_t count(const std::string& sql) const {
    SQLite::Database raw(dir.file("otp.db").string(), SQLite::OPEN_READONLY);
    return raw.execAndGet(sql).getInt64();
  }
};

}  // namespace

TEST_CASE("schema 5 adds the webhook columns and tables", "[storage][webhooks]") {
  Fixture f;
  CHECK(f.store.schema_version() >= 5);
  CHECK(f.count("SELECT COUNT(*) FROM webhook_outbox") == 0);
  CHECK(f.count("SELECT COUNT(*) FROM webhook_attempts") == 0);
  CHECK(f.count("SELECT COUNT(*) FROM api_keys WHERE webhook_url IS NOT NULL") == 1);
}

}  // namespace ussd_otp
