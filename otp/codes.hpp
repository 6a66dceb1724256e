// Random material: one-time codes, OTP ids and API keys, all from libsodium's CSPRNG.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "otp/types.hpp"

namespace ussd_otp {

// Alphabets avoid look-alike characters (0/O, 1/I) so codes read cleanly on small screens.
inline constexpr std::string_view kNumericAlphabet = "0123456789";
inline constexpr std::string_view kAlphanumericAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
inline constexpr std::string_view kAlphabeticAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ";

std::string_view alphabet_for(PinType type);

struct PinLengthRange {
  int min;
  int max;
  int fallback;  // used when the request gives no pinLength
};
// NUMERIC 4-8 (6), ALPHANUMERIC 6-12 (8), ALPHABETIC 5-10 (6).
PinLengthRange pin_length_range(PinType type);

// `length` characters drawn uniformly (randombytes_uniform, no modulo bias) from the alphabet.
std::string generate_code(PinType type, int length);

// What a user typed, made comparable: surrounding/inner spaces removed, letters upper-cased for
// the letter alphabets. Numeric codes keep only what was typed (no case folding needed).
std::string normalize_pin_input(std::string_view input, PinType type);

// True when `input` has nothing but the spaces normalize_pin_input drops (or is empty): such a
// pin is a validation error on every verify route and never spends an attempt.
bool is_blank_pin_input(std::string_view input);

// "otp_" + 32 lowercase hex characters: 32 bits of creation time, then 96 random bits.
std::string generate_otp_id();

// URL-safe base64 (no padding) of `bytes` random bytes.
std::string random_token(std::size_t bytes);

// A random (version 4) UUID in lowercase: "6d16aa9d-bf19-4141-8169-48b46d972fc6". Public ids
// (API keys' client ids, message templates), not secrets.
std::string generate_uuid();
// True for 8-4-4-4-12 hex digits in either case (any version).
bool is_uuid(std::string_view text);

}  // namespace ussd_otp
