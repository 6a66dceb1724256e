// Tests for code generation: lengths, alphabets, statistical uniformity, ids and input folding.
#include <sodium.h>
#include <catch2/catch.hpp>

#include <array>
#include <cctype>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp/codes.hpp"
#include "otp/crypto.hpp"

namespace ussd_otp {
namespace {

constexpr std::array<PinType, 3> kAllTypes = {PinType::Numeric, PinType::Alphanumeric,
                                              PinType::Alphabetic};

// Pearson's chi-square statistic of observed counts against a uniform distribution.
double chi_square(const std::vector<std::int64_t>& counts) {
  std::int64_t total = 0;
  for (const auto c : counts) total += c;
  const double expected = static_cast<double>(total) / static_cast<double>(counts.size());
  double stat = 0;
  for (const auto c : counts) {
    const double d = static_cast<double>(c) - expected;
    stat += d * d / expected;
  }
  return stat;
}

// Critical values with P(X > value) = 1e-6 under the null hypothesis (computed offline from the
// regularised incomplete gamma function). A correct generator fails a check once in a million
// runs, so these never flake in practice.
constexpr double kChi2Crit9 = 44.82;   // df 9   (10 digits):   44.811
constexpr double kChi2Crit23 = 70.55;  // df 23  (24 letters):  70.550
constexpr double kChi2Crit31 = 83.65;  // df 31  (32 symbols):  83.643

// Why the sample sizes: a naive `byte % 10` makes digits 0-5 appear with p = 26/256 and 6-9
// with p = 25/256. The statistic is then noncentral with lambda = N * sum((p - 0.1)^2 / 0.1)
// = 3.66e-4 * N. With N = 200k digits lambda = 73 (mean 82, sd 17.6): only 2.1 sd above the
// critical value, so ~2% of biased runs would slip through. With N = 1M digits lambda = 366
// (mean 375, sd 38.5): 8.6 sd above 44.8, so the bias is caught essentially always.
// Likewise `byte % 24` for letters (16 letters at 11/256, 8 at 10/256): lambda = 1.95e-3 * N;
// with N = 240k, lambda = 469 (mean 492, sd 44), 9.6 sd above 70.55.
// (`byte % 32` is unbiased, so the alphanumeric check is per position, catching e.g. a
// position that is constant or drawn from part of the alphabet.)
constexpr int kNumericCodes = 125'000;      // x 8 digits = 1,000,000 digits
constexpr int kAlphabeticCodes = 24'000;    // x 10 letters = 240,000 letters
constexpr int kAlphanumericCodes = 20'000;  // x 12 positions, 625 expected per cell

std::vector<std::int64_t> symbol_counts(std::string_view alphabet, const std::string& text) {
  std::vector<std::int64_t> counts(alphabet.size(), 0);
  for (const char c : text) {
    const auto index = alphabet.find(c);
    REQUIRE(index != std::string_view::npos);
    ++counts[index];
  }
  return counts;
}

}  // namespace

TEST_CASE("alphabet_for and pin_length_range", "[codes]") {
  CHECK(alphabet_for(PinType::Numeric) == "0123456789");
  CHECK(alphabet_for(PinType::Alphanumeric) == "23456789ABCDEFGHJKLMNPQRSTUVWXYZ");
  CHECK(alphabet_for(PinType::Alphabetic) == "ABCDEFGHJKLMNPQRSTUVWXYZ");
  CHECK(alphabet_for(PinType::Alphanumeric).size() == 32);
  CHECK(alphabet_for(PinType::Alphabetic).size() == 24);
  for (const auto type : kAllTypes) {
    const auto alphabet = alphabet_for(type);
    INFO(to_string(type));
    // No look-alikes, no duplicates.
    CHECK(alphabet.find_first_of("OI") == std::string_view::npos);
    CHECK(std::set<char>(alphabet.begin(), alphabet.end()).size() == alphabet.size());
  }
  CHECK(alphabet_for(PinType::Alphanumeric).find_first_of("01") == std::string_view::npos);

  const auto numeric = pin_length_range(PinType::Numeric);
  CHECK((numeric.min == 4 && numeric.max == 8 && numeric.fallback == 6));
  const auto alnum = pin_length_range(PinType::Alphanumeric);
  CHECK((alnum.min == 6 && alnum.max == 12 && alnum.fallback == 8));
  const auto alpha = pin_length_range(PinType::Alphabetic);
  CHECK((alpha.min == 5 && alpha.max == 10 && alpha.fallback == 6));
}

TEST_CASE("generate_code has the requested length and alphabet for every type and length",
          "[codes]") {
  for (const auto type : kAllTypes) {
    const auto range = pin_length_range(type);
    const auto alphabet = alphabet_for(type);
    for (int length = range.min; length <= range.max; ++length) {
      INFO(to_string(type) << " length " << length);
      for (int i = 0; i < 50; ++i) {
        const std::string code = generate_code(type, length);
        REQUIRE(code.size() == static_cast<std::size_t>(length));
        REQUIRE(code.find_first_not_of(alphabet) == std::string::npos);
      }
    }
  }
  CHECK_THROWS_AS(generate_code(PinType::Numeric, 0), std::invalid_argument);
  CHECK_THROWS_AS(generate_code(PinType::Numeric, -1), std::invalid_argument);
}

TEST_CASE("generated codes are uniform (chi-square, p < 1e-6 critical values)", "[codes]") {
  SECTION("numeric digits") {
    std::string digits;
    digits.reserve(kNumericCodes * 8);
    for (int i = 0; i < kNumericCodes; ++i) digits += generate_code(PinType::Numeric, 8);
    const double stat = chi_square(symbol_counts(kNumericAlphabet, digits));
    INFO("chi-square " << stat);
    CHECK(stat < kChi2Crit9);
  }
  SECTION("alphabetic letters") {
    std::string letters;
    for (int i = 0; i < kAlphabeticCodes; ++i) letters += generate_code(PinType::Alphabetic, 10);
    const double stat = chi_square(symbol_counts(kAlphabeticAlphabet, letters));
    INFO("chi-square " << stat);
    CHECK(stat < kChi2Crit23);
  }
  SECTION("alphanumeric, per position") {
    std::array<std::string, 12> by_position;
    for (int i = 0; i < kAlphanumericCodes; ++i) {
      const std::string code = generate_code(PinType::Alphanumeric, 12);
      for (std::size_t p = 0; p < code.size(); ++p) by_position[p].push_back(code[p]);
    }
    for (std::size_t p = 0; p < by_position.size(); ++p) {
      const double stat = chi_square(symbol_counts(kAlphanumericAlphabet, by_position[p]));
      INFO("position " << p << " chi-square " << stat);
      CHECK(stat < kChi2Crit31);
    }
  }
  SECTION("the numeric check does catch a naive byte % 10 generator") {
    // Guards the guard: if the sample size were too small this would pass the biased stream.
    ensure_sodium_initialized();
    std::vector<unsigned char> bytes(kNumericCodes * 8);
    randombytes_buf(bytes.data(), bytes.size());
    std::vector<std::int64_t> counts(10, 0);
    for (const auto b : bytes) ++counts[b % 10];
    const double stat = chi_square(counts);
    INFO("chi-square " << stat);
    CHECK(stat > kChi2Crit9);
  }
}

TEST_CASE("generate_otp_id is well-formed and unique", "[codes]") {
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    const std::string id = generate_otp_id();
    REQUIRE(id.size() == 36);
    REQUIRE(id.rfind("otp_", 0) == 0);
    REQUIRE(id.find_first_not_of("0123456789abcdef", 4) == std::string::npos);
    REQUIRE(seen.insert(id).second);
  }
}

