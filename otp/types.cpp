// String forms of the domain enums (they are part of the API contract) and derived status.
#include "otp/types.hpp"

#include <array>
#include <utility>

namespace ussd_otp {
namespace {

constexpr std::array<std::pair<PinType, std::string_view>, 3> kPinTypeNames{{
    {PinType::Numeric, "NUMERIC"},
    {PinType::Alphanumeric, "ALPHANUMERIC"},
    {PinType::Alphabetic, "ALPHABETIC"},
}};

constexpr std::array<std::pair<OtpStatus, std::string_view>, 5> kStatusNames{{
    {OtpStatus::Pending, "pending"},
    {OtpStatus::Verified, "verified"},
    {OtpStatus::Expired, "expired"},
    {OtpStatus::Locked, "locked"},
    {OtpStatus::Cancelled, "cancelled"},
}};

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& table,
                         Enum value) {
  for (const auto& [candidate, name] : table) {
    if (candidate == value) return name;
  }
  return "unknown";
}

template <class Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& table,
                             std::string_view text) {
  for (const auto& [value, name] : table) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(PinType type) {
  return name_of(kPinTypeNames, type);
}
std::optional<PinType> pin_type_from_string(std::string_view text) {
  return value_of(kPinTypeNames, text);
}
std::string_view to_string(OtpStatus status) {
  return name_of(kStatusNames, status);
}
std::optional<OtpStatus> otp_status_from_string(std::string_view text) {
  return value_of(kStatusNames, text);
}

OtpStatus effective_status(const OtpRecord& otp, UnixSeconds now) {
  if (otp.status == OtpStatus::Pending && now >= otp.expires_at) return OtpStatus::Expired;
  return otp.status;
}

}  // namespace ussd_otp
