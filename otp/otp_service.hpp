// The OTP policy: request, verify, resend, inspect and cancel codes over a store and a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otp/clock.hpp"
#include "otp/crypto.hpp"
#include "otp/delivery.hpp"
#include "otp/errors.hpp"
#include "otp/phone.hpp"
#include "otp/rate_limit.hpp"
#include "otp/store.hpp"
#include "otp/types.hpp"

namespace ussd_otp {

// Every number here is a named setting in server/app/config.cpp (and docs/configuration.md).
struct OtpPolicy {
  PhoneRules phone_rules;
  int default_expiry_minutes = 5;
  int max_expiry_minutes = 1440;
  int default_max_attempts = 3;
  int max_max_attempts = 10;
  std::int64_t resend_cooldown_seconds = 60;
  int max_sends_per_otp = 5;  // the first send included
  // SMS sends (first sends and resends) to one phone under one API key, counted exactly over a
  // rolling window; per_phone_global counts the phone's sends under every key (pumping guard).
  RateLimitRule per_phone{3, 3600};
  RateLimitRule per_phone_global{10, 3600};
  RateLimitRule per_api_key{60, 60};
  RateLimitRule per_client_ip{30, 60};  // skipped when RequestContext::client_ip is empty
  // Verifies of one phone's codes under one API key: `attempts` within `window_seconds`
  // (successful or not) pass; the next one blocks that phone's verifies for `block_seconds`.
  struct VerifyThrottle {
    std::int64_t attempts = 5;  // 0 disables the throttle
    std::int64_t window_seconds = 60;
    std::int64_t block_seconds = 300;
  } verify_throttle;
  std::int64_t idempotency_ttl_seconds = 24 * 3600;
  std::size_t max_metadata_bytes = 2048;
  std::size_t max_payload_bytes = 2048;  // GetOTP's `payload`, returned in webhooks
  std::size_t max_message_length = 480;
  std::size_t max_sender_length = 11;
  // The sender an OTP takes when the request names none; empty: the gateway's own sender.
  std::string default_sender;
  // The most SMS parts one rendered message may cost (GSM-7: 160 characters in one, 153 per
  // part; UCS-2: 70 and 67), so a template in another alphabet cannot multiply the bill.
  std::size_t max_sms_segments = 4;
  std::int64_t retention_seconds = 30LL * 24 * 3600;
  // The longest window of any other limit sharing the rate counter table (the USSD lookup
  // limit): counters are kept for two of the longest windows.
  std::int64_t other_rate_window_seconds = 0;
  // Whether sends still queued count against a key's budget. Only when a delivery channel drains
  // the queue: without one, queued sends never leave and would block the key for good.
  bool reserve_queued_sends = false;
  int max_delivery_attempts = 5;
  // Destination prefixes (digits of the E.164 number) OTPs may go to. nullopt: only the
  // default country (phone_rules.default_country_code); empty: anywhere.
  std::optional<std::vector<std::string>> allowed_phone_prefixes;
  std::vector<std::string> blocked_senders;  // sender names refused, compared case-insensitively

  bool phone_allowed(std::string_view e164_digits) const;
  bool sender_blocked(std::string_view sender) const;
};

// What the client asked for, before validation. Absent optionals take the policy's defaults.
struct OtpRequestInput {
  std::string phone;
  std::optional<std::string> sender;
  std::optional<std::string> message;
  std::optional<int> pin_length;
  std::optional<std::string> pin_type;
  std::optional<int> expiry_amount;
  std::optional<std::string> expiry_duration;
  std::optional<int> max_attempts;
  std::optional<std::string> metadata_json;  // compact JSON object text
  // A code chosen by the caller (GetOTP's `code`): digits only, a NUMERIC pin length (4-8); it
  // sets pin_type and pin_length. Stored hashed and sealed like a generated one.
  std::optional<std::string> code;
  std::optional<std::string> payload;  // opaque text returned in the OTP's webhooks
  // What happens when this key already has an active OTP for the phone: false answers
  // ACTIVE_OTP_EXISTS; true cancels it (event "cancelled", detail "replaced") and issues a new
  // one, as Arkesel clients that "generate" twice expect.
  bool replace_active = false;
};

struct RequestContext {
  std::int64_t api_key_id = 0;
  // The address the per-IP limit counts (the end user's, or the peer's); empty: not counted.
  std::string client_ip;
  std::optional<std::string> idempotency_key;
  std::string body_fingerprint;  // identifies "the same body" for idempotency
};

struct OtpCreated {
  std::string id;
  UnixSeconds expires_at = 0;
  std::string phone;
  bool replayed = false;         // answered from an earlier request with the same Idempotency-Key
  std::string delivery = "sms";  // "sms" | "ussd" (no SMS channel; readable on USSD only)
  UnixSeconds created_at = 0;
};

// How a code can reach a number: through an SMS chain, over USSD only (the operator declared
// USSD-only delivery), or not at all (the request is refused before anything is stored).
enum class DeliveryRoute { Sms, UssdOnly, None };
using DeliveryRouter = std::function<DeliveryRoute(std::string_view e164_digits)>;

struct OtpVerified {
  std::string id;
};

struct OtpResent {
  std::string id;
  int send_count = 0;
  UnixSeconds expires_at = 0;
  UnixSeconds next_resend_at = 0;
  bool replayed = false;  // answered from an earlier resend with the same Idempotency-Key
};

struct OtpView {
  OtpRecord record;
  OtpStatus status = OtpStatus::Pending;  // effective status now
  int attempts_remaining = 0;
  std::vector<OtpEvent> events;
  std::vector<DeliveryAttempt> deliveries;  // oldest first
  std::vector<WebhookAttempt> webhooks;     // app webhook attempts, oldest first
};

struct SweepReport {
  std::size_t expired = 0;
  std::size_t purged_otps = 0;
  std::size_t purged_idempotency = 0;
  std::size_t purged_rate_windows = 0;
  std::size_t purged_phone_sends = 0;
  std::size_t purged_verify_throttle = 0;  // attempt rows and ended blocks
};

class OtpService {
 public:
  OtpService(OtpStore& store, const Clock& clock, const CodeVault& vault, OtpPolicy policy);

