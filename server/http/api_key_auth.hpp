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
#include <vector>

#include "otp/clock.hpp"
#include "otp/store.hpp"

namespace ussd_otp {

struct AuthenticatedKey {
  std::int64_t id = 0;
  std::string prefix;
  std::string client_id;  // the key's public UUID
};

// The API keys an `Authorization: Basic` credential (the base64 part) may carry, to try in order:
// "key", "key:" and ":key" give the key; "a:b" gives a then b, since clients put the key as the
// user (GetOTP's "Basic with your API key") or as the password (Sendexa-style "id:key"). Empty
// when the text is not base64 or decodes to nothing usable.
std::vector<std::string> basic_auth_key_candidates(std::string_view credentials);

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
