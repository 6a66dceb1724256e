// The sender loop: claims due outbox rows with a lease, sends each through the provider its
// chain and the breakers pick, records every attempt, applies receipts, and polls gateways that
// push none. One thread, many transfers in flight (CurlMulti); nothing runs on HTTP workers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "delivery/breaker.hpp"
#include "delivery/curl_multi.hpp"
#include "delivery/pass_loop.hpp"
#include "delivery/planner.hpp"
#include "delivery/provider.hpp"
#include "delivery/routing.hpp"
#include "otp/delivery.hpp"
#include "otp/otp_service.hpp"
#include "otp/store.hpp"

namespace ussd_otp {

struct SmsSenderSettings {
  PlannerSettings planner;
  BreakerSettings breaker;
  std::int64_t lease_seconds = 60;           // longer than any provider's total timeout
  std::size_t max_in_flight = 256;           // transfers at once, all providers together
  std::size_t claim_batch = 256;             // outbox rows claimed per transaction
  std::chrono::milliseconds idle_poll{200};  // how often an idle sender looks for due rows
  int status_polls_per_minute = 60;          // polled gateways (Hubtel), all messages together
  // Sender ids a request's `from` may pick, per provider; any other goes out under the
  // provider's configured sender (a gateway refuses ids it has not approved, and that refusal
  // is account-level: it would pause the provider for every tenant).
  std::map<std::string, std::vector<std::string>, std::less<>> approved_senders;
};

// Events the sender reports for logs (and later metrics); fields never hold a code.
using DeliveryLogger =
    std::function<void(int level, std::string_view event, const nlohmann::json& fields)>;
inline constexpr int kLogInfo = 2;  // spdlog's numbering: info, warn, error
inline constexpr int kLogWarn = 3;
inline constexpr int kLogError = 4;

struct ReceiptReport {
  std::size_t matched = 0;
  std::size_t unmatched = 0;  // no attempt of this provider has that message id
};

struct SmsSenderStats {
  std::uint64_t attempts = 0;
  std::uint64_t accepted = 0;
  std::uint64_t failed_attempts = 0;  // any outcome other than accepted
  std::uint64_t receipts = 0;
  std::size_t in_flight = 0;
};

class SmsSender {
 public:
  // `providers` by name (the names chains use); `local` channels (the dev inbox) are used
  // like providers but without HTTP. The sender does not own the store, policy or clock.
  SmsSender(OtpStore& store, OtpService& otp, const Clock& clock, RouteTable routes,
            std::map<std::string, std::unique_ptr<SmsProvider>, std::less<>> providers,
            std::map<std::string, TransferTimeouts, std::less<>> timeouts,
            std::map<std::string, DeliveryChannel*, std::less<>> local, SmsSenderSettings settings,
            DeliveryLogger log);
  ~SmsSender();
  SmsSender(const SmsSender&) = delete;
  SmsSender& operator=(const SmsSender&) = delete;

  void start();
  void stop();  // finishes nothing in flight: leased rows are picked up after their lease
  void poke();  // a delivery was queued

  // Whether some chain covers `phone` with a provider that exists.
  bool covers(std::string_view phone) const { return !routes_.chain_for(phone).empty(); }
  const SmsProvider* provider(std::string_view name) const;
  ReceiptReport apply_receipts(std::string_view provider, const std::vector<Receipt>& receipts);
  SmsSenderStats stats() const;
  BreakerState breaker_state(std::string_view provider) const;

  // One pass without the thread (tests of the loop itself): claim, send and wait up to
  // `wait` for transfers, record results.
  void run_once(std::chrono::milliseconds wait);

 private:
  struct InFlight;
  std::size_t claim_and_start();
  struct Outcome {
    DeliveryAttempt attempt;
    SendResult result;
  };
  void record_results(std::vector<FinishedTransfer> finished);
  void write_outcomes(std::vector<Outcome>& outcomes);
  void start_status_polls();
  void finish_polls(std::vector<FinishedTransfer>& finished);
  bool after_late_failure(OtpStoreTransaction& tx, const DeliveryAttempt& a,
                          const std::string& detail, UnixSeconds now);

  OtpStore& store_;
  OtpService& otp_;
  const Clock& clock_;
  RouteTable routes_;
  std::map<std::string, std::unique_ptr<SmsProvider>, std::less<>> providers_;
  std::map<std::string, TransferTimeouts, std::less<>> timeouts_;
  std::map<std::string, DeliveryChannel*, std::less<>> local_;
  SmsSenderSettings settings_;
  DeliveryLogger log_;
  BreakerBoard breakers_;
  CurlMulti multi_;

  std::map<std::uint64_t, InFlight> in_flight_;  // by attempt id (polls: high bit set)
  std::chrono::steady_clock::time_point next_poll_;
  std::vector<std::pair<std::int64_t, SendResult>> local_results_;  // sent without HTTP
  std::vector<Outcome> unrecorded_;  // outcomes whose write failed, written on the next pass

  std::atomic<bool> poked_{false};
  mutable std::mutex stats_mutex_;
  SmsSenderStats stats_;
  PassLoop loop_;  // last: its thread stops before the members it uses go
};

}  // namespace ussd_otp
