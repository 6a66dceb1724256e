// Twilio Programmable Messaging: a form POST to the account's Messages.json with Basic auth,
// and signed (X-Twilio-Signature) status callbacks.
//
// Unverified or ambiguous (docs/reference: sms-gateways.md A.4), and how each is read here:
// - From vs MessagingServiceSid: a sender that starts with "MG" and is longer than 11
//   characters is a Messaging Service SID (those are "MG" + 32 hex) and goes as
//   MessagingServiceSid; anything else goes as From. The length rule keeps an alphanumeric
//   sender id that happens to start with "MG" (at most 11 characters) a From.
// - Success: any 2xx with a `sid` is Accepted (Twilio documents 201); `status` is the gateway
//   status and a non-null `price` (string or number) the cost, which is null at creation.
//   A 2xx without a sid, or not JSON, is Unknown: the SMS may have gone.
// - Errors carry {code,message,more_info,status}; `message` is never copied (it can quote
//   input). Codes decide first: 21211, 21408, 21610, 21612, 21614, 21635, 30006, 30007
//   Permanent; 20003, 20005, 21212, 21603, 21606, 30002 AccountLevel (21603 "From is required"
//   is added here: a missing sender fails every message); 20429, 30003 Transient. Then the
//   HTTP status: 401/403 AccountLevel, 429 and 5xx Transient, other 4xx Permanent.
// - Status callbacks are form POSTs (a GET when the account sets StatusCallbackMethod=GET:
//   then the parameters are in the URL, and the signature covers only the URL, with its query in
//   the order Twilio sent it. Our HTTP layer (Pistache 0.0.5) keeps the query parameters but not
//   their order, so a GET is checked against every order of them (twilio_query_signature_valid,
//   all orders up to 8 parameters, else the received and the sorted orders). A JSON body is
//   refused: Twilio signs those differently (bodySHA256), which is not implemented.
//   MessageSid/MessageStatus fall back to SmsSid/SmsStatus. delivered and read are Delivered;
//   undelivered, failed, canceled Failed; every other word Pending. Unknown fields are ignored.
// - The signature is checked first, always (the auth token is a required setting): a missing or
//   mismatching X-Twilio-Signature is FORBIDDEN before any field is looked at.
#include <array>

#include "delivery/providers/wire.hpp"
#include "delivery/signature.hpp"
#include "otp/text.hpp"

namespace ussd_otp {
namespace {

using nlohmann::json;
namespace wire = sms_wire;

constexpr std::string_view kName = "twilio";
constexpr std::string_view kDefaultBaseUrl = "https://api.twilio.com";

struct ErrorCodeClass {
  std::int64_t code;
  SendOutcome outcome;
};

constexpr std::array<ErrorCodeClass, 16> kErrorCodes = {{
    {21211, SendOutcome::Permanent},     // invalid To
    {21408, SendOutcome::Permanent},     // no permission to send to this region
    {21610, SendOutcome::Permanent},     // the recipient unsubscribed (STOP)
    {21612, SendOutcome::Permanent},     // this From cannot reach this To
    {21614, SendOutcome::Permanent},     // To is not a mobile number
    {21635, SendOutcome::Permanent},     // To is a landline
    {30006, SendOutcome::Permanent},     // landline or unreachable carrier
    {30007, SendOutcome::Permanent},     // filtered as spam by the carrier
    {20003, SendOutcome::AccountLevel},  // authentication failed
    {20005, SendOutcome::AccountLevel},  // account not active
    {21212, SendOutcome::AccountLevel},  // invalid From
    {21603, SendOutcome::AccountLevel},  // From is required
    {21606, SendOutcome::AccountLevel},  // From is not valid for this account
    {30002, SendOutcome::AccountLevel},  // account suspended
    {20429, SendOutcome::Transient},     // too many requests
    {30003, SendOutcome::Transient},     // unreachable handset
}};

const ErrorCodeClass* error_code_class(std::int64_t code) {
  for (const auto& entry : kErrorCodes) {
    if (entry.code == code) return &entry;
  }
  return nullptr;
}

bool is_messaging_service_sid(std::string_view sender) {
  return sender.size() > 11 && sender.substr(0, 2) == "MG";
}

// queued, sending, sent, accepted, scheduled, ... are Pending.
ReceiptState receipt_state(std::string_view status) {
  return wire::receipt_state(status, {"delivered", "read"}, {"undelivered", "failed", "canceled"});
}

class TwilioProvider final : public wire::GatewayAdapter {
 public:
  explicit TwilioProvider(const ProviderSettings& settings)
      : GatewayAdapter(kName, settings, kDefaultBaseUrl),
        authorization_(wire::basic_auth(settings.account_sid, settings.auth_token)) {}

