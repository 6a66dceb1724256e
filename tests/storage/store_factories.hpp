// The store factories the contract suite (tests/storage/contract/) runs over: one per backend.
// Each contract test is a TEMPLATE_LIST_TEST_CASE over StoreFactories, written only against the
// interfaces in otp/store.hpp, so every behaviour holds on every backend (docs/storage.md).
//
// A factory is default-constructible into a fresh, empty, migrated store of its own (its own
// database), destroys it with itself, and hands out the store as each interface:
//   OtpStore& otp();  ApiKeyStore& api_keys();  TemplateStore& templates();
// and counts the rows of a table through a connection of its own (for "nothing is left behind"
// checks the interfaces cannot see; the table names are the schema concepts every backend has):
//   std::int64_t count_rows(const std::string& table, const std::string& where = "");
// and restarts: reopen() closes the store and opens a new one on the same database (what a
// server restart does); the interfaces must be fetched again afterwards.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>

#include "otp/store.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/storage_support.hpp"
#include "support/temp_dir.hpp"

namespace ussd_otp::testing {

// SQLite on a real file in the test's own temporary folder.
struct SqliteStoreFactory {
  TempDir dir;
  std::unique_ptr<SqliteStore> store = std::make_unique<SqliteStore>(options_in(dir));

  OtpStore& otp() { return *store; }
  ApiKeyStore& api_keys() { return *store; }
  TemplateStore& templates() { return *store; }
  void reopen() {
    store.reset();
    store = std::make_unique<SqliteStore>(options_in(dir));
  }

  std::int64_t count_rows(const std::string& table, const std::string& where = "") const {
    SQLite::Database raw(store->path().string(), SQLite::OPEN_READONLY);
    return raw
        .execAndGet("SELECT COUNT(*) FROM " + table + (where.empty() ? "" : " WHERE " + where))
        .getInt64();
  }
};

// Every backend the contract suite runs against. A new backend joins by adding its factory here.
using StoreFactories = std::tuple<SqliteStoreFactory>;

// What a contract test holds: a fresh backend made by `Factory`, seen through the interfaces
// (a test that reopens the store uses the factory itself: these references would not follow).
template <class Factory>
struct ContractStore {
  Factory backend;
  OtpStore& store = backend.otp();
  ApiKeyStore& keys = backend.api_keys();
  TemplateStore& templates = backend.templates();
};

}  // namespace ussd_otp::testing
