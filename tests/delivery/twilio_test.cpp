// Twilio: the Basic-auth form POST we build, its answers and error codes, and signed status
// callbacks.
#include "delivery/signature.hpp"
#include "gateway_test_support.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

const std::string kCallbackUrl = "https://otp.example.com/delivery/twilio?key=k1";

SendResult judge(long status, const std::string& body) {
  return judge_answer(twilio_settings(), status, body);
}

std::string twilio_error(int code, int status) {
  return R"({"code":)" + std::to_string(code) +
         R"(,"message":"The 'To' number +233241234567 is not valid.","more_info":"https://www.twilio.com/docs/errors/)" +
         std::to_string(code) + R"(","status":)" + std::to_string(status) + "}";
}

const std::string kUndeliveredBody =
    "ErrorCode=30003&SmsSid=SM0123456789abcdef0123456789abcdef&SmsStatus=undelivered&"
    "MessageStatus=undelivered&To=%2B233241234567&MessageSid=SM0123456789abcdef0123456789abcdef&"
    "AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15005550006&ApiVersion=2010-04-01";

ReceiptRequest signed_callback(const std::string& body) {
  ReceiptRequest request = form_post(body);
  request.url = kCallbackUrl;
  request.query = {{"key", "k1"}};
  request.headers["x-twilio-signature"] =
      twilio_signature(kTwilioToken, kCallbackUrl, form_fields(body));
  return request;
}

}  // namespace

TEST_CASE("twilio posts To, From and Body to the account's Messages.json with basic auth",
          "[delivery][twilio]") {
  const OutboundRequest request = built_send(twilio_settings());
  CHECK(form_fields(request.body) == FormFields{{"To", "+233241234567"},
                                                {"From", "+15005550006"},
                                                {"Body", otp_message().text}});
}

TEST_CASE("twilio sends a messaging service sid instead of From and a StatusCallback",
          "[delivery][twilio]") {
  const auto request = built_send(with_settings(
      twilio_settings(), {{&ProviderSettings::sender, "MG0123456789abcdef0123456789abcdef"},
                          {&ProviderSettings::receipt_url, kCallbackUrl}}));
  const auto fields = form_fields(request.body);
  REQUIRE(fields.size() == 4);
  CHECK(fields[1] == std::pair<std::string, std::string>{"MessagingServiceSid",
                                                         "MG0123456789abcdef0123456789abcdef"});
  CHECK(fields[3] == std::pair<std::string, std::string>{"StatusCallback", kCallbackUrl});
}

TEST_CASE("twilio keeps a short alphanumeric sender starting with MG as From",
          "[delivery][twilio]") {
  auto message = otp_message();
  message.sender = "MGBANK";
  const auto fields = form_fields(provider(twilio_settings())->build_send(message, 0).body);
  REQUIRE(fields.size() == 3);
  CHECK(fields[1] == std::pair<std::string, std::string>{"From", "MGBANK"});
}

TEST_CASE("twilio 201 with a sid is accepted with its status and price", "[delivery][twilio]") {
  auto result = judge(
      201,
      R"({"account_sid":"AC0123456789abcdef0123456789abcdef","api_version":"2010-04-01","body":"x","date_created":"Thu, 24 Aug 2023 05:01:45 +0000","direction":"outbound-api","error_code":null,"error_message":null,"from":"+15005550006","num_segments":"1","price":null,"price_unit":"USD","sid":"SM0123456789abcdef0123456789abcdef","status":"queued","to":"+233241234567","uri":"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json"})");
  CHECK(result.outcome == SendOutcome::Accepted);
  CHECK(result.message_id == "SM0123456789abcdef0123456789abcdef");
  CHECK(result.gateway_status == "queued");
  CHECK(result.cost.empty());
  result = judge(201, R"({"sid":"SMabc","status":"accepted","price":"-0.00750"})");
  CHECK(result.outcome == SendOutcome::Accepted);
  CHECK(result.cost == "-0.00750");
}

TEST_CASE("twilio error codes decide the outcome class", "[delivery][twilio]") {
  check_groups<SendOutcome, int>(
      {{SendOutcome::Permanent, {21211, 21614, 21612, 21408, 21610, 21635, 30006, 30007}},
       {SendOutcome::AccountLevel, {20003, 20005, 21606, 21212, 30002}},
       {SendOutcome::Transient, {30003, 20429}}},
      [&](int code, SendOutcome outcome) {
        const int status = code == 20003 ? 401 : (code == 20429 ? 429 : 400);
        const auto result = judge(status, twilio_error(code, status));
        CHECK(result.outcome == outcome);
        CHECK(result.gateway_status == std::to_string(code));
        // Twilio's message can quote what we sent: it never reaches our error string.
        CHECK(result.error.find("233241234567") == std::string::npos);
      });
}

