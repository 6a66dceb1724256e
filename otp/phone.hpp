// Phone number parsing: what subscribers and backends type, normalised to digits-only E.164.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ussd_otp {

struct PhoneRules {
  // Country calling code used for local numbers written with a trunk 0 ("0241234567").
  std::string default_country_code = "233";
  // Digits after the country code for numbers in the default country (Ghana: 9). 0 = any 4-14.
  int national_number_length = 9;
};

class PhoneNumber {
 public:
  // Accepts "+233241234567", "233241234567", "00233241234567", "0241234567" (local, default
  // country), "+233 (0)24 123 4567", with spaces, dashes, dots and parentheses as separators.
  // Rejects letters, other symbols, a '+' anywhere but first, and lengths outside E.164 (8-15
  // digits in all; exactly default_country_code + national_number_length for the default country).
  static std::optional<PhoneNumber> parse(std::string_view input, const PhoneRules& rules);

  // Digits only, country code first: "233241234567".
  const std::string& e164_digits() const { return digits_; }
  // "+233241234567".
  std::string e164() const { return "+" + digits_; }
  // For screens: "024 123 4567" in the default country, "+44 7911 123456"-style otherwise.
  std::string display(const PhoneRules& rules) const;

  bool operator==(const PhoneNumber&) const = default;

 private:
  explicit PhoneNumber(std::string digits) : digits_(std::move(digits)) {}
  std::string digits_;
};

}  // namespace ussd_otp
