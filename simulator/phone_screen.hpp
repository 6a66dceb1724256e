// Draws a feature phone's screen in the terminal: the text wrapped in a fixed-width frame, its
// cost against the screen limit (GSM-7 or forced UCS-2) and the session's state. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "otp/gsm7.hpp"

namespace ussd_otp::sim {

enum class SessionState { Continue, Ended, TimedOut, Failed };
std::string_view to_string(SessionState state);

struct PhoneView {
  std::string text;  // the screen, or for Failed what the aggregator saw
  SessionState state = SessionState::Continue;
  std::size_t limit = 160;  // the dialect's screen limit, in GSM-7 characters
  double step_seconds = 0;
  double session_seconds = 0;
};

// Splits UTF-8 `text` into lines of at most `width` characters, at spaces where possible;
// '\n' in the text starts a new line.
std::vector<std::string> wrap_screen(std::string_view text, std::size_t width);

// How the text fares on a handset: "46/160 GSM-7" or "12/80 UCS-2 (forced by 'é')", and
// "TOO LONG" when over the limit. UCS-2 halves the limit.
std::string describe_cost(std::string_view text, std::size_t limit);

// The framed screen and two status lines, each ending in '\n'. A screen longer than twice the
// limit is cut (the count line still measures all of it).
std::string render_phone(const PhoneView& view, std::size_t width = 24);

// An SMS arriving on the handset: a frame titled "✉ SMS from SENDER" ("✉ SMS" without one) with
// the text wrapped inside, each line ending in '\n'. Both strings come from a server: they are
// escaped with printable(), the sender cut to fit the title.
std::string render_sms(std::string_view sender, std::string_view text, std::size_t width = 24);

}  // namespace ussd_otp::sim
