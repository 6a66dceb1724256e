// Arkesel SMS API v2: the JSON POST we build, its answers, and its GET delivery callbacks.
#include "gateway_test_support.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

SendResult judge(long status, const std::string& body) {
  return judge_answer(arkesel_settings(), status, body);
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
  const OutboundRequest request = built_send(arkesel_settings());
  const auto body = nlohmann::json::parse(request.body);
  CHECK(body == nlohmann::json{{"sender", "ACME"},
                               {"message", otp_message().text},
                               {"recipients", {"233241234567"}}});
}

TEST_CASE("arkesel passes callback_url when a receipt url is set and the message's sender",
          "[delivery][arkesel]") {
  const auto arkesel = provider(with_settings(
      arkesel_settings(),
      {{&ProviderSettings::receipt_url, "https://otp.example.com/delivery/arkesel?key=s3cret"}}));
  auto message = otp_message();
  message.sender = "OTPBANK";
  message.phone = "+233241234567";
  const OutboundRequest request = arkesel->build_send(message, 0);
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
  check_answer_classes(
      *provider(arkesel_settings()),
      {{402, R"({"status":"error","message":"Insufficient balance"})", SendOutcome::AccountLevel},
       {401, R"({"status":"error","message":"Unauthenticated"})", SendOutcome::AccountLevel},
       {403, R"({"status":"error","message":"Invalid API key"})", SendOutcome::AccountLevel},
       {422, R"({"status":"error","message":"The sender field is required."})",
        SendOutcome::Permanent},
       {502, "<html>Bad Gateway</html>", SendOutcome::Transient}});
  check_status_classes(*provider(arkesel_settings()),
                       {{SendOutcome::Permanent, {400}}, {SendOutcome::Transient, {429, 500}}});
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
  check_garbage_and_incomplete_answers(*provider(arkesel_settings()), {0, 200, 201, 402, 422, 500});
}

TEST_CASE("arkesel delivery callbacks map every documented status in any case",
          "[delivery][arkesel]") {
  check_receipt_states(
      {{ReceiptState::Delivered, {"DELIVERED", "delivered"}},
       {ReceiptState::Failed,
        {"NOT_DELIVERED", "EXPIRED", "PROHIBITED", "FAILED", "REJECTED", "not_delivered"}},
       {ReceiptState::Pending, {"SUBMITTED", "QUEUED", "SENT", "PENDING", "BRAND_NEW"}}},
      [](const std::string& status) {
        return receipts_of(*provider(arkesel_settings()), callback("9b752841", status));
      },
      "9b752841");
}

TEST_CASE("arkesel reports posted as a form or json are read the same way", "[delivery][arkesel]") {
  const auto arkesel = provider(arkesel_settings());
  check_read(*arkesel, form_post("sms_id=abc-1&status=DELIVERED"), "abc-1",
             ReceiptState::Delivered);
  check_read(*arkesel, json_post(R"({"sms_id":"abc-2","status":"EXPIRED"})"), "abc-2",
             ReceiptState::Failed);
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
  check_garbage_reports(*arkesel, {json_post, form_post});
}

TEST_CASE("arkesel needs an api key and a sender", "[delivery][arkesel]") {
  check_required_settings(arkesel_settings(),
                          {{&ProviderSettings::api_key, "sms-arkesel-api-key is required"},
                           {&ProviderSettings::sender, "sms-arkesel-sender is required"}});
}
