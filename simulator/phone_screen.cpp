#include "simulator/phone_screen.hpp"

#include <cstdio>

namespace ussd_otp::sim {
namespace {

// Byte length of the UTF-8 sequence starting with `lead` (1 for a stray byte).
std::size_t sequence_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

std::vector<std::string> characters(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length =
        std::min(sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
    // A sequence cut short by a byte that does not continue it is one stray byte.
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) length = 1;
    }
    out.emplace_back(text.substr(i, length));
    i += length;
  }
  return out;
}

void wrap_paragraph(const std::vector<std::string>& chars, std::size_t width,
                    std::vector<std::string>& lines) {
  std::size_t start = 0;
  while (chars.size() - start > width) {
    // Break at the last space within the width, else mid-word.
    std::size_t cut = start + width;
    std::size_t space = cut;
    while (space > start && chars[space] != " ") --space;
    if (space > start) cut = space;
    std::string line;
    for (std::size_t i = start; i < cut; ++i) line += chars[i];
    lines.push_back(line);
    start = (chars[cut] == " ") ? cut + 1 : cut;
  }
  std::string line;
  for (std::size_t i = start; i < chars.size(); ++i) line += chars[i];
  lines.push_back(line);
}

std::string fixed(double value, int decimals) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// A character as a terminal may safely show it.
std::string visible(const std::string& c) {
  const auto lead = static_cast<unsigned char>(c[0]);
  if (c == "\n") return c;
  if (c == "\t") return "\\t";
  if (c == "\r") return "\\r";
  char escaped[8];
  if (lead < 0x20 || lead == 0x7f) {
    std::snprintf(escaped, sizeof escaped, "\\x%02x", lead);
    return escaped;
  }
  // C1 controls (U+0080-U+009F) steer some terminals as ESC does.
  if (c.size() == 2 && lead == 0xC2 && static_cast<unsigned char>(c[1]) < 0xA0) {
    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c[1]));
    return escaped;
  }
  if ((lead >= 0x80 && lead < 0xC0) || lead >= 0xF8 || c.size() < sequence_length(lead)) return "?";
  for (std::size_t i = 1; i < c.size(); ++i) {
    if ((static_cast<unsigned char>(c[i]) & 0xC0) != 0x80) return "?";
  }
  return c;
}

}  // namespace

std::string printable(std::string_view text, std::size_t max_characters) {
  const std::vector<std::string> chars = characters(text);
  std::string out;
  for (std::size_t i = 0; i < chars.size() && i < max_characters; ++i) out += visible(chars[i]);
  if (chars.size() > max_characters) {
    out += "... (" + std::to_string(chars.size() - max_characters) + " more characters)";
  }
  return out;
}

std::string_view to_string(SessionState state) {
  switch (state) {
    case SessionState::Continue:
      return "continue";
    case SessionState::Ended:
      return "ended";
    case SessionState::TimedOut:
      return "timed out";
    case SessionState::Failed:
      return "failed";
  }
  return "?";
}

std::vector<std::string> wrap_screen(std::string_view text, std::size_t width) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (true) {
    const std::size_t newline = text.find('\n', begin);
    wrap_paragraph(characters(text.substr(begin, newline - begin)), width, lines);
    if (newline == std::string_view::npos) break;
    begin = newline + 1;
  }
  return lines;
}

std::string describe_cost(std::string_view text, std::size_t limit) {
  const ScreenMeasure measure = measure_screen(text);
  std::string out;
  if (measure.gsm7) {
    out = std::to_string(measure.septets) + "/" + std::to_string(limit) + " GSM-7";
    if (measure.septets > limit) out += " TOO LONG: a handset would cut it";
    return out;
  }
  std::string culprit;
  for (const std::string& c : characters(text)) {
    if (!measure_screen(c).gsm7) {
      culprit = c;
      break;
    }
  }
  out = std::to_string(measure.characters) + "/" + std::to_string(limit / 2) +
        " UCS-2 (forced by '" + printable(culprit, 1) + "')";
  if (measure.characters > limit / 2) out += " TOO LONG: a handset would cut it";
  return out;
}

std::string render_phone(const PhoneView& view, std::size_t width) {
  const std::string rule = "+" + std::string(width, '-') + "+\n";
  std::string out = rule;
  for (const std::string& line : wrap_screen(printable(view.text, 2 * view.limit), width)) {
    const std::size_t shown = characters(line).size();
    out += "|" + line + std::string(width - shown, ' ') + "|\n";
  }
  out += rule;
  if (view.state == SessionState::Failed) {
    out += " aggregator failure: nothing reaches the handset\n";
  } else {
    out += " " + describe_cost(view.text, view.limit) + "\n";
  }
  out += " " + std::string(to_string(view.state)) + " | step " + fixed(view.step_seconds, 3) +
         " s | session " + fixed(view.session_seconds, 1) + " s\n";
  return out;
}

}  // namespace ussd_otp::sim
