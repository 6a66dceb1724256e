// The transport's own errors (wrong method, body too large or of the wrong type, no API key,
// draining) next to the OTP policy's (otp/errors.hpp), and the envelope's one table: every code's
// wire name and HTTP status. Every list of codes (docs/api.md's check, the tests' coverage check)
// is derived from kErrorTable.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "otp/errors.hpp"

namespace ussd_otp {

// Refusals of the HTTP layer itself, before any handler or policy runs.
enum class TransportCode {
  Unauthorized,
  MethodNotAllowed,
  PayloadTooLarge,
  UnsupportedMediaType,
  ShuttingDown,
};

// A policy outcome or a transport refusal: the code a response reports.
using AnyErrorCode = std::variant<ErrorCode, TransportCode>;

// One row of the envelope's table ({"success":false,"error":{"code":...}}, the native API's
// shape, which every route without its own renderer answers in).
struct ErrorRow {
  AnyErrorCode code;
  std::string_view name;  // on the wire: "INVALID_PIN"
  int status;
};

inline constexpr ErrorRow kErrorTable[] = {
    {ErrorCode::InvalidJson, "INVALID_JSON", 400},
    {ErrorCode::MalformedRequest, "MALFORMED_REQUEST", 400},
    {ErrorCode::ValidationError, "VALIDATION_ERROR", 400},
    {ErrorCode::InvalidPhone, "INVALID_PHONE", 400},
    {TransportCode::Unauthorized, "UNAUTHORIZED", 401},
    {ErrorCode::Forbidden, "FORBIDDEN", 403},
    {ErrorCode::NotFound, "NOT_FOUND", 404},
    {TransportCode::MethodNotAllowed, "METHOD_NOT_ALLOWED", 405},
    {TransportCode::PayloadTooLarge, "PAYLOAD_TOO_LARGE", 413},
    {TransportCode::UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", 415},
    {ErrorCode::OtpNotFound, "OTP_NOT_FOUND", 404},
    {ErrorCode::InvalidPin, "INVALID_PIN", 400},
    {ErrorCode::OtpExpired, "OTP_EXPIRED", 400},
    {ErrorCode::OtpLocked, "OTP_LOCKED", 423},
    {ErrorCode::OtpNotPending, "OTP_NOT_PENDING", 409},
    {ErrorCode::ResendCooldown, "RESEND_COOLDOWN", 429},
    {ErrorCode::ResendLimitReached, "RESEND_LIMIT_REACHED", 429},
    {ErrorCode::ActiveOtpExists, "ACTIVE_OTP_EXISTS", 400},  // Sendexa's status for it
    {ErrorCode::RateLimitExceeded, "RATE_LIMIT_EXCEEDED", 429},
    {ErrorCode::IdempotencyKeyReused, "IDEMPOTENCY_KEY_REUSED", 409},
    {ErrorCode::BudgetExhausted, "BUDGET_EXHAUSTED", 402},
    {ErrorCode::BudgetDisabled, "BUDGET_DISABLED", 402},
    {ErrorCode::SenderBlocked, "SENDER_BLOCKED", 403},
    {ErrorCode::CountryNotAllowed, "COUNTRY_NOT_ALLOWED", 403},
    {TransportCode::ShuttingDown, "SHUTTING_DOWN", 503},
    {ErrorCode::ServiceUnavailable, "SERVICE_UNAVAILABLE", 503},
    {ErrorCode::NoDeliveryChannel, "NO_DELIVERY_CHANNEL", 503},
    // Sendexa (whose paths /v1/otp/* are) documents one 429 code; the message says which limit.
    {ErrorCode::VerifyAttemptsExceeded, "RATE_LIMIT_EXCEEDED", 429},
};

// The code's row; a code without one answers as SERVICE_UNAVAILABLE.
const ErrorRow& error_row(AnyErrorCode code);
inline std::string_view error_name(AnyErrorCode code) {
  return error_row(code).name;
}
inline int http_status_for(AnyErrorCode code) {
  return error_row(code).status;
}

// What the server reports about a request: the policy's Error (with its fields), or a transport
// refusal, which has only a message and maybe a retry_after. Either way it holds one code.
class HttpError {
 public:
  HttpError(Error error) : detail_(std::move(error)) {}  // NOLINT: implicit
  // A refusal with only a message (and maybe a retry_after): a transport code, or a policy code
  // raised outside the core (the framer's MALFORMED_REQUEST).
  HttpError(AnyErrorCode code, std::string message,
            std::optional<std::int64_t> retry_after = std::nullopt);

  AnyErrorCode code() const;
  bool is(ErrorCode other) const { return code() == AnyErrorCode(other); }
  bool is(TransportCode other) const { return code() == AnyErrorCode(other); }
  const std::string& message() const;
  const std::optional<std::int64_t>& retry_after() const;
  // VALIDATION_ERROR's field -> problem map (empty for any other error).
  const std::map<std::string, std::string>& fields() const;
  // The policy's Error with all its details; nullptr for a transport refusal.
  const Error* policy_error() const { return std::get_if<Error>(&detail_); }
  std::string_view name() const { return error_name(code()); }
  int status() const { return http_status_for(code()); }

 private:
  struct TransportRefusal {
    TransportCode code;
    std::string message;
    std::optional<std::int64_t> retry_after;
  };
  std::variant<Error, TransportRefusal> detail_;
};

}  // namespace ussd_otp
