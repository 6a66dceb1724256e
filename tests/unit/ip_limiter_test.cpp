// The in-memory per-IP limit of unauthenticated routes: windows per address, bounded memory.
#include "server/http/ip_limiter.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace ussd_otp {

TEST_CASE("ip limiter: each address has its own window", "[ip_limiter]") {
  IpLimiter limiter({3, 60});
  const UnixSeconds t0 = 1'700'000'040;  // 0 s into a minute window
  for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.admit("203.0.113.7", t0));
  const auto wait = limiter.admit("203.0.113.7", t0);
  REQUIRE(wait);
  CHECK(*wait >= 1);
  CHECK(*wait <= 120);
  CHECK_FALSE(limiter.admit("203.0.113.8", t0));
  // Refused requests are not counted: after the wait one more is allowed.
  CHECK_FALSE(limiter.admit("203.0.113.7", t0 + *wait));
  CHECK(limiter.admit("203.0.113.7", t0 + *wait));
}

TEST_CASE("ip limiter: a zero limit admits everything and tracks nothing", "[ip_limiter]") {
  IpLimiter limiter({0, 60});
  for (int i = 0; i < 100; ++i) CHECK_FALSE(limiter.admit("203.0.113.7", 1'700'000'000));
  CHECK(limiter.tracked() == 0);
}

TEST_CASE("ip limiter: memory is bounded, idle addresses make room", "[ip_limiter]") {
  IpLimiter limiter({1, 60}, 4);
  const UnixSeconds t0 = 1'700'000'040;
  for (int i = 0; i < 4; ++i) CHECK_FALSE(limiter.admit("10.0.0." + std::to_string(i), t0));
  CHECK(limiter.tracked() == 4);
  // Full of active addresses: a new one passes uncounted rather than growing the table.
  CHECK_FALSE(limiter.admit("10.0.1.1", t0));
  CHECK_FALSE(limiter.admit("10.0.1.1", t0));
  CHECK(limiter.tracked() == 4);
  // Two windows later the old ones are idle and are dropped for the newcomer, who is counted.
  CHECK_FALSE(limiter.admit("10.0.1.1", t0 + 180));
  CHECK(limiter.tracked() == 1);
  CHECK(limiter.admit("10.0.1.1", t0 + 180));
}

}  // namespace ussd_otp
