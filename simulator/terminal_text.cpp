#include "simulator/terminal_text.hpp"

#include <algorithm>
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

}  // namespace

std::vector<std::string> utf8_characters(std::string_view text) {
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

namespace {

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
  const std::vector<std::string> chars = utf8_characters(text);
  std::string out;
  for (std::size_t i = 0; i < chars.size() && i < max_characters; ++i) out += visible(chars[i]);
  if (chars.size() > max_characters) {
    out += "... (" + std::to_string(chars.size() - max_characters) + " more characters)";
  }
  return out;
}

}  // namespace ussd_otp::sim
