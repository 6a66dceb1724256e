// Decoding of application/x-www-form-urlencoded text (query strings, form bodies) via libcurl.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ussd_otp {

// '+' becomes a space and %XX its byte; nullopt when decoding fails.
std::optional<std::string> form_decode(std::string_view encoded);

}  // namespace ussd_otp
