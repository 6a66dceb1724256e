// In-memory session and counter tables for the USSD gateway.
#include "server/ussd/session_state.hpp"

namespace ussd_otp {

SessionCache::Shard& SessionCache::shard(const std::string& key) const {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

SessionCache::Entry SessionCache::find(const std::string& key) const {
  Shard& s = shard(key);
  std::lock_guard lock(s.mutex);
  const auto it = s.sessions.find(key);
  return it == s.sessions.end() ? nullptr : it->second;
}

void SessionCache::put(const std::string& key, Entry session) {
  Shard& s = shard(key);
  std::lock_guard lock(s.mutex);
  s.sessions.insert_or_assign(key, std::move(session));
}

void SessionCache::erase(const std::string& key) {
  Shard& s = shard(key);
  std::lock_guard lock(s.mutex);
  s.sessions.erase(key);
}

std::size_t SessionCache::evict(UnixSeconds idle_cutoff, UnixSeconds ended_cutoff) {
  std::size_t evicted = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    evicted += std::erase_if(s.sessions, [&](const auto& entry) {
      const UssdSession& session = *entry.second;
      return session.last_seen_at < idle_cutoff ||
             (session.ended_at && session.last_seen_at < ended_cutoff);
    });
  }
  return evicted;
}

std::size_t SessionCache::size() const {
  std::size_t total = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    total += s.sessions.size();
  }
  return total;
}

void LookupLimiter::warm(const std::string& key, const RateLimitRule& rule, UnixSeconds now,
                         UnixSeconds window_start, std::int64_t count) {
  const RateWindows windows = rate_windows(rule, now);
  Shard& s = shards_[std::hash<std::string>{}(key) % kShards];
  std::lock_guard lock(s.mutex);
  Counts& c = s.counts.try_emplace(key, Counts{windows.current_start, 0, 0}).first->second;
  if (window_start == windows.current_start) c.current += count;
  if (window_start == windows.previous_start) c.previous += count;
}

LookupLimiter::Charge LookupLimiter::charge(const std::string& key, const RateLimitRule& rule,
                                            UnixSeconds now) {
  const RateWindows windows = rate_windows(rule, now);
  Shard& s = shards_[std::hash<std::string>{}(key) % kShards];
  std::lock_guard lock(s.mutex);
  Counts& c = s.counts.try_emplace(key, Counts{windows.current_start, 0, 0}).first->second;
  if (c.current_start != windows.current_start) {
    // The window moved on: the old current one is now the previous one, or too old to count.
    c.previous = c.current_start == windows.previous_start ? c.current : 0;
    c.current = 0;
    c.current_start = windows.current_start;
  }
  const RateDecision decision = decide_rate(rule, now, c.previous, c.current);
  if (!decision.allowed) return Charge{false, decision.retry_after, windows.current_start};
  ++c.current;
  return Charge{true, 0, windows.current_start};
}

std::size_t LookupLimiter::evict_before(UnixSeconds cutoff) {
  std::size_t evicted = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    evicted += std::erase_if(
        s.counts, [&](const auto& entry) { return entry.second.current_start < cutoff; });
  }
  return evicted;
}

}  // namespace ussd_otp
