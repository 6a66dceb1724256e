// GSM 03.38 default alphabet and extension table, as Unicode code points.
#include "otp/gsm7.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace ussd_otp {
namespace {

// Everything in the default alphabet outside printable ASCII, plus the ASCII characters that
// are missing from it (checked separately below).
constexpr std::array<char32_t, 41> kBasicNonAscii{
    U'\u00A3', U'\u00A5', U'\u00E8', U'\u00E9', U'\u00F9', U'\u00EC', U'\u00F2',
    U'\u00C7', U'\u00D8', U'\u00F8', U'\u00C5', U'\u00E5', U'\u0394', U'\u03A6',
    U'\u0393', U'\u039B', U'\u03A9', U'\u03A0', U'\u03A8', U'\u03A3', U'\u0398',
    U'\u039E', U'\u00C6', U'\u00E6', U'\u00DF', U'\u00C9', U'\u00A4', U'\u00A1',
    U'\u00C4', U'\u00D6', U'\u00D1', U'\u00DC', U'\u00A7', U'\u00BF', U'\u00E4',
    U'\u00F6', U'\u00F1', U'\u00FC', U'\u00E0', U'\n',     U'\r'};
// Sent as ESC + character: two septets each.
constexpr std::array<char32_t, 10> kExtension{U'^', U'{', U'}', U'\\', U'[',
                                              U'~', U']', U'|', U'\f', U'\u20AC'};

enum class Cost { One, Two, NotGsm };

Cost gsm_cost(char32_t c) {
  if (std::find(kExtension.begin(), kExtension.end(), c) != kExtension.end()) return Cost::Two;
  // Printable ASCII except the extension characters above and the backtick, which GSM lacks.
  if (c >= 0x20 && c < 0x7F && c != U'`') return Cost::One;
  if (std::find(kBasicNonAscii.begin(), kBasicNonAscii.end(), c) != kBasicNonAscii.end()) {
    return Cost::One;
  }
  return Cost::NotGsm;
}

// Decodes one UTF-8 sequence at text[i], advancing i; nullopt for malformed input.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  int extra = 0;
  char32_t cp = 0;
  if (lead < 0x80) {
    ++i;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    extra = 1;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3;
    cp = lead & 0x07;
  } else {
    return std::nullopt;
  }
  if (i + extra >= text.size()) return std::nullopt;  // truncated sequence
  for (int k = 1; k <= extra; ++k) {
    const auto byte = static_cast<unsigned char>(text[i + k]);
    if ((byte & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte & 0x3F);
  }
  // Overlong forms and surrogates are not valid UTF-8.
  static constexpr std::array<char32_t, 4> kMinimum{0, 0x80, 0x800, 0x10000};
  if (cp < kMinimum[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  i += extra + 1;
  return cp;
}

}  // namespace

ScreenMeasure measure_screen(std::string_view text) {
  ScreenMeasure m;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto cp = next_code_point(text, i);
    if (!cp) {
      m.valid_utf8 = false;
      m.gsm7 = false;
      ++i;
      ++m.characters;
      continue;
    }
    ++m.characters;
    switch (gsm_cost(*cp)) {
      case Cost::One:
        m.septets += 1;
        break;
      case Cost::Two:
        m.septets += 2;
        break;
      case Cost::NotGsm:
        m.gsm7 = false;
        m.septets += 1;
        break;
    }
  }
  return m;
}

std::string to_gsm7(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    const auto cp = next_code_point(text, i);
    if (!cp) {
      ++i;
      out += '?';
    } else if (gsm_cost(*cp) == Cost::NotGsm) {
      out += '?';
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

bool fits_screen(std::string_view text, std::size_t limit) {
  const ScreenMeasure m = measure_screen(text);
  return m.valid_utf8 && m.gsm7 && m.septets <= limit;
}

SmsSegments sms_segments(std::string_view text) {
  const ScreenMeasure m = measure_screen(text);
  auto parts = [](std::size_t units, std::size_t single, std::size_t per_part) {
    return units <= single ? std::size_t{1} : (units + per_part - 1) / per_part;
  };
  if (m.gsm7 && m.valid_utf8) return {parts(m.septets, 160, 153), true};
  // Characters outside the Basic Multilingual Plane (emoji) take two UTF-16 units.
  const auto astral = static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xF8) == 0xF0;
  }));
  return {parts(m.characters + astral, 70, 67), false};
}

}  // namespace ussd_otp
