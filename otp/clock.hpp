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

// A clock that can be moved forward while the server runs: the dev clock (`POST /dev/clock`)
// and the tests' manual clock. Thread-safe: requests read it while another request moves it.
class AdjustableClock : public Clock {
 public:
  virtual void advance(std::int64_t seconds) = 0;
  // How far this clock is ahead of where it started (seconds moved by advance()).
  virtual std::int64_t advanced_seconds() const = 0;
};

// A clock that only moves when told to; tests drive a running server with it.
class ManualClock final : public AdjustableClock {
 public:
  explicit ManualClock(UnixSeconds start = 1'700'000'000) : start_(start), now_(start) {}
  UnixSeconds now() const override { return now_.load(); }
  void set(UnixSeconds t) { now_.store(t); }
  void advance(std::int64_t seconds) override { now_.fetch_add(seconds); }
  std::int64_t advanced_seconds() const override { return now_.load() - start_; }

 private:
  UnixSeconds start_;
  std::atomic<UnixSeconds> now_;
};

// The system clock plus an offset: dev mode's clock, so testers skip ahead through expiry,
// cooldowns and session timeouts instead of sleeping.
class OffsetClock final : public AdjustableClock {
 public:
  UnixSeconds now() const override { return system_.now() + offset_.load(); }
  void advance(std::int64_t seconds) override { offset_.fetch_add(seconds); }
  std::int64_t advanced_seconds() const override { return offset_.load(); }

 private:
  SystemClock system_;
  std::atomic<std::int64_t> offset_{0};
};

}  // namespace ussd_otp
