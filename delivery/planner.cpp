// The delivery rules of docs/delivery.md ("What is retried, and where") in one function.
#include "delivery/planner.hpp"

#include <algorithm>

namespace ussd_otp {
namespace {

bool is(const DeliveryAttempt& a, std::string_view outcome) {
  return a.outcome == outcome;
}

// Providers that may never take this delivery again: a failed receipt says the network could
// not reach the handset through them. (A permanent answer fails the whole delivery.)
bool excluded(std::string_view provider, const std::vector<DeliveryAttempt>& attempts) {
  return std::any_of(attempts.begin(), attempts.end(), [&](const DeliveryAttempt& a) {
    return a.provider == provider && a.receipt == "failed";
  });
}

// An unknown outcome holds its provider for delivery-unknown-hold-seconds (never less than
// kMinUnknownHoldSeconds, whatever the receipt window): the SMS may have gone, and a receipt
// may still say so.
std::optional<UnixSeconds> held_until(std::string_view provider,
                                      const std::vector<DeliveryAttempt>& attempts, UnixSeconds now,
                                      const PlannerSettings& settings) {
  std::optional<UnixSeconds> until;
  for (const DeliveryAttempt& a : attempts) {
    if (a.provider != provider || !is(a, "unknown")) continue;
    const UnixSeconds end = std::max(a.finished_at, a.started_at) +
                            std::max(settings.unknown_hold_seconds, kMinUnknownHoldSeconds);
    if (end > now) until = std::max(until.value_or(0), end);
  }
  return until;
}

struct Choice {
  std::optional<std::string> now;       // a provider that can take it now
  std::optional<UnixSeconds> earliest;  // else the first time one can
};

Choice choose(const std::vector<std::string>& chain, std::size_t start,
              const std::vector<DeliveryAttempt>& attempts, const std::vector<std::string>& skip,
              const ProviderAvailability& unavailable_until, UnixSeconds now,
              const PlannerSettings& settings) {
  Choice choice;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const std::string& provider = chain[(start + i) % chain.size()];
    if (excluded(provider, attempts)) continue;
    if (std::find(skip.begin(), skip.end(), provider) != skip.end()) continue;
    std::optional<UnixSeconds> until = held_until(provider, attempts, now, settings);
    if (auto breaker = unavailable_until(provider)) until = std::max(until.value_or(0), *breaker);
    if (!until) {
      choice.now = provider;
      return choice;
    }
    choice.earliest = std::min(choice.earliest.value_or(*until), *until);
  }
  return choice;
}

std::size_t index_after(const std::vector<std::string>& chain, std::string_view provider) {
  const auto found = std::find(chain.begin(), chain.end(), provider);
  return found == chain.end() ? 0 : static_cast<std::size_t>(found - chain.begin()) + 1;
}

DeliveryPlan fail(std::string why) {
  DeliveryPlan plan;
  plan.kind = DeliveryPlan::Kind::Fail;
  plan.why = std::move(why);
  return plan;
}

DeliveryPlan done(std::string why) {
  DeliveryPlan plan;
  plan.kind = DeliveryPlan::Kind::Done;
  plan.why = std::move(why);
  return plan;
}

DeliveryPlan wait_until(UnixSeconds at, UnixSeconds expires_at) {
  if (at >= expires_at) return fail("the code expires before another attempt could be made");
  DeliveryPlan plan;
  plan.kind = DeliveryPlan::Kind::Wait;
  plan.at = at;
  return plan;
}

DeliveryPlan send(std::string provider, std::string reason, bool receipt_failover = false) {
  DeliveryPlan plan;
  plan.kind = DeliveryPlan::Kind::Send;
  plan.provider = std::move(provider);
  plan.reason = std::move(reason);
  plan.receipt_failover = receipt_failover;
  return plan;
}

}  // namespace

