// The ApiKeyStore contract, on every backend: names are unique forever, hashes find only live keys.
#include <catch2/catch.hpp>

#include "storage/store_factories.hpp"

namespace ussd_otp {
namespace {

using namespace testing;
using testing::StoreFactories;

}  // namespace

TEMPLATE_LIST_TEST_CASE("API keys are created once per name and found by hash",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  ApiKeyStore& store = contract.keys;
  const Bytes hash_a{0xaa, 0x00, 0x01};
  const Bytes hash_b{0xbb, 0x00, 0x02};

  const auto id_a = store.create_api_key("alpha", "uo_aaaa", hash_a, kNow);
  REQUIRE(id_a);
  const auto id_b = store.create_api_key("beta", "uo_bbbb", hash_b, kNow + 1);
  REQUIRE(id_b);
  CHECK(*id_a != *id_b);
  CHECK_FALSE(store.create_api_key("alpha", "uo_cccc", Bytes{0xcc}, kNow + 2));

  const auto found = store.find_api_key_by_hash(hash_a);
  REQUIRE(found);
  CHECK(found->id == *id_a);
  CHECK(found->name == "alpha");
  CHECK(found->prefix == "uo_aaaa");
  CHECK(found->hash == hash_a);
  CHECK(found->created_at == kNow);
  CHECK_FALSE(found->last_used_at);
  CHECK_FALSE(found->revoked_at);
  CHECK_FALSE(store.find_api_key_by_hash(Bytes{0xaa}));

  const auto listed = store.list_api_keys();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].name == "alpha");
  CHECK(listed[1].name == "beta");
}

TEMPLATE_LIST_TEST_CASE("revoked API keys stop matching but keep their name", "[storage][contract]",
                        StoreFactories) {
  ContractStore<TestType> contract;
  ApiKeyStore& store = contract.keys;
  const Bytes hash{1, 2, 3};
  REQUIRE(store.create_api_key("alpha", "uo_a", hash, kNow));

  CHECK(store.revoke_api_key("alpha", kNow + 10));
  CHECK_FALSE(store.revoke_api_key("alpha", kNow + 20));  // already revoked
  CHECK_FALSE(store.revoke_api_key("nobody", kNow));
  CHECK_FALSE(store.find_api_key_by_hash(hash));

  const auto by_name = store.find_api_key_by_name("alpha");
  REQUIRE(by_name);
  REQUIRE(by_name->revoked_at);
  CHECK(*by_name->revoked_at == kNow + 10);  // the first revocation time is kept
  CHECK(store.list_api_keys().size() == 1);  // revoked keys are still listed
  CHECK_FALSE(store.create_api_key("alpha", "uo_b", Bytes{4}, kNow + 30));
}

TEMPLATE_LIST_TEST_CASE("API keys can be deleted and touched", "[storage][contract]",
                        StoreFactories) {
  ContractStore<TestType> contract;
  ApiKeyStore& store = contract.keys;
  const auto id = store.create_api_key("dev", "uo_d", Bytes{9}, kNow);
  REQUIRE(id);

  store.touch_api_key(*id, kNow + 5);
  auto key = store.find_api_key_by_name("dev");
  REQUIRE(key);
  REQUIRE(key->last_used_at);
  CHECK(*key->last_used_at == kNow + 5);
  CHECK_NOTHROW(store.touch_api_key(*id + 100, kNow));  // unknown id: nothing to touch

  CHECK(store.delete_api_key("dev"));
  CHECK_FALSE(store.delete_api_key("dev"));
  CHECK_FALSE(store.find_api_key_by_name("dev"));
  // Deleting frees the name (dev mode replaces its key this way).
  CHECK(store.create_api_key("dev", "uo_e", Bytes{10}, kNow + 6));
}

TEMPLATE_LIST_TEST_CASE("a duplicate hash is an error, not a silent no-op", "[storage][contract]",
                        StoreFactories) {
  ContractStore<TestType> contract;
  ApiKeyStore& store = contract.keys;
  REQUIRE(store.create_api_key("one", "uo_1", Bytes{7, 7}, kNow));
  CHECK_THROWS(store.create_api_key("two", "uo_2", Bytes{7, 7}, kNow));
  CHECK(store.list_api_keys().size() == 1);
}

}  // namespace ussd_otp
