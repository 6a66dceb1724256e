// Africa's Talking SMS: a form-urlencoded POST to /version1/messaging, judged per recipient,
// and form-posted delivery reports.
//
// Unverified or ambiguous (docs/reference: sms-gateways.md A.1), and how each is read here:
// - Success is documented as HTTP 201 only. Any 2xx is judged by its body the same way, since
//   the body, not the status, says whether the recipient was taken.
// - A 2xx whose body is not JSON, or has no recipient, is Unknown, not Transient: the request
//   reached AT and the SMS may have gone, so a blind retry could send it twice. One exception:
//   AT has been seen answering `"Message":"InvalidSenderId"` (or another status name) with an
//   empty Recipients list; a Message that is exactly one of the status names below is judged
//   as that status.
// - `statusCode` is documented as a number; a string of digits is read the same. When it is
//   missing, the recipient's `status` word is looked up instead (case-insensitive).
// - The per-recipient codes come from third-party codebases (cht-core STATUS_MAP and others),
//   not from AT's own docs. 401 RiskHold is Permanent for this number (the brief's choice).
// - HTTP statuses other than 2xx carry a plain-text body: 401/403 (bad apiKey or username) are
//   AccountLevel, 429 and 5xx Transient, other 4xx Permanent because AT rejected this request as
//   malformed and would reject it again (wire.hpp's outcome_for_http_status).
// - Delivery reports are documented as a form POST; JSON bodies and query parameters are
//   accepted too (body fields win over query fields). An unknown status word is Pending.
// - No callback authentication is documented: put a secret in the callback URL (as cht-core
//   does) and check it in the HTTP layer.
#include <array>

#include "delivery/providers/wire.hpp"
#include "otp/text.hpp"

namespace ussd_otp {
namespace {

using nlohmann::json;
namespace wire = sms_wire;

constexpr std::string_view kName = "africastalking";
constexpr std::string_view kDefaultBaseUrl = "https://api.africastalking.com";

struct RecipientStatus {
  int code;
  std::string_view name;
  SendOutcome outcome;
};

constexpr std::array<RecipientStatus, 15> kRecipientStatuses = {{
    {100, "Processed", SendOutcome::Accepted},
    {101, "Sent", SendOutcome::Accepted},
    {102, "Queued", SendOutcome::Accepted},
    {401, "RiskHold", SendOutcome::Permanent},
    {402, "InvalidSenderId", SendOutcome::AccountLevel},
    {403, "InvalidPhoneNumber", SendOutcome::Permanent},
    {404, "UnsupportedNumberType", SendOutcome::Permanent},
    {405, "InsufficientBalance", SendOutcome::AccountLevel},
    {406, "UserInBlacklist", SendOutcome::Permanent},
    {407, "CouldNotRoute", SendOutcome::Transient},
    {409, "DoNotDisturbRejection", SendOutcome::Permanent},
    {500, "InternalServerError", SendOutcome::Transient},
    {501, "GatewayError", SendOutcome::Transient},
    {502, "RejectedByGateway", SendOutcome::Transient},
    // The word the example payloads carry for 101.
    {101, "Success", SendOutcome::Accepted},
}};

const RecipientStatus* status_by_code(std::int64_t code) {
  for (const auto& status : kRecipientStatuses) {
    if (status.code == code) return &status;
  }
  return nullptr;
}

const RecipientStatus* status_by_name(std::string_view name) {
  for (const auto& status : kRecipientStatuses) {
    if (text::equals_ignoring_case(status.name, name)) return &status;
  }
  return nullptr;
}

SendResult status_result(const RecipientStatus& status) {
  SendResult result;
  result.outcome = status.outcome;
  result.gateway_status = std::to_string(status.code);
  if (status.outcome != SendOutcome::Accepted) {
    result.error = "africastalking recipient status " + std::to_string(status.code) + " " +
                   std::string(status.name);
  }
  return result;
}

SendResult judge_recipient(const json& recipient) {
  const RecipientStatus* status = nullptr;
  const auto code = wire::integer_value(wire::member(recipient, "statusCode"));
  if (code) status = status_by_code(*code);
  const auto word = wire::scalar_text(wire::member(recipient, "status"));
  if (status == nullptr && !code && word) status = status_by_name(*word);
  if (status == nullptr) {
    SendResult result = wire::unknown_result(
        "africastalking recipient status " +
        (code ? std::to_string(*code) : std::string("missing")) + " is not one we know");
    if (code) result.gateway_status = std::to_string(*code);
    return result;
  }
  SendResult result = status_result(*status);
  if (status->outcome == SendOutcome::Accepted) {
    result.message_id = wire::scalar_text(wire::member(recipient, "messageId")).value_or("");
    result.cost = wire::scalar_text(wire::member(recipient, "cost")).value_or("");
  }
  return result;
}

// Sent, Submitted, Buffered, and words not documented yet are Pending.
ReceiptState receipt_state(std::string_view status) {
  return wire::receipt_state(status, {"Success"}, {"Failed", "Rejected"});
}

class AfricasTalkingProvider final : public wire::GatewayAdapter {
 public:
  explicit AfricasTalkingProvider(const ProviderSettings& settings)
      : GatewayAdapter(kName, settings, kDefaultBaseUrl) {}

