// OtpService with a code chosen by the caller (GetOTP's `code`) and a payload: validated, stored
// hashed and sealed like a generated code, verifiable, and the payload rides on the OTP.
#include <catch2/catch.hpp>

#include <string>

#include "otp/clock.hpp"
#include "otp/crypto.hpp"
#include "otp/otp_service.hpp"
#include "otp/webhook_events.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace ussd_otp {
namespace {

struct CallerCodeHarness {
  CallerCodeHarness() : store(SqliteOptions{dir.file("t.db")}), service(store, clock, vault, {}) {}

  std::optional<OtpRecord> stored(const std::string& id) {
    std::optional<OtpRecord> found;
    store.read([&](OtpStoreTransaction& tx) { found = tx.find_otp(id); });
    return found;
  }

  testing::TempDir dir;
  ManualClock clock;
  CodeVault vault{ServerKey::generate()};
  SqliteStore store;
  OtpService service;
};

OtpRequestInput with_code(std::string code) {
  OtpRequestInput input;
  input.phone = "0241234567";
  input.code = std::move(code);
  return input;
}

RequestContext key_one() {
  RequestContext context;
  context.api_key_id = 1;
  context.client_ip = "198.51.100.7";
  return context;
}

}  // namespace

TEST_CASE("a caller-supplied code is stored hashed and sealed, and verifies", "[otp]") {
  CallerCodeHarness h;
  auto created = h.service.request(with_code("04821"), key_one());
  REQUIRE(created);
  const auto otp = h.stored(created->id);
  REQUIRE(otp);
  CHECK(otp->pin_length == 5);
  CHECK(otp->pin_type == PinType::Numeric);
  CHECK(h.vault.open(otp->id, otp->code_ciphertext) == std::optional<std::string>("04821"));
  const std::string hash(otp->code_hash.begin(), otp->code_hash.end());
  CHECK(hash.find("04821") == std::string::npos);

  CHECK(h.service.verify(1, created->id, "04822").error().code == ErrorCode::InvalidPin);
  CHECK(h.service.verify(1, created->id, "04821").ok());
}

TEST_CASE("a caller-supplied code must be 4-8 digits", "[otp]") {
  CallerCodeHarness h;
  for (const std::string bad : {"123", "123456789", "12a4", "", " 1234", "１２３４"}) {
    INFO(bad);
    auto created = h.service.request(with_code(bad), key_one());
    REQUIRE_FALSE(created);
    CHECK(created.error().code == ErrorCode::ValidationError);
    CHECK(created.error().fields.count("code") == 1);
  }
  CHECK(h.service.request(with_code("1234"), key_one()).ok());
  h.clock.advance(3600);
  CHECK(h.service.request(with_code("12345678"), key_one()).ok());
}

TEST_CASE("an OTP's payload is bounded and comes back in its webhook body", "[otp]") {
  CallerCodeHarness h;
  OtpRequestInput input = with_code("1234");
  input.payload = std::string(h.service.policy().max_payload_bytes + 1, 'x');
  auto refused = h.service.request(input, key_one());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().fields.count("payload") == 1);

  input.payload = R"({"order_id":"xfdu48sfdjsdf", "agent_id":2258})";
  auto created = h.service.request(input, key_one());
  REQUIRE(created);
  const auto otp = h.stored(created->id);
  REQUIRE(otp);
  CHECK(otp->payload == *input.payload);
  const auto body = nlohmann::json::parse(webhook_payload(*otp, "otp.sent", {}, 0, "evt_1"));
  CHECK(body["data"]["payload"] == *input.payload);
}

}  // namespace ussd_otp
