// Budget arithmetic (pure) and the two store operations the key-management commands need.
#include "otp/send_budget.hpp"

#include <charconv>
#include <string_view>

#include "otp/store.hpp"

namespace ussd_otp {
namespace {

constexpr std::int64_t kDaySeconds = 86400;
constexpr std::int64_t kMaxSendLimit = 1'000'000'000'000;

std::int64_t day_of(UnixSeconds now) {
  return now / kDaySeconds;
}

// Today's count as of `now`: a count kept for an earlier day is stale.
std::int64_t sent_on_day(const SendBudget& budget, UnixSeconds now) {
  return budget.day == day_of(now) ? budget.sent_today : 0;
}

}  // namespace

BudgetCheck check_budget(const std::optional<SendBudget>& budget, UnixSeconds now,
                         std::int64_t queued) {
  if (!budget) return {};
  const bool cap_zero = budget->daily_limit && *budget->daily_limit <= 0;
  const bool balance_zero = budget->balance && *budget->balance <= 0;
  if (cap_zero || (balance_zero && budget->balance_granted <= 0)) {
    return {BudgetState::Disabled, std::nullopt};
  }
  if (balance_zero || (budget->balance && *budget->balance - queued <= 0)) {
    return {BudgetState::Exhausted, std::nullopt};
  }
  if (budget->daily_limit && sent_on_day(*budget, now) + queued >= *budget->daily_limit) {
    return {BudgetState::Exhausted, (day_of(now) + 1) * kDaySeconds - now};
  }
  return {};
}

SendBudget charge_send(SendBudget budget, UnixSeconds now) {
  budget.sent_today = sent_on_day(budget, now) + 1;
  budget.day = day_of(now);
  ++budget.sent_total;
  if (budget.balance && *budget.balance > 0) --*budget.balance;
  return budget;
}

std::optional<SendLimit> parse_send_limit(std::string_view text) {
  if (text == "unlimited") return SendLimit{};
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 0 || value > kMaxSendLimit) {
    return std::nullopt;
  }
  return SendLimit{value};
}

SendBudget update_send_budget(OtpStore& store, std::int64_t api_key_id, const BudgetChange& change,
                              UnixSeconds now) {
  return store.write([&](OtpStoreTransaction& tx) {
    const std::optional<SendBudget> stored = tx.find_send_budget(api_key_id);
    SendBudget budget = stored.value_or(SendBudget{});
    if (!stored) budget.day = day_of(now);
    if (change.daily_limit) budget.daily_limit = *change.daily_limit;
    if (change.balance) {
      budget.balance = *change.balance;
      budget.balance_granted = change.balance->value_or(0);
    }
    tx.save_send_budget(api_key_id, budget);
    return budget;
  });
}

std::optional<SendBudget> read_send_budget(OtpStore& store, std::int64_t api_key_id) {
  return store.read([&](OtpStoreTransaction& tx) { return tx.find_send_budget(api_key_id); });
}

}  // namespace ussd_otp
