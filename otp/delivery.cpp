// Names of delivery outcomes, as stored in delivery_attempts.outcome and shown by the API.
#include "otp/delivery.hpp"

#include <array>
#include <utility>

namespace ussd_otp {
namespace {

constexpr std::array<std::pair<SendOutcome, std::string_view>, 5> kOutcomeNames{{
    {SendOutcome::Accepted, "accepted"},
    {SendOutcome::Permanent, "permanent"},
    {SendOutcome::AccountLevel, "account"},
    {SendOutcome::Transient, "transient"},
    {SendOutcome::Unknown, "unknown"},
}};

}  // namespace

std::string_view to_string(SendOutcome outcome) {
  for (const auto& [value, name] : kOutcomeNames) {
    if (value == outcome) return name;
  }
  return "unknown";
}

std::optional<SendOutcome> send_outcome_from_string(std::string_view text) {
  for (const auto& [value, name] : kOutcomeNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace ussd_otp
