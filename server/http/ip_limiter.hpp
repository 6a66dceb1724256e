// A per-IP request limit kept in memory (unauthenticated routes): the sliding-window estimate
// of otp/rate_limit over two fixed windows per address, for a bounded number of addresses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "otp/rate_limit.hpp"

namespace ussd_otp {

class IpLimiter {
 public:
  // `max_addresses` bounds memory: when that many are tracked, addresses idle for two windows
  // are dropped; if every one is still active, a new address is let through uncounted (the
  // limit guards against one busy address, not against a flood from many).
  explicit IpLimiter(RateLimitRule rule, std::size_t max_addresses = 100'000);

  // Counts a request from `ip` at `now`; nullopt when allowed, else seconds until one would be.
  std::optional<std::int64_t> admit(std::string_view ip, UnixSeconds now);

  std::size_t tracked() const;

 private:
  struct Windows {
    UnixSeconds current_start = 0;
    std::int64_t current = 0;
    std::int64_t previous = 0;
  };
  void drop_idle(UnixSeconds now);

  RateLimitRule rule_;
  std::size_t max_addresses_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Windows> by_ip_;
  // At most one scan for idle addresses per window, so a flood of new ones costs no more.
  std::optional<UnixSeconds> last_drop_window_;
};

}  // namespace ussd_otp