DeliveryPlan plan_delivery(const PendingDelivery& row, const std::vector<DeliveryAttempt>& attempts,
                           const std::vector<std::string>& chain,
                           const ProviderAvailability& unavailable_until, UnixSeconds now,
                           UnixSeconds otp_expires_at, const PlannerSettings& settings) {
  for (const DeliveryAttempt& a : attempts) {
    if (a.receipt == "delivered") return done("delivered");
  }
  if (chain.empty()) return fail("no SMS route covers this number any more");
  if (now >= otp_expires_at) return fail("the code expired before it could be delivered");
  if (!attempts.empty() && is(attempts.back(), "permanent")) {
    const DeliveryAttempt& last = attempts.back();
    return fail(last.provider + " refused it for good" +
                (last.error.empty() ? "" : ": " + last.error));
  }

  // The newest accepted attempt without a failed receipt: wait for its receipt, then maybe send
  // once more elsewhere.
  const auto accepted = std::find_if(
      attempts.rbegin(), attempts.rend(),
      [](const DeliveryAttempt& a) { return is(a, "accepted") && a.receipt != "failed"; });
  if (accepted != attempts.rend()) {
    const UnixSeconds deadline =
        std::max(accepted->finished_at, accepted->started_at) + settings.receipt_window_seconds;
    // A gateway accepted it: running out of time now is no failure, just the end of watching.
    const auto wait_or_done = [&](UnixSeconds at) {
      return at >= otp_expires_at ? done("accepted; the code expires before a receipt is due")
                                  : wait_until(at, otp_expires_at);
    };
    if (now < deadline) return wait_or_done(deadline);
    const bool polled =
        std::find(settings.polled_providers.begin(), settings.polled_providers.end(),
                  accepted->provider) != settings.polled_providers.end();
    if (polled && accepted->polls == 0) {
      // No poll has asked about it yet: its silence says nothing. The window is extended.
      return wait_or_done(now + std::max<std::int64_t>(1, settings.poll_recheck_seconds));
    }
    if (row.receipt_failover_used) return done("accepted; no delivery receipt came");
    std::vector<std::string> skip;
    for (const DeliveryAttempt& a : attempts) {
      if (is(a, "accepted")) skip.push_back(a.provider);
    }
    const Choice choice = choose(chain, index_after(chain, accepted->provider), attempts, skip,
                                 unavailable_until, now, settings);
    if (choice.now) return send(*choice.now, "receipt_failover", true);
    if (choice.earliest) return wait_or_done(*choice.earliest);
    return done("accepted; no delivery receipt came and no other provider is left");
  }

  const int made =
      static_cast<int>(std::count_if(attempts.begin(), attempts.end(),
                                     [](const DeliveryAttempt& a) { return !is(a, "sending"); }));
  if (made >= settings.max_attempts) {
    return fail("gave up after " + std::to_string(made) + " attempts");
  }
  const std::size_t start = attempts.empty() ? 0 : index_after(chain, attempts.back().provider);
  const Choice choice = choose(chain, start, attempts, {}, unavailable_until, now, settings);
  if (choice.now) {
    std::string reason = row.reason;
    if (!attempts.empty()) reason = attempts.back().provider == *choice.now ? "retry" : "failover";
    return send(*choice.now, std::move(reason));
  }
  if (choice.earliest) return wait_until(*choice.earliest, otp_expires_at);
  return fail("every provider in the chain reported that it could not deliver it");
}

bool alternative_available(const std::vector<DeliveryAttempt>& attempts,
                           const std::vector<std::string>& chain, std::string_view failed,
                           const ProviderAvailability& unavailable_until, UnixSeconds now,
                           const PlannerSettings& settings) {
  // Only a provider this delivery has tried fewer times than `failed` counts: once every
  // provider of the chain has failed in this round, the delivery backs off. (Failing over back
  // and forth at once would spend every attempt within milliseconds of a short outage.)
  const auto transient_failures = [&](std::string_view provider) {
    return std::count_if(attempts.begin(), attempts.end(), [&](const DeliveryAttempt& a) {
      return a.provider == provider && is(a, "transient");
    });
  };
  const auto failed_count = transient_failures(failed);
  std::vector<std::string> skip = {std::string(failed)};
  for (const std::string& provider : chain) {
    if (provider != failed && transient_failures(provider) >= failed_count)
      skip.push_back(provider);
  }
  const Choice choice =
      choose(chain, index_after(chain, failed), attempts, skip, unavailable_until, now, settings);
  return choice.now.has_value();
}

std::int64_t retry_delay_seconds(int failures, const PlannerSettings& settings,
                                 const std::function<std::uint32_t(std::uint32_t)>& random_below) {
  const int doublings = std::clamp(failures - 1, 0, 20);
  const std::int64_t cap =
      std::min(settings.retry_max_seconds, settings.retry_base_seconds << doublings);
  const std::int64_t span = std::max<std::int64_t>(0, cap - settings.retry_base_seconds);
  return settings.retry_base_seconds +
         static_cast<std::int64_t>(random_below(static_cast<std::uint32_t>(span + 1)));
}

}  // namespace ussd_otp
