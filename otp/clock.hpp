// Time as the OTP policy sees it: an injectable clock so tests control time instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ussd_otp {

// Seconds since the Unix epoch, UTC. Every stored timestamp uses this unit.
using UnixSeconds = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixSeconds now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixSeconds now() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that only moves when told to; thread-safe so HTTP tests can drive a running server.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixSeconds start = 1'700'000'000) : now_(start) {}
  UnixSeconds now() const override { return now_.load(); }
  void set(UnixSeconds t) { now_.store(t); }
  void advance(std::int64_t seconds) { now_.fetch_add(seconds); }

 private:
  std::atomic<UnixSeconds> now_;
};

}  // namespace ussd_otp
