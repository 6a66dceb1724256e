// Hubtel SMS (Ghana): a JSON POST to /v1/messages/send with Basic auth, and status polls of
// GET /v1/messages/{id} (Hubtel documents no push delivery report).
//
// Unverified or ambiguous (docs/reference: sms-gateways.md A.3), and how each is read here:
// - Host: the default is sms.hubtel.com, the host of Hubtel's own send docs (GET and POST forms,
//   businessdocs-developers.hubtel.com); smsc.hubtel.com, which many integrations use with the
//   same paths, is the other reading. Both are accepted: set sms-hubtel-base-url to choose.
// - `To`: ambiguous (with or without '+'). Sent as international digits without '+'
//   ("233241234567"): the notes we have show no `To` example from Hubtel itself; third-party
//   SDKs send "+233...", "233..." and local "05..." alike, so every form is evidently taken,
//   and the digits form is the one Ghanaian gateways share (Arkesel documents it) and needs no
//   encoding of '+' anywhere.
// - Status polls: Hubtel's developer portal limits its listed endpoints to 5 requests/min
//   (docs-developers.hubtel.com), so delivery-status-polls-per-minute defaults to 5.
// - Replies: the current API answers camelCase (`status`, `messageId`, `rate`), the older one
//   PascalCase (`Status`, `MessageId`, `Rate`, pyhubtel-sms): keys are matched ignoring case.
//   `status` may be a number or a string of digits.
// - 200/201 with sub-code 0 is Accepted, even without a messageId (Hubtel said it took the
//   message; it just cannot be polled). A 2xx with another sub-code is judged like a 400 with
//   it. A 2xx that is not JSON or has no sub-code is Unknown: the SMS may have gone.
// - 400 sub-codes 1-8 are Permanent (8 parameters invalid, 5 bad delivery time: this request
//   would fail again), 12 (payment required) AccountLevel, any other sub-code or none Permanent.
//   401 and 402 AccountLevel; 403 (recipient has not approved messages) and 404 Permanent;
//   429, 500, 502 and other 5xx Transient.
// - Status poll: the answer's status is read from `status`/`Status` (a string) at the top level
//   or under `data` (the developer portal wraps replies as {"message","responseCode","data"}).
//   "Delivered" is Delivered; "Failed", "Undelivered", "Rejected", "Expired" Failed; any other
//   word Pending. A non-200 answer or one without a status word gives no receipt.
#include <array>

#include "delivery/providers/wire.hpp"

namespace ussd_otp {
namespace {

using nlohmann::json;
namespace wire = sms_wire;

constexpr std::string_view kName = "hubtel";
constexpr std::string_view kDefaultBaseUrl = "https://sms.hubtel.com";

struct SubCode {
  int code;
  std::string_view meaning;
  SendOutcome outcome;
};

constexpr std::array<SubCode, 10> kSubCodes = {{
    {1, "invalid destination", SendOutcome::Permanent},
    {2, "invalid source", SendOutcome::Permanent},
    {3, "message body too long", SendOutcome::Permanent},
    {4, "message not routable", SendOutcome::Permanent},
    {5, "invalid delivery time", SendOutcome::Permanent},
    {6, "content rejected", SendOutcome::Permanent},
    {7, "parameter not allowed", SendOutcome::Permanent},
    {8, "parameter invalid", SendOutcome::Permanent},
    {12, "payment required", SendOutcome::AccountLevel},
    {0, "accepted", SendOutcome::Accepted},
}};

const SubCode* sub_code(std::int64_t code) {
  for (const auto& entry : kSubCodes) {
    if (entry.code == code) return &entry;
  }
  return nullptr;
}

SendResult sub_code_result(std::int64_t code) {
  SendResult result;
  result.gateway_status = std::to_string(code);
  if (const SubCode* entry = sub_code(code); entry != nullptr) {
    result.outcome = entry->outcome;
    result.error = "hubtel status " + std::to_string(code) + ": " + std::string(entry->meaning);
  } else {
    result.outcome = SendOutcome::Permanent;
    result.error = "hubtel status " + std::to_string(code);
  }
  return result;
}

// Sent, Submitted, Pending, ... are Pending.
ReceiptState poll_state(std::string_view status) {
  return wire::receipt_state(status, {"Delivered"},
                             {"Failed", "Undelivered", "Rejected", "Expired"});
}

// The status word of a poll answer, at the top level or under `data`.
std::optional<std::string> poll_status(const json& body) {
  const json* status = wire::member_ci(body, "status");
  if (status != nullptr && status->is_string()) return status->get<std::string>();
  const json* data = wire::member_ci(body, "data");
  if (data == nullptr) return std::nullopt;
  status = wire::member_ci(*data, "status");
  if (status != nullptr && status->is_string()) return status->get<std::string>();
  return std::nullopt;
}

class HubtelProvider final : public wire::GatewayAdapter {
 public:
  explicit HubtelProvider(const ProviderSettings& settings)
      : GatewayAdapter(kName, settings, kDefaultBaseUrl),
        authorization_(wire::basic_auth(settings.client_id, settings.client_secret)) {}

