// Tests for the sliding-window rate-limit arithmetic, including an exhaustive retry_after check.
#include <catch2/catch.hpp>

#include <cstdint>

#include "otp/rate_limit.hpp"

namespace ussd_otp {
namespace {

// The estimate as the header defines it, in exact rational form: allowed iff below the limit.
bool allowed_by_definition(std::int64_t window, std::int64_t limit, std::int64_t elapsed,
                           std::int64_t previous, std::int64_t current) {
  return previous * (window - elapsed) + current * window < limit * window;
}

// Brute-force retry_after: step forward one second at a time with the counts carried over.
std::int64_t brute_force_retry_after(std::int64_t window, std::int64_t limit, std::int64_t elapsed,
                                     std::int64_t previous, std::int64_t current) {
  for (std::int64_t t = 1;; ++t) {
    const std::int64_t at = elapsed + t;
    if (at < window) {
      if (allowed_by_definition(window, limit, at, previous, current)) return t;
    } else if (at < 2 * window) {
      if (allowed_by_definition(window, limit, at - window, current, 0)) return t;
    } else {
      return t;
    }
  }
}

}  // namespace

TEST_CASE("rate_windows aligns to fixed windows", "[rate]") {
  const RateLimitRule rule{10, 60};
  auto w = rate_windows(rule, 1'700'000'000);  // 1'700'000'000 % 60 == 20
  CHECK(w.current_start == 1'699'999'980);
  CHECK(w.previous_start == 1'699'999'920);
  w = rate_windows(rule, 1'699'999'980);
  CHECK(w.current_start == 1'699'999'980);
  w = rate_windows(rule, 1'700'000'039);
  CHECK(w.current_start == 1'699'999'980);
  w = rate_windows(rule, 1'700'000'040);
  CHECK(w.current_start == 1'700'000'040);
  CHECK(w.previous_start == 1'699'999'980);
  w = rate_windows(RateLimitRule{5, 3600}, 7205);
  CHECK(w.current_start == 7200);
  CHECK(w.previous_start == 3600);
  w = rate_windows(rule, 0);
  CHECK(w.current_start == 0);
  CHECK(w.previous_start == -60);
  w = rate_windows(rule, -1);  // floor, not truncation
  CHECK(w.current_start == -60);
}

TEST_CASE("decide_rate allows below the limit and blocks at it", "[rate]") {
  const RateLimitRule rule{3, 60};
  const UnixSeconds start = 1'700'000'040;  // a window boundary
  CHECK(decide_rate(rule, start, 0, 0).allowed);
  CHECK(decide_rate(rule, start, 0, 2).allowed);
  const auto blocked = decide_rate(rule, start, 0, 3);
  CHECK_FALSE(blocked.allowed);
  // At the next window start the 3 requests count in full (3, not < 3); one second later
  // they count 3 * 59/60.
  CHECK(blocked.retry_after == 61);
  CHECK(decide_rate(rule, start + 59, 0, 2).allowed);
  CHECK_FALSE(decide_rate(rule, start + 59, 0, 3).allowed);
  CHECK(decide_rate(rule, start, 0, 0).retry_after == 0);
}

TEST_CASE("decide_rate: the previous window decays", "[rate]") {
  const RateLimitRule rule{10, 60};
  const UnixSeconds start = 1'700'000'040;
  // At the window start the previous window counts in full: 10 + 0 = 10, blocked.
  CHECK_FALSE(decide_rate(rule, start, 10, 0).allowed);
  // 1 s in: 10 * 59/60 = 9.83 < 10, allowed.
  CHECK(decide_rate(rule, start + 1, 10, 0).allowed);
  // Half-way: 10 * 30/60 + 5 = 10, blocked; one second later 9.83, allowed.
  CHECK_FALSE(decide_rate(rule, start + 30, 10, 5).allowed);
  CHECK(decide_rate(rule, start + 31, 10, 5).allowed);
  const auto half = decide_rate(rule, start + 30, 10, 5);
  CHECK(half.retry_after == 1);
  // 20 in the previous window: 20 * 45/60 = 15 -> blocked until 20 * k/60 < 10, k <= 29.
  const auto heavy = decide_rate(rule, start + 15, 20, 0);
  CHECK_FALSE(heavy.allowed);
  CHECK(heavy.retry_after == 16);  // at start + 31, overlap 29: 9.67
  CHECK(decide_rate(rule, start + 31, 20, 0).allowed);
  CHECK_FALSE(decide_rate(rule, start + 30, 20, 0).allowed);
}

TEST_CASE("decide_rate: limit 0 disables the rule", "[rate]") {
  const RateLimitRule off{0, 60};
  for (std::int64_t count : {0, 1, 1000, 1'000'000'000}) {
    const auto d = decide_rate(off, 1'700'000'000, count, count);
    CHECK(d.allowed);
    CHECK(d.retry_after == 0);
  }
}

TEST_CASE("decide_rate: huge counts do not overflow", "[rate]") {
  const RateLimitRule rule{INT64_MAX / 2, 86'400};
  CHECK(decide_rate(rule, 1'700'000'000, 0, 0).allowed);
  const auto d = decide_rate(rule, 1'700'000'000, INT64_MAX, INT64_MAX);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after >= 1);
  CHECK(d.retry_after <= 2 * 86'400);
  CHECK_FALSE(decide_rate(RateLimitRule{1, 60}, 1'700'000'000, 0, INT64_MAX).allowed);
}

TEST_CASE("decide_rate matches the definition and retry_after is exact", "[rate]") {
  // Exhaustive over small windows, limits, counts and every second of the window.
  for (std::int64_t window : {1, 2, 7, 60}) {
    for (std::int64_t limit : {1, 2, 3, 10}) {
      for (std::int64_t previous = 0; previous <= 25; ++previous) {
        for (std::int64_t current = 0; current <= 25; ++current) {
          for (std::int64_t elapsed = 0; elapsed < window; ++elapsed) {
            const RateLimitRule rule{limit, window};
            const UnixSeconds boundary = 1'700'000'040 - 1'700'000'040 % window;
            const UnixSeconds now = boundary + elapsed;
            REQUIRE(rate_windows(rule, now).current_start == now - elapsed);
            const auto d = decide_rate(rule, now, previous, current);
            const bool expected = allowed_by_definition(window, limit, elapsed, previous, current);
            INFO("window " << window << " limit " << limit << " prev " << previous << " cur "
                           << current << " elapsed " << elapsed);
            REQUIRE(d.allowed == expected);
            if (d.allowed) {
              REQUIRE(d.retry_after == 0);
            } else {
              REQUIRE(d.retry_after >= 1);
              REQUIRE(d.retry_after <= 2 * window);
              REQUIRE(d.retry_after ==
                      brute_force_retry_after(window, limit, elapsed, previous, current));
              // And waiting that long with the same counts really is allowed.
              const std::int64_t at = elapsed + d.retry_after;
              const bool later =
                  at < window       ? allowed_by_definition(window, limit, at, previous, current)
                  : at < 2 * window ? allowed_by_definition(window, limit, at - window, current, 0)
                                    : true;
              REQUIRE(later);
            }
          }
        }
      }
    }
  }
}

}  // namespace ussd_otp
