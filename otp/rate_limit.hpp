// Rate-limit arithmetic: a sliding-window estimate over two fixed windows (pure; no storage).
#pragma once

#include <cstdint>

#include "otp/clock.hpp"

namespace ussd_otp {

struct RateLimitRule {
  std::int64_t limit = 0;  // requests allowed per window; 0 disables the rule
  std::int64_t window_seconds = 60;
};

struct RateWindows {
  UnixSeconds current_start = 0;
  UnixSeconds previous_start = 0;
};
RateWindows rate_windows(const RateLimitRule& rule, UnixSeconds now);

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after = 0;  // seconds, >= 1 when not allowed
};

// Counts requests in the previous window weighted by how much of it still overlaps the sliding
// window, plus the current window's count. Allowed when that estimate is below the limit.
RateDecision decide_rate(const RateLimitRule& rule, UnixSeconds now, std::int64_t previous_count,
                         std::int64_t current_count);

}  // namespace ussd_otp
