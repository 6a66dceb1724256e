// How a screen's text fares on a handset: GSM-7 (160 octets = 182 septets) or forced into UCS-2.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ussd_otp {

struct ScreenMeasure {
  std::size_t characters = 0;  // Unicode code points
  std::size_t septets = 0;     // GSM-7 cost: extension-table characters count twice
  bool gsm7 = true;            // false: at least one character forces the whole screen to UCS-2
  bool valid_utf8 = true;
};

// Measures UTF-8 `text` against the GSM 03.38 default alphabet and its extension table.
ScreenMeasure measure_screen(std::string_view text);

// `text` with every character outside GSM-7 (and every invalid byte) replaced by '?', so text
// from elsewhere (a sender name) cannot force a screen into UCS-2.
std::string to_gsm7(std::string_view text);

// True when `text` is valid UTF-8, every character is GSM-7 and it costs at most `limit`
// characters (septets) on the handset.
bool fits_screen(std::string_view text, std::size_t limit);

// What an SMS of `text` costs: GSM-7 fits 160 septets in one message and 153 per part when
// concatenated; anything else goes as UCS-2, 70 UTF-16 units in one, 67 per part.
struct SmsSegments {
  std::size_t segments = 1;
  bool gsm7 = true;
};
SmsSegments sms_segments(std::string_view text);

}  // namespace ussd_otp
