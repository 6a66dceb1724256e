// What the USSD gateway keeps in memory so a step needs no synchronous write: open sessions and
// the per-MSISDN lookup counters. Both are also written to SQLite (write-behind), which is where
// they come from after a restart. Sharded locks: steps for different subscribers do not contend.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "otp/clock.hpp"
#include "otp/rate_limit.hpp"
#include "otp/ussd_session.hpp"

namespace ussd_otp {

class SessionCache {
 public:
  // Shared and immutable: a step copies it only to change it.
  using Entry = std::shared_ptr<const UssdSession>;
  Entry find(const std::string& key) const;
  void put(const std::string& key, Entry session);
  void erase(const std::string& key);
  // Forgets sessions last seen before `idle_cutoff`, and ended ones last seen before
  // `ended_cutoff` (they are in the database by then).
  std::size_t evict(UnixSeconds idle_cutoff, UnixSeconds ended_cutoff);
  std::size_t size() const;

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry> sessions;
  };
  Shard& shard(const std::string& key) const;
  mutable std::array<Shard, kShards> shards_;
};

class LookupLimiter {
 public:
  struct Charge {
    bool allowed = true;
    std::int64_t retry_after = 0;  // seconds, when not allowed
    UnixSeconds window_start = 0;  // the fixed window the lookup was counted in
  };
  // Decides and, when allowed, counts one lookup for `key`. A key not seen yet has no lookups:
  // what the database held at startup was loaded with `warm`.
  Charge charge(const std::string& key, const RateLimitRule& rule, UnixSeconds now);
  // Adds a persisted count (at startup, before any charge).
  void warm(const std::string& key, const RateLimitRule& rule, UnixSeconds now,
            UnixSeconds window_start, std::int64_t count);
  // Forgets keys whose current window started before `cutoff`.
  std::size_t evict_before(UnixSeconds cutoff);

 private:
  struct Counts {
    UnixSeconds current_start = 0;
    std::int64_t current = 0;
    std::int64_t previous = 0;
  };
  static constexpr std::size_t kShards = 16;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Counts> counts;
  };
  std::array<Shard, kShards> shards_;
};

}  // namespace ussd_otp
