// SMS message templates: "{code}" is required; "{amount}" and "{duration}" are optional. Each may
// also be written "{{code}}" (mustache style), with the same meaning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ussd_otp {

inline constexpr std::string_view kDefaultMessageTemplate =
    "Your code is {code}. Valid for {amount} {duration}.";

// nullopt when valid; otherwise a message for the client, e.g. "must contain {code}",
// "unknown placeholder {name}", "must be at most 480 characters".
std::optional<std::string> validate_message_template(std::string_view tmpl, std::size_t max_length);

// What "{amount} {duration}" say when an SMS leaves: the validity left then, not the OTP's full
// expiry, so a resend a minute before the end does not promise five more minutes. Rounded down
// to the minute (after a few seconds' grace for the queue, so a first send still reads "5
// minutes"); in hours only when the client asked in hours; in seconds under a minute.
struct ValidityText {
  int amount = 0;
  std::string unit;  // "seconds", "minutes" or "hours"
};
ValidityText validity_left(std::int64_t seconds_left, std::string_view unit_asked);

// Replaces every placeholder. `duration_unit` is "minutes" or "hours"; it is made singular when
// amount == 1 ("1 minute").
std::string render_message(std::string_view tmpl, std::string_view code, int amount,
                           std::string_view duration_unit);

}  // namespace ussd_otp
