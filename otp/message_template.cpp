// Validation and rendering of SMS message templates with {code}, {amount} and {duration}.
#include "otp/message_template.hpp"

#include <algorithm>

#include <array>
#include <string>

namespace ussd_otp {
namespace {

constexpr std::array<std::string_view, 3> kPlaceholders = {"code", "amount", "duration"};

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_known_placeholder(std::string_view name) {
  for (const auto known : kPlaceholders) {
    if (name == known) return true;
  }
  return false;
}

// Walks the template once, calling on_text for literal runs and on_placeholder for every
// `{identifier}`. Braces that do not enclose an identifier are literal ("{ }", "{}", "a{b").
// Validation and rendering share this so they can never disagree about what is a placeholder.
template <class OnText, class OnPlaceholder>
void scan_template(std::string_view tmpl, OnText on_text, OnPlaceholder on_placeholder) {
  std::size_t literal_start = 0;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] != '{') {
      ++i;
      continue;
    }
    // "{{code}}" (the mustache form seed 001's examples use) means the same as "{code}";
    // rendered as "{" + code + "}" it would put braces around the code in the SMS.
    const bool doubled = i + 1 < tmpl.size() && tmpl[i + 1] == '{';
    const std::size_t name_start = doubled ? i + 2 : i + 1;
    std::size_t end = name_start;
    while (end < tmpl.size() && is_identifier_char(tmpl[end])) ++end;
    const std::string_view closing = doubled ? "}}" : "}";
    if (end == name_start || tmpl.substr(end, closing.size()) != closing) {
      ++i;  // a literal '{'; the next '{' may still start a placeholder ("{{code}")
      continue;
    }
    on_text(tmpl.substr(literal_start, i - literal_start));
    on_placeholder(tmpl.substr(name_start, end - name_start));
    i = end + closing.size();
    literal_start = i;
  }
  on_text(tmpl.substr(literal_start));
}

// Characters as a reader counts them: UTF-8 continuation bytes do not start a character.
std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::string singular_if_one(std::string_view unit, int amount) {
  // "1 minutes" reads wrong; units are plain English plurals ("minutes", "hours").
  if (amount == 1 && unit.size() > 1 && unit.back() == 's') unit.remove_suffix(1);
  return std::string(unit);
}

}  // namespace

std::optional<std::string> validate_message_template(std::string_view tmpl,
                                                     std::size_t max_length) {
  if (utf8_length(tmpl) > max_length) {
    return "must be at most " + std::to_string(max_length) + " characters";
  }
  // SMS text: line breaks are fine, other control characters (NUL, ESC, ...) are not.
  const bool has_control = std::any_of(tmpl.begin(), tmpl.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\n') || byte == 0x7f;
  });
  if (has_control) return std::string("must not contain control characters (line breaks are fine)");
  std::optional<std::string> unknown;
  bool has_code = false;
  scan_template(
      tmpl, [](std::string_view) {},
      [&](std::string_view name) {
        if (name == "code") has_code = true;
        if (!unknown && !is_known_placeholder(name)) {
          unknown = "unknown placeholder {" + std::string(name) + "}";
        }
      });
  if (unknown) return unknown;
  if (!has_code) return std::string("must contain {code}");
  return std::nullopt;
}

ValidityText validity_left(std::int64_t seconds_left, std::string_view unit_asked) {
  constexpr std::int64_t kQueueGraceSeconds = 5;
  const std::int64_t minutes = (seconds_left + kQueueGraceSeconds) / 60;
  if (minutes < 1) return {static_cast<int>(std::max<std::int64_t>(1, seconds_left)), "seconds"};
  if (unit_asked == "hours" && minutes >= 60) return {static_cast<int>(minutes / 60), "hours"};
  return {static_cast<int>(minutes), "minutes"};
}

std::string render_message(std::string_view tmpl, std::string_view code, int amount,
                           std::string_view duration_unit) {
  const std::string amount_text = std::to_string(amount);
  const std::string duration_text = singular_if_one(duration_unit, amount);
  std::string out;
  out.reserve(tmpl.size() + code.size() + duration_text.size());
  scan_template(
      tmpl, [&](std::string_view text) { out.append(text); },
      [&](std::string_view name) {
        if (name == "code") {
          out.append(code);
        } else if (name == "amount") {
          out.append(amount_text);
        } else if (name == "duration") {
          out.append(duration_text);
        } else {
          // Unvalidated templates: leave unknown placeholders as the sender wrote them.
          out.append("{").append(name).append("}");
        }
      });
  return out;
}

}  // namespace ussd_otp
