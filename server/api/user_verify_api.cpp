// Translates seed 002's /otp/verify fields into a verify of the newest code for (key, phone), and
// the core's errors into that API's statuses and bodies.
#include "server/api/user_verify_api.hpp"

#include <algorithm>
#include <utility>

#include "otp/phone.hpp"
#include "otp/strict_json.hpp"
#include "otp/text.hpp"
#include "server/http/logging.hpp"

namespace ussd_otp {
namespace {

using nlohmann::json;
using Pistache::Rest::Request;

constexpr std::size_t kMaxFieldBytes = 256;  // longer than any client id, phone or code

ApiResponse body(int status, const nlohmann::ordered_json& content) {
  return {
      status, content.dump(-1, ' ', false, json::error_handler_t::replace), "application/json", {}};
}

// {"error": "http_exception", "message": "Invalid json format"} and the like.
ApiResponse error_message(int status, std::string_view error, std::string_view message) {
  return body(status, {{"error", error}, {"message", message}});
}

const UserVerifyErrorRow& row_of(UserVerifyError error) {
  for (const UserVerifyErrorRow& row : kUserVerifyErrors) {
    if (row.error == error) return row;
  }
  return kUserVerifyErrors[0];  // unreachable: the table has a row for each
}

ApiResponse answer(UserVerifyError error) {
  const UserVerifyErrorRow& row = row_of(error);
  return error_message(row.status, row.name, row.message);
}

// 422 invalid_parameters: each problem field at the top level, as the seed's table writes them
// ("client_id": {"missing": "required"}, "user_id": "field required", ...).
ApiResponse invalid_parameters(const json& problems) {
  const UserVerifyErrorRow& row = row_of(UserVerifyError::InvalidParameters);
  nlohmann::ordered_json content = {{"error", row.name}};
  for (const auto& [field, problem] : problems.items()) content[field] = problem;
  return body(row.status, content);
}

ApiResponse with_retry_after(ApiResponse response, const std::optional<std::int64_t>& seconds) {
  if (seconds) response.headers.emplace_back("Retry-After", std::to_string(*seconds));
  return response;
}

bool blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// Errors of the core, or raised around the handler (size, drain, storage failure), in this
// API's shape.
ApiResponse verify_error(const HttpError& error, const HttpContext& context) {
  if (error.is(ErrorCode::InvalidJson) || error.is(ErrorCode::MalformedRequest)) {
    return answer(UserVerifyError::NotJson);
  }
  if (error.is(ErrorCode::VerifyAttemptsExceeded) || error.is(ErrorCode::RateLimitExceeded)) {
    return with_retry_after(answer(UserVerifyError::TooMany), error.retry_after());
  }
  if (error.is(ErrorCode::InvalidPhone) || error.is(ErrorCode::OtpNotFound)) {
    // The seed's "Invalid user_id (not existing)": no code was sent to this number.
    return invalid_parameters({{"user_id", {{"invalid", "invalid value"}}}});
  }
  if (error.is(ErrorCode::InvalidPin) || error.is(ErrorCode::OtpLocked) ||
      error.is(ErrorCode::OtpExpired) || error.is(ErrorCode::OtpNotPending)) {
    // Wrong, expired, locked or already used: the seed answers all of them alike.
    return answer(UserVerifyError::InvalidCode);
  }
  if (error.status() >= 500) {
    log_event(spdlog::level::warn, "user_verify.error",
              {{"rid", context.request_id}, {"code", error.name()}});
  }
  return with_retry_after(error_message(error.status(), "http_exception", error.message()),
                          error.retry_after());
}

ApiResponse handle_verify(const UserVerifyDependencies& deps, const Request& request,
                          HttpContext& context) {
  auto parsed = parse_user_verify(request.body(), deps.otp.policy().phone_rules);
  if (auto* refusal = std::get_if<ApiResponse>(&parsed)) return std::move(*refusal);
  const UserVerifyInput& input = std::get<UserVerifyInput>(parsed);

  std::optional<ApiKeyRecord> key = deps.keys.find_api_key_by_client_id(input.client_id);
  if (!key) return answer(UserVerifyError::UnknownClient);
  context.api_key_id = key->id;
  context.api_key_prefix = key->prefix;

  Result<OtpVerified> verified = deps.otp.verify_latest(key->id, input.user_id, input.code);
  if (!verified) return verify_error(verified.error(), context);
  return body(200, {{"message", "Verify OTP successfully"},
                    {"client_id", input.client_id},
                    {"user_id", input.user_id},
                    {"verified", true}});
}

}  // namespace

std::variant<UserVerifyInput, ApiResponse> parse_user_verify(std::string_view text,
                                                             const PhoneRules& phone_rules) {
  if (blank(text)) return answer(UserVerifyError::EmptyBody);
  const StrictJson parsed = parse_json_strict(text);
  if (!parsed.ok() || !parsed.value.is_object()) {
    return answer(UserVerifyError::NotJson);
  }
  const json& fields = parsed.value;
  json problems = json::object();

  // A field as text: nullopt when absent (`removed`), "" for null or an empty string; numbers
  // are written out (a phone sent as a number), other types are kept as "\x01" (invalid).
  auto read = [&](const char* name, bool& removed) -> std::string {
    auto it = fields.find(name);
    removed = it == fields.end();
    if (removed || it->is_null()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_unsigned()) return it->dump();
    return std::string(1, '\x01');
  };

  bool removed = false;
  UserVerifyInput input;
  input.client_id = read("client_id", removed);
  if (removed) {
    problems["client_id"] = "field required";
  } else if (input.client_id.empty()) {
    problems["client_id"] = {{"missing", "required"}};
  }
  // A client id that is not text or too long can name no key: the unknown-client 403 below.

  input.user_id = read("user_id", removed);
  if (removed) {
    problems["user_id"] = "field required";
  } else if (input.user_id.empty()) {
    problems["user_id"] = {{"invalid", "invalid format"}};
  } else if (input.user_id.size() > kMaxFieldBytes ||
             !PhoneNumber::parse(input.user_id, phone_rules)) {
    // Only phone numbers are supported (auth_type sms); an email is not a value we know.
    problems["user_id"] = {{"invalid", "invalid value"}};
  }

  const std::string auth_type = text::ascii_lower(read("auth_type", removed));
  if (removed) {
    problems["auth_type"] = "field required";
  } else if (auth_type != "sms") {
    problems["auth_type"] = {{"invalid", "unsupported auth_type value"}};
  }

  input.code = read("code", removed);
  if (removed) problems["code"] = "field required";

  if (!problems.empty()) return invalid_parameters(problems);
  // The seed answers an empty code with 502 (its gateway failing); a wrong code is what it is,
  // so it gets invalid_code, without spending an attempt. Likewise a code no OTP could have.
  if (blank(input.code) || input.code.size() > kMaxFieldBytes || input.code[0] == '\x01') {
    return answer(UserVerifyError::InvalidCode);
  }
  if (input.client_id.size() > kMaxFieldBytes || input.client_id[0] == '\x01') {
    return answer(UserVerifyError::UnknownClient);
  }
  return input;
}

void add_user_verify_routes(HttpServer& server, const UserVerifyDependencies& deps) {
  server.add_route(
      {.method = Pistache::Http::Method::Post,
       .path = "/otp/verify",
       .handler = [deps](const Request& r, HttpContext& c) { return handle_verify(deps, r, c); },
       .body = RouteBody::Any,
       .render_error = [](const HttpError& e,
                          const HttpContext& c) { return verify_error(e, c); }});
}

}  // namespace ussd_otp
