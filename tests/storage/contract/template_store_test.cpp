// The TemplateStore contract, on every backend, with API keys' public client ids and the OTP
// payload column: what GetOTP and verify-by-user read back.
#include <catch2/catch.hpp>

#include <string>

#include "otp/codes.hpp"
#include "storage/store_factories.hpp"

namespace ussd_otp {
namespace {

using namespace testing;

}  // namespace

TEMPLATE_LIST_TEST_CASE(
    "a new API key gets a unique public client id that finds it until it is revoked",
    "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  ApiKeyStore& store = contract.keys;
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

TEMPLATE_LIST_TEST_CASE("templates belong to one key: created, found, listed and deleted per key",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  TemplateStore& store = contract.templates;
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

TEMPLATE_LIST_TEST_CASE("an OTP's payload is stored and read back as given", "[storage][contract]",
                        StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
  OtpRecord otp = otp_row("otp_payload", 1);
  otp.payload = R"({"order_id":"xfdu48sfdjsdf", "agent_id":2258})";
  store.write([&](OtpStoreTransaction& tx) { tx.insert_otp(otp); });
  std::optional<OtpRecord> found;
  store.read([&](OtpStoreTransaction& tx) { found = tx.find_otp("otp_payload"); });
  REQUIRE(found);
  CHECK(found->payload == otp.payload);
}

}  // namespace ussd_otp
