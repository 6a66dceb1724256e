// Twilio: the Basic-auth form POST we build, its answers and error codes, and signed status
// callbacks.
#include "delivery/signature.hpp"
#include "gateway_test_support.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

const std::string kSid = "AC0123456789abcdef0123456789abcdef";
const std::string kToken = "tok_0123456789abcdef";
const std::string kCallbackUrl = "https://otp.example.com/delivery/twilio?key=k1";

ProviderSettings twilio_settings() {
  ProviderSettings settings;
  settings.name = "twilio";
  settings.account_sid = kSid;
  settings.auth_token = kToken;
  settings.sender = "+15005550006";
  return settings;
}

SendResult judge(long status, const std::string& body) {
  return provider(twilio_settings())->parse_send(answer(status, body));
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
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t start = 0;
  while (start < body.size()) {
    const std::size_t amp = std::min(body.find('&', start), body.size());
    const std::string part = body.substr(start, amp - start);
    const std::size_t eq = part.find('=');
    params.emplace_back(curl_decode(part.substr(0, eq)), curl_decode(part.substr(eq + 1)));
    start = amp + 1;
  }
  request.headers["x-twilio-signature"] = twilio_signature(kToken, kCallbackUrl, params);
  return request;
}

}  // namespace

TEST_CASE("twilio posts To, From and Body to the account's Messages.json with basic auth",
          "[delivery][twilio]") {
  const auto twilio = provider(twilio_settings());
  const OutboundRequest request = twilio->build_send(otp_message(), 1700000000);
  CHECK(request.method == "POST");
  CHECK(request.url == "https://api.twilio.com/2010-04-01/Accounts/" + kSid + "/Messages.json");
  // printf '<sid>:<token>' | base64 -w0
  CHECK(request_header(request, "Authorization") ==
        "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjp0b2tfMDEyMzQ1Njc4OWFiY2RlZg==");
  CHECK(request_header(request, "Content-Type") == "application/x-www-form-urlencoded");
  const auto fields = form_fields(request.body);
  REQUIRE(fields.size() == 3);
  CHECK(fields[0] == std::pair<std::string, std::string>{"To", "+233241234567"});
  CHECK(fields[1] == std::pair<std::string, std::string>{"From", "+15005550006"});
  CHECK(fields[2] == std::pair<std::string, std::string>{"Body", otp_message().text});
}

TEST_CASE("twilio sends a messaging service sid instead of From and a StatusCallback",
          "[delivery][twilio]") {
  auto settings = twilio_settings();
  settings.sender = "MG0123456789abcdef0123456789abcdef";
  settings.receipt_url = kCallbackUrl;
  settings.base_url = "http://127.0.0.1:7000/";
  const auto request = provider(settings)->build_send(otp_message(), 0);
  CHECK(request.url == "http://127.0.0.1:7000/2010-04-01/Accounts/" + kSid + "/Messages.json");
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
  const std::vector<std::pair<int, SendOutcome>> table = {
      {21211, SendOutcome::Permanent},    {21614, SendOutcome::Permanent},
      {21612, SendOutcome::Permanent},    {21408, SendOutcome::Permanent},
      {21610, SendOutcome::Permanent},    {21635, SendOutcome::Permanent},
      {30006, SendOutcome::Permanent},    {30007, SendOutcome::Permanent},
      {20003, SendOutcome::AccountLevel}, {20005, SendOutcome::AccountLevel},
      {21606, SendOutcome::AccountLevel}, {21212, SendOutcome::AccountLevel},
      {30002, SendOutcome::AccountLevel}, {30003, SendOutcome::Transient},
      {20429, SendOutcome::Transient},
  };
  for (const auto& [code, outcome] : table) {
    INFO("code " << code);
    const int status = code == 20003 ? 401 : (code == 20429 ? 429 : 400);
    const auto result = judge(status, twilio_error(code, status));
    CHECK(result.outcome == outcome);
    CHECK(result.gateway_status == std::to_string(code));
    // Twilio's message can quote what we sent: it never reaches our error string.
    CHECK(result.error.find("233241234567") == std::string::npos);
  }
}

