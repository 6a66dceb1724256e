// Looks codes up in the envelope's error table.
#include "server/http/errors.hpp"

namespace ussd_otp {
namespace {

// Every ErrorCode, by a switch without a default: -Wswitch (an error in this build) names a code
// added to otp/errors.hpp here, and the static_assert below then requires its row in kErrorTable
// (without one it would answer as SERVICE_UNAVAILABLE, and no docs check would notice).
constexpr bool is_error_code(int value) {
  switch (static_cast<ErrorCode>(value)) {
    case ErrorCode::InvalidJson:
    case ErrorCode::MalformedRequest:
    case ErrorCode::ValidationError:
    case ErrorCode::InvalidPhone:
    case ErrorCode::Forbidden:
    case ErrorCode::NotFound:
    case ErrorCode::OtpNotFound:
    case ErrorCode::InvalidPin:
    case ErrorCode::OtpExpired:
    case ErrorCode::OtpLocked:
    case ErrorCode::OtpNotPending:
    case ErrorCode::ResendCooldown:
    case ErrorCode::ResendLimitReached:
    case ErrorCode::ActiveOtpExists:
    case ErrorCode::RateLimitExceeded:
    case ErrorCode::IdempotencyKeyReused:
    case ErrorCode::BudgetExhausted:
    case ErrorCode::BudgetDisabled:
    case ErrorCode::SenderBlocked:
    case ErrorCode::CountryNotAllowed:
    case ErrorCode::ServiceUnavailable:
    case ErrorCode::NoDeliveryChannel:
    case ErrorCode::VerifyAttemptsExceeded:
      return true;
  }
  return false;
}

constexpr bool is_transport_code(int value) {
  switch (static_cast<TransportCode>(value)) {
    case TransportCode::Unauthorized:
    case TransportCode::MethodNotAllowed:
    case TransportCode::PayloadTooLarge:
    case TransportCode::UnsupportedMediaType:
    case TransportCode::ShuttingDown:
      return true;
  }
  return false;
}

constexpr bool has_row(AnyErrorCode code) {
  for (const ErrorRow& row : kErrorTable) {
    if (row.code == code) return true;
  }
  return false;
}

// The enums count from 0 without gaps (no enumerator has an explicit value).
constexpr bool every_code_has_a_row() {
  for (int value = 0; is_error_code(value); ++value) {
    if (!has_row(static_cast<ErrorCode>(value))) return false;
  }
  for (int value = 0; is_transport_code(value); ++value) {
    if (!has_row(static_cast<TransportCode>(value))) return false;
  }
  return true;
}
static_assert(every_code_has_a_row(), "every error code needs a row in kErrorTable");

}  // namespace

const ErrorRow& error_row(AnyErrorCode code) {
  for (const ErrorRow& row : kErrorTable) {
    if (row.code == code) return row;
  }
  static constexpr ErrorRow kUnknown{ErrorCode::ServiceUnavailable, "SERVICE_UNAVAILABLE", 503};
  return kUnknown;
}

HttpError::HttpError(AnyErrorCode code, std::string message,
                     std::optional<std::int64_t> retry_after) {
  if (const auto* transport = std::get_if<TransportCode>(&code)) {
    detail_ = TransportRefusal{*transport, std::move(message), retry_after};
  } else {
    Error error = Error::make(std::get<ErrorCode>(code), std::move(message));
    error.retry_after = retry_after;
    detail_ = std::move(error);
  }
}

AnyErrorCode HttpError::code() const {
  return std::visit([](const auto& detail) { return AnyErrorCode(detail.code); }, detail_);
}

const std::string& HttpError::message() const {
  return std::visit([](const auto& detail) -> const std::string& { return detail.message; },
                    detail_);
}

const std::optional<std::int64_t>& HttpError::retry_after() const {
  return std::visit(
      [](const auto& detail) -> const std::optional<std::int64_t>& { return detail.retry_after; },
      detail_);
}

const std::map<std::string, std::string>& HttpError::fields() const {
  static const std::map<std::string, std::string> kNone;
  const Error* error = policy_error();
  return error ? error->fields : kNone;
}

}  // namespace ussd_otp
