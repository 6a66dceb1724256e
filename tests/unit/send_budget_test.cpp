// Tests for the send-budget arithmetic: states, the UTC day rollover, charging and parsing.
#include <catch2/catch.hpp>

#include "otp/send_budget.hpp"

namespace ussd_otp {
namespace {

constexpr UnixSeconds kMidday = 19'675 * 86400 + 43'200;  // 12:00 UTC

SendBudget budget(std::optional<std::int64_t> daily, std::optional<std::int64_t> balance,
                  std::int64_t granted) {
  SendBudget b;
  b.daily_limit = daily;
  b.balance = balance;
  b.balance_granted = granted;
  b.day = kMidday / 86400;
  return b;
}

}  // namespace

TEST_CASE("a key without a budget or with room may send", "[budget]") {
  CHECK(check_budget(std::nullopt, kMidday).state == BudgetState::Available);
  CHECK(check_budget(budget(std::nullopt, std::nullopt, 0), kMidday).state ==
        BudgetState::Available);
  CHECK(check_budget(budget(3, 1, 10), kMidday).state == BudgetState::Available);
}

TEST_CASE("zero given is disabled - zero reached is exhausted", "[budget]") {
  CHECK(check_budget(budget(0, std::nullopt, 0), kMidday).state == BudgetState::Disabled);
  CHECK(check_budget(budget(std::nullopt, 0, 0), kMidday).state == BudgetState::Disabled);
  const BudgetCheck spent = check_budget(budget(std::nullopt, 0, 5), kMidday);
  CHECK(spent.state == BudgetState::Exhausted);
  CHECK_FALSE(spent.retry_after);
}

TEST_CASE("the daily cap counts per UTC day and says when it resets", "[budget]") {
  SendBudget b = budget(2, std::nullopt, 0);
  b = charge_send(b, kMidday);
  CHECK(check_budget(b, kMidday).state == BudgetState::Available);
  b = charge_send(b, kMidday + 1);
  CHECK(b.sent_today == 2);
  CHECK(b.sent_total == 2);
  const BudgetCheck capped = check_budget(b, kMidday + 2);
  CHECK(capped.state == BudgetState::Exhausted);
  CHECK(capped.retry_after == 43'200 - 2);
  CHECK(check_budget(b, kMidday + 43'200).state == BudgetState::Available);  // the next day
  b = charge_send(b, kMidday + 43'200);
  CHECK(b.sent_today == 1);
  CHECK(b.sent_total == 3);
}

TEST_CASE("charging decrements the balance and never below zero", "[budget]") {
  SendBudget b = budget(std::nullopt, 1, 1);
  b = charge_send(b, kMidday);
  CHECK(b.balance == 0);
  CHECK(check_budget(b, kMidday).state == BudgetState::Exhausted);
  b = charge_send(b, kMidday);  // an attempt that was already queued still counts
  CHECK(b.balance == 0);
  CHECK(b.sent_total == 2);
}

TEST_CASE("limits parse as whole numbers or unlimited", "[budget]") {
  CHECK(parse_send_limit("0") == std::optional<SendLimit>(SendLimit{0}));
  CHECK(parse_send_limit("250") == std::optional<SendLimit>(SendLimit{250}));
  CHECK(parse_send_limit("unlimited") == std::optional<SendLimit>(SendLimit{}));
  for (const char* bad : {"", "-1", "1.5", "ten", "1e3", "1000000000001", "Unlimited"}) {
    INFO(bad);
    CHECK_FALSE(parse_send_limit(bad));
  }
}

}  // namespace ussd_otp
