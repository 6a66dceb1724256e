// Translates GetOTP's request into core calls and the core's errors into GetOTP's error list.
#include "server/api/getotp_api.hpp"

#include <algorithm>
#include <ctime>
#include <utility>

#include "otp/codes.hpp"
#include "otp/message_template.hpp"
#include "otp/strict_json.hpp"
#include "otp/text.hpp"
#include "server/api/native_api.hpp"
#include "server/http/cidr.hpp"
#include "server/http/json_body.hpp"
#include "server/http/logging.hpp"

namespace ussd_otp {
namespace {

using nlohmann::json;
using Pistache::Http::Method;
using Pistache::Rest::Request;

constexpr int kMinCodeLength = 4;  // GetOTP's range for both `code` and `code_length`
constexpr int kMaxCodeLength = 8;
constexpr std::size_t kMaxTemplateReference = 2000;  // longer than any template we accept

const GetOtpCode* find_code(std::string_view code) {
  for (const GetOtpCode& known : kGetOtpCodes) {
    if (known.code == code) return &known;
  }
  return nullptr;
}

// Every translation names a code of GetOTP's table, so answering never looks one up in vain.
// (Compares the codes, not pointers: a sanitizer build cannot fold an address test at compile
// time.)
constexpr bool every_translation_has_a_code() {
  for (const GetOtpError& row : kGetOtpErrors) {
    bool known = false;
    for (const GetOtpCode& code : kGetOtpCodes) known = known || code.code == row.code;
    if (!known) return false;
  }
  return true;
}
static_assert(every_translation_has_a_code(), "kGetOtpErrors names a code not in kGetOtpCodes");

std::string format_utc(UnixSeconds at, const char* pattern) {
  const auto time = static_cast<std::time_t>(at);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[40];
  std::strftime(text, sizeof text, pattern, &utc);
  return text;
}

// The errors' "timestamp" as GetOTP's example shows it: "2025-08-18 00:00:00" (UTC).
std::string error_timestamp(UnixSeconds at) {
  return format_utc(at, "%Y-%m-%d %H:%M:%S");
}

// create_date / expire_date as GetOTP's example answer shows them: "2025-08-18T06:28:58.962Z".
// (The seed's field table says "yyyy-mm-dd hh:mm:ss" while its JSON example, the wire shape a
// client parses, is ISO 8601 with milliseconds; we follow the example. Our clock has seconds.)
std::string answer_date(UnixSeconds at) {
  return format_utc(at, "%Y-%m-%dT%H:%M:%S.000Z");
}

// The path as the client called it, without the query ("/api/verify/" or "/api/verify").
std::string called_path(const HttpContext& context) {
  const std::string& target = context.raw_target;
  if (target.empty()) return "/api/verify/";
  return target.substr(0, target.find('?'));
}

ApiResponse errors_body(int status, std::string_view code, std::string_view message,
                        const HttpContext& context, const Clock& clock,
                        const std::optional<std::int64_t>& retry_after = std::nullopt,
                        std::string_view detail = {}) {
  // In the order GetOTP's example shows.
  nlohmann::ordered_json entry = {{"timestamp", error_timestamp(clock.now())},
                                  {"path", called_path(context)},
                                  {"method", "POST"},
                                  {"status", status},
                                  {"message", message},
                                  {"code", code}};
  if (!detail.empty() && detail != message) entry["detail"] = detail;
  ApiResponse response{
      status,
      nlohmann::ordered_json{{"errors", nlohmann::ordered_json::array({entry})}}.dump(
          -1, ' ', false, json::error_handler_t::replace),
      "application/json",
      {}};
  if (retry_after) response.headers.emplace_back("Retry-After", std::to_string(*retry_after));
  return response;
}

// A row of GetOTP's table: its status and its exact message (clients may compare it); what we
// know more (which field, why) goes in an extra "detail".
ApiResponse table_error(std::string_view code, std::string_view detail, const HttpContext& context,
                        const Clock& clock) {
  const GetOtpCode* known = find_code(code);
  if (!known) return errors_body(400, code, detail, context, clock);
  return errors_body(known->status, code, known->message, context, clock, std::nullopt, detail);
}

// Errors of the core or the transport in GetOTP's shape, as kGetOtpErrors says.
ApiResponse core_error(const HttpError& error, const HttpContext& context, const Clock& clock) {
  if (error.is(ErrorCode::ValidationError)) {
    // One row per field, in the order GetOTP's table lists them.
    static constexpr std::pair<std::string_view, std::string_view> kFieldCodes[] = {
        {"phone", "1523"}, {"from", "1620"},      {"message", "1624"},
        {"code", "1631"},  {"pinLength", "1623"}, {"payload", "1705"}};
    const auto& fields = error.fields();
    for (const auto& [field, code] : kFieldCodes) {
      if (auto found = fields.find(std::string(field)); found != fields.end()) {
        return table_error(code, std::string(field) + " " + found->second, context, clock);
      }
    }
    return table_error("1705", error.message(), context, clock);
  }
  for (const GetOtpError& row : kGetOtpErrors) {
    if (row.error != error.code()) continue;
    const GetOtpCode* known = find_code(row.code);
    const int status = row.status != 0 ? row.status : known->status;
    const std::optional<std::int64_t> retry_after =
        row.retry_after ? error.retry_after() : std::nullopt;
    switch (row.message) {
      case GetOtpText::Table:
        return errors_body(status, row.code, known->message, context, clock, retry_after);
      case GetOtpText::TableAndDetail:
        return errors_body(status, row.code, known->message, context, clock, retry_after,
                           error.message());
      case GetOtpText::ErrorMessage:
        return errors_body(status, row.code, error.message(), context, clock, retry_after);
    }
  }
  if (error.status() >= 500) {
    log_event(spdlog::level::warn, "getotp.error",
              {{"rid", context.request_id}, {"code", error.name()}});
  }
  return errors_body(error.status(), error.name(), error.message(), context, clock,
                     error.retry_after());
}

bool has_code_placeholder(std::string_view text) {
  return text.find("{code}") != std::string_view::npos;  // "{{code}}" contains it too
}

// The seed calls `template` a UUID ("The template ID"); we also accept the text itself, so a
// client can start without creating a template. A UUID is a stored template's id (1513 when this
// key has none); text with a space or a brace is inline text (1624 without {code}); anything
// else is a malformed id (1512).
std::variant<GetOtpTemplateRef, GetOtpRefusal> template_ref(const std::string& value) {
  if (is_uuid(value)) {
    return GetOtpTemplateRef{text::ascii_lower(value), ""};
  }
  if (value.find_first_of(" {}") != std::string::npos) {
    if (!has_code_placeholder(value)) return GetOtpRefusal{"1624", ""};
    return GetOtpTemplateRef{"", value};
  }
  return GetOtpRefusal{"1512", ""};
}

ApiResponse handle_request(const GetOtpDependencies& deps, const Request& request,
                           HttpContext& context) {
  auto parsed = parse_getotp_request(request.body(), deps.otp.policy().max_payload_bytes);
  if (auto* refusal = std::get_if<GetOtpRefusal>(&parsed)) {
    return table_error(refusal->code, refusal->message, context, deps.clock);
  }
  GetOtpRequest& body = std::get<GetOtpRequest>(parsed);

  std::string text = body.template_ref.text;
  if (!body.template_ref.uuid.empty()) {
    std::optional<MessageTemplateRecord> stored =
        deps.templates.find_template(context.api_key_id, body.template_ref.uuid);
    if (!stored) return table_error("1513", "", context, deps.clock);
    text = stored->text;
    // Refused when it was created; checked again in case the row was written by other means.
    if (!has_code_placeholder(text)) return table_error("1624", "", context, deps.clock);
  }

  OtpRequestInput input;
  input.phone = body.phone;
  input.sender = body.sender;
  input.message = std::move(text);
  input.pin_type = "NUMERIC";
  input.pin_length = body.code_length;
  input.code = body.code;
  input.payload = body.payload;
  // GetOTP issues a new code on every call; the previous one for the phone is replaced.
  input.replace_active = true;

  RequestContext request_context;
  request_context.api_key_id = context.api_key_id;
  // As on /v1/otp/request: a backend's own address counts for the per-IP limit only when the
  // operator asks (rate-limit-ip-count-peer), since it speaks for many users.
  request_context.client_ip = body.client_ip.value_or(deps.count_peer_ip ? context.client_ip : "");
  // A retry with the same Idempotency-Key answers the first OTP instead of replacing it (issue 13
  // bug 6); a bad header is 1705, a reused one 409 IDEMPOTENCY_KEY_REUSED (core_error).
  if (auto bad = apply_idempotency_key(idempotency_header(request), "getotp-verify", body.body,
                                       request_context)) {
    return core_error(*bad, context, deps.clock);
  }
  Result<OtpCreated> created = deps.otp.request(input, request_context);
  if (!created) return core_error(created.error(), context, deps.clock);

  const nlohmann::ordered_json answer = {{"account_id", context.api_client_id},
                                         {"message_id", created->id},
                                         {"phone", created->phone},
                                         {"create_date", answer_date(created->created_at)},
                                         {"expire_date", answer_date(created->expires_at)}};
  return {200, answer.dump(-1, ' ', false, json::error_handler_t::replace), "application/json", {}};
}

}  // namespace

std::variant<GetOtpRequest, GetOtpRefusal> parse_getotp_request(std::string_view text,
                                                                std::size_t max_payload_bytes) {
  StrictJson parsed = parse_json_strict(text);
  if (!parsed.ok() || !parsed.value.is_object()) {
    return GetOtpRefusal{"1705", parsed.duplicate_key.empty()
                                     ? "Invalid payload: the body must be a JSON object"
                                     : "Invalid payload: " + duplicate_key_message(parsed)};
  }
  // The seed wraps the fields in "data"; a flat body is taken as well.
  const json* data = &parsed.value;
  if (auto it = parsed.value.find("data"); it != parsed.value.end()) {
    if (!it->is_object()) return GetOtpRefusal{"1705", "Invalid payload: 'data' must be an object"};
    data = &*it;
  }

  bool bad_type = false;
  std::optional<std::string> channel = text_field(*data, "channel", bad_type);
  const std::string channel_name = text::ascii_lower(channel.value_or(""));
  // Only SMS: no voice provider exists (a voice request must not silently become an SMS).
  if (bad_type || channel_name != "sms") return GetOtpRefusal{"1515", ""};

  std::optional<std::string> sender = text_field(*data, "sender", bad_type);
  if (!sender || bad_type) return GetOtpRefusal{"1620", ""};
  std::optional<std::string> phone =
      text_field(*data, "phone", bad_type, TextNumbers::NonNegativeIntegers);
  if (bad_type) return GetOtpRefusal{"1523", ""};
  if (!phone) return GetOtpRefusal{"1621", ""};
  std::optional<std::string> tmpl = text_field(*data, "template", bad_type);
  if (bad_type) return GetOtpRefusal{"1512", ""};
  if (!tmpl) return GetOtpRefusal{"1622", ""};
  if (tmpl->size() > kMaxTemplateReference) return GetOtpRefusal{"1512", ""};

  const bool has_code = data->contains("code") && !(*data)["code"].is_null();
  const bool has_length = data->contains("code_length") && !(*data)["code_length"].is_null();
  if (has_code && has_length) return GetOtpRefusal{"1629", ""};

  GetOtpRequest request;
  if (has_code) {
    const json& code = (*data)["code"];
    // Digits as a string; a JSON number is written out (its leading zeros are already gone).
    std::string digits;
    if (code.is_string()) {
      digits = code.get<std::string>();
    } else if (code.is_number_unsigned()) {
      digits = code.dump();
    } else {
      return GetOtpRefusal{"1632", ""};
    }
    if (!digits.empty() && !text::is_digits(digits)) return GetOtpRefusal{"1632", ""};
    if (digits.size() < kMinCodeLength || digits.size() > kMaxCodeLength) {
      return GetOtpRefusal{"1631", ""};
    }
    request.code = std::move(digits);
  } else {
    // Required when `code` is absent ("at least one of 'code_length' or 'code'"); a whole number
    // or a string of digits.
    if (!has_length) {
      return GetOtpRefusal{"1623",
                           "Invalid code length: give 'data.code_length' (4-8) or "
                           "'data.code'"};
    }
    const json& length = (*data)["code_length"];
    std::optional<int> value;
    if (length.is_number_unsigned() && length.get<std::uint64_t>() <= 100) {
      value = static_cast<int>(length.get<std::uint64_t>());
    } else if (length.is_string()) {
      const std::string digits = length.get<std::string>();
      if (text::is_digits(digits) && digits.size() <= 2) value = std::stoi(digits);
    }
    if (!value || *value < kMinCodeLength || *value > kMaxCodeLength) {
      return GetOtpRefusal{"1623", ""};
    }
    request.code_length = *value;
  }

  if (auto it = data->find("payload"); it != data->end() && !it->is_null()) {
    // A string (a JSON object is sent as its JSON text, per the seed), bounded.
    if (!it->is_string()) {
      return GetOtpRefusal{"1705",
                           "Invalid payload: 'payload' must be a string (send a JSON "
                           "object as its JSON text)"};
    }
    std::string payload = it->get<std::string>();
    if (payload.size() > max_payload_bytes) {
      return GetOtpRefusal{"1705", "Invalid payload: 'payload' must be at most " +
                                       std::to_string(max_payload_bytes) + " bytes"};
    }
    if (!payload.empty()) request.payload = std::move(payload);
  }
  if (auto it = data->find("clientIp"); it != data->end() && !it->is_null()) {
    if (!it->is_string() || !is_ip_address(it->get<std::string>())) {
      return GetOtpRefusal{"1705", "Invalid payload: 'clientIp' must be an IPv4 or IPv6 address"};
    }
    request.client_ip = it->get<std::string>();
  }

  auto ref = template_ref(*tmpl);
  if (auto* refusal = std::get_if<GetOtpRefusal>(&ref)) return std::move(*refusal);
  request.template_ref = std::get<GetOtpTemplateRef>(std::move(ref));
  request.sender = std::move(*sender);
  request.phone = std::move(*phone);
  request.body = std::move(parsed.value);  // last: `data` points into it
  return request;
}

std::optional<std::string> getotp_template_problem(std::string_view text, std::size_t max_length) {
  if (!has_code_placeholder(text)) return "must contain {code}";
  return validate_message_template(text, max_length);
}

void add_getotp_routes(HttpServer& server, const GetOtpDependencies& deps) {
  // One route: Pistache drops a trailing slash when it matches, so "/api/verify" (no slash) is
  // served by it as well; errors name the path as called.
  server.add_route(
      {.method = Method::Post,
       .path = "/api/verify/",
       .handler = [deps](const Request& r, HttpContext& c) { return handle_request(deps, r, c); },
       .body = RouteBody::Any,
       .filters = {server.api_key_filter()},
       .render_error = [deps](const HttpError& e,
                              const HttpContext& c) { return core_error(e, c, deps.clock); }});
}

}  // namespace ussd_otp