TEST_CASE("twilio errors without a known code are classed by http status", "[delivery][twilio]") {
  check_answer_classes(
      *provider(twilio_settings()),
      {{401, R"({"message":"Authenticate","status":401})", SendOutcome::AccountLevel},
       {503, twilio_error(20500, 503), SendOutcome::Transient},
       {400, twilio_error(21602, 400), SendOutcome::Permanent},
       {404, twilio_error(20404, 404), SendOutcome::Permanent},
       {400, R"({"code":"21211","status":400})", SendOutcome::Permanent}});
  check_status_classes(*provider(twilio_settings()),
                       {{SendOutcome::AccountLevel, {401}}, {SendOutcome::Transient, {429, 500}}});
}

TEST_CASE("twilio 2xx without a sid is unknown and garbage never throws", "[delivery][twilio]") {
  CHECK(judge(201, "").outcome == SendOutcome::Unknown);
  CHECK(judge(201, R"({"status":"queued"})").outcome == SendOutcome::Unknown);
  check_garbage_and_incomplete_answers(*provider(twilio_settings()), {0, 200, 201, 400, 401, 500});
}

TEST_CASE("twilio signed undelivered callback gives a failed receipt with its error code",
          "[delivery][twilio]") {
  const auto twilio = provider(twilio_settings());
  REQUIRE(twilio->accepts_receipts());
  ReceiptRequest request = form_post(kUndeliveredBody);
  request.url = kCallbackUrl;
  request.query = {{"key", "k1"}};
  // Computed at authoring time, independently of the code under test:
  //   printf '%s' '<url>AccountSid<..>ApiVersion2010-04-01ErrorCode30003From+15005550006
  //   MessageSid<..>MessageStatusundeliveredSmsSid<..>SmsStatusundeliveredTo+233241234567'
  //   | openssl dgst -sha1 -hmac tok_0123456789abcdef -binary | base64
  request.headers["x-twilio-signature"] = "IciS2bIesRU9IZNw96JE53sb3qo=";
  const auto receipts = twilio->parse_receipt(request);
  REQUIRE(receipts.ok());
  REQUIRE(receipts.value().size() == 1);
  CHECK(receipts.value()[0].message_id == "SM0123456789abcdef0123456789abcdef");
  CHECK(receipts.value()[0].status == "undelivered");
  CHECK(receipts.value()[0].state == ReceiptState::Failed);
  CHECK(receipts.value()[0].error == "30003");
}

TEST_CASE("twilio callbacks map every documented message status", "[delivery][twilio]") {
  const auto twilio = provider(twilio_settings());
  check_receipt_states(
      {{ReceiptState::Delivered, {"delivered", "read"}},
       {ReceiptState::Failed, {"undelivered", "failed", "canceled"}},
       {ReceiptState::Pending,
        {"queued", "sending", "sent", "accepted", "scheduled", "somethingnew"}}},
      [&](const std::string& status) {
        return receipts_of(*twilio,
                           signed_callback("MessageSid=SMabc&MessageStatus=" + status +
                                           "&AccountSid=AC0123456789abcdef0123456789abcdef&"
                                           "NewField=ignored"));
      },
      "SMabc");
}

TEST_CASE("twilio callback with a wrong or missing signature is forbidden", "[delivery][twilio]") {
  const auto twilio = provider(twilio_settings());
  ReceiptRequest request = signed_callback(kUndeliveredBody);
  request.body += "&Extra=1";
  auto bad = twilio->parse_receipt(request);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::Forbidden);
  CHECK(bad.error().message == "X-Twilio-Signature does not match");
  request = signed_callback(kUndeliveredBody);
  request.url = "https://otp.example.com/delivery/twilio?key=k2";
  CHECK(twilio->parse_receipt(request).error().code == ErrorCode::Forbidden);
  request = signed_callback(kUndeliveredBody);
  request.headers.clear();
  bad = twilio->parse_receipt(request);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::Forbidden);
}

TEST_CASE("twilio signed callback without MessageSid is a validation error", "[delivery][twilio]") {
  const auto bad =
      provider(twilio_settings())->parse_receipt(signed_callback("MessageStatus=sent"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::ValidationError);
  CHECK(bad.error().fields.contains("MessageSid"));
}

TEST_CASE("twilio callbacks fall back to SmsSid and SmsStatus", "[delivery][twilio]") {
  const auto receipts = provider(twilio_settings())
                            ->parse_receipt(signed_callback("SmsSid=SMold&SmsStatus=delivered"));
  REQUIRE(receipts.ok());
  CHECK(receipts.value()[0].message_id == "SMold");
  CHECK(receipts.value()[0].state == ReceiptState::Delivered);
}

TEST_CASE("twilio garbage callbacks never throw", "[delivery][twilio]") {
  check_garbage_reports(*provider(twilio_settings()),
                        {form_post, json_post, [](const std::string& body) {
                           ReceiptRequest request = form_post(body);
                           request.headers["x-twilio-signature"] = "not base64 at all \xff";
                           return request;
                         }});
}

TEST_CASE("twilio needs an account sid and an auth token", "[delivery][twilio]") {
  check_required_settings(twilio_settings(),
                          {{&ProviderSettings::account_sid, "sms-twilio-account-sid is required"},
                           {&ProviderSettings::auth_token, "sms-twilio-auth-token is required"}});
}
