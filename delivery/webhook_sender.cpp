// The app webhook loop of docs/webhooks.md: what is claimed, how each answer moves the row.
#include "delivery/webhook_sender.hpp"

#include <sodium.h>

#include <algorithm>

#include "delivery/signature.hpp"
#include "otp/webhook_events.hpp"

namespace ussd_otp {

std::int64_t webhook_retry_delay(int failures, const WebhookSenderSettings& settings,
                                 const std::function<std::uint32_t(std::uint32_t)>& random_below) {
  const int doublings = std::clamp(failures - 1, 0, 30);
  const std::int64_t base = std::max(1, settings.retry_base_seconds);
  const std::int64_t cap =
      std::max(base, std::min<std::int64_t>(settings.retry_max_seconds, base << doublings));
  return base + static_cast<std::int64_t>(random_below(static_cast<std::uint32_t>(cap - base + 1)));
}

OutboundRequest webhook_request(std::string_view url, std::string_view secret,
                                std::string_view payload, std::int64_t timestamp) {
  OutboundRequest request;
  request.method = "POST";
  request.url = std::string(url);
  request.body = std::string(payload);
  request.headers = {
      {"Content-Type", "application/json"},
      {"User-Agent", std::string(kWebhookUserAgent)},
      {std::string(kSignatureTimestampHeader), std::to_string(timestamp)},
      {std::string(kSignatureHeader), webhook_signature(secret, timestamp, payload)},
  };
  return request;
}

WebhookSender::WebhookSender(OtpStore& store, const Clock& clock, const CodeVault& vault,
                             WebhookSenderSettings settings, DeliveryLogger log)
    : store_(store),
      clock_(clock),
      vault_(vault),
      settings_(settings),
      log_(log ? std::move(log) : [](int, std::string_view, const nlohmann::json&) {}) {}

WebhookSender::~WebhookSender() {
  stop();
}

std::int64_t WebhookSender::lease_seconds() const {
  // Longer than any attempt can take, so a live sender never loses a row it is sending.
  return settings_.timeout.count() / 1000 + 30;
}

void WebhookSender::start() {
  loop_.start({[this] { run_once(settings_.idle_poll); }, [this] { multi_.wake(); },
               // Database locked or full: leases keep the rows; the next pass tries again.
               [this](const std::exception& e) {
                 log_(kLogError, "webhook.pass_failed", {{"error", e.what()}});
               },
               settings_.idle_poll});
}

void WebhookSender::stop() {
  loop_.stop();
}

void WebhookSender::run_once(std::chrono::milliseconds wait) {
  claim_and_start();
  std::vector<FinishedTransfer> finished =
      multi_.run(local_failures_.empty() ? wait : std::chrono::milliseconds(0));
  if (!finished.empty() || !local_failures_.empty()) record(std::move(finished));
}

void WebhookSender::claim_and_start() {
  if (in_flight_.size() >= settings_.max_in_flight) return;
  const UnixSeconds now = clock_.now();
  const bool any_due =
      store_.read([&](OtpStoreTransaction& tx) { return !tx.due_webhooks(now, 1).empty(); });
  if (!any_due) return;

  std::vector<PendingWebhook> rows = store_.write([&](OtpStoreTransaction& tx) {
    std::vector<PendingWebhook> claimed =
        tx.claim_webhooks(now, now + lease_seconds(), settings_.max_in_flight - in_flight_.size());
    for (const PendingWebhook& row : claimed) {
      if (row.lease_until == 0) continue;
      // Leased by a sender that stopped (crash, restart) before it recorded the answer.
      tx.insert_webhook_attempt(WebhookAttempt{0, row.id, row.otp_id, row.event, 0,
                                               "the server stopped before the app answered", 0,
                                               now});
    }
    return claimed;
  });
  for (PendingWebhook& row : rows) {
    const auto tag = static_cast<std::uint64_t>(row.id);
    if (in_flight_.count(tag)) continue;  // cannot happen while the lease holds; be safe
    if (row.url.empty() || row.key_revoked) {
      local_failures_.emplace_back(std::move(row), "");  // dropped: the app has no webhook now
      continue;
    }
    const std::optional<std::string> secret =
        vault_.open(webhook_secret_binding(row.api_key_id), row.sealed_secret);
    if (!secret) {
      local_failures_.emplace_back(std::move(row),
                                   "the webhook secret cannot be read (was the server key "
                                   "replaced? set the webhook again)");
      continue;
    }
    try {
      multi_.start(tag, webhook_request(row.url, *secret, row.payload, clock_.now()),
                   TransferTimeouts{std::min(settings_.timeout, std::chrono::milliseconds(3000)),
                                    settings_.timeout});
      in_flight_.emplace(tag, InFlight{std::move(row)});
    } catch (const std::exception& e) {
      local_failures_.emplace_back(std::move(row), e.what());
    }
  }
}

void WebhookSender::record(std::vector<FinishedTransfer> finished) {
  struct Outcome {
    PendingWebhook row;
    WebhookAttempt attempt;
    bool done = false;    // 2xx, or nothing left to send to
    bool silent = false;  // no attempt row: the webhook was removed
  };
  std::vector<Outcome> outcomes;
  const UnixSeconds now = clock_.now();
  for (FinishedTransfer& f : finished) {
    auto node = in_flight_.extract(f.tag);
    if (node.empty()) continue;
    PendingWebhook row = std::move(node.mapped().row);
    const OutboundResponse& r = f.response;
    WebhookAttempt a{0, row.id, row.otp_id, row.event, 0, "", r.latency.count(), now};
    bool done = false;
    if (r.result == TransferResult::Completed) {
      a.http_status = static_cast<int>(r.status);
      done = r.status >= 200 && r.status < 300;
      if (!done) a.error = "HTTP " + std::to_string(r.status);
    } else {
      a.error = r.transport_error.empty() ? "transport failure" : r.transport_error.substr(0, 300);
    }
    outcomes.push_back(Outcome{std::move(row), std::move(a), done, false});
  }
  for (auto& [row, error] : local_failures_) {
    WebhookAttempt a{0, row.id, row.otp_id, row.event, 0, error, 0, now};
    const bool removed = error.empty();
    outcomes.push_back(Outcome{std::move(row), std::move(a), removed, removed});
  }
  local_failures_.clear();
  if (outcomes.empty()) return;

  store_.write([&](OtpStoreTransaction& tx) {
    for (const Outcome& o : outcomes) {
      if (!o.silent) tx.insert_webhook_attempt(o.attempt);
      const int attempts = o.row.attempts + 1;  // this one included
      if (o.done) {
        tx.complete_webhook(o.row.id);
      } else if (attempts >= settings_.max_attempts) {
        tx.complete_webhook(o.row.id);
      } else {
        const std::int64_t delay = webhook_retry_delay(attempts, settings_, [](std::uint32_t n) {
          return n == 0 ? 0 : randombytes_uniform(n);
        });
        tx.retry_webhook_later(o.row.id, now + delay);
      }
    }
  });
  for (const Outcome& o : outcomes) {
    if (o.done || o.row.attempts + 1 < settings_.max_attempts) continue;
    log_(kLogWarn, "webhook.gave_up",
         {{"otp_id", o.row.otp_id},
          {"event", o.row.event},
          {"webhook_id", o.row.id},
          {"attempts", o.row.attempts + 1},
          {"last_error", o.attempt.error}});
  }
}

}  // namespace ussd_otp