TEST_CASE("twilio errors without a known code are classed by http status", "[delivery][twilio]") {
  CHECK(judge(401, "").outcome == SendOutcome::AccountLevel);
  CHECK(judge(401, R"({"message":"Authenticate","status":401})").outcome ==
        SendOutcome::AccountLevel);
  CHECK(judge(429, "").outcome == SendOutcome::Transient);
  CHECK(judge(500, "").outcome == SendOutcome::Transient);
  CHECK(judge(503, twilio_error(20500, 503)).outcome == SendOutcome::Transient);
  CHECK(judge(400, twilio_error(21602, 400)).outcome == SendOutcome::Permanent);
  CHECK(judge(404, twilio_error(20404, 404)).outcome == SendOutcome::Permanent);
  CHECK(judge(400, R"({"code":"21211","status":400})").outcome == SendOutcome::Permanent);
}

TEST_CASE("twilio 2xx without a sid is unknown and garbage never throws", "[delivery][twilio]") {
  CHECK(judge(201, "").outcome == SendOutcome::Unknown);
  CHECK(judge(201, R"({"status":"queued"})").outcome == SendOutcome::Unknown);
  const auto twilio = provider(twilio_settings());
  for (const auto& body : garbage_bodies()) {
    for (const long status : {0L, 200L, 201L, 400L, 401L, 500L}) {
      CHECK_NOTHROW(twilio->parse_send(answer(status, body)));
    }
  }
  CHECK(twilio->parse_send(incomplete(TransferResult::FailedBeforeSend)).outcome ==
        SendOutcome::Transient);
  CHECK(twilio->parse_send(incomplete(TransferResult::TimedOutAfterSend)).outcome ==
        SendOutcome::Unknown);
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
  const std::vector<std::pair<std::string, ReceiptState>> table = {
      {"delivered", ReceiptState::Delivered},  {"read", ReceiptState::Delivered},
      {"undelivered", ReceiptState::Failed},   {"failed", ReceiptState::Failed},
      {"canceled", ReceiptState::Failed},      {"queued", ReceiptState::Pending},
      {"sending", ReceiptState::Pending},      {"sent", ReceiptState::Pending},
      {"accepted", ReceiptState::Pending},     {"scheduled", ReceiptState::Pending},
      {"somethingnew", ReceiptState::Pending},
  };
  for (const auto& [status, state] : table) {
    INFO(status);
    const auto receipts = twilio->parse_receipt(
        signed_callback("MessageSid=SMabc&MessageStatus=" + status +
                        "&AccountSid=AC0123456789abcdef0123456789abcdef&NewField=ignored"));
    REQUIRE(receipts.ok());
    CHECK(receipts.value()[0].message_id == "SMabc");
    CHECK(receipts.value()[0].state == state);
  }
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
  const auto twilio = provider(twilio_settings());
  for (const auto& body : garbage_bodies()) {
    CHECK_NOTHROW(twilio->parse_receipt(form_post(body)));
    CHECK_NOTHROW(twilio->parse_receipt(json_post(body)));
    ReceiptRequest request = form_post(body);
    request.headers["x-twilio-signature"] = "not base64 at all \xff";
    CHECK_NOTHROW(twilio->parse_receipt(request));
  }
}

TEST_CASE("twilio needs an account sid and an auth token", "[delivery][twilio]") {
  auto settings = twilio_settings();
  settings.account_sid.clear();
  CHECK_THROWS_WITH(make_provider(settings), "sms-twilio-account-sid is required");
  settings = twilio_settings();
  settings.auth_token.clear();
  CHECK_THROWS_WITH(make_provider(settings), "sms-twilio-auth-token is required");
}
