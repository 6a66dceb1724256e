// The in-memory per-IP limit of unauthenticated routes.
#include "server/http/ip_limiter.hpp"

#include <algorithm>

namespace ussd_otp {

IpLimiter::IpLimiter(RateLimitRule rule, std::size_t max_addresses)
    : rule_(rule), max_addresses_(std::max<std::size_t>(max_addresses, 1)) {}

std::optional<std::int64_t> IpLimiter::admit(std::string_view ip, UnixSeconds now) {
  if (rule_.limit <= 0) return std::nullopt;
  const RateWindows windows = rate_windows(rule_, now);
  std::lock_guard lock(mutex_);
  auto found = by_ip_.find(std::string(ip));
  if (found == by_ip_.end()) {
    if (by_ip_.size() >= max_addresses_) drop_idle(now);
    if (by_ip_.size() >= max_addresses_) return std::nullopt;
    found = by_ip_.emplace(std::string(ip), Windows{windows.current_start, 0, 0}).first;
  }
  Windows& counts = found->second;
  if (counts.current_start != windows.current_start) {
    // The window moved on: the old current window is the previous one only if adjacent.
    counts.previous = counts.current_start == windows.previous_start ? counts.current : 0;
    counts.current = 0;
    counts.current_start = windows.current_start;
  }
  const RateDecision decision = decide_rate(rule_, now, counts.previous, counts.current);
  if (!decision.allowed) return decision.retry_after;
  ++counts.current;
  return std::nullopt;
}

std::size_t IpLimiter::tracked() const {
  std::lock_guard lock(mutex_);
  return by_ip_.size();
}

void IpLimiter::drop_idle(UnixSeconds now) {
  const RateWindows windows = rate_windows(rule_, now);
  if (last_drop_window_ == windows.current_start) return;
  last_drop_window_ = windows.current_start;
  std::erase_if(by_ip_, [&](const auto& entry) {
    return entry.second.current_start < windows.previous_start;
  });
}

}  // namespace ussd_otp
