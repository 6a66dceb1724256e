// Arkesel SMS API v2: a JSON POST to /api/v2/sms/send, and delivery reports Arkesel sends to
// the callback_url we pass with each message.
//
// Unverified or ambiguous (docs/reference: sms-gateways.md A.2), and how each is read here:
// - The official docs (developers.arkesel.com) are not in our corpus: field names come from
//   Arkesel's Java library, the error mapping and callback shape from a third-party SDK
//   (kalourmade/arkesel-sdk). Everything is parsed defensively.
// - Success: any 2xx with `"status":"success"` (any case). The first `data` entry with an `id`
//   is ours (one recipient per request). A `data` entry `{"invalid numbers":[...]}` that is not
//   empty, with no id entry, is Permanent (we send one number, so the invalid one is ours).
//   A 2xx without either, or with another status, or not JSON, is Unknown: the request reached
//   Arkesel and the SMS may have gone.
// - A 2xx whose `status` is missing or not "success" but whose `data` holds an id stays
//   Unknown, not Accepted: the reference shows ids only inside `"status":"success"` answers
//   (sms-gateways.md A.2, from the Java library and kalourmade's models), so such an answer is
//   undocumented and could be a partial failure. The id is kept, though, so a delivery report
//   for it still matches the attempt (and settles it) instead of being lost.
// - `sms-arkesel-sender` is required at startup: Arkesel's send needs `sender` (at most 11
//   characters) and has no default sender id.
// - HTTP 402 (balance) and 401/403 (bad api-key or inactive gateway) are AccountLevel; 422
//   (validation: a bad number or message) and other 4xx Permanent; 429 and 5xx Transient.
// - Delivery reports: documented (third-party) as GET with `sms_id` and `status` in the query.
//   A POST with the same fields as a form or JSON body is accepted too, and `id` stands in for
//   `sms_id`. Statuses compare case-insensitively with ' ' and '-' read as '_'; an unknown word
//   is Pending. Arkesel signs nothing: put a secret in callback_url and check it in the HTTP
//   layer.
#include <array>

#include "delivery/providers/wire.hpp"
#include "otp/text.hpp"

namespace ussd_otp {
namespace {

using nlohmann::json;
namespace wire = sms_wire;

constexpr std::string_view kName = "arkesel";
constexpr std::string_view kDefaultBaseUrl = "https://sms.arkesel.com";

std::string normalized_status(std::string_view status) {
  std::string out = text::ascii_lower(status);
  for (char& c : out) {
    if (c == ' ' || c == '-') c = '_';
  }
  return out;
}

// SUBMITTED, QUEUED, SENT, PENDING, and undocumented words are Pending.
ReceiptState receipt_state(std::string_view status) {
  return wire::receipt_state(
      normalized_status(status), {"delivered"},
      {"not_delivered", "expired", "prohibited", "failed", "rejected", "undelivered"});
}

class ArkeselProvider final : public wire::GatewayAdapter {
 public:
  explicit ArkeselProvider(const ProviderSettings& settings)
      : GatewayAdapter(kName, settings, kDefaultBaseUrl) {}

  OutboundRequest build_send(const SmsMessage& message, std::int64_t) const override {
    OutboundRequest request =
        wire::post(base_url_ + "/api/v2/sms/send", {{"api-key", settings_.api_key},
                                                    {"Content-Type", "application/json"},
                                                    {"Accept", "application/json"}});
    nlohmann::ordered_json body;
    body["sender"] = wire::sender_for(message, settings_);
    body["message"] = message.text;
    body["recipients"] = nlohmann::ordered_json::array({wire::digits_e164(message.phone)});
    if (!settings_.receipt_url.empty()) body["callback_url"] = settings_.receipt_url;
    request.body = wire::dump_json(body);
    return request;
  }

  SendResult parse_send(const OutboundResponse& response) const override {
    if (auto unsuccessful = wire::non_2xx_result(kName, response)) {
      if (response.result == TransferResult::Completed && response.status == 402) {
        unsuccessful->error = "arkesel answered HTTP 402: insufficient balance";
      }
      if (response.result == TransferResult::Completed && response.status == 422) {
        unsuccessful->error = "arkesel answered HTTP 422: validation error";
      }
      return *unsuccessful;
    }
    const json body = wire::parse_json(response.body);
    const auto status = wire::scalar_text(wire::member(body, "status"));
    if (!status || !text::equals_ignoring_case(*status, "success")) {
      SendResult result = wire::unknown_result(
          "arkesel answered HTTP " + std::to_string(response.status) + " without status success");
      const json* data = wire::member(body, "data");
      if (data != nullptr && data->is_array()) {
        for (const auto& entry : *data) {
          if (auto id = wire::scalar_text(wire::member(entry, "id")); id && !id->empty()) {
            result.message_id = std::move(*id);  // undocumented: unknown, but matchable
            break;
          }
        }
      }
      if (status) result.gateway_status = *status;
      return result;
    }
    const json* data = wire::member(body, "data");
    bool invalid_number = false;
    if (data != nullptr && data->is_array()) {
      for (const auto& entry : *data) {
        if (auto id = wire::scalar_text(wire::member(entry, "id")); id && !id->empty()) {
          SendResult result;
          result.outcome = SendOutcome::Accepted;
          result.message_id = std::move(*id);
          result.gateway_status = *status;
          return result;
        }
        const json* invalid = wire::member(entry, "invalid numbers");
        if (invalid != nullptr && invalid->is_array() && !invalid->empty()) invalid_number = true;
      }
    }
    if (invalid_number) {
      SendResult result;
      result.outcome = SendOutcome::Permanent;
      result.gateway_status = "invalid numbers";
      result.error = "arkesel listed the recipient under invalid numbers";
      return result;
    }
    return wire::unknown_result("arkesel answered success with no message id");
  }

  bool accepts_receipts() const override { return true; }

  Result<std::vector<Receipt>> parse_receipt(const ReceiptRequest& request) const override {
    auto fields = wire::receipt_fields(kName, request);
    if (!fields.ok()) return fields.error();
    auto receipt = wire::reported_receipt(
        kName, wire::first_field(fields.value(), {"sms_id", "id"}), "sms_id",
        wire::first_field(fields.value(), {"status"}), "status", receipt_state);
    if (!receipt.ok()) return receipt.error();
    return std::vector<Receipt>{std::move(receipt.value())};
  }
};

}  // namespace

std::unique_ptr<SmsProvider> make_arkesel_provider(const ProviderSettings& settings) {
  // Arkesel has no default sender id.
  wire::require_settings(kName, {{"api-key", settings.api_key}, {"sender", settings.sender}});
  return std::make_unique<ArkeselProvider>(settings);
}

}  // namespace ussd_otp
