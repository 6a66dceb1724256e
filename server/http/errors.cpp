// Looks codes up in the envelope's error table.
#include "server/http/errors.hpp"

namespace ussd_otp {

const ErrorRow& error_row(AnyErrorCode code) {
  for (const ErrorRow& row : kErrorTable) {
    if (row.code == code) return row;
  }
  static constexpr ErrorRow kUnknown{ErrorCode::ServiceUnavailable, "SERVICE_UNAVAILABLE", 503};
  return kUnknown;
}

HttpError HttpError::transport(TransportCode code, std::string message,
                               std::optional<std::int64_t> retry_after) {
  Error detail = Error::make(ErrorCode::ServiceUnavailable, std::move(message));
  detail.retry_after = retry_after;
  HttpError error(std::move(detail));
  error.code = code;
  return error;
}

}  // namespace ussd_otp
