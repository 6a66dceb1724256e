// Errors the OTP policy returns as values, and the Result type that carries them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ussd_otp {

// Every machine-readable error code the API can return. The HTTP layer maps each to a status;
// docs/api.md lists them all (a test keeps the two in step).
enum class ErrorCode {
  InvalidJson,
  MalformedRequest,
  ValidationError,
  InvalidPhone,
  Unauthorized,
  Forbidden,
  NotFound,
  MethodNotAllowed,
  PayloadTooLarge,
  UnsupportedMediaType,
  OtpNotFound,
  InvalidPin,
  OtpExpired,
  OtpLocked,
  OtpNotPending,
  ResendCooldown,
  ResendLimitReached,
  ActiveOtpExists,
  RateLimitExceeded,
  IdempotencyKeyReused,
  BudgetExhausted,
  BudgetDisabled,
  SenderBlocked,
  CountryNotAllowed,
  ShuttingDown,
  ServiceUnavailable,
  NoDeliveryChannel,
  VerifyAttemptsExceeded,  // on the wire RATE_LIMIT_EXCEEDED, as Sendexa documents its 429
};

inline constexpr ErrorCode kAllErrorCodes[] = {
    ErrorCode::InvalidJson,        ErrorCode::MalformedRequest,
    ErrorCode::ValidationError,    ErrorCode::InvalidPhone,
    ErrorCode::Unauthorized,       ErrorCode::Forbidden,
    ErrorCode::NotFound,           ErrorCode::MethodNotAllowed,
    ErrorCode::PayloadTooLarge,    ErrorCode::UnsupportedMediaType,
    ErrorCode::OtpNotFound,        ErrorCode::InvalidPin,
    ErrorCode::OtpExpired,         ErrorCode::OtpLocked,
    ErrorCode::OtpNotPending,      ErrorCode::ResendCooldown,
    ErrorCode::ResendLimitReached, ErrorCode::ActiveOtpExists,
    ErrorCode::RateLimitExceeded,  ErrorCode::IdempotencyKeyReused,
    ErrorCode::BudgetExhausted,    ErrorCode::BudgetDisabled,
    ErrorCode::SenderBlocked,      ErrorCode::CountryNotAllowed,
    ErrorCode::ShuttingDown,       ErrorCode::ServiceUnavailable,
    ErrorCode::NoDeliveryChannel,  ErrorCode::VerifyAttemptsExceeded,
};

// "INVALID_PIN", ...
std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::ServiceUnavailable;
  std::string message;
  std::map<std::string, std::string> fields;  // VALIDATION_ERROR: field -> problem
  std::optional<int> attempts_remaining;
  std::optional<std::int64_t> retry_after;  // seconds
  std::optional<std::string> otp_id;        // ACTIVE_OTP_EXISTS: the existing OTP
  std::optional<std::string> status;        // OTP_NOT_PENDING: the OTP's status

  static Error make(ErrorCode code, std::string message) {
    Error error;
    error.code = code;
    error.message = std::move(message);
    return error;
  }
};

// A value or an Error: std::expected's shape, which C++20 lacks.
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  const T& value() const { return std::get<T>(state_); }
  T& value() { return std::get<T>(state_); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace ussd_otp
