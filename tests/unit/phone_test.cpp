// Table-driven tests for PhoneNumber::parse and display: every accepted format and common junk.
#include <catch2/catch.hpp>

#include <random>

#include <optional>
#include <string>
#include <vector>

#include "otp/phone.hpp"

namespace ussd_otp {
namespace {

struct ParseCase {
  std::string input;
  std::optional<std::string> expected;  // digits-only E.164, nullopt = rejected
};

const PhoneRules kGhana{};  // "233", 9-digit national numbers

std::optional<std::string> parsed_digits(const std::string& input, const PhoneRules& rules) {
  const auto number = PhoneNumber::parse(input, rules);
  if (!number) return std::nullopt;
  return number->e164_digits();
}

}  // namespace

TEST_CASE("PhoneNumber::parse accepts and rejects the documented formats", "[phone]") {
  const std::optional<std::string> kGh = "233241234567";
  const std::optional<std::string> kRejected = std::nullopt;
  const std::vector<ParseCase> cases = {
      // Default country, every way of writing it.
      {"+233241234567", kGh},
      {"233241234567", kGh},
      {"00233241234567", kGh},
      {"0241234567", kGh},
      {"+233 24 123 4567", kGh},
      {"+233 (0)24 123 4567", kGh},
      {"+233(0)241234567", kGh},
      {"2330241234567", kGh},
      {"+2330241234567", kGh},
      {"002330241234567", kGh},
      {"024-123-4567", kGh},
      {"024.123.4567", kGh},
      {"(024) 123 4567", kGh},
      {"  0241234567  ", kGh},
      {"0241234567\n", kGh},
      {"00 233 24 123 4567", kGh},
      // Decision: 9 bare digits not starting with 0 are a local number without its trunk 0.
      {"241234567", kGh},
      {"20 123 4567", std::optional<std::string>("233201234567")},
      // Default country with the wrong national length.
      {"024123456", kRejected},       // 8 national digits
      {"02412345678", kRejected},     // 10 national digits
      {"+23324123456", kRejected},    // 8 national digits
      {"+2332412345678", kRejected},  // 10 national digits
      {"23302412345678", kRejected},  // trunk 0 but still too long
      {"+233", kRejected},
      {"+2330", kRejected},
      {"00241234567", std::optional<std::string>("241234567")},  // "00" + Gabon-style 9 digits
      {"0024123", kRejected},                                    // international, too short
      // Other countries.
      {"+44 7911 123456", std::optional<std::string>("447911123456")},
      {"+1 415 555 2671", std::optional<std::string>("14155552671")},
      {"+1 (415) 555-2671", std::optional<std::string>("14155552671")},
      {"0044 7911 123456", std::optional<std::string>("447911123456")},
      {"447911123456", std::optional<std::string>("447911123456")},
      {"+234 803 123 4567", std::optional<std::string>("2348031234567")},
      {"+12345678", std::optional<std::string>("12345678")},                // 8 digits: shortest
      {"+123456789012345", std::optional<std::string>("123456789012345")},  // 15: longest
      {"+1234567", kRejected},                                              // 7 digits
      {"+1234567890123456", kRejected},                                     // 16 digits
      {"+0441234567", kRejected},  // country codes never start with 0
      {"000441234567", kRejected},
      // Junk.
      {"", kRejected},
      {"+", kRejected},
      {"0", kRejected},
      {"00", kRejected},
      {"   ", kRejected},
      {"---", kRejected},
      {"()", kRejected},
      {"abc", kRejected},
      {"024123456A", kRejected},
      {"02412e4567", kRejected},
      {"0241234567x", kRejected},
      {"x0241234567", kRejected},
      {"233+241234567", kRejected},
      {"++233241234567", kRejected},
      {"+ +233241234567", kRejected},
      {"0241234567+", kRejected},
      {"tel:+233241234567", kRejected},
      {"+233/241234567", kRejected},
      {"#0241234567", kRejected},
      {"0241234567;", kRejected},
      {"024_123_4567", kRejected},
      {"024\t123\t4567", kRejected},
      {"(024 123 4567", kRejected},
      {"024) 123 (4567", kRejected},
      {"((024)) 123 4567", kRejected},
      {"-1", kRejected},
      {"+233 24 123 4567 ext 9", kRejected},
      {"\xd9\xa0\xd9\xa2\xd9\xa4\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7",
       kRejected},  // Arabic-Indic digits
      {"\xef\xbc\x90\xef\xbc\x92\xef\xbc\x94\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94"
       "\xef\xbc\x95\xef\xbc\x96\xef\xbc\x97",
       kRejected},                                       // full-width digits
      {"0241234567\xc2\xa0", kRejected},                 // trailing no-break space
      {std::string("0241234567\0", 11), kRejected},      // embedded NUL
      {"0 2 4 1 2 3 4 5 6 7 0 0 0 0 0 0 0", kRejected},  // 33 raw characters
      {"+233 -  24 - 123 -  4567        ", kGh},         // exactly 32 raw characters
      {"+233 -  24 - 123 -  4567         ", kRejected},  // 33 raw characters
      {std::string(1000, '1'), kRejected},
  };
  REQUIRE(cases.size() >= 40);
  for (const auto& c : cases) {
    INFO("input: \"" << c.input << "\"");
    CHECK(parsed_digits(c.input, kGhana) == c.expected);
  }
}

TEST_CASE("PhoneNumber::parse follows the configured default country", "[phone]") {
  SECTION("another country code and length") {
    const PhoneRules uk{"44", 10};
    CHECK(parsed_digits("07911 123456", uk) == std::optional<std::string>("447911123456"));
    CHECK(parsed_digits("+44 (0)7911 123456", uk) == std::optional<std::string>("447911123456"));
    CHECK(parsed_digits("7911123456", uk) == std::optional<std::string>("447911123456"));
    CHECK_FALSE(parsed_digits("0791112345", uk));
    // Ghana is "another country" under these rules: generic E.164 checks only.
    CHECK(parsed_digits("+233241234567", uk) == std::optional<std::string>("233241234567"));
  }
  SECTION("national_number_length 0 accepts 4-14 national digits") {
    const PhoneRules any{"233", 0};
    CHECK(parsed_digits("0241234567", any) == std::optional<std::string>("233241234567"));
    CHECK(parsed_digits("012345", any) == std::optional<std::string>("23312345"));
    CHECK_FALSE(parsed_digits("01234", any));  // 4 national digits, but 7 in all: below E.164
    CHECK_FALSE(parsed_digits("0123", any));   // 3 national digits
    // Without a fixed national length there is no bare-local rule: this is read as "+241...".
    CHECK(parsed_digits("241234567", any) == std::optional<std::string>("241234567"));
    CHECK(parsed_digits("+233 (0)24 123 4567", any) == std::optional<std::string>("233241234567"));
  }
  SECTION("misconfigured rules reject everything") {
    CHECK_FALSE(parsed_digits("0241234567", PhoneRules{"", 9}));
    CHECK_FALSE(parsed_digits("0241234567", PhoneRules{"2a3", 9}));
  }
}

TEST_CASE("PhoneNumber accessors and display", "[phone]") {
  const auto gh = PhoneNumber::parse("0241234567", kGhana);
  REQUIRE(gh);
  CHECK(gh->e164_digits() == "233241234567");
  CHECK(gh->e164() == "+233241234567");
  CHECK(gh->display(kGhana) == "024 123 4567");
  CHECK(*gh == *PhoneNumber::parse("+233 (0)24 123 4567", kGhana));

  const auto uk = PhoneNumber::parse("+44 7911 123456", kGhana);
  REQUIRE(uk);
  CHECK(uk->display(kGhana) == "+447911123456");

  const auto us = PhoneNumber::parse("+1 415 555 2671", kGhana);
  REQUIRE(us);
  CHECK(us->display(kGhana) == "+14155552671");

  // A default-country number of a length other than 9 falls back to trunk 0 + national digits.
  const PhoneRules any{"233", 0};
  const auto short_local = PhoneNumber::parse("0123456", any);
  REQUIRE(short_local);
  CHECK(short_local->display(any) == "0123456");
  CHECK(gh->display(any) == "024 123 4567");

  // Displayed under rules whose length it does not fit: not a local number any more.
  CHECK(gh->display(PhoneRules{"233", 10}) == "+233241234567");
}

}  // namespace ussd_otp

