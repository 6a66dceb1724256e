// Backoff delays with their random draw pinned to either end, so a test checks the bounds of a
// fully jittered delay (the draw is uniform in [0, n)).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

namespace ussd_otp::testing {

inline std::uint32_t lowest_draw(std::uint32_t) {
  return 0;
}
inline std::uint32_t highest_draw(std::uint32_t n) {
  return n - 1;
}

// The delay expected after `failures` failures with the draw at its highest or its lowest.
struct BackoffCase {
  int failures;
  bool highest;
  std::int64_t delay;
};

// `delay_for(failures, draw)` is the delay under test.
template <class DelayFor>
void check_backoff(const std::vector<BackoffCase>& cases, DelayFor delay_for) {
  for (const BackoffCase& c : cases) {
    INFO(c.failures << " failures, the " << (c.highest ? "highest" : "lowest") << " draw");
    CHECK(delay_for(c.failures, c.highest ? highest_draw : lowest_draw) == c.delay);
  }
}

}  // namespace ussd_otp::testing
