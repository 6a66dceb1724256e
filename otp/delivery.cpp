// Names of delivery outcomes, as stored in delivery_attempts.outcome and shown by the API.
#include "otp/delivery.hpp"

#include "otp/enum_names.hpp"

namespace ussd_otp {
namespace {

constexpr auto kOutcomeNames = enum_names<SendOutcome>({
    {SendOutcome::Accepted, "accepted"},
    {SendOutcome::Permanent, "permanent"},
    {SendOutcome::AccountLevel, "account"},
    {SendOutcome::Transient, "transient"},
    {SendOutcome::Unknown, "unknown"},
});

}  // namespace

std::string_view to_string(SendOutcome outcome) {
  return name_of(kOutcomeNames, outcome, "unknown");
}

std::optional<SendOutcome> send_outcome_from_string(std::string_view text) {
  return value_named(kOutcomeNames, text);
}

}  // namespace ussd_otp
