// Dial strings as subscribers type them ("*889*142*0241234567#") and as aggregators forward them.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ussd_otp {

// "*889*142*0241234567#" -> {"889", "142", "0241234567"}. Tolerates a missing leading '*' or
// trailing '#' ("713*2", as Hubtel sends ServiceCode) and surrounding spaces.
std::vector<std::string> dial_segments(std::string_view dialled);

// "*889*142#" for any spelling of the same code ("889*142", " *889*142# ").
std::string canonical_service_code(std::string_view code);

// Looks like a dial string rather than an answer: starts with '*' or ends with '#'.
bool looks_like_dial_string(std::string_view text);

struct DialMatch {
  std::string service_code;            // canonical form of the configured code that matched
  std::vector<std::string> prefilled;  // what the subscriber typed after it
};

// Matches `dialled` against the configured codes (the longest one wins, so "*889*142#" beats
// "*889#"). nullopt when it is none of ours.
std::optional<DialMatch> match_service_code(std::span<const std::string> service_codes,
                                            std::string_view dialled);

}  // namespace ussd_otp
