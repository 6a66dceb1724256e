// Arkesel SMS API v2: the JSON POST we build, its answers, and its GET delivery callbacks.
#include "gateway_test_support.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

ProviderSettings arkesel_settings() {
  ProviderSettings settings;
  settings.name = "arkesel";
  settings.api_key = "ark_test_key";
  settings.sender = "ACME";
  return settings;
}

SendResult judge(long status, const std::string& body) {
  return provider(arkesel_settings())->parse_send(answer(status, body));
}

ReceiptRequest callback(const std::string& id, const std::string& status) {
  ReceiptRequest request;
  request.method = "GET";
  request.url = "https://otp.example.com/delivery/arkesel?sms_id=" + id + "&status=" + status;
  request.query = {{"sms_id", id}, {"status", status}};
  return request;
}

}  // namespace

TEST_CASE("arkesel posts json with sender, message and digits-only recipients",
          "[delivery][arkesel]") {
  const auto arkesel = provider(arkesel_settings());
  const OutboundRequest request = arkesel->build_send(otp_message(), 1700000000);
  CHECK(request.method == "POST");
  CHECK(request.url == "https://sms.arkesel.com/api/v2/sms/send");
  CHECK(request_header(request, "api-key") == "ark_test_key");
  CHECK(request_header(request, "Content-Type") == "application/json");
  CHECK(request_header(request, "Accept") == "application/json");
  const auto body = nlohmann::json::parse(request.body);
  CHECK(body == nlohmann::json{{"sender", "ACME"},
                               {"message", otp_message().text},
                               {"recipients", {"233241234567"}}});
}

TEST_CASE("arkesel passes callback_url when a receipt url is set and the message's sender",
          "[delivery][arkesel]") {
  auto settings = arkesel_settings();
  settings.receipt_url = "https://otp.example.com/delivery/arkesel?key=s3cret";
  settings.base_url = "http://127.0.0.1:9000//";
  const auto arkesel = provider(settings);
  auto message = otp_message();
  message.sender = "OTPBANK";
  message.phone = "+233241234567";
  const OutboundRequest request = arkesel->build_send(message, 0);
  CHECK(request.url == "http://127.0.0.1:9000/api/v2/sms/send");
  const auto body = nlohmann::json::parse(request.body);
  CHECK(body["callback_url"] == "https://otp.example.com/delivery/arkesel?key=s3cret");
  CHECK(body["sender"] == "OTPBANK");
  CHECK(body["recipients"] == nlohmann::json{"233241234567"});
}

TEST_CASE("arkesel 200 with status success and a data id is accepted", "[delivery][arkesel]") {
  const auto result = judge(
      200,
      R"({"status":"success","data":[{"recipient":"233544919953","id":"9b752841-7ee7-4d62-a23b-a8e1e3d4c0fa"}]})");
  CHECK(result.outcome == SendOutcome::Accepted);
  CHECK(result.message_id == "9b752841-7ee7-4d62-a23b-a8e1e3d4c0fa");
  CHECK(result.gateway_status == "success");
}

TEST_CASE("arkesel invalid numbers entry holding our number is permanent", "[delivery][arkesel]") {
  const auto result =
      judge(200, R"({"status":"success","data":[{"invalid numbers":["23324123"]}]})");
  CHECK(result.outcome == SendOutcome::Permanent);
  CHECK(result.message_id.empty());
}

TEST_CASE("arkesel http statuses map to account level, permanent and transient",
          "[delivery][arkesel]") {
  CHECK(judge(402, R"({"status":"error","message":"Insufficient balance"})").outcome ==
        SendOutcome::AccountLevel);
  CHECK(judge(401, R"({"status":"error","message":"Unauthenticated"})").outcome ==
        SendOutcome::AccountLevel);
  CHECK(judge(403, R"({"status":"error","message":"Invalid API key"})").outcome ==
        SendOutcome::AccountLevel);
  CHECK(judge(422, R"({"status":"error","message":"The sender field is required."})").outcome ==
        SendOutcome::Permanent);
  CHECK(judge(400, "").outcome == SendOutcome::Permanent);
  CHECK(judge(429, "").outcome == SendOutcome::Transient);
  CHECK(judge(500, "").outcome == SendOutcome::Transient);
  CHECK(judge(502, "<html>Bad Gateway</html>").outcome == SendOutcome::Transient);
  CHECK(judge(402, "").gateway_status == "402");
}

TEST_CASE("arkesel 200 that is not a success with an id is unknown", "[delivery][arkesel]") {
  CHECK(judge(200, "").outcome == SendOutcome::Unknown);
  CHECK(judge(200, R"({"status":"success","data":[]})").outcome == SendOutcome::Unknown);
  CHECK(judge(200, R"({"status":"error"})").outcome == SendOutcome::Unknown);
  CHECK(judge(200, R"({"status":"SUCCESS","data":[{"id":"a1"}]})").outcome ==
        SendOutcome::Accepted);
}

