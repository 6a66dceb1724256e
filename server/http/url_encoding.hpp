// Decoding of application/x-www-form-urlencoded text (query strings, form bodies) via libcurl.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ussd_otp {

// '+' becomes a space and %XX its byte; nullopt when decoding fails.
std::optional<std::string> form_decode(std::string_view encoded);

// "a=1&b=x%2By" -> {{"a", "1"}, {"b", "x+y"}}, in order; a name without '=' has an empty value.
// nullopt when any part fails to decode.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(
    std::string_view encoded);

}  // namespace ussd_otp
