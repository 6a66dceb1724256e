// One-time codes, OTP ids and random tokens drawn from libsodium's CSPRNG.
#include "otp/codes.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>

#include <sodium.h>

#include <stdexcept>
#include <vector>

#include "otp/crypto.hpp"

namespace ussd_otp {
namespace {

// Far above any pin_length_range maximum; only guards against absurd allocations from bad input.
constexpr int kMaxCodeLength = 64;

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char ascii_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

std::string_view alphabet_for(PinType type) {
  switch (type) {
    case PinType::Numeric:
      return kNumericAlphabet;
    case PinType::Alphanumeric:
      return kAlphanumericAlphabet;
    case PinType::Alphabetic:
      return kAlphabeticAlphabet;
  }
  return kNumericAlphabet;  // unreachable for valid enum values
}

PinLengthRange pin_length_range(PinType type) {
  switch (type) {
    case PinType::Numeric:
      return {4, 8, 6};
    case PinType::Alphanumeric:
      return {6, 12, 8};
    case PinType::Alphabetic:
      return {5, 10, 6};
  }
  return {4, 8, 6};
}

std::string generate_code(PinType type, int length) {
  // Callers validate against pin_length_range; this only rejects values that are nonsense.
  if (length < 1 || length > kMaxCodeLength) {
    throw std::invalid_argument("code length out of range: " + std::to_string(length));
  }
  ensure_sodium_initialized();
  const std::string_view alphabet = alphabet_for(type);
  std::string code(static_cast<std::size_t>(length), '\0');
  for (char& c : code) {
    // randombytes_uniform rejects out-of-range samples, so there is no modulo bias.
    c = alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))];
  }
  return code;
}

std::string normalize_pin_input(std::string_view input, PinType type) {
  const bool fold_case = type != PinType::Numeric;
  std::string out;
  out.reserve(input.size());
  for (const char c : input) {
    if (is_ascii_space(c)) continue;  // "123 456" on a keypad is the same as "123456"
    out.push_back(fold_case ? ascii_upper(c) : c);
  }
  return out;
}

bool is_blank_pin_input(std::string_view input) {
  return std::all_of(input.begin(), input.end(), is_ascii_space);
}

std::string generate_otp_id() {
  ensure_sodium_initialized();
  // 32 bits of creation time (seconds) then 96 random bits: still unguessable, and new ids sort
  // after old ones, so inserting into the id index touches the same few pages instead of a
  // random page per OTP.
  unsigned char raw[16];
  const auto seconds = static_cast<std::uint32_t>(std::time(nullptr));
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<unsigned char>(seconds >> (24 - 8 * i));
  randombytes_buf(raw + 4, sizeof raw - 4);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return std::string("otp_") + hex;
}

std::string random_token(std::size_t bytes) {
  if (bytes == 0) return {};  // sodium's buffer arguments are declared non-null
  ensure_sodium_initialized();
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), kVariant);
  out.resize(out.size() - 1);  // drop the NUL terminator sodium counts in ENCODED_LEN
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::string generate_uuid() {
  ensure_sodium_initialized();
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  raw[6] = static_cast<unsigned char>((raw[6] & 0x0f) | 0x40);  // version 4
  raw[8] = static_cast<unsigned char>((raw[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  const std::string_view h(hex, sizeof raw * 2);
  return std::string(h.substr(0, 8)) + "-" + std::string(h.substr(8, 4)) + "-" +
         std::string(h.substr(12, 4)) + "-" + std::string(h.substr(16, 4)) + "-" +
         std::string(h.substr(20));
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace ussd_otp