  Result<OtpCreated> request(const OtpRequestInput& input, const RequestContext& context);
  // The field problems `request` would report (VALIDATION_ERROR's map), without touching the
  // store; lets a caller merge them with its own (e.g. wrongly typed JSON fields).
  std::map<std::string, std::string> field_problems(const OtpRequestInput& input) const;
  Result<OtpVerified> verify(std::int64_t api_key_id, std::string_view otp_id,
                             std::string_view pin);
  // Arkesel-style verify: checks `pin` against the newest OTP this key issued for the phone.
  // Errors: INVALID_PHONE, OTP_NOT_FOUND (no OTP for the phone under this key), INVALID_PIN,
  // OTP_LOCKED, OTP_EXPIRED, and OTP_NOT_PENDING (already verified or cancelled; `status` set).
  // `pin_was_integer`: the client sent a JSON number, so leading zeros it lost are put back up
  // to the OTP's length (054520 arrives as 54520).
  Result<OtpVerified> verify_latest(std::int64_t api_key_id, std::string_view phone,
                                    std::string_view pin, bool pin_was_integer = false);
  // With `context.idempotency_key`, a repeat with the same body answers the first resend's
  // result without sending again; another body under that key is IDEMPOTENCY_KEY_REUSED. The key
  // space is shared with `request` (one table per API key), as a client's retry keys are.
  Result<OtpResent> resend(std::int64_t api_key_id, std::string_view otp_id,
                           const RequestContext& context = {});
  Result<OtpView> get(std::int64_t api_key_id, std::string_view otp_id);
  Result<OtpView> cancel(std::int64_t api_key_id, std::string_view otp_id);

  // How many of the newest pending codes (at most `sample`) the server key cannot open: sealed
  // under another key, so they can neither be verified nor shown on USSD. Checked at startup.
  std::size_t unreadable_pending_codes(std::size_t sample = 20);

  // Expires due OTPs and deletes what is past retention, in bounded batches.
  SweepReport sweep();

  // The message a claimed delivery sends now, or nullopt when the OTP is no longer pending or
  // its code cannot be opened (the server key changed).
  std::optional<OutgoingMessage> render_delivery(const OtpRecord& otp, std::string_view reason,
                                                 UnixSeconds now) const;
  // Charges one send to the key's budget inside `tx`; false (nothing charged) when it is spent.
  // Every attempt that reaches a gateway is charged before it is made.
  bool charge_delivery(OtpStoreTransaction& tx, std::int64_t api_key_id, UnixSeconds now) const;

  // Unset: every number has an SMS route (tests, and dev mode's inbox).
  void set_delivery_router(DeliveryRouter router) { delivery_router_ = std::move(router); }
  DeliveryRoute delivery_route(std::string_view e164_digits) const {
    return delivery_router_ ? delivery_router_(e164_digits) : DeliveryRoute::Sms;
  }

  // Called after a transaction that queued a delivery has committed (wakes the dispatcher).
  void on_delivery_queued(std::function<void()> callback) {
    delivery_queued_ = std::move(callback);
  }

  const OtpPolicy& policy() const { return policy_; }

 private:
  std::optional<Error> check_rate(OtpStoreTransaction& tx, std::string_view scope,
                                  std::string_view key, const RateLimitRule& rule, bool count);
  // RATE_LIMIT_EXCEEDED when another SMS to `phone` would pass the per-key or the global
  // per-phone limit; otherwise logs the send.
  std::optional<Error> count_phone_send(OtpStoreTransaction& tx, std::int64_t api_key_id,
                                        std::string_view phone, UnixSeconds now) const;
  // VerifyAttemptsExceeded while the phone's verifies are blocked, or when this attempt is one
  // too many (then the block starts); otherwise logs the attempt.
  std::optional<Error> count_verify_attempt(OtpStoreTransaction& tx, std::int64_t api_key_id,
                                            std::string_view phone, UnixSeconds now) const;
  // BUDGET_EXHAUSTED / BUDGET_DISABLED when the key may not queue another send now.
  std::optional<Error> budget_error(OtpStoreTransaction& tx, std::int64_t api_key_id,
                                    UnixSeconds now) const;
  // Checks `pin` against `otp` and records the outcome; `finished` answers an OTP that was
  // already verified or cancelled.
  Result<OtpVerified> check_pin(OtpStoreTransaction& tx, OtpRecord& otp, std::string_view pin,
                                UnixSeconds now, const Error& finished) const;
  void notify_delivery_queued() const;

  OtpStore& store_;
  const Clock& clock_;
  const CodeVault& vault_;
  OtpPolicy policy_;
  Bytes dummy_hash_;  // verify of an unknown id compares against this, so timing does not leak
  std::function<void()> delivery_queued_;
  DeliveryRouter delivery_router_;
};

}  // namespace ussd_otp
