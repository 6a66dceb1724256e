// The generic webhook gateway: the signed JSON POST we build, its answers, and signed reports.
#include "delivery/providers/wire.hpp"
#include "delivery/signature.hpp"
#include "gateway_test_support.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

constexpr std::int64_t kNow = 1700000000;

std::unique_ptr<SmsProvider> webhook_at(std::int64_t now) {
  return make_webhook_provider(webhook_settings(), [now] { return now; });
}

SendResult judge(long status, const std::string& body) {
  return judge_answer(webhook_settings(), status, body);
}

ReceiptRequest signed_report(const std::string& body, std::int64_t timestamp) {
  ReceiptRequest request = json_post(body);
  request.headers["x-ussd-otp-timestamp"] = std::to_string(timestamp);
  request.headers["x-ussd-otp-signature"] = webhook_signature("whsec_test", timestamp, body);
  return request;
}

}  // namespace

TEST_CASE("webhook posts the documented json with timestamp and signature headers",
          "[delivery][webhook]") {
  const OutboundRequest request = built_send(webhook_settings());
  CHECK(
      request.body ==
      R"({"to":"+233241234567","phone":"233241234567","from":"ACME","text":"Your code is 482913 & expires in 5 min. +/=?","reference":"att_01HX","timestamp":1700000000})");
  // printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac whsec_test
  CHECK(request_header(request, "X-Ussd-Otp-Signature") ==
        "v1=1d0b17302d846953e39e872ac5a6816675e86b8b8aaeff9a23cee3e5d9162626");
}

TEST_CASE("webhook body survives text that is not valid utf-8", "[delivery][webhook]") {
  auto message = otp_message();
  message.text = "code 1234 \xff\xfe";
  const auto request = provider(webhook_settings())->build_send(message, kNow);
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  REQUIRE_FALSE(body.is_discarded());
  CHECK(body["phone"] == "233241234567");
}

TEST_CASE("webhook 2xx is accepted with the reply's id, messageId or nothing",
          "[delivery][webhook]") {
  auto result = judge(200, R"({"id":"op-1","status":"queued"})");
  CHECK(result.outcome == SendOutcome::Accepted);
  CHECK(result.message_id == "op-1");
  CHECK(result.gateway_status == "queued");
  result = judge(202, R"({"messageId":12345})");
  CHECK(result.outcome == SendOutcome::Accepted);
  CHECK(result.message_id == "12345");
  result = judge(201, R"({"reference":"att_01HX"})");
  CHECK(result.message_id == "att_01HX");
  result = judge(204, "");
  CHECK(result.outcome == SendOutcome::Accepted);
  CHECK(result.message_id.empty());
}

TEST_CASE("webhook errors are classed by http status", "[delivery][webhook]") {
  const auto webhook = provider(webhook_settings());
  check_status_classes(*webhook, {{SendOutcome::AccountLevel, {401, 403}},
                                  {SendOutcome::Transient, {429, 500, 503}},
                                  {SendOutcome::Permanent, {400, 422}}});
  check_garbage_and_incomplete_answers(*webhook, {0, 200, 400, 500});
}

TEST_CASE("webhook signed report is read with its independently computed signature",
          "[delivery][webhook]") {
  const std::string body = R"({"id":"m-1","status":"delivered"})";
  ReceiptRequest request = json_post(body);
  request.headers["x-ussd-otp-timestamp"] = "1700000000";
  // printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac whsec_test
  request.headers["x-ussd-otp-signature"] =
      "v1=e4f52ba82ee4364bfbf59b85502cd316ddedd4622f8ce30b84411eee72659804";
  const auto receipts = webhook_at(kNow + 10)->parse_receipt(request);
  REQUIRE(receipts.ok());
  REQUIRE(receipts.value().size() == 1);
  CHECK(receipts.value()[0].message_id == "m-1");
  CHECK(receipts.value()[0].state == ReceiptState::Delivered);
}