TEST_CASE("PhoneNumber::parse never accepts anything but digits-only E.164 (random input)",
          "[phone]") {
  // A cheap stand-in for a fuzzer: random strings over an alphabet rich in the characters the
  // parser treats specially, plus random mutations of valid numbers.
  const ussd_otp::PhoneRules rules;
  const std::string alphabet = "0123456789+()-. 0023\t\xc3\xa9x";
  std::mt19937 random(20261121);  // fixed seed: a failure is reproducible
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  std::size_t accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string input;
    if (i % 2 == 0) {
      const std::size_t length = pick(40);
      for (std::size_t c = 0; c < length; ++c) input += alphabet[pick(alphabet.size())];
    } else {
      input = "+233 24 123 4567";
      input[pick(input.size())] = alphabet[pick(alphabet.size())];
    }
    const auto parsed = ussd_otp::PhoneNumber::parse(input, rules);
    if (!parsed) continue;
    ++accepted;
    const std::string& digits = parsed->e164_digits();
    INFO(input);
    REQUIRE(digits.size() >= 8);
    REQUIRE(digits.size() <= 15);
    REQUIRE(digits.find_first_not_of("0123456789") == std::string::npos);
    REQUIRE(digits[0] != '0');
    if (digits.rfind("233", 0) == 0) REQUIRE(digits.size() == 12);
    // Normalising is idempotent: the output parses to itself.
    REQUIRE(ussd_otp::PhoneNumber::parse(parsed->e164(), rules)->e164_digits() == digits);
  }
  CHECK(accepted > 1000);  // the mutations of a valid number must often stay valid
}
