// The generic webhook gateway, for operators with their own SMS gateway: a signed JSON POST to
// their URL, and signed JSON delivery reports back.
//
// The send body (keys in this order):
//   {"to":"+233241234567","phone":"233241234567","from":"<sender or empty>","text":"...",
//    "reference":"<our attempt id>","timestamp":<Unix seconds>}
// with headers Content-Type: application/json, X-Ussd-Otp-Timestamp: <timestamp> and
// X-Ussd-Otp-Signature: v1=<lowercase hex HMAC-SHA256(secret, "<timestamp>." + body)>.
// Reports come back signed the same way (same headers, same secret, over the raw body):
//   {"id" | "messageId": "...", "status": "delivered" | "failed" | "pending" | ..., "error": "..."}
// or a JSON array of such objects.
//
// Choices, since this is our own format:
// - 2xx is Accepted. The message id is the reply's `id`, else `messageId`, else `reference`
//   (string or number); when the reply has none, message_id is empty: parse_send cannot see
//   the message, so the sender falls back to SmsMessage::reference, which we sent.
//   401/403 AccountLevel, 429 and 5xx Transient, other 4xx Permanent (wire.hpp).
// - Report statuses: delivered Delivered; failed, undelivered, rejected, expired Failed; any
//   other word Pending. Missing headers, a bad signature, or a timestamp more than 300 s from
//   our clock are FORBIDDEN.
// - The clock: SmsProvider::parse_receipt has no `now` parameter, and the interface is shared
//   with the sender and routes being written alongside, so it stays as it is: the provider
//   holds a clock, std::time by default, which tests replace through make_webhook_provider.
#include <ctime>

#include "delivery/providers/wire.hpp"
#include "delivery/signature.hpp"
#include "otp/strict_json.hpp"

namespace ussd_otp {
namespace {

using nlohmann::json;
namespace wire = sms_wire;

constexpr std::string_view kName = "webhook";
constexpr std::int64_t kReceiptToleranceSeconds = 300;

ReceiptState receipt_state(std::string_view status) {
  return wire::receipt_state(status, {"delivered"},
                             {"failed", "undelivered", "rejected", "expired"});
}

class WebhookProvider final : public SmsProvider {
 public:
  WebhookProvider(const ProviderSettings& settings, std::function<std::int64_t()> now)
      : settings_(settings), now_(std::move(now)) {
    if (!now_) now_ = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  }

  std::string_view name() const override { return kName; }

  OutboundRequest build_send(const SmsMessage& message, std::int64_t now) const override {
    OutboundRequest request;
    request.method = "POST";
    request.url = settings_.url;
    nlohmann::ordered_json body;
    body["to"] = wire::plus_e164(message.phone);
    body["phone"] = wire::digits_e164(message.phone);
    body["from"] = wire::sender_for(message, settings_);
    body["text"] = message.text;
    body["reference"] = message.reference;
    body["timestamp"] = now;
    request.body = wire::dump_json(body);
    request.headers = {
        {"Content-Type", "application/json"},
        {std::string(kSignatureTimestampHeader), std::to_string(now)},
        {std::string(kSignatureHeader), webhook_signature(settings_.secret, now, request.body)}};
    return request;
  }

  SendResult parse_send(const OutboundResponse& response) const override {
    if (auto unsuccessful = wire::non_2xx_result(kName, response)) return *unsuccessful;
    SendResult result;
    result.outcome = SendOutcome::Accepted;
    result.gateway_status = std::to_string(response.status);
    const json body = wire::parse_json(response.body);
    const auto text_of = [&body](std::string_view name) {
      return wire::scalar_text(wire::member(body, name));
    };
    if (auto id = wire::first_nonempty({"id", "messageId", "reference"}, text_of)) {
      result.message_id = std::move(*id);
    }
    if (auto status = wire::scalar_text(wire::member(body, "status")); status && !status->empty())
      result.gateway_status = std::move(*status);
    return result;
  }

  bool accepts_receipts() const override { return true; }

  Result<std::vector<Receipt>> parse_receipt(const ReceiptRequest& request) const override {
    const auto timestamp_text = wire::header(request.headers, kSignatureTimestampHeader);
    const auto signature = wire::header(request.headers, kSignatureHeader);
    if (!timestamp_text || !signature) {
      return Error::make(ErrorCode::Forbidden,
                         "X-Ussd-Otp-Timestamp and X-Ussd-Otp-Signature are required");
    }
    const auto timestamp = wire::parse_int64(*timestamp_text);
    if (!timestamp)
      return Error::make(ErrorCode::Forbidden, "X-Ussd-Otp-Timestamp is not a number");
    if (!webhook_signature_valid(settings_.secret, *timestamp, request.body, *signature, now_(),
                                 kReceiptToleranceSeconds)) {
      return Error::make(ErrorCode::Forbidden,
                         "X-Ussd-Otp-Signature does not match or the timestamp is stale");
    }
    const StrictJson parsed = parse_json_strict(request.body);
    if (!parsed.duplicate_key.empty()) {
      return Error::make(ErrorCode::ValidationError,
                         "webhook delivery report has a " + duplicate_key_message(parsed));
    }
    const json& body = parsed.value;
    std::vector<const json*> reports;
    if (body.is_object()) {
      reports.push_back(&body);
    } else if (body.is_array() && !body.empty()) {
      for (const auto& entry : body) reports.push_back(&entry);
    } else {
      return Error::make(ErrorCode::ValidationError,
                         "webhook delivery report is not a JSON object or array of objects");
    }
    std::vector<Receipt> receipts;
    for (const json* report : reports) {
      const auto text_of = [report](std::string_view name) {
        return wire::scalar_text(wire::member(*report, name));
      };
      auto receipt =
          wire::reported_receipt(kName, wire::first_nonempty({"id", "messageId"}, text_of), "id",
                                 text_of("status"), "status", receipt_state);
      if (!receipt.ok()) return receipt.error();
      receipt.value().error = text_of("error").value_or("");
      receipts.push_back(std::move(receipt.value()));
    }
    return receipts;
  }

 private:
  ProviderSettings settings_;
  std::function<std::int64_t()> now_;
};

}  // namespace

std::unique_ptr<SmsProvider> make_webhook_provider(const ProviderSettings& settings,
                                                   std::function<std::int64_t()> now) {
  wire::require_setting(kName, "url", settings.url);
  wire::require_setting(kName, "secret", settings.secret);
  return std::make_unique<WebhookProvider>(settings, std::move(now));
}

}  // namespace ussd_otp
