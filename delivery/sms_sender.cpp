// The sender loop of docs/delivery.md: what is claimed, what each outcome does to the outbox
// row, receipts and polls. Planning decisions live in planner.cpp; this file does the I/O.
#include "delivery/sms_sender.hpp"

#include <sodium.h>

#include <algorithm>
#include <utility>

#include "otp/webhook_events.hpp"

namespace ussd_otp {
namespace {

constexpr std::uint64_t kPollTag = std::uint64_t{1} << 63;
// Status polls per accepted message at most (docs/delivery.md, "Hubtel: polling").
constexpr int kMaxPollsPerMessage = 5;
// Messages older than this are not polled any more (no OTP that could still use it lives longer
// by default; a poll then only completes the record).
constexpr UnixSeconds kPollHorizonSeconds = 3600;

std::string attempt_detail(const DeliveryAttempt& a) {
  std::string detail = a.provider + ":" + a.reason;
  if (!a.gateway_message_id.empty()) detail += " id=" + a.gateway_message_id;
  return detail;
}

// What the app's webhook says about an attempt (provider, message id, why, what went wrong).
WebhookEventDetails webhook_details(const DeliveryAttempt& a, std::string error = {}) {
  WebhookEventDetails details;
  details.provider = a.provider;
  details.message_id = a.gateway_message_id;
  details.reason = a.reason;
  details.error = std::move(error);
  return details;
}

WebhookEventDetails failure_details(std::string error) {
  WebhookEventDetails details;
  details.error = std::move(error);
  return details;
}

// The one way a delivery fails: its outbox row goes, the OTP's history says why, and the app's
// webhook gets otp.failed. Every failure path goes through here, so none can skip the webhook.
// (`row_id` 0: the row is already gone, as after a late failed receipt.)
void fail_delivery(OtpStoreTransaction& tx, std::int64_t row_id, std::string_view otp_id,
                   UnixSeconds now, const std::string& why, WebhookEventDetails details) {
  if (row_id != 0) tx.complete_delivery(row_id);
  tx.add_event(otp_id, event::kDeliveryFailed, now, why);
  if (details.error.empty()) details.error = why;
  queue_webhook_event(tx, otp_id, event::kDeliveryFailed, now, details);
}

}  // namespace

struct SmsSender::InFlight {
  DeliveryAttempt attempt;
  bool poll = false;
};

SmsSender::SmsSender(OtpStore& store, OtpService& otp, const Clock& clock, RouteTable routes,
                     std::map<std::string, std::unique_ptr<SmsProvider>, std::less<>> providers,
                     std::map<std::string, TransferTimeouts, std::less<>> timeouts,
                     std::map<std::string, DeliveryChannel*, std::less<>> local,
                     SmsSenderSettings settings, DeliveryLogger log)
    : store_(store),
      otp_(otp),
      clock_(clock),
      routes_(std::move(routes)),
      providers_(std::move(providers)),
      timeouts_(std::move(timeouts)),
      local_(std::move(local)),
      settings_(settings),
      log_(log ? std::move(log) : [](int, std::string_view, const nlohmann::json&) {}),
      breakers_(settings.breaker),
      multi_(settings.max_in_flight),
      next_poll_(std::chrono::steady_clock::now()) {
  if (settings_.status_polls_per_minute > 0) {
    for (const auto& [name, provider] : providers_) {
      if (provider->build_status_poll("probe")) settings_.planner.polled_providers.push_back(name);
    }
    settings_.planner.poll_recheck_seconds =
        (60 + settings_.status_polls_per_minute - 1) / settings_.status_polls_per_minute;
  }
}

SmsSender::~SmsSender() {
  stop();
}

void SmsSender::start() {
  loop_.start({[this] { run_once(settings_.idle_poll); }, [this] { multi_.wake(); },
               // A failing pass (database locked, disk full) is retried; leases keep rows safe.
               [this](const std::exception& e) {
                 log_(kLogError, "delivery.pass_failed", {{"error", e.what()}});
               },
               settings_.idle_poll});
}

void SmsSender::stop() {
  loop_.stop();
}

void SmsSender::poke() {
  poked_ = true;
  multi_.wake();
}

const SmsProvider* SmsSender::provider(std::string_view name) const {
  const auto found = providers_.find(name);
  return found == providers_.end() ? nullptr : found->second.get();
}

SmsSenderStats SmsSender::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

BreakerState SmsSender::breaker_state(std::string_view provider) const {
  return breakers_.state(provider, clock_.now());
}

void SmsSender::run_once(std::chrono::milliseconds wait) {
  poked_ = false;
  claim_and_start();
  if (!local_results_.empty() || !unrecorded_.empty()) record_results({});
  start_status_polls();
  const bool more_due = poked_.load();
  std::vector<FinishedTransfer> finished =
      multi_.run(more_due ? std::chrono::milliseconds(0) : wait);
  // Sends are recorded before polls: a poll whose write fails must not lose a send's outcome.
  std::vector<FinishedTransfer> polls;
  for (auto it = finished.begin(); it != finished.end();) {
    if ((it->tag & kPollTag) != 0) {
      polls.push_back(std::move(*it));
      it = finished.erase(it);
    } else {
      ++it;
    }
  }
  if (!finished.empty()) record_results(std::move(finished));
  finish_polls(polls);
}

std::size_t SmsSender::claim_and_start() {
  if (in_flight_.size() >= settings_.max_in_flight) return 0;
  const UnixSeconds now = clock_.now();
  const bool any_due =
      store_.read([&](OtpStoreTransaction& tx) { return !tx.due_deliveries(now, 1).empty(); });
  if (!any_due) return 0;

  struct ToSend {
    DeliveryAttempt attempt;
    OutgoingMessage message;
  };
  std::vector<std::string> probes;  // breaker probe slots taken, to give back if the write fails
  const auto unavailable = [&](std::string_view provider) {
    return breakers_.unavailable_until(provider, now);
  };
  const std::size_t room =
      std::min(settings_.claim_batch, settings_.max_in_flight - in_flight_.size());
  std::vector<ToSend> sends;
  try {
    sends = store_.write([&](OtpStoreTransaction& tx) {
      std::vector<ToSend> claimed;
      for (PendingDelivery& row : tx.claim_deliveries(now, now + settings_.lease_seconds, room)) {
        std::optional<OtpRecord> otp = tx.find_otp(row.otp_id);
        if (!otp || effective_status(*otp, now) != OtpStatus::Pending) {
          tx.complete_delivery(row.id);  // verified, cancelled, locked or expired: nothing to send
          continue;
        }
        std::vector<DeliveryAttempt> attempts = tx.delivery_attempts_for_outbox(row.id);
        if (std::any_of(attempts.begin(), attempts.end(), [&](const DeliveryAttempt& a) {
              return in_flight_.count(static_cast<std::uint64_t>(a.id)) > 0 ||
                     std::any_of(unrecorded_.begin(), unrecorded_.end(),
                                 [&](const Outcome& o) { return o.attempt.id == a.id; });
            })) {
          continue;  // still ours and in flight (the clock jumped past the lease): leased again
        }
        for (DeliveryAttempt& a : attempts) {
          if (a.outcome != "sending" || in_flight_.count(static_cast<std::uint64_t>(a.id)))
            continue;
          // A sender stopped (crash, kill -9) after making this attempt: the SMS may have gone.
          a.outcome = std::string(to_string(SendOutcome::Unknown));
          a.error = "the sender stopped before the gateway answered";
          a.finished_at = now;
          tx.finish_delivery_attempt(a);
        }
        row.receipt_failover_used =
            row.receipt_failover_used ||
            std::any_of(attempts.begin(), attempts.end(),
                        [](const DeliveryAttempt& a) { return a.reason == "receipt_failover"; });
        const DeliveryPlan plan =
            plan_delivery(row, attempts, routes_.chain_for(otp->phone), unavailable, now,
                          otp->expires_at, settings_.planner);
        switch (plan.kind) {
          case DeliveryPlan::Kind::Done:
            tx.complete_delivery(row.id);
            continue;
          case DeliveryPlan::Kind::Fail:
            fail_delivery(tx, row.id, row.otp_id, now, plan.why, failure_details(plan.why));
            continue;
          case DeliveryPlan::Kind::Wait:
            row.next_attempt_at = plan.at;
            tx.reschedule_delivery(row);
            continue;
          case DeliveryPlan::Kind::Send:
            break;
        }
        const bool local = local_.count(plan.provider) > 0;
        if (!local && !providers_.count(plan.provider)) {
          fail_delivery(tx, row.id, row.otp_id, now,
                        "provider " + plan.provider + " is not configured", {});
          continue;
        }
        if (!breakers_.try_acquire(plan.provider, now)) {
          row.next_attempt_at = now + 1;  // another row took the half-open probe
          tx.reschedule_delivery(row);
          continue;
        }
        probes.push_back(plan.provider);
        std::optional<OutgoingMessage> message = otp_.render_delivery(*otp, row.reason, now);
        if (!message) {
          breakers_.release_probe(plan.provider);
          fail_delivery(tx, row.id, row.otp_id, now,
                        "the code cannot be read (was the server key replaced?)",
                        failure_details("the code cannot be read"));
          continue;
        }
        if (!otp_.charge_delivery(tx, otp->api_key_id, now)) {
          breakers_.release_probe(plan.provider);
          fail_delivery(tx, row.id, row.otp_id, now, "send budget used up", {});
          continue;
        }
        DeliveryAttempt attempt;
        attempt.outbox_id = row.id;
        attempt.otp_id = row.otp_id;
        attempt.provider = plan.provider;
        attempt.reason = plan.reason;
        attempt.outcome = "sending";
        attempt.started_at = now;
        attempt.id = tx.insert_delivery_attempt(attempt);
        ++row.attempts;
        claimed.push_back(ToSend{std::move(attempt), std::move(*message)});
      }
      return claimed;
    });
  } catch (...) {
    for (const std::string& provider : probes) breakers_.release_probe(provider);
    throw;
  }

  for (ToSend& send : sends) {
    const auto id = static_cast<std::uint64_t>(send.attempt.id);
    if (auto channel = local_.find(send.attempt.provider); channel != local_.end()) {
      SendResult result;
      try {
        result = channel->second->deliver(send.message);
      } catch (const std::exception& e) {
        result = SendResult{SendOutcome::Transient, "", e.what(), "", ""};
      }
      in_flight_.emplace(id, InFlight{send.attempt, false});
      local_results_.emplace_back(send.attempt.id, std::move(result));
      continue;
    }
    const SmsProvider& provider = *providers_.at(send.attempt.provider);
    SmsMessage sms{send.message.phone, send.message.sender, send.message.text,
                   std::to_string(send.attempt.id)};
    const auto approved = settings_.approved_senders.find(send.attempt.provider);
    if (approved == settings_.approved_senders.end() ||
        std::find(approved->second.begin(), approved->second.end(), sms.sender) ==
            approved->second.end()) {
      sms.sender.clear();  // the provider's configured sender id: others would be refused
    }
    const auto timeouts = timeouts_.find(send.attempt.provider);
    try {
      multi_.start(id, provider.build_send(sms, now),
                   timeouts == timeouts_.end() ? TransferTimeouts{} : timeouts->second);
      in_flight_.emplace(id, InFlight{send.attempt, false});
    } catch (const std::exception& e) {
      in_flight_.emplace(id, InFlight{send.attempt, false});
      local_results_.emplace_back(send.attempt.id,
                                  SendResult{SendOutcome::Transient, "", e.what(), "", ""});
    }
  }
  {
    std::lock_guard lock(stats_mutex_);
    stats_.attempts += sends.size();
    stats_.in_flight = in_flight_.size();
  }
  return sends.size();
}

void SmsSender::record_results(std::vector<FinishedTransfer> finished) {
  // Outcomes a failed write could not record come first: they are never dropped.
  std::vector<Outcome> outcomes = std::move(unrecorded_);
  unrecorded_.clear();
  for (FinishedTransfer& f : finished) {
    auto node = in_flight_.extract(f.tag);
    if (node.empty()) continue;
    DeliveryAttempt attempt = node.mapped().attempt;
    const OutboundResponse& response = f.response;
    SendResult result;
    switch (response.result) {
      case TransferResult::Completed:
        try {
          result = providers_.at(attempt.provider)->parse_send(response);
        } catch (const std::exception& e) {
          result = SendResult{SendOutcome::Unknown, "",
                              std::string("unreadable answer: ") + e.what(), "", ""};
        }
        break;
      case TransferResult::FailedBeforeSend:
        result = SendResult{SendOutcome::Transient, "", response.transport_error, "", ""};
        break;
      case TransferResult::TimedOutAfterSend:
      case TransferResult::FailedAfterSend:
        result = SendResult{SendOutcome::Unknown, "", response.transport_error, "", ""};
        break;
    }
    attempt.http_status = static_cast<int>(response.status);
    attempt.latency_ms = response.latency.count();
    outcomes.push_back(Outcome{std::move(attempt), std::move(result)});
  }
  for (auto& [id, result] : local_results_) {
    auto node = in_flight_.extract(static_cast<std::uint64_t>(id));
    if (node.empty()) continue;
    outcomes.push_back(Outcome{node.mapped().attempt, std::move(result)});
  }
  local_results_.clear();
  if (outcomes.empty()) return;
  try {
    write_outcomes(outcomes);
  } catch (...) {
    unrecorded_ = std::move(outcomes);  // retried on the next pass; the leases still hold
    throw;
  }
}

void SmsSender::write_outcomes(std::vector<Outcome>& outcomes) {
  const UnixSeconds now = clock_.now();
  const auto unavailable = [&](std::string_view provider) {
    return breakers_.unavailable_until(provider, now);
  };
  const auto [accepted, reschedule_now] = store_.write([&](OtpStoreTransaction& tx) {
    std::size_t accepted = 0;
    bool reschedule_now = false;
    for (Outcome& o : outcomes) {
      DeliveryAttempt& a = o.attempt;
      a.outcome = std::string(to_string(o.result.outcome));
      a.gateway_message_id = o.result.message_id;
      if ((o.result.outcome == SendOutcome::Accepted || o.result.outcome == SendOutcome::Unknown) &&
          a.gateway_message_id.empty() && !local_.count(a.provider)) {
        // The gateway named no id: receipts can only quote the reference we sent (the attempt).
        a.gateway_message_id = std::to_string(a.id);
      }
      a.error = o.result.error.substr(0, 300);
      a.gateway_status = o.result.gateway_status.substr(0, 64);
      a.cost = o.result.cost.substr(0, 32);
      a.finished_at = now;
      tx.finish_delivery_attempt(a);
      std::optional<PendingDelivery> row = tx.find_delivery(a.outbox_id);
      if (row) ++row->attempts;
      const bool local = local_.count(a.provider) > 0;
      switch (o.result.outcome) {
        case SendOutcome::Accepted:
          ++accepted;
          breakers_.record_success(a.provider, now);
          tx.add_event(a.otp_id, event::kSent, now, attempt_detail(a));
          queue_webhook_event(tx, a.otp_id, event::kSent, now, webhook_details(a));
          if (!row) break;
          if (local || settings_.planner.receipt_window_seconds <= 0) {
            tx.complete_delivery(row->id);  // nothing will confirm it, and nothing is watched
          } else {
            row->state = "awaiting_receipt";
            row->next_attempt_at = now + settings_.planner.receipt_window_seconds;
            tx.reschedule_delivery(*row);
          }
          break;
        case SendOutcome::Permanent:
          breakers_.record_success(a.provider, now);  // it answered; the number is the problem
          if (!row) break;
          fail_delivery(
              tx, row->id, a.otp_id, now,
              a.provider + " refused it for good" + (a.error.empty() ? "" : ": " + a.error),
              webhook_details(a, a.error.empty() ? "refused" : a.error));
          break;
        case SendOutcome::AccountLevel:
          if (breakers_.record_account_error(a.provider, now)) {
            log_(kLogError, "delivery.provider_paused",
                 {{"provider", a.provider},
                  {"error", a.error},
                  {"http_status", a.http_status},
                  {"paused_seconds", settings_.breaker.account_pause_seconds},
                  {"hint", "check the provider's credentials, balance and sender id"}});
          }
          if (!row) break;
          row->state = "pending";
          row->next_attempt_at = now;
          reschedule_now = true;
          tx.reschedule_delivery(*row);
          break;
        case SendOutcome::Transient:
        case SendOutcome::Unknown: {
          breakers_.record_failure(a.provider, now);
          if (!row) break;
          row->state = "pending";
          row->next_attempt_at = now;
          if (o.result.outcome == SendOutcome::Transient) {
            // Another provider that can take it now gets it at once; otherwise back off.
            const std::vector<DeliveryAttempt> attempts = tx.delivery_attempts_for_outbox(row->id);
            std::optional<OtpRecord> otp = tx.find_otp(a.otp_id);
            const bool elsewhere =
                otp && alternative_available(attempts, routes_.chain_for(otp->phone), a.provider,
                                             unavailable, now, settings_.planner);
            // The last attempt allowed: no backoff, the planner fails the delivery now (so
            // delivery_failed is not held back by a wait that leads nowhere).
            const auto made =
                std::count_if(attempts.begin(), attempts.end(),
                              [](const DeliveryAttempt& x) { return x.outcome != "sending"; });
            if (!elsewhere && made < settings_.planner.max_attempts) {
              const int failures = static_cast<int>(
                  std::count_if(attempts.begin(), attempts.end(), [&](const DeliveryAttempt& x) {
                    return x.provider == a.provider && x.outcome == "transient";
                  }));
              row->next_attempt_at =
                  now + retry_delay_seconds(failures, settings_.planner, [](std::uint32_t n) {
                    return n == 0 ? 0 : randombytes_uniform(n);
                  });
              if (otp && row->next_attempt_at >= otp->expires_at) {
                // No retry outlives the code: fail now, with the event, not silently later.
                fail_delivery(tx, row->id, a.otp_id, now,
                              "the code expires before another attempt could be made",
                              webhook_details(a, a.error.empty() ? "transient" : a.error));
                break;
              }
            }
          }
          reschedule_now = reschedule_now || row->next_attempt_at <= now;
          tx.reschedule_delivery(*row);
          break;
        }
      }
    }
    return std::pair{accepted, reschedule_now};
  });
  {
    std::lock_guard lock(stats_mutex_);
    stats_.accepted += accepted;
    stats_.failed_attempts += outcomes.size() - accepted;
    stats_.in_flight = in_flight_.size();
  }
  if (reschedule_now) poked_ = true;
}

void SmsSender::start_status_polls() {
  if (settings_.status_polls_per_minute <= 0) return;
  const auto steady_now = std::chrono::steady_clock::now();
  if (steady_now < next_poll_) return;
  const auto interval = std::chrono::milliseconds(60'000 / settings_.status_polls_per_minute);
  next_poll_ = steady_now + interval;
  const UnixSeconds now = clock_.now();
  for (const auto& [name, provider] : providers_) {
    if (!provider->build_status_poll("probe")) continue;  // it pushes receipts (or has none)
    // Oldest-due first: never-polled messages by age, then the least recently polled; each at
    // most kMaxPollsPerMessage times. Named capture: clang 14 cannot capture a structured
    // binding implicitly (the fuzz build).
    const std::vector<DeliveryAttempt> due =
        store_.read([&, &provider_name = name](OtpStoreTransaction& tx) {
          return tx.attempts_awaiting_receipt(provider_name, now - kPollHorizonSeconds,
                                              kMaxPollsPerMessage, 1);
        });
    for (const DeliveryAttempt& a : due) {
      const std::uint64_t tag = kPollTag | static_cast<std::uint64_t>(a.id);
      if (in_flight_.count(tag)) continue;
      std::optional<OutboundRequest> poll = provider->build_status_poll(a.gateway_message_id);
      if (!poll) continue;
      const auto timeouts = timeouts_.find(name);
      multi_.start(tag, *poll, timeouts == timeouts_.end() ? TransferTimeouts{} : timeouts->second);
      in_flight_.emplace(tag, InFlight{a, true});
    }
  }
}

void SmsSender::finish_polls(std::vector<FinishedTransfer>& finished) {
  auto is_poll = [](const FinishedTransfer& f) { return (f.tag & kPollTag) != 0; };
  for (FinishedTransfer& f : finished) {
    if (!is_poll(f)) continue;
    auto node = in_flight_.extract(f.tag);
    if (node.empty()) continue;
    const DeliveryAttempt& a = node.mapped().attempt;
    const SmsProvider* provider = this->provider(a.provider);
    std::optional<Receipt> receipt;
    if (provider != nullptr && f.response.result == TransferResult::Completed) {
      try {
        receipt = provider->parse_status_poll(a.gateway_message_id, f.response);
      } catch (const std::exception&) {
        receipt.reset();
      }
    }
    if (!receipt) {
      // Unreadable or failed poll: mark it polled, so the next poll asks about another message.
      receipt = Receipt{a.gateway_message_id, ReceiptState::Pending, "poll failed", ""};
    }
    if (receipt->message_id.empty()) receipt->message_id = a.gateway_message_id;
    try {
      store_.write([&](OtpStoreTransaction& tx) { tx.count_delivery_poll(a.id); });
      apply_receipts(a.provider, {*receipt});
    } catch (const std::exception& e) {
      log_(kLogError, "delivery.poll_failed", {{"provider", a.provider}, {"error", e.what()}});
    }
  }
  finished.erase(std::remove_if(finished.begin(), finished.end(), is_poll), finished.end());
}

// A failed receipt for a delivery already settled (accepted, and the watch ended): while the
// code is pending, the row comes back and the planner decides as for any failed receipt (the
// next provider not yet failed, or otp.failed when none is left); an expired code gets
// otp.failed now. Nothing when the code was used or voided, or the failure was already told.
bool SmsSender::after_late_failure(OtpStoreTransaction& tx, const DeliveryAttempt& a,
                                   const std::string& detail, UnixSeconds now) {
  const std::optional<OtpRecord> otp = tx.find_otp(a.otp_id);
  if (!otp) return false;
  const OtpStatus status = effective_status(*otp, now);
  if (status != OtpStatus::Pending && status != OtpStatus::Expired) return false;
  const std::vector<DeliveryAttempt> attempts = tx.delivery_attempts_for_outbox(a.outbox_id);
  if (attempts.empty()) return false;
  const UnixSeconds began = attempts.front().started_at;
  for (const OtpEvent& e : tx.events(a.otp_id)) {
    if (e.type == event::kDeliveryFailed && e.at >= began) return false;  // already told
  }
  if (status == OtpStatus::Expired) {
    fail_delivery(tx, 0, a.otp_id, now, "the code expired; the last SMS was not delivered",
                  webhook_details(a, detail));
    return false;
  }
  PendingDelivery row;
  row.id = a.outbox_id;
  row.otp_id = a.otp_id;
  row.reason = attempts.front().reason;  // the delivery's own reason (initial or resend)
  row.created_at = began;
  row.attempts = static_cast<int>(attempts.size());
  row.state = "pending";
  row.next_attempt_at = now;
  row.receipt_failover_used =
      std::any_of(attempts.begin(), attempts.end(),
                  [](const DeliveryAttempt& x) { return x.reason == "receipt_failover"; });
  tx.reopen_delivery(row);
  return true;
}

ReceiptReport SmsSender::apply_receipts(std::string_view provider,
                                        const std::vector<Receipt>& receipts) {
  const UnixSeconds now = clock_.now();
  const auto [report, reschedule_now] = store_.write([&](OtpStoreTransaction& tx) {
    ReceiptReport report;
    bool reschedule_now = false;
    for (const Receipt& r : receipts) {
      std::optional<DeliveryAttempt> a = tx.find_delivery_attempt(provider, r.message_id);
      if (!a) {
        ++report.unmatched;
        continue;
      }
      ++report.matched;
      if (a->receipt == "delivered" || a->receipt == "failed") continue;  // already final
      const std::string status = r.status.substr(0, 64);
      tx.record_delivery_receipt(a->id, to_string(r.state), status, now);
      const std::string detail = std::string(provider) + ": " + status +
                                 (r.error.empty() ? "" : " (" + r.error.substr(0, 200) + ")");
      std::optional<PendingDelivery> row = tx.find_delivery(a->outbox_id);
      if (r.state == ReceiptState::Delivered) {
        tx.add_event(a->otp_id, event::kDelivered, now, detail);
        queue_webhook_event(tx, a->otp_id, event::kDelivered, now, webhook_details(*a));
        if (row) tx.complete_delivery(row->id);
      } else if (r.state == ReceiptState::Failed) {
        tx.add_event(a->otp_id, event::kUndelivered, now, detail);
        // The next provider in the chain gets it now (unless another attempt is in flight).
        if (row && row->lease_until <= now) {
          row->state = "pending";
          row->next_attempt_at = now;
          tx.reschedule_delivery(*row);
          reschedule_now = true;
        } else if (!row) {
          reschedule_now = after_late_failure(tx, *a, detail, now) || reschedule_now;
        }
      }
    }
    return std::pair{report, reschedule_now};
  });
  {
    std::lock_guard lock(stats_mutex_);
    stats_.receipts += report.matched;
  }
  if (reschedule_now) poke();
  return report;
}

}  // namespace ussd_otp
