// String forms of the domain enums (they are part of the API contract) and derived status.
#include "otp/types.hpp"

#include "otp/enum_names.hpp"

namespace ussd_otp {
namespace {

constexpr auto kPinTypeNames = enum_names<PinType>({
    {PinType::Numeric, "NUMERIC"},
    {PinType::Alphanumeric, "ALPHANUMERIC"},
    {PinType::Alphabetic, "ALPHABETIC"},
});

constexpr auto kStatusNames = enum_names<OtpStatus>({
    {OtpStatus::Pending, "pending"},
    {OtpStatus::Verified, "verified"},
    {OtpStatus::Expired, "expired"},
    {OtpStatus::Locked, "locked"},
    {OtpStatus::Cancelled, "cancelled"},
});

}  // namespace

std::string_view to_string(PinType type) {
  return name_of(kPinTypeNames, type, "unknown");
}
std::optional<PinType> pin_type_from_string(std::string_view text) {
  return value_named(kPinTypeNames, text);
}
std::string_view to_string(OtpStatus status) {
  return name_of(kStatusNames, status, "unknown");
}
std::optional<OtpStatus> otp_status_from_string(std::string_view text) {
  return value_named(kStatusNames, text);
}

OtpStatus effective_status(const OtpRecord& otp, UnixSeconds now) {
  if (otp.status == OtpStatus::Pending && now >= otp.expires_at) return OtpStatus::Expired;
  return otp.status;
}

}  // namespace ussd_otp
