// Translates Arkesel's request fields into core calls and the core's errors into Arkesel codes.
#include "server/api/arkesel_api.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "otp/codes.hpp"
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

constexpr std::string_view kPlaceholder = "%otp_code%";
constexpr std::size_t kMaxVoiceMessageChars = 500;  // Arkesel's own voice limit (code 1009)
constexpr int kDefaultLength = 6;                   // Arkesel's default, for both types
constexpr std::size_t kMaxCodeInput = 64;           // as the native verify's `pin`

std::string_view message_for(std::string_view code) {
  for (const ArkeselCode& known : kArkeselCodes) {
    if (known.code == code) return known.message;
  }
  return "Internal error";
}

// {"code": "1000", "message": "..."}: Arkesel sends the code as a string.
ApiResponse reply(int status, std::string_view code, std::string_view message = {}) {
  const json body = {{"code", code}, {"message", message.empty() ? message_for(code) : message}};
  return {
      status, body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json", {}};
}

ApiResponse app_code(std::string_view code, std::string_view message = {}) {
  return reply(200, code, message);
}

ApiResponse with_retry_after(ApiResponse response, const std::optional<std::int64_t>& seconds) {
  if (seconds) response.headers.emplace_back("Retry-After", std::to_string(*seconds));
  return response;
}

ApiResponse missing_or_bad_body() {
  return reply(422, "422", "Validation error (Missing required field)");
}

// The 422 for a body that is not one JSON object. A repeated key is named: such a body is not
// missing anything, it says two things, and the client should see which.
ApiResponse unusable_body(const StrictJson& parsed) {
  if (parsed.duplicate_key.empty()) return missing_or_bad_body();
  return reply(422, "422", "Validation error (" + duplicate_key_message(parsed) + ")");
}

// docs/api.md gives `phone_number` (and `number`) and `code` as "string or integer", since
// clients send those either way; every other field is a string.
constexpr TextNumbers kStringOrInteger = TextNumbers::Integers;

constexpr std::string_view kTypesMessage =
    "Validation error (phone_number and code must be strings or whole numbers; sender_id, "
    "message, medium and type strings; expiry and length whole numbers)";

// A whole number given as a JSON number or a string of digits ("5"); `bad` on anything else.
std::optional<int> int_field(const json& body, const char* name, bool& bad) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  std::int64_t value = 0;
  if (it->is_number_integer()) {
    value = it->get<std::int64_t>();
  } else if (it->is_string()) {
    const std::string text = it->get<std::string>();
    if (text.empty() || text.size() > 9 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      bad = true;
      return std::nullopt;
    }
    value = std::stoll(text);
  } else {
    bad = true;
    return std::nullopt;
  }
  if (value < 0 || value > 1'000'000) {
    bad = true;
    return std::nullopt;
  }
  return static_cast<int>(value);
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// "Validation error (length must be 4-8 for NUMERIC)": the core's field problems in Arkesel's
// field names, so a client sees which field to fix.
std::string validation_message(const std::map<std::string, std::string>& fields) {
  static const std::map<std::string, std::string> kArkeselNames = {
      {"phone", "phone_number"}, {"from", "sender_id"},   {"message", "message"},
      {"pinType", "type"},       {"pinLength", "length"}, {"expiry.amount", "expiry"}};
  std::string detail;
  for (const auto& [field, problem] : fields) {
    auto named = kArkeselNames.find(field);
    if (!detail.empty()) detail += "; ";
    detail += (named == kArkeselNames.end() ? field : named->second) + " " + problem;
  }
  return "Validation error (" + detail + ")";
}

// Any error on an Arkesel route, as kArkeselErrors says; the rest is the route's internal error.
ApiResponse arkesel_error(const HttpError& error, const HttpContext& context, ArkeselRoute route) {
  for (const ArkeselError& row : kArkeselErrors) {
    if (row.error != error.code() || (row.route != route && row.route != ArkeselRoute::Both)) {
      continue;
    }
    std::string message;
    switch (row.message) {
      case ArkeselText::Table:
        break;  // reply() fills in the table's
      case ArkeselText::Fixed:
        message = row.text;
        break;
      case ArkeselText::ErrorMessage:
        message = error.message();
        break;
      case ArkeselText::FieldProblems:
        message = validation_message(error.fields());
        break;
      case ArkeselText::RetrySentence:
        message = (row.text.empty() ? error.message() : std::string(row.text)) + " Retry after " +
                  std::to_string(error.retry_after().value_or(1)) + " seconds.";
        break;
    }
    ApiResponse response = reply(row.status, row.code, message);
    return row.retry_after ? with_retry_after(std::move(response), error.retry_after()) : response;
  }
  log_event(spdlog::level::warn, "arkesel.internal_error",
            {{"rid", context.request_id}, {"code", error.name()}});
  return app_code(route == ArkeselRoute::Generate ? "1011" : "1106");
}

ApiResponse handle_generate(const ArkeselDependencies& deps, const Request& request,
                            HttpContext& context) {
  auto parsed = parse_arkesel_generate(request.body(), deps.voice_delivery);
  if (auto* refusal = std::get_if<ApiResponse>(&parsed)) return std::move(*refusal);
  const ArkeselGenerateRequest& generate = std::get<ArkeselGenerateRequest>(parsed);
  const OtpRequestInput& input = generate.input;

  RequestContext request_context;
  request_context.api_key_id = context.api_key_id;
  // As on /v1/otp/request: the end user's address if named, the peer's only when configured.
  request_context.client_ip =
      generate.end_user_ip.value_or(deps.count_peer_ip ? context.client_ip : "");
  // A retried generate with the same Idempotency-Key answers as the first did and does not
  // replace the code the user already has (issue 13 bug 6).
  if (auto bad = apply_idempotency_key(idempotency_header(request), "arkesel-generate",
                                       generate.body, request_context)) {
    return app_code("1001", "Validation error (Idempotency-Key must be 1-255 characters)");
  }
  Result<OtpCreated> created = deps.otp.request(input, request_context);
  if (!created) return arkesel_error(created.error(), context, ArkeselRoute::Generate);
  if (created->delivery == "ussd") {
    // USSD-only delivery (declared by the operator): the code is readable on *889*142#.
    return app_code("1000", "Successful, code available over USSD");
  }
  return app_code("1000");
}

ApiResponse handle_verify(const ArkeselDependencies& deps, const Request& request,
                          HttpContext& context) {
  auto parsed = parse_arkesel_verify(request.body());
  if (auto* refusal = std::get_if<ApiResponse>(&parsed)) return std::move(*refusal);
  const std::string& phone = std::get<ArkeselVerifyInput>(parsed).phone;
  const std::string& code = std::get<ArkeselVerifyInput>(parsed).code;
  const bool code_was_integer = std::get<ArkeselVerifyInput>(parsed).code_was_integer;

  Result<OtpVerified> verified =
      deps.otp.verify_latest(context.api_key_id, phone, code, code_was_integer);
  if (!verified) return arkesel_error(verified.error(), context, ArkeselRoute::Verify);
  return app_code("1100");
}

}  // namespace

