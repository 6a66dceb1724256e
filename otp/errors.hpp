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

// What the OTP policy (and the layers under the server) decided. The HTTP transport's own
// refusals (no API key, wrong method, body too large or of the wrong type, draining) are
// server/http/errors.hpp's TransportCode; each API's table gives every code its wire name, status
// and message (server/http/errors.hpp for the native envelope, server/api/* for the others).
enum class ErrorCode {
  InvalidJson,
  MalformedRequest,  // a request a dialect or the framer cannot read
  ValidationError,
  InvalidPhone,
  Forbidden,
  NotFound,  // no such callback or resource (delivery reports, USSD subpaths)
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
  ServiceUnavailable,
  NoDeliveryChannel,
  VerifyAttemptsExceeded,  // on the native wire RATE_LIMIT_EXCEEDED, as Sendexa documents its 429
};

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
