// Shared wire helpers for the SMS gateway adapters (see wire.hpp).
#include "delivery/providers/wire.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "otp/strict_json.hpp"
#include "otp/text.hpp"

namespace ussd_otp::sms_wire {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool looks_like_json(const ReceiptRequest& request) {
  if (text::ascii_lower(request.content_type).find("json") != std::string::npos) return true;
  for (char c : request.body) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[';
  }
  return false;
}

}  // namespace

void require_setting(std::string_view provider, std::string_view setting, std::string_view value) {
  if (value.empty()) {
    throw std::invalid_argument("sms-" + std::string(provider) + "-" + std::string(setting) +
                                " is required");
  }
}

void require_settings(
    std::string_view provider,
    std::initializer_list<std::pair<std::string_view, std::string_view>> settings) {
  for (const auto& [setting, value] : settings) require_setting(provider, setting, value);
}

std::string base_url(std::string_view base_url, std::string_view fallback) {
  std::string_view url = base_url.empty() ? fallback : base_url;
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' || byte == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    }
  }
  return out;
}

std::string form_encode(const Fields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    out.append(percent_encode(name));
    out.push_back('=');
    out.append(percent_encode(value));
  }
  return out;
}

std::optional<std::string> form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_digit(text[i + 1]);
      const int low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<Fields> parse_form(std::string_view text) {
  Fields fields;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t amp = text.find('&', start);
    const std::size_t end = amp == std::string_view::npos ? text.size() : amp;
    const std::string_view part = text.substr(start, end - start);
    if (!part.empty()) {
      const std::size_t eq = part.find('=');
      auto name = form_decode(part.substr(0, eq));
      auto value =
          form_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
      if (!name || !value) return std::nullopt;
      fields.emplace_back(std::move(*name), std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return fields;
}

std::string digits_e164(std::string_view phone) {
  while (!phone.empty() && phone.front() == '+') phone.remove_prefix(1);
  return std::string(phone);
}

std::string plus_e164(std::string_view phone) {
  return "+" + digits_e164(phone);
}

std::string basic_auth(std::string_view user, std::string_view password) {
  std::string credentials(user);
  credentials.push_back(':');
  credentials.append(password);
  const std::size_t length =
      sodium_base64_encoded_len(credentials.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string encoded(length, '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(credentials.data()), credentials.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  encoded.resize(length - 1);  // the terminating NUL
  return "Basic " + encoded;
}

nlohmann::json parse_json(std::string_view text) {
  try {
    return nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  } catch (...) {
    // parse() with allow_exceptions=false reports syntax errors as a discarded value; this
    // guard is for anything else (allocation), so no byte sequence escapes as an exception.
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string dump_json(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

const nlohmann::json* member(const nlohmann::json& obj, std::string_view name) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

const nlohmann::json* member_ci(const nlohmann::json& obj, std::string_view name) {
  if (!obj.is_object()) return nullptr;
  if (const auto* exact = member(obj, name)) return exact;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (text::equals_ignoring_case(it.key(), name)) return &*it;
  }
  return nullptr;
}

std::optional<std::string> scalar_text(const nlohmann::json* value) {
  if (value == nullptr) return std::nullopt;
  if (value->is_string()) return value->get_ref<const std::string&>();
  if (value->is_number_integer() || value->is_number_unsigned()) return value->dump();
  if (value->is_number_float()) {
    if (!std::isfinite(value->get<double>())) return std::nullopt;
    return value->dump();
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t out = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return out;
}

std::optional<std::int64_t> integer_value(const nlohmann::json* value) {
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned()) {
    const auto number = value->get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(number);
  }
  if (value->is_number_integer()) return value->get<std::int64_t>();
  if (value->is_number_float()) {
    const double number = value->get<double>();
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (!std::isfinite(number) || std::trunc(number) != number || number >= 9.2233720368547758e18 ||
        number < -9.2233720368547758e18)
      return std::nullopt;
    return static_cast<std::int64_t>(number);
  }
  if (value->is_string()) return parse_int64(value->get_ref<const std::string&>());
  return std::nullopt;
}

std::optional<std::string> field(const Fields& fields, std::string_view name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  return std::nullopt;
}

SendOutcome outcome_for_http_status(long status) {
  if (status >= 200 && status < 300) return SendOutcome::Accepted;
  if (status == 401 || status == 402 || status == 403) return SendOutcome::AccountLevel;
  if (status == 408 || status == 425 || status == 429) return SendOutcome::Transient;
  if (status >= 500 && status < 600) return SendOutcome::Transient;
  if (status >= 400 && status < 500) return SendOutcome::Permanent;
  if (status >= 300 && status < 400) return SendOutcome::AccountLevel;
  return SendOutcome::Unknown;
}

SendResult http_status_result(std::string_view provider, long status) {
  SendResult result;
  result.outcome = outcome_for_http_status(status);
  result.gateway_status = std::to_string(status);
  result.error = std::string(provider) + " answered HTTP " + std::to_string(status);
  return result;
}

SendResult incomplete_transfer_result(const OutboundResponse& response) {
  SendResult result;
  result.outcome = response.result == TransferResult::FailedBeforeSend ? SendOutcome::Transient
                                                                       : SendOutcome::Unknown;
  result.error =
      response.transport_error.empty() ? "the transfer did not complete" : response.transport_error;
  return result;
}

std::optional<SendResult> non_2xx_result(std::string_view provider,
                                         const OutboundResponse& response) {
  if (response.result != TransferResult::Completed) return incomplete_transfer_result(response);
  if (response.status < 200 || response.status >= 300) {
    return http_status_result(provider, response.status);
  }
  return std::nullopt;
}

SendResult unknown_result(std::string error) {
  SendResult result;
  result.outcome = SendOutcome::Unknown;
  result.error = std::move(error);
  return result;
}

OutboundRequest post(std::string url, std::vector<std::pair<std::string, std::string>> headers) {
  OutboundRequest request;
  request.method = "POST";
  request.url = std::move(url);
  request.headers = std::move(headers);
  return request;
}

const std::string& sender_for(const SmsMessage& message, const ProviderSettings& settings) {
  return message.sender.empty() ? settings.sender : message.sender;
}

std::optional<std::string> first_nonempty(
    std::initializer_list<std::string_view> names,
    const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  for (const std::string_view name : names) {
    if (auto value = lookup(name); value && !value->empty()) return value;
  }
  return std::nullopt;
}

std::optional<std::string> first_field(const Fields& fields,
                                       std::initializer_list<std::string_view> names) {
  return first_nonempty(names, [&fields](std::string_view name) { return field(fields, name); });
}

ReceiptState receipt_state(std::string_view status,
                           std::initializer_list<std::string_view> delivered,
                           std::initializer_list<std::string_view> failed) {
  const auto named = [status](std::initializer_list<std::string_view> words) {
    return std::any_of(words.begin(), words.end(), [status](std::string_view word) {
      return text::equals_ignoring_case(status, word);
    });
  };
  if (named(delivered)) return ReceiptState::Delivered;
  if (named(failed)) return ReceiptState::Failed;
  return ReceiptState::Pending;
}

Result<Receipt> reported_receipt(std::string_view provider, const std::optional<std::string>& id,
                                 std::string_view id_name, const std::optional<std::string>& status,
                                 std::string_view status_name,
                                 ReceiptState (*state_of)(std::string_view)) {
  std::vector<std::string> missing;
  if (!id || id->empty()) missing.emplace_back(id_name);
  if (!status || status->empty()) missing.emplace_back(status_name);
  if (!missing.empty()) return missing_fields_error(provider, missing);
  Receipt receipt;
  receipt.message_id = *id;
  receipt.status = *status;
  receipt.state = state_of(*status);
  return receipt;
}

std::optional<std::string> header(const std::map<std::string, std::string>& headers,
                                  std::string_view name) {
  const auto exact = headers.find(text::ascii_lower(name));
  if (exact != headers.end()) return exact->second;
  for (const auto& [key, value] : headers) {
    if (text::equals_ignoring_case(key, name)) return value;
  }
  return std::nullopt;
}

Result<Fields> receipt_fields(std::string_view provider, const ReceiptRequest& request) {
  Fields fields;
  if (looks_like_json(request)) {
    const StrictJson parsed = parse_json_strict(request.body);
    if (!parsed.duplicate_key.empty()) {
      // Two statuses for one message: which one the gateway meant is not ours to guess.
      return Error::make(
          ErrorCode::ValidationError,
          std::string(provider) + " delivery report has a " + duplicate_key_message(parsed));
    }
    const nlohmann::json& body = parsed.value;
    if (!body.is_object()) {
      return Error::make(ErrorCode::ValidationError,
                         std::string(provider) + " delivery report is not a JSON object");
    }
    for (auto it = body.begin(); it != body.end(); ++it) {
      if (auto text = scalar_text(&*it)) fields.emplace_back(it.key(), std::move(*text));
    }
  } else if (!request.body.empty()) {
    auto form = parse_form(request.body);
    if (!form) {
      return Error::make(ErrorCode::ValidationError,
                         std::string(provider) + " delivery report is not form-urlencoded");
    }
    fields = std::move(*form);
  }
  fields.insert(fields.end(), request.query.begin(), request.query.end());
  return fields;
}

Error missing_fields_error(std::string_view provider, const std::vector<std::string>& missing) {
  std::string message = std::string(provider) + " delivery report: ";
  Error error = Error::make(ErrorCode::ValidationError, "");
  for (std::size_t i = 0; i < missing.size(); ++i) {
    if (i > 0) message.append(", ");
    message.append(missing[i] + " is required");
    error.fields[missing[i]] = "is required";
  }
  error.message = std::move(message);
  return error;
}

}  // namespace ussd_otp::sms_wire