std::variant<ArkeselGenerateRequest, ApiResponse> parse_arkesel_generate(std::string_view text,
                                                                         bool voice_delivery) {
  StrictJson parsed = parse_json_strict(text);
  if (!parsed.ok() || !parsed.value.is_object()) return unusable_body(parsed);
  const json& body = parsed.value;

  bool bad_type = false;
  std::optional<std::string> phone = text_field(body, "phone_number", bad_type, kStringOrInteger);
  if (!phone) {  // the name Arkesel's docs also use
    phone = text_field(body, "number", bad_type, kStringOrInteger);
  }
  std::optional<std::string> sender = text_field(body, "sender_id", bad_type);
  std::optional<std::string> message = text_field(body, "message", bad_type);
  // A number where text belongs is 1001 like a missing field, but says what is wrong.
  if (!phone || !sender || !message)
    return bad_type ? app_code("1001", kTypesMessage) : app_code("1001");
  if (message->find(kPlaceholder) == std::string::npos) return app_code("1002");

  std::optional<std::string> medium = text_field(body, "medium", bad_type);
  std::optional<std::string> type = text_field(body, "type", bad_type);
  bool bad_number = false;
  std::optional<int> expiry = int_field(body, "expiry", bad_number);
  std::optional<int> length = int_field(body, "length", bad_number);
  if (bad_type || bad_number) return app_code("1001", kTypesMessage);
  const std::string medium_name = text::ascii_lower(medium.value_or("sms"));
  if (medium_name != "sms" && medium_name != "voice") {
    return app_code("1001", "Validation error (medium must be sms or voice)");
  }
  const std::string type_name = text::ascii_lower(type.value_or("numeric"));
  if (type_name != "numeric" && type_name != "alphanumeric") {
    return app_code("1001", "Validation error (type must be numeric or alphanumeric)");
  }
  if (medium_name == "voice") {
    if (utf8_length(*message) > kMaxVoiceMessageChars) return app_code("1009");
    if (!voice_delivery) return app_code("1004");
  }

  OtpRequestInput input;
  input.phone = *phone;
  input.sender = *sender;
  input.message = replace_all(*message, kPlaceholder, "{code}");
  input.pin_type = type_name == "numeric" ? "NUMERIC" : "ALPHANUMERIC";
  input.pin_length = length.value_or(kDefaultLength);
  input.expiry_amount = expiry;
  input.expiry_duration = "minutes";
  input.replace_active = true;  // "generate" twice must work for Arkesel clients

  std::optional<std::string> end_user_ip;
  if (const auto found = body.find("clientIp"); found != body.end()) {
    if (!found->is_string() || !is_ip_address(found->get<std::string>())) {
      return app_code("1001", "Validation error (clientIp must be an IPv4 or IPv6 address)");
    }
    end_user_ip = found->get<std::string>();
  }
  return ArkeselGenerateRequest{std::move(input), std::move(end_user_ip), std::move(parsed.value)};
}

