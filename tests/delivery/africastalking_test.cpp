// Africa's Talking: the form POST we build, per-recipient judging of its 201 answers, and its
// delivery reports.
#include "gateway_test_support.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

std::string at_answer(const std::string& recipient) {
  return R"({"SMSMessageData":{"Message":"Sent to 0/1 Total Cost: 0","Recipients":[)" + recipient +
         "]}}";
}

SendResult judge(long status, const std::string& body) {
  return judge_answer(at_settings(), status, body);
}

}  // namespace

TEST_CASE("africastalking posts a form with username, +to, message and apiKey",
          "[delivery][africastalking]") {
  const OutboundRequest request = built_send(at_settings());
  CHECK(request.headers.size() == 3);
  CHECK(form_fields(request.body) == FormFields{{"username", "sandbox"},
                                                {"to", "+233241234567"},
                                                {"message", otp_message().text}});
  // '+' in the number and the text is percent-encoded, never a literal '+' (a space).
  CHECK(request.body.find("to=%2B233241234567") != std::string::npos);
}

TEST_CASE("africastalking sends from only when a sender is set, the message's first",
          "[delivery][africastalking]") {
  const auto at = provider(with_settings(at_settings(), {{&ProviderSettings::sender, "ACME"}}));
  auto message = otp_message();
  auto request = at->build_send(message, 0);
  auto fields = form_fields(request.body);
  REQUIRE(fields.size() == 4);
  CHECK(fields[3] == std::pair<std::string, std::string>{"from", "ACME"});
  message.sender = "OTPBANK";
  fields = form_fields(at->build_send(message, 0).body);
  REQUIRE(fields.size() == 4);
  CHECK(fields[3].second == "OTPBANK");
}

TEST_CASE("africastalking 201 with status code 101 is accepted with its id and cost",
          "[delivery][africastalking]") {
  const auto result = judge(
      201,
      R"({"SMSMessageData":{"Message":"Sent to 1/1 Total Cost: KES 0.8000","Recipients":[{"statusCode":101,"number":"+254711XXXYYY","status":"Success","cost":"KES 0.8000","messageId":"ATPid_SampleTxnId123"}]}})");
  CHECK(result.outcome == SendOutcome::Accepted);
  CHECK(result.message_id == "ATPid_SampleTxnId123");
  CHECK(result.cost == "KES 0.8000");
  CHECK(result.gateway_status == "101");
  CHECK(result.error.empty());
}

TEST_CASE("africastalking status codes 100 and 102 are accepted too",
          "[delivery][africastalking]") {
  for (const int code : {100, 102}) {
    const auto result = judge(
        201,
        at_answer(
            R"({"statusCode":)" + std::to_string(code) +
            R"(,"number":"+233241234567","status":"Queued","cost":"GHS 0.03","messageId":"ATXid_q"})"));
    CHECK(result.outcome == SendOutcome::Accepted);
    CHECK(result.message_id == "ATXid_q");
  }
}

TEST_CASE("africastalking 201 with status code 403 is permanent", "[delivery][africastalking]") {
  const auto result = judge(
      201,
      at_answer(
          R"({"statusCode":403,"number":"+233241234567","status":"InvalidPhoneNumber","cost":"0","messageId":"None"})"));
  CHECK(result.outcome == SendOutcome::Permanent);
  CHECK(result.gateway_status == "403");
  CHECK(result.message_id.empty());
  CHECK(result.error.find("InvalidPhoneNumber") != std::string::npos);
}

TEST_CASE("africastalking 201 with status code 405 is account level",
          "[delivery][africastalking]") {
  const auto result = judge(
      201,
      at_answer(
          R"({"messageId":"None","cost":"0","status":"InsufficientBalance","statusCode":405,"number":"+233241234567"})"));
  CHECK(result.outcome == SendOutcome::AccountLevel);
  CHECK(result.gateway_status == "405");
}

TEST_CASE("africastalking recipient status codes map to their outcome classes",
          "[delivery][africastalking]") {
  check_groups<SendOutcome, int>(
      {{SendOutcome::Permanent, {401, 403, 404, 406, 409}},
       {SendOutcome::AccountLevel, {402, 405}},
       {SendOutcome::Transient, {407, 500, 501, 502}}},
      [&](int code, SendOutcome outcome) {
        const auto result = judge(
            201,
            at_answer(R"({"statusCode":)" + std::to_string(code) +
                      R"(,"number":"+233241234567","status":"X","cost":"0","messageId":"None"})"));
        CHECK(result.outcome == outcome);
        CHECK(result.gateway_status == std::to_string(code));
      });
}

TEST_CASE("africastalking status code as a string of digits is read as the number",
          "[delivery][africastalking]") {
  const auto result = judge(201, at_answer(R"({"statusCode":"406","status":"UserInBlacklist"})"));
  CHECK(result.outcome == SendOutcome::Permanent);
}