  OutboundRequest build_send(const SmsMessage& message, std::int64_t) const override {
    OutboundRequest request = wire::post(base_url_ + "/version1/messaging",
                                         {{"apiKey", settings_.api_key},
                                          {"Accept", "application/json"},
                                          {"Content-Type", "application/x-www-form-urlencoded"}});
    wire::Fields form = {{"username", settings_.username},
                         {"to", wire::plus_e164(message.phone)},
                         {"message", message.text}};
    const std::string& sender = wire::sender_for(message, settings_);
    if (!sender.empty()) form.emplace_back("from", sender);
    request.body = wire::form_encode(form);
    return request;
  }

  SendResult parse_send(const OutboundResponse& response) const override {
    if (auto unsuccessful = wire::non_2xx_result(kName, response)) return *unsuccessful;
    const json body = wire::parse_json(response.body);
    const json* data = wire::member(body, "SMSMessageData");
    if (data == nullptr)
      return wire::unknown_result("africastalking success body is not SMSMessageData");
    const json* recipients = wire::member(*data, "Recipients");
    if (recipients != nullptr && recipients->is_array() && !recipients->empty()) {
      // One number per request, so the first recipient is ours.
      return judge_recipient(recipients->front());
    }
    if (const auto message = wire::scalar_text(wire::member(*data, "Message"))) {
      if (const RecipientStatus* status = status_by_name(*message);
          status != nullptr && status->outcome != SendOutcome::Accepted) {
        return status_result(*status);
      }
    }
    return wire::unknown_result("africastalking answered with no recipient");
  }

  bool accepts_receipts() const override { return true; }

  Result<std::vector<Receipt>> parse_receipt(const ReceiptRequest& request) const override {
    auto fields = wire::receipt_fields(kName, request);
    if (!fields.ok()) return fields.error();
    auto receipt = wire::reported_receipt(kName, wire::first_field(fields.value(), {"id"}), "id",
                                          wire::first_field(fields.value(), {"status"}), "status",
                                          receipt_state);
    if (!receipt.ok()) return receipt.error();
    if (receipt->state == ReceiptState::Failed)
      receipt.value().error = wire::field(fields.value(), "failureReason").value_or("");
    return std::vector<Receipt>{std::move(receipt.value())};
  }
};

}  // namespace

std::unique_ptr<SmsProvider> make_africastalking_provider(const ProviderSettings& settings) {
  wire::require_settings(kName, {{"username", settings.username}, {"api-key", settings.api_key}});
  return std::make_unique<AfricasTalkingProvider>(settings);
}

}  // namespace ussd_otp
