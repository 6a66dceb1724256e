// The app webhook loop: claims due webhook_outbox rows with a lease, POSTs each signed body to
// its key's URL (CurlMulti, its own thread: never an HTTP worker), records every attempt, and
// retries with exponential backoff and jitter until 2xx or webhook-max-attempts.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "delivery/curl_multi.hpp"
#include "delivery/pass_loop.hpp"
#include "delivery/sms_sender.hpp"  // DeliveryLogger, kLog*
#include "otp/clock.hpp"
#include "otp/crypto.hpp"
#include "otp/store.hpp"

namespace ussd_otp {

inline constexpr std::string_view kWebhookUserAgent = "ussd-otp-webhooks/1";

struct WebhookSenderSettings {
  std::chrono::milliseconds timeout{5000};  // per attempt, connect included
  int max_attempts = 10;                    // then the event is dropped (logged)
  int retry_base_seconds = 5;               // first retry delay; doubles, with jitter
  int retry_max_seconds = 3600;             // the longest retry delay
  std::size_t max_in_flight = 64;
  std::chrono::milliseconds idle_poll{200};  // how often an idle sender looks for due rows
};

// Seconds before attempt `failures` + 1: uniform in [base, min(max, base * 2^(failures-1))].
std::int64_t webhook_retry_delay(int failures, const WebhookSenderSettings& settings,
                                 const std::function<std::uint32_t(std::uint32_t)>& random_below);

// The POST for one webhook row: JSON body, user agent, timestamp and signature headers.
OutboundRequest webhook_request(std::string_view url, std::string_view secret,
                                std::string_view payload, std::int64_t timestamp);

class WebhookSender {
 public:
  WebhookSender(OtpStore& store, const Clock& clock, const CodeVault& vault,
                WebhookSenderSettings settings, DeliveryLogger log);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  void start();  // also resumes rows left by an earlier run (once their lease ends)
  void stop();   // finishes nothing in flight: leased rows are claimed again after the lease
  // One pass without the thread (tests): claim, send, wait up to `wait`, record results.
  void run_once(std::chrono::milliseconds wait);
  std::int64_t lease_seconds() const;

 private:
  struct InFlight {
    PendingWebhook row;
  };
  void claim_and_start();
  void record(std::vector<FinishedTransfer> finished);

  OtpStore& store_;
  const Clock& clock_;
  const CodeVault& vault_;
  WebhookSenderSettings settings_;
  DeliveryLogger log_;
  CurlMulti multi_;
  std::map<std::uint64_t, InFlight> in_flight_;  // by outbox row id
  // Rows finished without HTTP (no URL any more, unreadable secret, bad URL): recorded next.
  std::vector<std::pair<PendingWebhook, std::string>> local_failures_;
  PassLoop loop_;  // last: its thread stops before the members it uses go
};

}  // namespace ussd_otp
