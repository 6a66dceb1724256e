// Decides what happens next to one outbox row, from its attempts so far: send through which
// provider, wait until when, or stop. Pure: the sender supplies the time and breaker states.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otp/clock.hpp"
#include "otp/types.hpp"

namespace ussd_otp {

inline constexpr std::int64_t kMinUnknownHoldSeconds = 5;

struct PlannerSettings {
  std::int64_t receipt_window_seconds = 30;  // 0: no resend after an unconfirmed acceptance
  // After an unknown outcome (the SMS may have gone) its provider is not used again for this
  // long. Independent of the receipt window: switching receipt failover off must not turn one
  // timeout into two SMS. Never below kMinUnknownHoldSeconds.
  std::int64_t unknown_hold_seconds = 30;
  int max_attempts = 5;
  std::int64_t retry_base_seconds = 1;  // backoff: random in [base, min(max, base * 2^n)]
  std::int64_t retry_max_seconds = 60;
  // Providers whose receipts come from our status polls (Hubtel), when polling is on. Their
  // receipt window is extended until the message has been polled at least once: at a low poll
  // rate a backlog must not make it resent merely because no poll reached it yet. Until then
  // the row is looked at again every `poll_recheck_seconds`.
  std::vector<std::string> polled_providers;
  std::int64_t poll_recheck_seconds = 12;
};

struct DeliveryPlan {
  enum class Kind {
    Send,  // make an attempt through `provider` now
    Wait,  // nothing to do before `at`
    Fail,  // the delivery failed for good (`why`)
    Done,  // settled: delivered, or accepted and no longer watched (`why`)
  };
  Kind kind = Kind::Wait;
  std::string provider;
  std::string reason;  // of the attempt: initial | resend | retry | failover | receipt_failover
  UnixSeconds at = 0;
  std::string why;
  bool receipt_failover = false;  // this send is the one resend after an unconfirmed receipt
};

// When a provider cannot take an attempt now (breaker open or paused): until when.
using ProviderAvailability = std::function<std::optional<UnixSeconds>(std::string_view provider)>;

DeliveryPlan plan_delivery(const PendingDelivery& row, const std::vector<DeliveryAttempt>& attempts,
                           const std::vector<std::string>& chain,
                           const ProviderAvailability& unavailable_until, UnixSeconds now,
                           UnixSeconds otp_expires_at, const PlannerSettings& settings);

// True when a provider other than `failed` could take the next attempt right now (so a
// transient failure fails over at once instead of backing off), and this delivery has had fewer
// transient failures from it than from `failed` (when all have failed alike, it backs off).
bool alternative_available(const std::vector<DeliveryAttempt>& attempts,
                           const std::vector<std::string>& chain, std::string_view failed,
                           const ProviderAvailability& unavailable_until, UnixSeconds now,
                           const PlannerSettings& settings);

// Exponential backoff with full jitter for the n-th failure (n from 1): a random whole number
// of seconds in [base, min(max, base * 2^(n-1))]. `random_below(k)` returns 0..k-1.
std::int64_t retry_delay_seconds(int failures, const PlannerSettings& settings,
                                 const std::function<std::uint32_t(std::uint32_t)>& random_below);

}  // namespace ussd_otp
