// Per-API-key send budgets: a daily cap and/or a balance of SMS sends, charged per gateway attempt.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "otp/clock.hpp"

namespace ussd_otp {

class OtpStore;

// What is stored per API key. A key without a stored budget may send without limit.
struct SendBudget {
  std::optional<std::int64_t> daily_limit;  // sends per UTC day; nullopt: no daily cap
  std::optional<std::int64_t> balance;      // sends left; nullopt: no balance is kept
  // The balance last given by an administrator: a balance of 0 that was granted as 0 means
  // "disabled", one that was spent down to 0 means "exhausted".
  std::int64_t balance_granted = 0;
  std::int64_t day = 0;         // UTC day number (unix time / 86400) that sent_today counts
  std::int64_t sent_today = 0;  // gateway attempts charged on `day`
  std::int64_t sent_total = 0;  // gateway attempts charged since the budget was created
};

enum class BudgetState {
  Available,
  Exhausted,  // the balance or today's cap is used up
  Disabled,   // the cap or the granted balance is zero: this key may not send at all
};

struct BudgetCheck {
  BudgetState state = BudgetState::Available;
  std::optional<std::int64_t> retry_after;  // Exhausted by the daily cap: seconds to UTC midnight
};

// Whether one more send may be queued now, with `queued` sends already waiting to be charged
// (they are reserved: concurrent requests must not all count on the same last send).
// A key without a budget is always Available.
BudgetCheck check_budget(const std::optional<SendBudget>& budget, UnixSeconds now,
                         std::int64_t queued = 0);

// The budget after one more gateway attempt at `now` (counts today, decrements the balance).
SendBudget charge_send(SendBudget budget, UnixSeconds now);

// A limit as `keys create|set-budget` give it: a number, or nullopt for "unlimited".
using SendLimit = std::optional<std::int64_t>;

// One administrator change; a field left nullopt keeps its current value.
struct BudgetChange {
  std::optional<SendLimit> daily_limit;
  std::optional<SendLimit> balance;  // sets the remaining balance (and what was granted)
};

// Parses a limit as typed on the command line: "unlimited", or a whole number 0-10^12.
std::optional<SendLimit> parse_send_limit(std::string_view text);

// Applies `change` to the key's stored budget in one write transaction; returns the result.
SendBudget update_send_budget(OtpStore& store, std::int64_t api_key_id, const BudgetChange& change,
                              UnixSeconds now);
std::optional<SendBudget> read_send_budget(OtpStore& store, std::int64_t api_key_id);

}  // namespace ussd_otp
