// What every SMS gateway adapter repeats: form encoding and decoding, JSON that never throws,
// classification by HTTP status, Basic auth, and reading the fields of a delivery report.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "delivery/provider.hpp"

namespace ussd_otp {

// One factory per adapter (delivery/providers/<name>.cpp); make_provider picks one by name.
std::unique_ptr<SmsProvider> make_africastalking_provider(const ProviderSettings& settings);
std::unique_ptr<SmsProvider> make_arkesel_provider(const ProviderSettings& settings);
std::unique_ptr<SmsProvider> make_hubtel_provider(const ProviderSettings& settings);
std::unique_ptr<SmsProvider> make_twilio_provider(const ProviderSettings& settings);
// `now` is the clock receipts are checked against (Unix seconds); std::time when empty.
std::unique_ptr<SmsProvider> make_webhook_provider(const ProviderSettings& settings,
                                                   std::function<std::int64_t()> now = {});

namespace sms_wire {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Throws std::invalid_argument("sms-<provider>-<setting> is required") when `value` is empty.
void require_setting(std::string_view provider, std::string_view setting, std::string_view value);
// require_setting for each (setting, value), in order.
void require_settings(
    std::string_view provider,
    std::initializer_list<std::pair<std::string_view, std::string_view>> settings);
// `base_url` without trailing slashes, or `fallback` when it is empty.
std::string base_url(std::string_view base_url, std::string_view fallback);

// What an HTTP gateway adapter holds: its settings and its base URL (the documented one unless
// the base-url setting overrides it).
class GatewayAdapter : public SmsProvider {
 public:
  std::string_view name() const override { return name_; }

 protected:
  GatewayAdapter(std::string_view name, const ProviderSettings& settings,
                 std::string_view default_base_url)
      : name_(name),
        settings_(settings),
        base_url_(base_url(settings.base_url, default_base_url)) {}

  std::string_view name_;  // the adapter's constant
  ProviderSettings settings_;
  std::string base_url_;
};

// Percent-encodes everything but A-Z a-z 0-9 - . _ ~ (so '+' and ' ' become %2B and %20).
std::string percent_encode(std::string_view text);
// "name=value&..." in the given order, each side percent-encoded.
std::string form_encode(const Fields& fields);
// '+' is a space and %XX a byte; nullopt on a '%' not followed by two hex digits.
std::optional<std::string> form_decode(std::string_view text);
// "a=1&b=x%2By" -> {{"a","1"},{"b","x+y"}}; empty parts are skipped, a name without '=' has an
// empty value; nullopt when any part fails to decode.
std::optional<Fields> parse_form(std::string_view text);

// E.164 with and without the leading '+', from digits that may already carry one.
std::string plus_e164(std::string_view phone);
std::string digits_e164(std::string_view phone);

// "Basic " + base64(user ":" password), the original base64 alphabet with padding.
std::string basic_auth(std::string_view user, std::string_view password);

// A JSON value, or a discarded value for anything that is not JSON. Never throws.
nlohmann::json parse_json(std::string_view text);
// Serialises without throwing: invalid UTF-8 in strings is replaced, not an exception.
std::string dump_json(const nlohmann::json& value);
std::string dump_json(const nlohmann::ordered_json& value);
// obj[name] when obj is an object holding it, else nullptr. The _ci form ignores ASCII case.
const nlohmann::json* member(const nlohmann::json& obj, std::string_view name);
const nlohmann::json* member_ci(const nlohmann::json& obj, std::string_view name);
// A string as is, an integer or a finite number in its shortest form; nullopt otherwise.
std::optional<std::string> scalar_text(const nlohmann::json* value);
// An integer, an integral finite number, or a string of ASCII digits (optionally signed) that
// fits in int64; nullopt otherwise.
std::optional<std::int64_t> integer_value(const nlohmann::json* value);
std::optional<std::int64_t> parse_int64(std::string_view text);

// The first value of `name` (exact match), or nullopt.
std::optional<std::string> field(const Fields& fields, std::string_view name);

// The outcome an HTTP status alone implies, for statuses a gateway does not explain further:
// 2xx Accepted; 401, 402, 403 AccountLevel (credentials, balance or a disabled account hit
// every message); 408, 425, 429 and 5xx Transient (the gateway did not take the message, so a
// retry is safe); other 4xx Permanent (the gateway judged this request and would judge it the
// same again); 3xx AccountLevel (the base URL is wrong for every message: an API does not
// redirect a POST); anything else Unknown.
SendOutcome outcome_for_http_status(long status);
// A SendResult for an HTTP status the adapter has no better explanation for.
SendResult http_status_result(std::string_view provider, long status);
// The classification of a transfer that did not complete, so parse_send is total even though
// the sender never calls it for those: before sending Transient, after sending Unknown.
SendResult incomplete_transfer_result(const OutboundResponse& response);
// incomplete_transfer_result, or http_status_result for a status outside 2xx; nullopt for a
// completed 2xx answer, whose body the adapter reads.
std::optional<SendResult> non_2xx_result(std::string_view provider,
                                         const OutboundResponse& response);
// Unknown with this error: the gateway may have taken the message, so no blind retry.
SendResult unknown_result(std::string error);

// A POST to `url` with these headers; the body is the adapter's.
OutboundRequest post(std::string url, std::vector<std::pair<std::string, std::string>> headers);
// The sender id a message goes out under: its own, else the provider's configured one.
const std::string& sender_for(const SmsMessage& message, const ProviderSettings& settings);

// The first non-empty value `lookup` gives for `names`, tried in order; nullopt when none does.
std::optional<std::string> first_nonempty(
    std::initializer_list<std::string_view> names,
    const std::function<std::optional<std::string>(std::string_view)>& lookup);
// first_nonempty over the fields' values (field).
std::optional<std::string> first_field(const Fields& fields,
                                       std::initializer_list<std::string_view> names);

// Delivered when `status` is one of `delivered`, Failed when one of `failed` (ASCII case
// ignored), else Pending (the in-between words, and words not documented yet).
ReceiptState receipt_state(std::string_view status,
                           std::initializer_list<std::string_view> delivered,
                           std::initializer_list<std::string_view> failed);
// A report's receipt: message `id` in `status`, its state from `state_of`. VALIDATION_ERROR
// naming `id_name` and then `status_name` for each that is missing or empty.
Result<Receipt> reported_receipt(std::string_view provider, const std::optional<std::string>& id,
                                 std::string_view id_name, const std::optional<std::string>& status,
                                 std::string_view status_name,
                                 ReceiptState (*state_of)(std::string_view));

// A header value by name, ignoring ASCII case (the HTTP layer lower-cases names already).
std::optional<std::string> header(const std::map<std::string, std::string>& headers,
                                  std::string_view name);

// The fields of a delivery report: the body (JSON object when the content type says JSON or
// the body starts with '{', else form-urlencoded) first, then the query string. JSON scalar
// values are turned to text; other JSON values are skipped. Errors are VALIDATION_ERROR.
Result<Fields> receipt_fields(std::string_view provider, const ReceiptRequest& request);
// VALIDATION_ERROR naming each field in `missing` ("<field> is required").
Error missing_fields_error(std::string_view provider, const std::vector<std::string>& missing);

}  // namespace sms_wire
}  // namespace ussd_otp
