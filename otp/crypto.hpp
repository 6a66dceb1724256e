// Keys and the cryptography that keeps codes and API keys out of the database in plaintext.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "otp/types.hpp"

namespace ussd_otp {

// Calls sodium_init once; throws std::runtime_error if libsodium cannot initialise.
void ensure_sodium_initialized();

// The 32-byte server secret from which the code-hashing and code-encryption keys are derived.
class ServerKey {
 public:
  static constexpr std::size_t kSize = 32;

  // 64 hex characters; nullopt if malformed.
  static std::optional<ServerKey> from_hex(std::string_view hex);
  // Reads the key file (64 hex chars, surrounding whitespace ignored) or, if it does not exist,
  // generates a key and writes it with mode 0600 (creating parent directories). Throws
  // std::runtime_error with a clear message if the file exists but is unreadable or malformed.
  static ServerKey load_or_create(const std::filesystem::path& path);
  static ServerKey generate();

  const std::array<std::uint8_t, kSize>& bytes() const { return bytes_; }
  std::string to_hex() const;

 private:
  ServerKey() = default;
  std::array<std::uint8_t, kSize> bytes_{};
};

// Hashes codes for verification and seals them for display (USSD) and resend.
// Both are bound to the OTP id, so a hash or ciphertext copied to another row is useless.
class CodeVault {
 public:
  explicit CodeVault(const ServerKey& key);  // derives two subkeys with crypto_kdf

  // crypto_auth (HMAC-SHA-512-256) over id || 0x00 || code; 32 bytes.
  Bytes hash(std::string_view otp_id, std::string_view code) const;
  // Constant-time (crypto_auth_verify). False for a hash of the wrong size.
  bool matches(std::string_view otp_id, std::string_view code, const Bytes& expected_hash) const;

  // XChaCha20-Poly1305 with the id as associated data; random nonce stored in front.
  Bytes seal(std::string_view otp_id, std::string_view code) const;
  // nullopt when the ciphertext was tampered with, belongs to another id, or another key.
  std::optional<std::string> open(std::string_view otp_id, const Bytes& sealed) const;

  // How many comparisons matches() has made: lets tests check that verify does the same work
  // for unknown ids as for known ones.
  std::uint64_t comparisons() const { return comparisons_.load(); }

 private:
  std::array<std::uint8_t, 32> hash_key_{};
  mutable std::atomic<std::uint64_t> comparisons_{0};
  std::array<std::uint8_t, 32> seal_key_{};
};

// API keys look like "uok_" + 43 URL-safe base64 chars (32 random bytes).
struct NewApiKey {
  std::string key;     // shown once to the operator, never stored
  std::string prefix;  // first 12 characters, stored for listings
  Bytes hash;          // what is stored and looked up
};
NewApiKey generate_api_key();
// BLAKE2b-256 of the key. Unkeyed on purpose: keys carry 256 random bits, and keeping API keys
// independent of the server key means rotating one does not invalidate the other.
Bytes hash_api_key(std::string_view key);

// Lowercase hex of BLAKE2b-256(text): fingerprints (e.g. idempotent request bodies).
std::string fingerprint(std::string_view text);

}  // namespace ussd_otp
