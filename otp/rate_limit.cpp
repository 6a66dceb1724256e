// Sliding-window rate-limit decisions from two fixed-window counters (pure arithmetic).
#include "otp/rate_limit.hpp"

#include <algorithm>

namespace ussd_otp {
namespace {

// 128-bit intermediates: count * window products cannot overflow whatever the counters hold.
using Wide = __int128;

// A non-positive window is a configuration error; treating it as 1 second keeps the math defined.
std::int64_t window_of(const RateLimitRule& rule) {
  return std::max<std::int64_t>(rule.window_seconds, 1);
}

// Smallest t >= 1 such that, with no further counted requests, the estimate at now + t is below
// the limit. Exact, by cases on where now + t falls (e = seconds elapsed in the current window):
//   same window   (t < W - e):        P * (W - e - t) + C * W < L * W
//   next window   (W - e <= t < 2W - e): the current count becomes the previous one and decays:
//                                      C * (W - e2) < L * W, with e2 = t - (W - e)
//   later         (t >= 2W - e):      both windows are empty, always allowed.
// So the result is in [1, 2W - e], within the documented [1, 2W].
std::int64_t exact_retry_after(Wide W, Wide L, Wide P, Wide C, Wide e) {
  // Same window: the remaining overlap k = W - e - t must satisfy k * P < (L - C) * W, k >= 1.
  if (C < L && P > 0) {
    const Wide k_max = ((L - C) * W - 1) / P;  // largest k with k * P < (L - C) * W
    // k_max < W - e because the request was refused with overlap W - e.
    if (k_max >= 1) return static_cast<std::int64_t>(W - e - k_max);
  }
  // Next window: overlap k = W - e2 in [1, W] must satisfy k * C < L * W.
  if (C == 0) return static_cast<std::int64_t>(W - e);
  const Wide k_max = (L * W - 1) / C;
  if (k_max >= W) return static_cast<std::int64_t>(W - e);
  if (k_max >= 1) return static_cast<std::int64_t>(W - e + (W - k_max));
  return static_cast<std::int64_t>(2 * W - e);
}

}  // namespace

RateWindows rate_windows(const RateLimitRule& rule, UnixSeconds now) {
  const std::int64_t window = window_of(rule);
  // Floor modulo so times before the epoch still fall into the window that contains them.
  std::int64_t offset = now % window;
  if (offset < 0) offset += window;
  RateWindows windows;
  windows.current_start = now - offset;
  windows.previous_start = windows.current_start - window;
  return windows;
}

RateDecision decide_rate(const RateLimitRule& rule, UnixSeconds now, std::int64_t previous_count,
                         std::int64_t current_count) {
  if (rule.limit <= 0) return {true, 0};
  const Wide W = window_of(rule);
  const Wide L = rule.limit;
  const Wide P = std::max<std::int64_t>(previous_count, 0);
  const Wide C = std::max<std::int64_t>(current_count, 0);
  const Wide e = now - rate_windows(rule, now).current_start;
  // estimate = P * (W - e) / W + C < L, multiplied through by W to stay in integers.
  if (P * (W - e) + C * W < L * W) return {true, 0};
  return {false, exact_retry_after(W, L, P, C, e)};
}

}  // namespace ussd_otp