TEST_CASE("random_token is URL-safe base64 without padding", "[codes]") {
  CHECK(random_token(0).empty());
  CHECK(random_token(1).size() == 2);
  CHECK(random_token(2).size() == 3);
  CHECK(random_token(3).size() == 4);
  CHECK(random_token(32).size() == 43);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string token = random_token(32);
    REQUIRE(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789-_") == std::string::npos);
    REQUIRE(seen.insert(token).second);
  }
}

TEST_CASE("normalize_pin_input", "[codes]") {
  CHECK(normalize_pin_input("123456", PinType::Numeric) == "123456");
  CHECK(normalize_pin_input(" 123 456 ", PinType::Numeric) == "123456");
  CHECK(normalize_pin_input("\t12\n34\r", PinType::Numeric) == "1234");
  CHECK(normalize_pin_input("12a4", PinType::Numeric) == "12a4");  // no folding, kept as typed
  CHECK(normalize_pin_input("", PinType::Numeric).empty());
  CHECK(normalize_pin_input("   ", PinType::Alphabetic).empty());
  CHECK(normalize_pin_input("abc def", PinType::Alphabetic) == "ABCDEF");
  CHECK(normalize_pin_input(" x7k 2mq ", PinType::Alphanumeric) == "X7K2MQ");
  CHECK(normalize_pin_input("AbC-9", PinType::Alphanumeric) == "ABC-9");
  // Non-ASCII bytes are left alone rather than mangled.
  CHECK(normalize_pin_input("\xc3\xa9t\xc3\xa9", PinType::Alphabetic) == "\xc3\xa9T\xc3\xa9");
  // A generated code survives normalisation of its lower-case, spaced-out form.
  const std::string code = generate_code(PinType::Alphanumeric, 8);
  std::string typed;
  for (const char c : code) {
    typed.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    typed.push_back(' ');
  }
  CHECK(normalize_pin_input(typed, PinType::Alphanumeric) == code);
}

}  // namespace ussd_otp
