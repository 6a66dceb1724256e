// The transaction contract, on every backend: OtpStore::write and ::read hand back what their work
// returns (issue 14): the value comes out of a committed transaction, a throwing one returns
// nothing and leaves nothing behind, and a void work still works.
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "storage/store_factories.hpp"

namespace ussd_otp {
namespace {

using testing::ContractStore;
using testing::kNow;
using testing::StoreFactories;

TEMPLATE_LIST_TEST_CASE("a write transaction returns what its work returns, once committed",
                        "[storage][contract][transaction]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  const std::int64_t counted = store.write([](OtpStoreTransaction& tx) {
    tx.rate_increment("scope", "key", kNow);
    tx.rate_increment("scope", "key", kNow);
    return tx.rate_count("scope", "key", kNow);
  });
  CHECK(counted == 2);
  // The read returns the committed value; a move-only result travels too.
  const std::unique_ptr<std::int64_t> read_back = store.read([](OtpStoreTransaction& tx) {
    return std::make_unique<std::int64_t>(tx.rate_count("scope", "key", kNow));
  });
  REQUIRE(read_back != nullptr);
  CHECK(*read_back == 2);
}

TEMPLATE_LIST_TEST_CASE("a write whose work throws returns nothing and leaves nothing behind",
                        "[storage][contract][transaction]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  CHECK_THROWS_AS(store.write([](OtpStoreTransaction& tx) -> std::int64_t {
    tx.rate_increment("scope", "key", kNow);
    throw std::runtime_error("changed my mind");
  }),
                  std::runtime_error);
  CHECK(store.read([](OtpStoreTransaction& tx) { return tx.rate_count("scope", "key", kNow); }) ==
        0);
  // A void work still runs and commits.
  store.write([](OtpStoreTransaction& tx) { tx.rate_increment("scope", "key", kNow); });
  CHECK(store.read([](OtpStoreTransaction& tx) { return tx.rate_count("scope", "key", kNow); }) ==
        1);
}

TEMPLATE_LIST_TEST_CASE("the key and template lookups return what they found, or nothing",
                        "[storage][contract][transaction]", StoreFactories) {
  ContractStore<TestType> contract;
  ApiKeyStore& store = contract.keys;
  const std::optional<std::int64_t> id = store.create_api_key("app", "uok_", Bytes{1, 2, 3}, kNow);
  REQUIRE(id.has_value());
  CHECK_FALSE(store.create_api_key("app", "uok_", Bytes{4, 5, 6}, kNow).has_value());
  const std::optional<ApiKeyRecord> found = store.find_api_key_by_hash(Bytes{1, 2, 3});
  REQUIRE(found.has_value());
  CHECK(found->id == *id);
  CHECK(found->name == "app");
  CHECK_FALSE(store.find_api_key_by_hash(Bytes{9}).has_value());
  CHECK(store.revoke_api_key("app", kNow + 1));
  CHECK_FALSE(store.revoke_api_key("app", kNow + 2));
  CHECK_FALSE(store.find_api_key_by_hash(Bytes{1, 2, 3}).has_value());
  CHECK(store.find_api_key_by_name("app")->revoked_at == kNow + 1);
}

}  // namespace
}  // namespace ussd_otp
