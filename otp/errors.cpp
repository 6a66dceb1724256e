// Names of the API's error codes.
#include "otp/errors.hpp"

namespace ussd_otp {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidJson:
      return "INVALID_JSON";
    case ErrorCode::MalformedRequest:
      return "MALFORMED_REQUEST";
    case ErrorCode::ValidationError:
      return "VALIDATION_ERROR";
    case ErrorCode::InvalidPhone:
      return "INVALID_PHONE";
    case ErrorCode::Unauthorized:
      return "UNAUTHORIZED";
    case ErrorCode::Forbidden:
      return "FORBIDDEN";
    case ErrorCode::NotFound:
      return "NOT_FOUND";
    case ErrorCode::MethodNotAllowed:
      return "METHOD_NOT_ALLOWED";
    case ErrorCode::PayloadTooLarge:
      return "PAYLOAD_TOO_LARGE";
    case ErrorCode::UnsupportedMediaType:
      return "UNSUPPORTED_MEDIA_TYPE";
    case ErrorCode::OtpNotFound:
      return "OTP_NOT_FOUND";
    case ErrorCode::InvalidPin:
      return "INVALID_PIN";
    case ErrorCode::OtpExpired:
      return "OTP_EXPIRED";
    case ErrorCode::OtpLocked:
      return "OTP_LOCKED";
    case ErrorCode::OtpNotPending:
      return "OTP_NOT_PENDING";
    case ErrorCode::ResendCooldown:
      return "RESEND_COOLDOWN";
    case ErrorCode::ResendLimitReached:
      return "RESEND_LIMIT_REACHED";
    case ErrorCode::ActiveOtpExists:
      return "ACTIVE_OTP_EXISTS";
    case ErrorCode::RateLimitExceeded:
      return "RATE_LIMIT_EXCEEDED";
    case ErrorCode::IdempotencyKeyReused:
      return "IDEMPOTENCY_KEY_REUSED";
    case ErrorCode::BudgetExhausted:
      return "BUDGET_EXHAUSTED";
    case ErrorCode::BudgetDisabled:
      return "BUDGET_DISABLED";
    case ErrorCode::SenderBlocked:
      return "SENDER_BLOCKED";
    case ErrorCode::CountryNotAllowed:
      return "COUNTRY_NOT_ALLOWED";
    case ErrorCode::ShuttingDown:
      return "SHUTTING_DOWN";
    case ErrorCode::ServiceUnavailable:
      return "SERVICE_UNAVAILABLE";
    case ErrorCode::NoDeliveryChannel:
      return "NO_DELIVERY_CHANNEL";
    case ErrorCode::VerifyAttemptsExceeded:
      // Sendexa (whose paths /v1/otp/* are) documents one 429 code; the message says which limit.
      return "RATE_LIMIT_EXCEEDED";
  }
  return "SERVICE_UNAVAILABLE";
}

}  // namespace ussd_otp