std::variant<ArkeselVerifyInput, ApiResponse> parse_arkesel_verify(std::string_view text) {
  const StrictJson parsed = parse_json_strict(text);
  if (!parsed.ok() || !parsed.value.is_object()) return unusable_body(parsed);
  const json& body = parsed.value;

  bool bad_type = false;
  std::optional<std::string> phone = text_field(body, "phone_number", bad_type, kStringOrInteger);
  if (!phone) phone = text_field(body, "number", bad_type, kStringOrInteger);
  std::optional<std::string> code = text_field(body, "code", bad_type, kStringOrInteger);
  // Only spaces is a missing code, like "" (issue 13 bug 5): no attempt is spent on it.
  if (!phone || !code || bad_type || is_blank_pin_input(*code)) return app_code("1101");
  // Longer than any code can be: wrong without spending an attempt on it.
  if (code->size() > kMaxCodeInput) return app_code("1104");
  return ArkeselVerifyInput{*phone, *code, body["code"].is_number_integer()};
}

void add_arkesel_routes(HttpServer& server, const ArkeselDependencies& deps) {
  struct Endpoint {
    const char* path;
    ApiResponse (*handle)(const ArkeselDependencies&, const Request&, HttpContext&);
    ArkeselRoute route;
  };
  static constexpr Endpoint kEndpoints[] = {
      {"/api/otp/generate", handle_generate, ArkeselRoute::Generate},
      {"/api/otp/verify", handle_verify, ArkeselRoute::Verify},
  };
  for (const Endpoint& endpoint : kEndpoints) {
    server.add_route(
        {.method = Method::Post,
         .path = endpoint.path,
         .handler = [deps, handle = endpoint.handle](const Request& r,
                                                     HttpContext& c) { return handle(deps, r, c); },
         .body = RouteBody::Any,
         .filters = {server.api_key_filter()},
         .render_error = [route = endpoint.route](
                             const HttpError& e,
                             const HttpContext& c) { return arkesel_error(e, c, route); }});
  }
}

}  // namespace ussd_otp
