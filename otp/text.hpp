// ASCII text helpers shared by every layer: trimming, case folding and digit checks. Wire formats
// (HTTP headers, dial strings, aggregator fields) are ASCII, so none of these consult the locale,
// and none pass a plain `char` to <cctype> (undefined for bytes above 127).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace ussd_otp::text {

// HTTP's optional whitespace (RFC 9110 OWS), and what a keypad or a config list pads with.
inline constexpr std::string_view kBlanks = " \t";
// Blanks plus line ends: values pasted into a form or a key file.
inline constexpr std::string_view kBlanksAndNewlines = " \t\r\n";
// Everything std::isspace accepts in the C locale.
inline constexpr std::string_view kWhitespace = " \t\r\n\v\f";

// `text` without leading and trailing characters from `strip`.
constexpr std::string_view trim(std::string_view text, std::string_view strip = kBlanks) {
  const auto first = text.find_first_not_of(strip);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(strip);
  return text.substr(first, last - first + 1);
}

constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// True when every character is 0-9; an empty text has none that is not, so it is true too.
constexpr bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), is_digit);
}

// At least one character, and all of them 0-9.
constexpr bool is_digits(std::string_view text) {
  return !text.empty() && all_digits(text);
}

constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

inline std::string ascii_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_upper(c);
  return out;
}

// Case-insensitive ASCII equality (header names, schemes, aggregator command words).
constexpr bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

constexpr bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         equals_ignoring_case(text.substr(0, prefix.size()), prefix);
}

}  // namespace ussd_otp::text
