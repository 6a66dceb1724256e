// Parsing of typed phone numbers into digits-only E.164, and their display form.
#include "otp/phone.hpp"

#include "otp/text.hpp"

namespace ussd_otp {
namespace {

// Longer raw input is not a phone number, and bounding it keeps parsing trivially cheap.
constexpr std::size_t kMaxRawLength = 32;
constexpr std::size_t kMinE164Digits = 8;
constexpr std::size_t kMaxE164Digits = 15;
// National number lengths allowed for the default country when national_number_length == 0.
constexpr std::size_t kMinAnyNational = 4;
constexpr std::size_t kMaxAnyNational = 14;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_separator(char c) {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

struct Stripped {
  bool plus = false;  // written with a leading '+'
  std::string digits;
};

// Removes separators; rejects any other character, a '+' that is not first, and unbalanced or
// nested parentheses (which only appear in garbage like "((24") 123").
std::optional<Stripped> strip(std::string_view text) {
  Stripped out;
  if (!text.empty() && text.front() == '+') {
    out.plus = true;
    text.remove_prefix(1);
  }
  int depth = 0;
  for (const char c : text) {
    if (is_digit(c)) {
      out.digits.push_back(c);
    } else if (c == '(') {
      if (++depth > 1) return std::nullopt;
    } else if (c == ')') {
      if (--depth < 0) return std::nullopt;
    } else if (!is_separator(c)) {
      return std::nullopt;  // letters, a second '+', '/', '#', non-ASCII (incl. Unicode digits)
    }
  }
  if (depth != 0 || out.digits.empty()) return std::nullopt;
  return out;
}

bool national_length_fits(std::size_t length, const PhoneRules& rules) {
  if (rules.national_number_length > 0) {
    return length == static_cast<std::size_t>(rules.national_number_length);
  }
  return length >= kMinAnyNational && length <= kMaxAnyNational;
}

// `national` follows the default country code. A trunk 0 written after the code, as in
// "+233 (0)24 123 4567", is dropped when the rest then has the right length.
std::optional<std::string> default_country_number(std::string_view national,
                                                  const PhoneRules& rules) {
  if (!national.empty() && national.front() == '0' &&
      national_length_fits(national.size() - 1, rules)) {
    national.remove_prefix(1);
  }
  if (national.empty() || national.front() == '0' ||
      !national_length_fits(national.size(), rules)) {
    return std::nullopt;
  }
  std::string digits = rules.default_country_code + std::string(national);
  if (digits.size() < kMinE164Digits || digits.size() > kMaxE164Digits) return std::nullopt;
  return digits;
}

// Digits that begin with a country code (after '+', "00", or bare).
std::optional<std::string> international_number(std::string_view digits, const PhoneRules& rules) {
  const std::string_view code = rules.default_country_code;
  if (!code.empty() && digits.substr(0, code.size()) == code) {
    return default_country_number(digits.substr(code.size()), rules);
  }
  // Country codes never start with 0; without a numbering plan per country, E.164 length is
  // the only check left.
  if (digits.size() < kMinE164Digits || digits.size() > kMaxE164Digits || digits.front() == '0') {
    return std::nullopt;
  }
  return std::string(digits);
}

}  // namespace

std::optional<PhoneNumber> PhoneNumber::parse(std::string_view input, const PhoneRules& rules) {
  if (input.size() > kMaxRawLength) return std::nullopt;
  if (rules.default_country_code.empty() || !text::all_digits(rules.default_country_code)) {
    return std::nullopt;  // misconfigured rules cannot produce a trustworthy number
  }
  const auto stripped = strip(text::trim(input, text::kBlanksAndNewlines));
  if (!stripped) return std::nullopt;
  const std::string_view digits = stripped->digits;

  std::optional<std::string> e164;
  if (stripped->plus) {
    e164 = international_number(digits, rules);
  } else if (digits.substr(0, 2) == "00") {
    e164 = international_number(digits.substr(2), rules);  // international dialling prefix
  } else if (digits.front() == '0') {
    e164 = default_country_number(digits.substr(1), rules);  // trunk 0: a local number
  } else if (rules.national_number_length > 0 &&
             digits.size() == static_cast<std::size_t>(rules.national_number_length)) {
    // Decision: bare digits of exactly the national length ("241234567") are a local number
    // typed without its trunk 0. Subscribers do this often, while an international number that
    // short without '+' or "00" is implausible (8-9 digit E.164 numbers are rare and would
    // normally come with a '+' from a backend).
    e164 = default_country_number(digits, rules);
  } else {
    e164 = international_number(digits, rules);  // bare digits starting with a country code
  }
  if (!e164) return std::nullopt;
  return PhoneNumber(std::move(*e164));
}

std::string PhoneNumber::display(const PhoneRules& rules) const {
  const std::string& code = rules.default_country_code;
  const bool in_default_country = !code.empty() && digits_.size() > code.size() &&
                                  digits_.compare(0, code.size(), code) == 0 &&
                                  national_length_fits(digits_.size() - code.size(), rules);
  if (!in_default_country) {
    // No per-country numbering plan to group by, so other countries stay unambiguous E.164.
    return e164();
  }
  const std::string_view national = std::string_view(digits_).substr(code.size());
  // Appended piecewise: GCC 12 reports a false -Wrestrict on `"0" + std::string` at -O3.
  std::string out = "0";
  if (national.size() == 9) {
    // As written locally: trunk 0 then 3-3-4 ("024 123 4567").
    out.append(national.substr(0, 2)).append(" ").append(national.substr(2, 3)).append(" ");
    out.append(national.substr(5));
  } else {
    out.append(national);
  }
  return out;
}

}  // namespace ussd_otp
