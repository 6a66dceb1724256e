// Plain data the OTP policy and its stores exchange. No behaviour, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otp/clock.hpp"

namespace ussd_otp {

using Bytes = std::vector<std::uint8_t>;

enum class PinType { Numeric, Alphanumeric, Alphabetic };

// What is stored. `Expired` is written by the sweeper; a pending OTP past its expiry is reported
// as expired even before the sweeper has run (see effective_status).
enum class OtpStatus { Pending, Verified, Expired, Locked, Cancelled };

std::string_view to_string(PinType type);
std::optional<PinType> pin_type_from_string(std::string_view text);  // "NUMERIC", ...
std::string_view to_string(OtpStatus status);                        // "pending", ...
std::optional<OtpStatus> otp_status_from_string(std::string_view text);

struct OtpRecord {
  std::string id;  // "otp_" + 32 hex chars, random
  std::int64_t api_key_id = 0;
  std::string phone;   // digits-only E.164, e.g. "233241234567"
  std::string sender;  // the request's `from`; may be empty
  std::string message_template;
  PinType pin_type = PinType::Numeric;
  int pin_length = 6;
  int expiry_amount = 5;                // as requested, for rendering {amount}
  std::string expiry_unit = "minutes";  // "minutes" | "hours", for rendering {duration}
  Bytes code_hash;                      // keyed hash of (id, code)
  Bytes code_ciphertext;                // AEAD of the code, bound to the id
  OtpStatus status = OtpStatus::Pending;
  int max_attempts = 3;
  int failed_attempts = 0;
  int send_count = 0;
  UnixSeconds created_at = 0;
  UnixSeconds expires_at = 0;
  UnixSeconds last_sent_at = 0;
  std::string metadata_json;  // compact JSON object text, or empty
  // The caller's opaque text (GetOTP's `payload`), returned in every webhook of this OTP.
  std::string payload;
};

// Status as a client should see it at `now`.
OtpStatus effective_status(const OtpRecord& otp, UnixSeconds now);

// Event types recorded per OTP (the `type` column).
namespace event {
inline constexpr std::string_view kRequested = "requested";
inline constexpr std::string_view kSent = "sent";
inline constexpr std::string_view kResent = "resent";
inline constexpr std::string_view kDeliveryFailed = "delivery_failed";
inline constexpr std::string_view kDelivered = "delivered";      // a gateway's receipt confirmed it
inline constexpr std::string_view kUndelivered = "undelivered";  // a receipt said it failed
inline constexpr std::string_view kVerifyFailed = "verify_failed";
inline constexpr std::string_view kVerified = "verified";
inline constexpr std::string_view kExpired = "expired";
inline constexpr std::string_view kLocked = "locked";
inline constexpr std::string_view kCancelled = "cancelled";
inline constexpr std::string_view kUssdViewed = "ussd_viewed";
}  // namespace event

struct OtpEvent {
  std::string type;
  UnixSeconds at = 0;
  std::string detail;  // short, never contains a code
};

// A delivery waiting in the outbox. The message is rendered only when it is sent.
struct PendingDelivery {
  std::int64_t id = 0;
  std::string otp_id;
  std::string reason;  // "initial" | "resend"
  UnixSeconds created_at = 0;
  int attempts = 0;  // attempts made (claims that reached a sender)
  // "pending": due for an attempt at next_attempt_at; "awaiting_receipt": accepted by a gateway,
  // checked again at next_attempt_at (the end of the receipt window) unless a receipt came.
  std::string state = "pending";
  UnixSeconds next_attempt_at = 0;
  UnixSeconds lease_until = 0;         // a sender holds the row until then (0: nobody)
  bool receipt_failover_used = false;  // the one resend through the next provider was made
};

// One attempt to hand a delivery to a provider (a delivery_attempts row). Never holds the text.
struct DeliveryAttempt {
  std::int64_t id = 0;
  std::int64_t outbox_id = 0;
  std::string otp_id;
  std::string provider;
  std::string reason;   // "initial" | "resend" | "retry" | "failover" | "receipt_failover"
  std::string outcome;  // "sending" while in flight, then a SendOutcome name
  std::string gateway_message_id;
  std::string error;
  std::string gateway_status;
  std::string cost;
  int http_status = 0;
  std::int64_t latency_ms = 0;
  UnixSeconds started_at = 0;
  UnixSeconds finished_at = 0;  // 0 while in flight
  std::string receipt;          // "" | "delivered" | "failed" | "pending"
  std::string receipt_status;   // the gateway's own word
  UnixSeconds receipt_at = 0;
  int polls = 0;  // status polls made for it (polled gateways: Hubtel)
};

struct IdempotencyRecord {
  std::int64_t api_key_id = 0;
  std::string key;          // the client's Idempotency-Key header
  std::string fingerprint;  // hash of the canonical request body
  std::string otp_id;       // the OTP the first request created
  UnixSeconds created_at = 0;
};

struct ApiKeyRecord {
  std::int64_t id = 0;
  std::string name;
  std::string prefix;  // first characters of the key, shown in listings
  Bytes hash;          // hash of the whole key; the key itself is never stored
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> last_used_at;
  std::optional<UnixSeconds> revoked_at;
  std::string webhook_url;  // where app events go; empty: none
  Bytes webhook_secret;     // the signing secret, sealed with the server key (never plaintext)
  std::string client_id;    // public UUID naming the key (GetOTP account_id, /otp/verify client_id)
};

// A stored SMS template (GetOTP's `template` UUID), owned by one API key; `text` holds {code}.
struct MessageTemplateRecord {
  std::string id;  // a UUID
  std::int64_t api_key_id = 0;
  std::string text;
  UnixSeconds created_at = 0;
};

// An app webhook waiting in webhook_outbox. The payload was built when the event happened.
struct PendingWebhook {
  std::int64_t id = 0;
  std::int64_t api_key_id = 0;
  std::string otp_id;
  std::string event;    // "otp.sent", ...
  std::string payload;  // the JSON body, never holding a code
  UnixSeconds created_at = 0;
  UnixSeconds next_attempt_at = 0;
  int attempts = 0;             // attempts made before this claim
  UnixSeconds lease_until = 0;  // as found before the claim: non-zero means a sender died
  // The key's webhook as it is now (read with the row): empty url when it was removed since.
  std::string url;
  Bytes sealed_secret;
  bool key_revoked = false;
};

// One attempt to POST an app webhook (a webhook_attempts row).
struct WebhookAttempt {
  std::int64_t id = 0;
  std::int64_t webhook_id = 0;
  std::string otp_id;
  std::string event;
  int http_status = 0;  // 0: no HTTP answer
  std::string error;    // empty on success
  std::int64_t latency_ms = 0;
  UnixSeconds at = 0;
};

}  // namespace ussd_otp
