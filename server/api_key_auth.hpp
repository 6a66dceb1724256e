// Checks API keys against the store, with a short-lived cache so the hot path does no SQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "otp/clock.hpp"
#include "otp/store.hpp"

namespace ussd_otp {

struct AuthenticatedKey {
  std::int64_t id = 0;
  std::string prefix;
};

// The API key carried by `Authorization: Basic <credentials>` (Sendexa sends its dashboard token
// this way). `credentials` is standard base64 (RFC 4648 alphabet, padding optional) of one of:
// "KEY", "KEY:" (the key as user name, empty password) or "ANYTHING:KEY" (the key as password).
// nullopt when the base64 is invalid or decodes to nothing usable: the caller answers 401.
std::optional<std::string> api_key_from_basic_credentials(std::string_view credentials);

class ApiKeyAuthenticator {
 public:
  // A key found valid is trusted for `cache_ttl` (0: always ask the store), so a revocation made
  // by another process (`keys revoke`) takes effect within that time.
  ApiKeyAuthenticator(ApiKeyStore& keys, const Clock& clock, std::chrono::seconds cache_ttl)
      : keys_(keys), clock_(clock), cache_ttl_(cache_ttl) {}

  std::optional<AuthenticatedKey> authenticate(std::string_view key);

 private:
  struct CachedKey {
    AuthenticatedKey key;
    std::chrono::steady_clock::time_point valid_until;
  };

  ApiKeyStore& keys_;
  const Clock& clock_;
  std::chrono::seconds cache_ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, CachedKey> cache_;  // by the key's hash, never the key
};

}  // namespace ussd_otp