  OutboundRequest build_send(const SmsMessage& message, std::int64_t) const override {
    OutboundRequest request =
        wire::post(base_url_ + "/2010-04-01/Accounts/" +
                       wire::percent_encode(settings_.account_sid) + "/Messages.json",
                   {{"Authorization", authorization_},
                    {"Content-Type", "application/x-www-form-urlencoded"},
                    {"Accept", "application/json"}});
    wire::Fields form = {{"To", wire::plus_e164(message.phone)}};
    const std::string& sender = wire::sender_for(message, settings_);
    if (is_messaging_service_sid(sender)) {
      form.emplace_back("MessagingServiceSid", sender);
    } else if (!sender.empty()) {
      form.emplace_back("From", sender);
    }
    form.emplace_back("Body", message.text);
    if (!settings_.receipt_url.empty()) form.emplace_back("StatusCallback", settings_.receipt_url);
    request.body = wire::form_encode(form);
    return request;
  }

  SendResult parse_send(const OutboundResponse& response) const override {
    if (response.result != TransferResult::Completed)
      return wire::incomplete_transfer_result(response);
    const json body = wire::parse_json(response.body);
    const long http = response.status;
    if (http >= 200 && http < 300) {
      const auto sid = wire::scalar_text(wire::member(body, "sid"));
      if (!sid || sid->empty()) {
        return wire::unknown_result("twilio answered HTTP " + std::to_string(http) +
                                    " with no sid");
      }
      SendResult result;
      result.outcome = SendOutcome::Accepted;
      result.message_id = *sid;
      result.gateway_status = wire::scalar_text(wire::member(body, "status")).value_or("");
      result.cost = wire::scalar_text(wire::member(body, "price")).value_or("");
      return result;
    }
    SendResult result = wire::http_status_result(kName, http);
    if (const auto code = wire::integer_value(wire::member(body, "code"))) {
      result.gateway_status = std::to_string(*code);
      result.error =
          "twilio error " + std::to_string(*code) + " (HTTP " + std::to_string(http) + ")";
      if (const ErrorCodeClass* entry = error_code_class(*code)) result.outcome = entry->outcome;
    }
    return result;
  }

  bool accepts_receipts() const override { return true; }

  Result<std::vector<Receipt>> parse_receipt(const ReceiptRequest& request) const override {
    if (text::ascii_lower(request.content_type).find("json") != std::string::npos) {
      return Error::make(ErrorCode::ValidationError,
                         "twilio status callbacks are form-urlencoded, not JSON");
    }
    wire::Fields body_params;
    if (!request.body.empty()) {
      auto form = wire::parse_form(request.body);
      if (!form) {
        return Error::make(ErrorCode::ValidationError,
                           "twilio delivery report is not form-urlencoded");
      }
      body_params = std::move(*form);
    }
    const auto signature = wire::header(request.headers, "X-Twilio-Signature");
    if (!signature || signature->empty()) {
      return Error::make(ErrorCode::Forbidden, "X-Twilio-Signature is missing");
    }
    // Twilio signs the POST parameters; query parameters are part of the URL it signs.
    const wire::Fields& signed_params =
        text::equals_ignoring_case(request.method, "GET") ? wire::Fields{} : body_params;
    if (!twilio_signature_valid(settings_.auth_token, request.url, signed_params, *signature)) {
      return Error::make(ErrorCode::Forbidden, "X-Twilio-Signature does not match");
    }
    wire::Fields fields = body_params;
    fields.insert(fields.end(), request.query.begin(), request.query.end());
    auto receipt = wire::reported_receipt(
        kName, wire::first_field(fields, {"MessageSid", "SmsSid"}), "MessageSid",
        wire::first_field(fields, {"MessageStatus", "SmsStatus"}), "MessageStatus", receipt_state);
    if (!receipt.ok()) return receipt.error();
    if (receipt->state == ReceiptState::Failed)
      receipt.value().error = wire::field(fields, "ErrorCode").value_or("");
    return std::vector<Receipt>{std::move(receipt.value())};
  }

 private:
  std::string authorization_;
};

}  // namespace

std::unique_ptr<SmsProvider> make_twilio_provider(const ProviderSettings& settings) {
  wire::require_settings(
      kName, {{"account-sid", settings.account_sid}, {"auth-token", settings.auth_token}});
  return std::make_unique<TwilioProvider>(settings);
}

}  // namespace ussd_otp