TEST_CASE("webhook reports map statuses and keep the error", "[delivery][webhook]") {
  const auto webhook = webhook_at(kNow);
  check_receipt_states(
      {{ReceiptState::Delivered, {"delivered", "DELIVERED"}},
       {ReceiptState::Failed, {"failed", "undelivered"}},
       {ReceiptState::Pending, {"pending", "sent"}}},
      [&](const std::string& status) {
        return receipts_of(*webhook, signed_report(R"({"messageId":"m-2","status":")" + status +
                                                       R"(","error":"absent subscriber"})",
                                                   kNow));
      },
      "m-2", [](const Receipt& receipt) { CHECK(receipt.error == "absent subscriber"); });
  const auto batch = webhook->parse_receipt(
      signed_report(R"([{"id":"a","status":"delivered"},{"id":"b","status":"failed"}])", kNow));
  REQUIRE(batch.ok());
  REQUIRE(batch.value().size() == 2);
  CHECK(batch.value()[1].state == ReceiptState::Failed);
}

TEST_CASE("webhook report with a bad, missing or stale signature is forbidden",
          "[delivery][webhook]") {
  const std::string body = R"({"id":"m-1","status":"delivered"})";
  const auto webhook = webhook_at(kNow);
  ReceiptRequest request = signed_report(body, kNow);
  request.body = R"({"id":"m-1","status":"failed"})";
  CHECK(webhook->parse_receipt(request).error().code == ErrorCode::Forbidden);
  request = signed_report(body, kNow - 301);
  CHECK(webhook->parse_receipt(request).error().code == ErrorCode::Forbidden);
  request = signed_report(body, kNow + 301);
  CHECK(webhook->parse_receipt(request).error().code == ErrorCode::Forbidden);
  CHECK(webhook->parse_receipt(signed_report(body, kNow - 300)).ok());
  request = signed_report(body, kNow);
  request.headers.erase("x-ussd-otp-signature");
  CHECK(webhook->parse_receipt(request).error().code == ErrorCode::Forbidden);
  request = signed_report(body, kNow);
  request.headers["x-ussd-otp-timestamp"] = "17e8";
  CHECK(webhook->parse_receipt(request).error().code == ErrorCode::Forbidden);
  CHECK(webhook->parse_receipt(json_post(body)).error().code == ErrorCode::Forbidden);
}

TEST_CASE("webhook signed report without id or status is a validation error",
          "[delivery][webhook]") {
  const auto webhook = webhook_at(kNow);
  auto bad = webhook->parse_receipt(signed_report(R"({"status":"delivered"})", kNow));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::ValidationError);
  CHECK(bad.error().fields.contains("id"));
  bad = webhook->parse_receipt(signed_report("not json", kNow));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::ValidationError);
  check_garbage_reports(
      *webhook, {[](const std::string& body) { return signed_report(body, kNow); }, json_post});
}

TEST_CASE("webhook signed report that repeats a key at any depth is a validation error",
          "[delivery][webhook]") {
  const auto webhook = webhook_at(kNow);
  auto bad = webhook->parse_receipt(
      signed_report(R"({"id":"m1","status":"failed","status":"delivered"})", kNow));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::ValidationError);
  CHECK(bad.error().message.find(R"(duplicate key "status")") != std::string::npos);
  bad = webhook->parse_receipt(signed_report(
      R"([{"id":"m1","status":"sent"},{"id":"m2","id":"m3","status":"sent"}])", kNow));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find(R"(duplicate key "id")") != std::string::npos);
}

TEST_CASE("webhook reports are checked against the real clock by default", "[delivery][webhook]") {
  const auto webhook = provider(webhook_settings());
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  CHECK(webhook->parse_receipt(signed_report(R"({"id":"x","status":"sent"})", now)).ok());
  CHECK_FALSE(webhook->parse_receipt(signed_report(R"({"id":"x","status":"sent"})", kNow)).ok());
}

TEST_CASE("webhook needs a url and a secret", "[delivery][webhook]") {
  check_required_settings(webhook_settings(),
                          {{&ProviderSettings::url, "sms-webhook-url is required"},
                           {&ProviderSettings::secret, "sms-webhook-secret is required"}});
}
