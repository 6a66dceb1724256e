// The delivery rules (delivery/planner.cpp), breakers and routing, on plain values.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "delivery/breaker.hpp"
#include "delivery/planner.hpp"
#include "delivery/routing.hpp"
#include "support/backoff.hpp"

namespace ussd_otp {
namespace {

constexpr UnixSeconds kNow = 1'800'000'000;
constexpr UnixSeconds kExpires = kNow + 300;
const std::vector<std::string> kChain{"arkesel", "africastalking"};

PendingDelivery row(std::string reason = "initial") {
  PendingDelivery d;
  d.id = 1;
  d.otp_id = "otp_1";
  d.reason = std::move(reason);
  d.created_at = kNow;
  return d;
}

DeliveryAttempt attempt(std::string provider, std::string outcome, UnixSeconds at = kNow,
                        std::string reason = "initial") {
  DeliveryAttempt a;
  a.provider = std::move(provider);
  a.outcome = std::move(outcome);
  a.started_at = at;
  a.finished_at = at;
  a.reason = std::move(reason);
  return a;
}

std::optional<UnixSeconds> all_available(std::string_view) {
  return std::nullopt;
}

DeliveryPlan plan(const std::vector<DeliveryAttempt>& attempts, UnixSeconds now = kNow,
                  const std::vector<std::string>& chain = kChain,
                  const ProviderAvailability& availability = all_available,
                  const PendingDelivery& r = row()) {
  return plan_delivery(r, attempts, chain, availability, now, kExpires, PlannerSettings{});
}

}  // namespace

TEST_CASE("planner: a new delivery goes to the first provider of its chain", "[planner]") {
  const DeliveryPlan p = plan({});
  CHECK(p.kind == DeliveryPlan::Kind::Send);
  CHECK(p.provider == "arkesel");
  CHECK(p.reason == "initial");
  CHECK(plan({}, kNow, kChain, all_available, row("resend")).reason == "resend");
}

TEST_CASE("planner: a transient or unknown failure moves the next attempt to the next provider",
          "[planner]") {
  for (const char* outcome : {"transient", "unknown", "account"}) {
    const DeliveryPlan p = plan({attempt("arkesel", outcome)});
    CHECK(p.kind == DeliveryPlan::Kind::Send);
    CHECK(p.provider == "africastalking");
    CHECK(p.reason == "failover");
  }
}

TEST_CASE("planner: a single-provider chain retries the same provider after a transient failure",
          "[planner]") {
  const DeliveryPlan p = plan({attempt("arkesel", "transient")}, kNow + 2, {"arkesel"});
  CHECK(p.kind == DeliveryPlan::Kind::Send);
  CHECK(p.provider == "arkesel");
  CHECK(p.reason == "retry");
}

TEST_CASE("planner: a permanent answer fails the delivery without another attempt", "[planner]") {
  DeliveryAttempt refused = attempt("arkesel", "permanent");
  refused.error = "invalid number";
  const DeliveryPlan p = plan({refused});
  CHECK(p.kind == DeliveryPlan::Kind::Fail);
  CHECK(p.why.find("invalid number") != std::string::npos);
}

TEST_CASE("planner: an unknown outcome holds its provider for the unknown hold", "[planner]") {
  const std::vector<DeliveryAttempt> attempts{attempt("arkesel", "unknown")};
  const DeliveryPlan early = plan(attempts, kNow + 5, {"arkesel"});
  CHECK(early.kind == DeliveryPlan::Kind::Wait);
  CHECK(early.at == kNow + PlannerSettings{}.unknown_hold_seconds);
  const DeliveryPlan later = plan(attempts, kNow + 30, {"arkesel"});
  CHECK(later.kind == DeliveryPlan::Kind::Send);
  CHECK(later.provider == "arkesel");
}

TEST_CASE("planner: with receipt failover off an unknown outcome still holds its provider",
          "[planner]") {
  // delivery-receipt-window-seconds=0 must not make a timeout resend on the same provider at
  // once (two SMS after one timeout).
  PlannerSettings settings;
  settings.receipt_window_seconds = 0;
  const std::vector<DeliveryAttempt> attempts{attempt("arkesel", "unknown")};
  const DeliveryPlan p =
      plan_delivery(row(), attempts, {"arkesel"}, all_available, kNow, kExpires, settings);
  CHECK(p.kind == DeliveryPlan::Kind::Wait);
  CHECK(p.at == kNow + 30);
  // The hold has a floor: even 0 holds it kMinUnknownHoldSeconds.
  settings.unknown_hold_seconds = 0;
  const DeliveryPlan floor =
      plan_delivery(row(), attempts, {"arkesel"}, all_available, kNow, kExpires, settings);
  CHECK(floor.kind == DeliveryPlan::Kind::Wait);
  CHECK(floor.at == kNow + kMinUnknownHoldSeconds);
}

TEST_CASE("planner: an accepted message waits for its receipt, then goes once to the next provider",
          "[planner]") {
  const std::vector<DeliveryAttempt> accepted{attempt("arkesel", "accepted")};
  const DeliveryPlan waiting = plan(accepted, kNow + 10);
  CHECK(waiting.kind == DeliveryPlan::Kind::Wait);
  CHECK(waiting.at == kNow + 30);

  const DeliveryPlan failover = plan(accepted, kNow + 30);
  CHECK(failover.kind == DeliveryPlan::Kind::Send);
  CHECK(failover.provider == "africastalking");
  CHECK(failover.reason == "receipt_failover");
  CHECK(failover.receipt_failover);

  // After that one resend, nothing more is sent, however long no receipt comes.
  std::vector<DeliveryAttempt> twice = accepted;
  twice.push_back(attempt("africastalking", "accepted", kNow + 30, "receipt_failover"));
  PendingDelivery used = row();
  used.receipt_failover_used = true;
  CHECK(plan(twice, kNow + 100, kChain, all_available, used).kind == DeliveryPlan::Kind::Done);
  // A one-provider chain has nobody to fail over to.
  CHECK(plan(accepted, kNow + 30, {"arkesel"}).kind == DeliveryPlan::Kind::Done);
}

TEST_CASE("planner: a polled provider's message is not resent before its first poll, then as usual",
          "[planner]") {
  PlannerSettings settings;
  settings.polled_providers = {"arkesel"};  // stands for Hubtel here
  settings.poll_recheck_seconds = 12;
  DeliveryAttempt accepted = attempt("arkesel", "accepted");
  const auto at = [&](UnixSeconds now) {
    return plan_delivery(row(), {accepted}, kChain, all_available, now, kExpires, settings);
  };
  // The window has passed but no poll reached the message: it waits, looked at again later.
  const DeliveryPlan unpolled = at(kNow + 31);
  CHECK(unpolled.kind == DeliveryPlan::Kind::Wait);
  CHECK(unpolled.at == kNow + 31 + 12);
  // Near the expiry the watch just ends (accepted): no resend, no failure.
  CHECK(at(kExpires - 5).kind == DeliveryPlan::Kind::Done);
  // Polled once and still not delivered: the one resend through the next provider.
  accepted.polls = 1;
  accepted.receipt = "pending";
  const DeliveryPlan polled = at(kNow + 31);
  CHECK(polled.kind == DeliveryPlan::Kind::Send);
  CHECK(polled.provider == "africastalking");
  CHECK(polled.reason == "receipt_failover");
  // Inside the window a poll changes nothing.
  CHECK(at(kNow + 10).kind == DeliveryPlan::Kind::Wait);
  // Providers that are not polled keep the plain window.
  accepted.polls = 0;
  settings.polled_providers.clear();
  CHECK(at(kNow + 31).kind == DeliveryPlan::Kind::Send);
}

TEST_CASE("planner: a delivered receipt settles the delivery", "[planner]") {
  DeliveryAttempt delivered = attempt("arkesel", "accepted");
  delivered.receipt = "delivered";
  CHECK(plan({delivered}, kNow + 100).kind == DeliveryPlan::Kind::Done);
}

TEST_CASE("planner: a failed receipt excludes its provider and moves on", "[planner]") {
  DeliveryAttempt failed = attempt("arkesel", "accepted");
  failed.receipt = "failed";
  const DeliveryPlan p = plan({failed}, kNow + 1);
  CHECK(p.kind == DeliveryPlan::Kind::Send);
  CHECK(p.provider == "africastalking");
  // With no other provider the delivery fails.
  CHECK(plan({failed}, kNow + 1, {"arkesel"}).kind == DeliveryPlan::Kind::Fail);
}

TEST_CASE("planner: an open breaker is skipped, and when all are open the plan waits",
          "[planner]") {
  const auto arkesel_open = [](std::string_view p) -> std::optional<UnixSeconds> {
    return p == "arkesel" ? std::optional<UnixSeconds>(kNow + 20) : std::nullopt;
  };
  CHECK(plan({}, kNow, kChain, arkesel_open).provider == "africastalking");
  const auto all_open = [](std::string_view p) -> std::optional<UnixSeconds> {
    return p == "arkesel" ? kNow + 20 : kNow + 40;
  };
  const DeliveryPlan p = plan({}, kNow, kChain, all_open);
  CHECK(p.kind == DeliveryPlan::Kind::Wait);
  CHECK(p.at == kNow + 20);
}

TEST_CASE("planner: no retry outlives the OTP's expiry", "[planner]") {
  const auto open_long = [](std::string_view) -> std::optional<UnixSeconds> {
    return kExpires + 1;
  };
  CHECK(plan({}, kNow, kChain, open_long).kind == DeliveryPlan::Kind::Fail);
  CHECK(plan({}, kExpires).kind == DeliveryPlan::Kind::Fail);
  // A receipt window that ends after the expiry: nothing more to do but fail.
  CHECK(plan({attempt("arkesel", "unknown", kExpires - 5)}, kExpires - 4, {"arkesel"}).kind ==
        DeliveryPlan::Kind::Fail);
}

TEST_CASE("planner: gives up after max attempts", "[planner]") {
  std::vector<DeliveryAttempt> attempts;
  for (int i = 0; i < PlannerSettings{}.max_attempts; ++i) {
    attempts.push_back(attempt(i % 2 ? "africastalking" : "arkesel", "transient"));
  }
  const DeliveryPlan p = plan(attempts);
  CHECK(p.kind == DeliveryPlan::Kind::Fail);
  CHECK(p.why.find("attempts") != std::string::npos);
}

TEST_CASE("planner: a transient failure fails over at once only when another provider is free",
          "[planner]") {
  const std::vector<DeliveryAttempt> attempts{attempt("arkesel", "transient")};
  CHECK(alternative_available(attempts, kChain, "arkesel", all_available, kNow, {}));
  CHECK_FALSE(alternative_available(attempts, {"arkesel"}, "arkesel", all_available, kNow, {}));
  const auto other_open = [](std::string_view p) -> std::optional<UnixSeconds> {
    return p == "africastalking" ? std::optional<UnixSeconds>(kNow + 5) : std::nullopt;
  };
  CHECK_FALSE(alternative_available(attempts, kChain, "arkesel", other_open, kNow, {}));
}

TEST_CASE("retry delays double with full jitter and stay within the cap", "[planner]") {
  PlannerSettings settings;
  settings.retry_base_seconds = 1;
  settings.retry_max_seconds = 60;
  testing::check_backoff(
      {{1, true, 1}, {2, true, 2}, {4, true, 8}, {30, true, 60}, {30, false, 1}},
      [&](int failures, auto draw) { return retry_delay_seconds(failures, settings, draw); });
}

TEST_CASE("breaker: opens after N failures in the window, then one probe decides", "[breaker]") {
  BreakerBoard board(BreakerSettings{3, 60, 30, 300});
  board.record_failure("p", kNow);
  board.record_failure("p", kNow + 1);
  CHECK(board.try_acquire("p", kNow + 2));
  board.record_failure("p", kNow + 2);
  CHECK(board.state("p", kNow + 2) == BreakerState::Open);
  CHECK_FALSE(board.try_acquire("p", kNow + 10));
  CHECK(board.unavailable_until("p", kNow + 10) == kNow + 32);
  // Half-open: one probe only.
  CHECK(board.try_acquire("p", kNow + 32));
  CHECK_FALSE(board.try_acquire("p", kNow + 32));
  board.record_failure("p", kNow + 33);  // the probe failed: another cool-down
  CHECK_FALSE(board.try_acquire("p", kNow + 40));
  CHECK(board.try_acquire("p", kNow + 63));
  board.record_success("p", kNow + 63);
  CHECK(board.state("p", kNow + 63) == BreakerState::Closed);
  CHECK(board.try_acquire("p", kNow + 63));
}

TEST_CASE("breaker: failures outside the window do not add up", "[breaker]") {
  BreakerBoard board(BreakerSettings{3, 60, 30, 300});
  board.record_failure("p", kNow);
  board.record_failure("p", kNow + 1);
  board.record_failure("p", kNow + 100);
  CHECK(board.state("p", kNow + 100) == BreakerState::Closed);
}

TEST_CASE("breaker: an account-level error pauses at once and reports the pause once",
          "[breaker]") {
  BreakerBoard board(BreakerSettings{5, 60, 30, 300});
  CHECK(board.record_account_error("p", kNow));
  CHECK_FALSE(board.record_account_error("p", kNow + 1));  // same pause: logged once
  CHECK(board.state("p", kNow + 10) == BreakerState::Open);
  CHECK(board.unavailable_until("p", kNow + 10) == kNow + 301);
  CHECK(board.state("other", kNow) == BreakerState::Closed);
}

TEST_CASE("breaker: a late success does not end an account-level pause early", "[breaker]") {
  BreakerBoard board(BreakerSettings{5, 60, 30, 300});
  CHECK(board.record_account_error("p", kNow));
  board.record_success("p", kNow + 1);  // an answer to a request made before the pause
  CHECK(board.state("p", kNow + 1) == BreakerState::Open);
  CHECK_FALSE(board.try_acquire("p", kNow + 1));
  CHECK(board.unavailable_until("p", kNow + 299) == kNow + 300);
  CHECK_FALSE(board.record_account_error("p", kNow + 2));  // still the same pause: not re-logged
  CHECK(board.unavailable_until("p", kNow + 299) == kNow + 302);
  // Once the pause has run out, a successful probe closes it.
  CHECK(board.try_acquire("p", kNow + 302));
  board.record_success("p", kNow + 302);
  CHECK(board.state("p", kNow + 302) == BreakerState::Closed);
}

TEST_CASE("routes: the longest prefix wins and * covers the rest", "[routing]") {
  const RouteTable table = RouteTable::parse("233=arkesel, africastalking; 23324=hubtel; *=twilio");
  CHECK(table.chain_for("233201234567") == std::vector<std::string>{"arkesel", "africastalking"});
  CHECK(table.chain_for("233241234567") == std::vector<std::string>{"hubtel"});
  CHECK(table.chain_for("2348012345678") == std::vector<std::string>{"twilio"});
  CHECK(table.providers().size() == 4);
  const RouteTable ghana_only = RouteTable::parse("233=arkesel");
  CHECK(ghana_only.chain_for("2348012345678").empty());
  CHECK(RouteTable::parse("").empty());
}

TEST_CASE("routes: mistakes are refused with the part named", "[routing]") {
  const auto refused = [](const char* text, const char* named) {
    try {
      (void)RouteTable::parse(text);
      FAIL("accepted " << text);
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(named) != std::string::npos);
    }
  };
  refused("233", "233");
  refused("0233=arkesel", "0233");
  refused("233=Arkesel!", "Arkesel!");
  refused("233=arkesel,arkesel", "twice");
  refused("233=arkesel; 233=hubtel", "two chains");
}

}  // namespace ussd_otp