TEST_CASE("arkesel 200 with an id but no status success is unknown and keeps the id",
          "[delivery][arkesel]") {
  const SendResult no_status = judge(200, R"({"data":[{"recipient":"233544919953","id":"a1"}]})");
  CHECK(no_status.outcome == SendOutcome::Unknown);
  CHECK(no_status.message_id == "a1");
  const SendResult other = judge(200, R"({"status":"queued","data":[{"id":"a2"}]})");
  CHECK(other.outcome == SendOutcome::Unknown);
  CHECK(other.message_id == "a2");
}

TEST_CASE("arkesel garbage answers never throw", "[delivery][arkesel]") {
  const auto arkesel = provider(arkesel_settings());
  for (const auto& body : garbage_bodies()) {
    for (const long status : {0L, 200L, 201L, 402L, 422L, 500L}) {
      CHECK_NOTHROW(arkesel->parse_send(answer(status, body)));
    }
  }
  CHECK(arkesel->parse_send(incomplete(TransferResult::FailedBeforeSend)).outcome ==
        SendOutcome::Transient);
  CHECK(arkesel->parse_send(incomplete(TransferResult::TimedOutAfterSend)).outcome ==
        SendOutcome::Unknown);
}

TEST_CASE("arkesel delivery callbacks map every documented status in any case",
          "[delivery][arkesel]") {
  const auto arkesel = provider(arkesel_settings());
  REQUIRE(arkesel->accepts_receipts());
  const std::vector<std::pair<std::string, ReceiptState>> table = {
      {"DELIVERED", ReceiptState::Delivered},  {"delivered", ReceiptState::Delivered},
      {"NOT_DELIVERED", ReceiptState::Failed}, {"EXPIRED", ReceiptState::Failed},
      {"PROHIBITED", ReceiptState::Failed},    {"FAILED", ReceiptState::Failed},
      {"REJECTED", ReceiptState::Failed},      {"not_delivered", ReceiptState::Failed},
      {"SUBMITTED", ReceiptState::Pending},    {"QUEUED", ReceiptState::Pending},
      {"SENT", ReceiptState::Pending},         {"PENDING", ReceiptState::Pending},
      {"BRAND_NEW", ReceiptState::Pending},
  };
  for (const auto& [status, state] : table) {
    INFO(status);
    const auto receipts = arkesel->parse_receipt(callback("9b752841", status));
    REQUIRE(receipts.ok());
    REQUIRE(receipts.value().size() == 1);
    CHECK(receipts.value()[0].message_id == "9b752841");
    CHECK(receipts.value()[0].status == status);
    CHECK(receipts.value()[0].state == state);
  }
}

TEST_CASE("arkesel reports posted as a form or json are read the same way", "[delivery][arkesel]") {
  const auto arkesel = provider(arkesel_settings());
  auto form = arkesel->parse_receipt(form_post("sms_id=abc-1&status=DELIVERED"));
  REQUIRE(form.ok());
  CHECK(form.value()[0].message_id == "abc-1");
  CHECK(form.value()[0].state == ReceiptState::Delivered);
  auto json = arkesel->parse_receipt(json_post(R"({"sms_id":"abc-2","status":"EXPIRED"})"));
  REQUIRE(json.ok());
  CHECK(json.value()[0].message_id == "abc-2");
  CHECK(json.value()[0].state == ReceiptState::Failed);
}

TEST_CASE("arkesel json report that repeats a key is a validation error naming it",
          "[delivery][arkesel]") {
  // Which status was meant is ambiguous: with "last one wins" a delivered could become expired.
  const auto arkesel = provider(arkesel_settings());
  auto bad = arkesel->parse_receipt(
      json_post(R"({"sms_id":"abc-3","status":"DELIVERED","status":"EXPIRED"})"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::ValidationError);
  CHECK(bad.error().message.find(R"(duplicate key "status")") != std::string::npos);
}

TEST_CASE("arkesel callback without sms_id or status is a validation error naming them",
          "[delivery][arkesel]") {
  const auto arkesel = provider(arkesel_settings());
  ReceiptRequest request;
  request.method = "GET";
  request.query = {{"status", "DELIVERED"}};
  auto bad = arkesel->parse_receipt(request);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::ValidationError);
  CHECK(bad.error().fields.contains("sms_id"));
  request.query = {{"sms_id", "x"}};
  bad = arkesel->parse_receipt(request);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().fields.contains("status"));
  for (const auto& body : garbage_bodies()) {
    CHECK_NOTHROW(arkesel->parse_receipt(json_post(body)));
    CHECK_NOTHROW(arkesel->parse_receipt(form_post(body)));
  }
}

TEST_CASE("arkesel needs an api key", "[delivery][arkesel]") {
  auto settings = arkesel_settings();
  settings.api_key.clear();
  CHECK_THROWS_AS(make_provider(settings), std::invalid_argument);
  CHECK_THROWS_WITH(make_provider(settings), "sms-arkesel-api-key is required");
}

TEST_CASE("arkesel needs a sender", "[delivery][arkesel]") {
  auto settings = arkesel_settings();
  settings.sender.clear();
  CHECK_THROWS_WITH(make_provider(settings), "sms-arkesel-sender is required");
}
