// SMS message templates: "{code}" is required; "{amount}" and "{duration}" are optional.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ussd_otp {

inline constexpr std::string_view kDefaultMessageTemplate =
    "Your code is {code}. Valid for {amount} {duration}.";

// nullopt when valid; otherwise a message for the client, e.g. "must contain {code}",
// "unknown placeholder {name}", "must be at most 480 characters".
std::optional<std::string> validate_message_template(std::string_view tmpl, std::size_t max_length);

// Replaces every placeholder. `duration_unit` is "minutes" or "hours"; it is made singular when
// amount == 1 ("1 minute").
std::string render_message(std::string_view tmpl, std::string_view code, int amount,
                           std::string_view duration_unit);

}  // namespace ussd_otp
