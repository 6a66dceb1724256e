// The GetOTP-compatible endpoint (seed 003): POST /api/verify/ with GetOTP's body, answer and
// error codes over the same OTP core.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "otp/clock.hpp"
#include "otp/otp_service.hpp"
#include "otp/store.hpp"
#include "server/http/server.hpp"

namespace ussd_otp {

struct GetOtpDependencies {
  OtpService& otp;
  TemplateStore& templates;
  const Clock& clock;
  bool count_peer_ip = false;  // rate-limit-ip-count-peer
};

struct GetOtpCode {
  std::string_view code;
  int status;
  std::string_view message;
};

// Every code of GetOTP's error table, with its status and published message.
inline constexpr std::array<GetOtpCode, 14> kGetOtpCodes{{
    {"1136", 401, "User Not Authorized"},
    {"1512", 400, "Invalid template id"},
    {"1513", 400, "Template is not found"},
    {"1515", 400, "Invalid channel specified"},
    {"1523", 400, "Invalid recipient number(s)"},
    {"1620", 400, "'sender' is missing"},
    {"1621", 400, "'phone' is missing"},
    {"1622", 400, "'template' is missing"},
    {"1623", 400, "Invalid code length"},
    {"1624", 400, "Template does not contain keyword {code}"},
    {"1629", 400, "Provide either 'data.code' or 'data.code_length' but not both"},
    {"1631", 400,
     "When 'data.channel' is not VOICE 'data.code' must be valid and 4 to 8 characters long"},
    {"1632", 400, "'data.code' should be numeric if provided"},
    {"1705", 400, "Invalid payload"},
}};

// How an error (the policy's or the transport's) answers on GetOTP's route: the row of
// kGetOtpCodes it is reported as. Any other error keeps the native code name and status
// (BUDGET_EXHAUSTED, SHUTTING_DOWN, ...: docs/api.md lists them); VALIDATION_ERROR picks the row
// of its first field in GetOTP's order.
enum class GetOtpText {
  Table,           // the row's message
  TableAndDetail,  // the row's message, and the error's message as "detail"
  ErrorMessage,    // the error's own message
};
struct GetOtpError {
  AnyErrorCode error;
  std::string_view code;
  GetOtpText message;
  int status = 0;  // 0: the row's
  bool retry_after = false;
};
inline constexpr GetOtpError kGetOtpErrors[] = {
    {.error = TransportCode::Unauthorized, .code = "1136", .message = GetOtpText::Table},
    // "Invalid payload": the closest row for a body that is not a JSON object.
    {.error = ErrorCode::InvalidJson, .code = "1705", .message = GetOtpText::TableAndDetail},
    {.error = ErrorCode::MalformedRequest, .code = "1705", .message = GetOtpText::TableAndDetail},
    {.error = TransportCode::PayloadTooLarge,
     .code = "1705",
     .message = GetOtpText::TableAndDetail,
     .status = 413},
    {.error = ErrorCode::InvalidPhone, .code = "1523", .message = GetOtpText::TableAndDetail},
    {.error = ErrorCode::CountryNotAllowed, .code = "1523", .message = GetOtpText::TableAndDetail},
    {.error = ErrorCode::SenderBlocked, .code = "1620", .message = GetOtpText::TableAndDetail},
    // GetOTP documents no rate-limit code. The limits that bite here are per recipient (the
    // phone's send limit, its verify throttle), so 1523 "Invalid recipient number(s)" is the
    // closest row; the status stays 429 and Retry-After says when to try again.
    {.error = ErrorCode::RateLimitExceeded,
     .code = "1523",
     .message = GetOtpText::ErrorMessage,
     .status = 429,
     .retry_after = true},
    {.error = ErrorCode::VerifyAttemptsExceeded,
     .code = "1523",
     .message = GetOtpText::ErrorMessage,
     .status = 429,
     .retry_after = true},
};

// A refusal before the core is asked: a code of kGetOtpCodes, and optionally a more precise
// message (empty: the table's).
struct GetOtpRefusal {
  std::string_view code;
  std::string message;
};

// How the request names its template: a stored template's UUID, or the text itself.
struct GetOtpTemplateRef {
  std::string uuid;  // set for a stored template
  std::string text;  // set for inline text
};

// The checked body of POST /api/verify/ (before the template is looked up).
struct GetOtpRequest {
  std::string sender;
  std::string phone;
  GetOtpTemplateRef template_ref;
  std::optional<std::string> code;
  std::optional<int> code_length;
  std::optional<std::string> payload;
  // Our extension: the end user's address for the per-IP limit ("clientIp", as on the other APIs).
  std::optional<std::string> client_ip;
  nlohmann::json body;  // the parsed body, for the Idempotency-Key fingerprint
};

// Pure: the body's fields checked in the order GetOTP's table lists them (no Pistache types),
// so the fuzzer and the handler run the same code. `max_payload_bytes` bounds `payload`.
std::variant<GetOtpRequest, GetOtpRefusal> parse_getotp_request(std::string_view body,
                                                                std::size_t max_payload_bytes);

// POST /api/verify/ (the documented trailing slash is optional: /api/verify is served too).
void add_getotp_routes(HttpServer& server, const GetOtpDependencies& deps);

// Template text for `templates create`: nullopt when usable, else why not (it must hold {code},
// and be at most `max_length` characters with known placeholders).
std::optional<std::string> getotp_template_problem(std::string_view text, std::size_t max_length);

}  // namespace ussd_otp