TEST_CASE("africastalking recipient without a status code is judged by its status word",
          "[delivery][africastalking]") {
  CHECK(judge(201, at_answer(R"({"status":"Success","messageId":"ATXid_1"})")).outcome ==
        SendOutcome::Accepted);
  CHECK(judge(201, at_answer(R"({"status":"invalidsenderid"})")).outcome ==
        SendOutcome::AccountLevel);
}

TEST_CASE("africastalking 201 with no recipient or an unparseable body is unknown",
          "[delivery][africastalking]") {
  CHECK(judge(201, R"({"SMSMessageData":{"Message":"Sent to 0/1","Recipients":[]}})").outcome ==
        SendOutcome::Unknown);
  CHECK(judge(201, "").outcome == SendOutcome::Unknown);
  CHECK(judge(201, "<?xml version=\"1.0\"?><AfricasTalkingResponse/>").outcome ==
        SendOutcome::Unknown);
  CHECK(judge(201, at_answer(R"({"statusCode":999,"status":"Mystery"})")).outcome ==
        SendOutcome::Unknown);
}

TEST_CASE("africastalking empty recipients with a status name as message is that status",
          "[delivery][africastalking]") {
  CHECK(judge(201, R"({"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}})").outcome ==
        SendOutcome::AccountLevel);
}

TEST_CASE("africastalking http statuses other than 2xx are classed by status",
          "[delivery][africastalking]") {
  check_answer_classes(
      *provider(at_settings()),
      {{401, "The supplied authentication is invalid", SendOutcome::AccountLevel},
       {403, "Forbidden", SendOutcome::AccountLevel},
       {400, "Request is missing required form field 'to'", SendOutcome::Permanent}});
  check_status_classes(*provider(at_settings()), {{SendOutcome::Transient, {429, 500, 503}},
                                                  {SendOutcome::Permanent, {404}}});
  const auto result = judge(401, "");
  CHECK(result.gateway_status == "401");
  CHECK_FALSE(result.error.empty());
}

TEST_CASE(
    "africastalking garbage answers never throw, incomplete transfers are transient or unknown",
    "[delivery][africastalking]") {
  check_garbage_and_incomplete_answers(*provider(at_settings()), {0, 200, 201, 400, 500, 999});
}

TEST_CASE("africastalking delivery reports map every documented status",
          "[delivery][africastalking]") {
  check_receipt_states(
      {{ReceiptState::Delivered, {"Success", "success"}},
       {ReceiptState::Failed, {"Failed", "Rejected"}},
       {ReceiptState::Pending, {"Sent", "Submitted", "Buffered", "SomethingNew"}}},
      [](const std::string& status) {
        return receipts_of(*provider(at_settings()),
                           form_post("id=ATXid_abc&status=" + status +
                                     "&phoneNumber=%2B233241234567&networkCode=62001&"
                                     "retryCount=0"));
      },
      "ATXid_abc");
}

TEST_CASE("africastalking failed report keeps the failure reason", "[delivery][africastalking]") {
  const auto receipts = provider(at_settings())
                            ->parse_receipt(form_post(
                                "id=ATXid_abc&status=Failed&phoneNumber=%2B233241234567&"
                                "networkCode=62002&failureReason=UserInBlackList&retryCount=2"));
  REQUIRE(receipts.ok());
  CHECK(receipts.value()[0].state == ReceiptState::Failed);
  CHECK(receipts.value()[0].error == "UserInBlackList");
}

TEST_CASE("africastalking reports are read from json bodies and query parameters too",
          "[delivery][africastalking]") {
  const auto at = provider(at_settings());
  check_read(
      *at,
      json_post(
          R"({"id":"ATXid_j","status":"Success","phoneNumber":"+233241234567","retryCount":0})"),
      "ATXid_j", ReceiptState::Delivered);
  ReceiptRequest get;
  get.method = "GET";
  get.query = {{"key", "secret"}, {"id", "ATXid_q"}, {"status", "Rejected"}};
  check_read(*at, get, "ATXid_q", ReceiptState::Failed);
}

TEST_CASE("africastalking report without id or status is a validation error naming them",
          "[delivery][africastalking]") {
  const auto at = provider(at_settings());
  auto bad = at->parse_receipt(form_post("phoneNumber=%2B233241234567&status=Success"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::ValidationError);
  CHECK(bad.error().fields.contains("id"));
  CHECK(bad.error().message.find("id") != std::string::npos);
  bad = at->parse_receipt(form_post(""));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().fields.contains("id"));
  CHECK(bad.error().fields.contains("status"));
  bad = at->parse_receipt(form_post("id=%zz&status=Success"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::ValidationError);
}

TEST_CASE("africastalking garbage reports never throw", "[delivery][africastalking]") {
  check_garbage_reports(*provider(at_settings()), {form_post, json_post});
}

TEST_CASE("africastalking needs a username and an api key", "[delivery][africastalking]") {
  check_required_settings(at_settings(),
                          {{&ProviderSettings::username, "sms-africastalking-username is required"},
                           {&ProviderSettings::api_key, "sms-africastalking-api-key is required"}});
}
