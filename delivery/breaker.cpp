// Breaker states per provider, kept in memory: a restart starts every provider closed.
#include "delivery/breaker.hpp"

namespace ussd_otp {

std::string_view to_string(BreakerState state) {
  switch (state) {
    case BreakerState::Closed:
      return "closed";
    case BreakerState::Open:
      return "open";
    case BreakerState::HalfOpen:
      return "half_open";
  }
  return "closed";
}

BreakerBoard::Provider& BreakerBoard::at(std::string_view provider) {
  auto found = providers_.find(provider);
  if (found == providers_.end())
    found = providers_.emplace(std::string(provider), Provider{}).first;
  return found->second;
}

bool BreakerBoard::try_acquire(std::string_view provider, UnixSeconds now) {
  std::lock_guard lock(mutex_);
  Provider& p = at(provider);
  if (p.open_until == 0) return true;
  if (now < p.open_until) return false;
  if (p.probe_in_flight) return false;  // half-open: one probe decides
  p.probe_in_flight = true;
  return true;
}

std::optional<UnixSeconds> BreakerBoard::unavailable_until(std::string_view provider,
                                                           UnixSeconds now) const {
  std::lock_guard lock(mutex_);
  const auto found = providers_.find(provider);
  if (found == providers_.end() || found->second.open_until == 0) return std::nullopt;
  const Provider& p = found->second;
  if (now < p.open_until) return p.open_until;
  if (p.probe_in_flight) return now + 1;  // check again shortly: the probe is still out
  return std::nullopt;
}

void BreakerBoard::record_success(std::string_view provider, UnixSeconds now) {
  std::lock_guard lock(mutex_);
  Provider& p = at(provider);
  // An account-level pause lasts its full time: a success from a request made before it (still
  // in flight when the auth or balance error came) proves nothing about the account now.
  if (p.paused_for_account && now < p.open_until) return;
  p = Provider{};
}

void BreakerBoard::record_failure(std::string_view provider, UnixSeconds now) {
  std::lock_guard lock(mutex_);
  Provider& p = at(provider);
  if (p.open_until != 0 && p.probe_in_flight) {
    // The probe failed: closed again only after another cool-down.
    p.probe_in_flight = false;
    p.open_until = now + settings_.cooldown_seconds;
    return;
  }
  p.failures.push_back(now);
  while (!p.failures.empty() && p.failures.front() <= now - settings_.window_seconds) {
    p.failures.pop_front();
  }
  if (p.open_until == 0 && static_cast<int>(p.failures.size()) >= settings_.failures) {
    p.open_until = now + settings_.cooldown_seconds;
    p.failures.clear();
  }
}

bool BreakerBoard::record_account_error(std::string_view provider, UnixSeconds now) {
  std::lock_guard lock(mutex_);
  Provider& p = at(provider);
  const bool newly_paused = !(p.paused_for_account && now < p.open_until) || p.probe_in_flight;
  p.probe_in_flight = false;
  p.paused_for_account = true;
  p.open_until = now + settings_.account_pause_seconds;
  p.failures.clear();
  return newly_paused;
}

void BreakerBoard::release_probe(std::string_view provider) {
  std::lock_guard lock(mutex_);
  at(provider).probe_in_flight = false;
}

BreakerState BreakerBoard::state(std::string_view provider, UnixSeconds now) const {
  std::lock_guard lock(mutex_);
  const auto found = providers_.find(provider);
  if (found == providers_.end() || found->second.open_until == 0) return BreakerState::Closed;
  return now < found->second.open_until ? BreakerState::Open : BreakerState::HalfOpen;
}

}  // namespace ussd_otp