  OutboundRequest build_send(const SmsMessage& message, std::int64_t) const override {
    OutboundRequest request =
        wire::post(base_url_ + "/v1/messages/send", {{"Authorization", authorization_},
                                                     {"Content-Type", "application/json"},
                                                     {"Accept", "application/json"}});
    nlohmann::ordered_json body;
    body["From"] = wire::sender_for(message, settings_);
    body["To"] = wire::digits_e164(message.phone);
    body["Content"] = message.text;
    request.body = wire::dump_json(body);
    return request;
  }

  SendResult parse_send(const OutboundResponse& response) const override {
    if (response.result != TransferResult::Completed)
      return wire::incomplete_transfer_result(response);
    const json body = wire::parse_json(response.body);
    const auto code = wire::integer_value(wire::member_ci(body, "status"));
    const long http = response.status;
    if (http >= 200 && http < 300) {
      if (!code) {
        return wire::unknown_result("hubtel answered HTTP " + std::to_string(http) +
                                    " with no status");
      }
      if (*code != 0) return sub_code_result(*code);
      SendResult result;
      result.outcome = SendOutcome::Accepted;
      result.gateway_status = "0";
      result.message_id = wire::scalar_text(wire::member_ci(body, "messageId")).value_or("");
      result.cost = wire::scalar_text(wire::member_ci(body, "rate")).value_or("");
      return result;
    }
    if (http == 400 && code && *code != 0) return sub_code_result(*code);
    SendResult result = wire::http_status_result(kName, http);
    if (http == 403) {
      result.outcome = SendOutcome::Permanent;
      result.error = "hubtel answered HTTP 403: the recipient has not approved messages";
    } else if (http == 402) {
      result.error = "hubtel answered HTTP 402: not enough credit";
    } else if (http == 401) {
      result.error = "hubtel answered HTTP 401: authorization failed";
    }
    return result;
  }

  std::optional<OutboundRequest> build_status_poll(std::string_view message_id) const override {
    if (message_id.empty()) return std::nullopt;
    OutboundRequest request;
    request.method = "GET";
    request.url = base_url_ + "/v1/messages/" + wire::percent_encode(message_id);
    request.headers = {{"Authorization", authorization_}, {"Accept", "application/json"}};
    return request;
  }

  std::optional<Receipt> parse_status_poll(std::string_view message_id,
                                           const OutboundResponse& response) const override {
    if (response.result != TransferResult::Completed || response.status != 200) return std::nullopt;
    const json body = wire::parse_json(response.body);
    const auto status = poll_status(body);
    if (!status || status->empty()) return std::nullopt;
    Receipt receipt;
    receipt.message_id = std::string(message_id);
    receipt.status = *status;
    receipt.state = poll_state(*status);
    return receipt;
  }

 private:
  std::string authorization_;
};

}  // namespace

std::unique_ptr<SmsProvider> make_hubtel_provider(const ProviderSettings& settings) {
  wire::require_settings(
      kName, {{"client-id", settings.client_id}, {"client-secret", settings.client_secret}});
  return std::make_unique<HubtelProvider>(settings);
}

}  // namespace ussd_otp
