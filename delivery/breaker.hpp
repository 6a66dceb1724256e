// A circuit breaker per provider: a provider that keeps failing is skipped for a cool-down, then
// one probe decides; an account-level error (auth, balance) pauses it at once.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "otp/clock.hpp"

namespace ussd_otp {

struct BreakerSettings {
  int failures = 5;  // failures within the window that open the breaker
  std::int64_t window_seconds = 60;
  std::int64_t cooldown_seconds = 30;        // skipped this long, then one probe
  std::int64_t account_pause_seconds = 300;  // after an account-level error
};

enum class BreakerState { Closed, Open, HalfOpen };
std::string_view to_string(BreakerState state);  // "closed", "open", "half_open"

// Thread-safe. Times are the server clock's seconds, so the dev clock can move them.
class BreakerBoard {
 public:
  explicit BreakerBoard(BreakerSettings settings = {}) : settings_(settings) {}

  // Whether an attempt may go to `provider` now. In half-open state only one probe is let
  // through until its outcome is recorded.
  bool try_acquire(std::string_view provider, UnixSeconds now);
  // Without taking the probe slot: is the provider usable now, and if not, from when.
  std::optional<UnixSeconds> unavailable_until(std::string_view provider, UnixSeconds now) const;

  // Closes the breaker, except during an account-level pause, which always runs its full time.
  void record_success(std::string_view provider, UnixSeconds now);
  // Transient or unknown outcome.
  void record_failure(std::string_view provider, UnixSeconds now);
  // Returns true when this call opened the pause (so the caller logs once per pause).
  bool record_account_error(std::string_view provider, UnixSeconds now);
  // Gives back a probe slot taken by try_acquire when no attempt was made after all.
  void release_probe(std::string_view provider);

  BreakerState state(std::string_view provider, UnixSeconds now) const;

 private:
  struct Provider {
    std::deque<UnixSeconds> failures;
    UnixSeconds open_until = 0;  // 0: closed
    bool probe_in_flight = false;
    bool paused_for_account = false;
  };
  Provider& at(std::string_view provider);

  BreakerSettings settings_;
  mutable std::mutex mutex_;
  std::map<std::string, Provider, std::less<>> providers_;
};

}  // namespace ussd_otp
