// Text from a server made safe for a terminal: whatever an aggregator or a stand-in server sends,
// the simulator's output cannot be steered (escape sequences, a window title) or flooded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ussd_otp::sim {

// UTF-8 text split into characters; a byte that starts no valid sequence is one "character".
std::vector<std::string> utf8_characters(std::string_view text);

// `text` safe to print: control characters shown as \t, \r, \x1b..., C1 controls as \u009b,
// stray bytes as '?', line breaks kept, and everything after `max_characters` replaced by
// "... (N more characters)".
std::string printable(std::string_view text, std::size_t max_characters = 300);

}  // namespace ussd_otp::sim
