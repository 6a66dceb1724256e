// Only hashes are kept in memory; last_used_at is written at most once a minute per key.
#include "server/http/api_key_auth.hpp"

#include <sodium.h>

#include "otp/crypto.hpp"

namespace ussd_otp {
namespace {

constexpr std::int64_t kTouchIntervalSeconds = 60;
constexpr std::size_t kMaxCachedKeys = 10'000;  // bounds memory if many distinct keys appear

constexpr std::size_t kMaxKeyChars = 256;  // real keys are 47; longer is not worth hashing
constexpr std::size_t kMaxBasicCredentials = 1024;

}  // namespace

std::vector<std::string> basic_auth_key_candidates(std::string_view credentials) {
  if (credentials.empty() || credentials.size() > kMaxBasicCredentials) return {};
  ensure_sodium_initialized();
  std::string decoded(credentials.size(), '\0');
  std::size_t length = 0;
  // Padding optional: some clients strip the trailing '='.
  const std::string text(credentials);
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                        text.c_str(), text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 &&
      sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                        text.c_str(), text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0) {
    return {};
  }
  decoded.resize(length);
  std::vector<std::string> candidates;
  const std::size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    if (!decoded.empty()) candidates.push_back(decoded);
    return candidates;
  }
  std::string user = decoded.substr(0, colon);
  std::string password = decoded.substr(colon + 1);
  if (!user.empty()) candidates.push_back(std::move(user));
  if (!password.empty()) candidates.push_back(std::move(password));
  return candidates;
}

std::optional<AuthenticatedKey> ApiKeyAuthenticator::authenticate(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyChars) return std::nullopt;
  const Bytes hash = hash_api_key(key);
  const std::string cache_key(hash.begin(), hash.end());
  const auto steady_now = std::chrono::steady_clock::now();
  if (cache_ttl_.count() > 0) {
    std::lock_guard lock(mutex_);
    if (auto found = cache_.find(cache_key);
        found != cache_.end() && found->second.valid_until > steady_now) {
      return found->second.key;
    }
  }
  std::optional<ApiKeyRecord> record = keys_.find_api_key_by_hash(hash);
  if (!record) return std::nullopt;

  const UnixSeconds now = clock_.now();
  // last_used_at is informational; writing it at most once a minute keeps requests read-only.
  if (!record->last_used_at || *record->last_used_at + kTouchIntervalSeconds <= now) {
    try {
      keys_.touch_api_key(record->id, now);
    } catch (const std::exception&) {
      // Informational only: a busy database must not turn a valid key into a failed request.
    }
  }
  AuthenticatedKey authenticated{record->id, record->prefix, record->client_id};
  if (cache_ttl_.count() > 0) {
    std::lock_guard lock(mutex_);
    if (cache_.size() >= kMaxCachedKeys) cache_.clear();
    cache_[cache_key] = {authenticated, steady_now + cache_ttl_};
  }
  return authenticated;
}

}  // namespace ussd_otp
