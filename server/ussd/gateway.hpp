// The USSD gateway: one normalised request from any aggregator -> session, menu, answer.
// HTTP-free: dialect adapters turn wire formats into UssdRequest and UssdAnswer back.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "menus/catalog.hpp"
#include "menus/dial_string.hpp"
#include "menus/menu.hpp"
#include "otp/clock.hpp"
#include "otp/crypto.hpp"
#include "otp/rate_limit.hpp"
#include "otp/store.hpp"
#include "server/ussd/session_state.hpp"
#include "storage/write_behind.hpp"

namespace ussd_otp {

enum class UssdPhase {
  Begin,     // the aggregator says this is the session's first request
  Continue,  // a later answer
  Released,  // the user or network ended the session; nobody will see a reply
  TimedOut,
  Unknown,  // the dialect cannot tell (accumulated-path dialects): the session row decides
};

// What every dialect's request becomes.
struct UssdRequest {
  std::string dialect;
  std::string session_id;
  std::string msisdn;        // as sent; normalised by the gateway
  std::string service_code;  // as sent, may be empty
  std::string network;
  UssdPhase phase = UssdPhase::Unknown;
  // Continue: the latest answer. Begin: the dial string when the aggregator forwards it.
  std::string input;
  // Digits the aggregator already separated from the service code (Moolre's `data`).
  std::vector<std::string> prefilled;
  // Accumulated-path dialects (Africa's Talking): every answer so far, in order.
  std::optional<std::vector<std::string>> path;
  std::size_t screen_limit = 0;  // the aggregator's limit; 0: the menu's default
};

struct UssdAnswer {
  std::string text;  // empty for Released/TimedOut
  bool end = true;
  std::string session_id;
  std::string language;
};

// Which of `service_codes` (at least one) the request dialled and what was typed after it; the
// first code with nothing typed when none matches. Pure, so tests/fuzz/fuzz_dial_string.cpp runs
// the gateway's own code on the dial string, the service code and the Africa's Talking path.
DialMatch dialled_match(const UssdRequest& request, std::span<const std::string> service_codes);

struct UssdGatewaySettings {
  std::vector<std::string> service_codes{"*889*142#"};  // the first is shown in texts
  std::string default_language = "en";
  std::map<std::string, std::string> language_by_service_code;  // canonical code -> language
  std::map<std::string, std::string> language_by_prefix;        // country code digits -> language
  RateLimitRule lookup_limit{5, 600};
  int session_idle_seconds = 180;
  std::int64_t session_retention_seconds = 24 * 3600;  // ended sessions kept for inspection
  // Session rows, counters and view events are committed in batches this often (write-behind).
  std::chrono::milliseconds write_behind_interval{10};
  std::size_t write_behind_max_pending = 100'000;
  MenuSettings menu;
};

class UssdGateway {
 public:
  UssdGateway(OtpStore& store, const Clock& clock, const CodeVault& vault, MessageCatalog catalog,
              UssdGatewaySettings settings);

  // One callback step. Throws on storage failure; the caller answers with unavailable_screen.
  // An invalid MSISDN is the dialect's problem (checked there), so it ends the session politely.
  UssdAnswer handle(const UssdRequest& request);

  // Stores an aggregator's end-of-session notification (`report_json`) on the session.
  void record_report(const UssdRequest& request, std::string_view status,
                     std::string_view report_json);

  // The polite final screen for failures, in the language the MSISDN would get.
  std::string unavailable_screen(const UssdRequest& request) const;

  // Housekeeping: ends idle sessions, deletes old ones. Returns rows touched.
  std::size_t sweep(std::size_t limit);
  // Commits every queued write (session rows, counters, view events) before returning.
  void flush();

  struct Stats {
    std::size_t writes_pending = 0;
    std::size_t writes_dropped = 0;
    std::size_t sessions_in_memory = 0;
  };
  Stats stats() const;

  const UssdGatewaySettings& settings() const { return settings_; }
  const MessageCatalog& catalog() const { return catalog_; }
  // Language by service code first, then by the MSISDN's country code, then the default.
  std::string language_for(std::string_view canonical_service_code,
                           std::string_view msisdn_digits) const;

 private:
  OtpStore& store_;
  const Clock& clock_;
  const CodeVault& vault_;
  void write_later(std::vector<WriteBehind::Write> writes);
  std::mutex& step_lock_for(const std::string& key);

  MessageCatalog catalog_;
  UssdGatewaySettings settings_;
  SessionCache sessions_;
  std::array<std::mutex, 64> step_locks_;
  LookupLimiter limiter_;
  WriteBehind writer_;  // last: its destructor's final commit may still use the rest
};

}  // namespace ussd_otp
