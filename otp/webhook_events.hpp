// App webhooks as domain data: which OTP events an app hears about, the JSON body it gets (never
// the code), and queueing it in the same transaction as the event itself (docs/webhooks.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "otp/crypto.hpp"
#include "otp/store.hpp"
#include "otp/types.hpp"

namespace ussd_otp {

// What else an event can tell the app; empty fields are left out of the payload.
struct WebhookEventDetails {
  std::string provider;    // the SMS gateway (sent, delivered, failed)
  std::string message_id;  // the gateway's message id
  std::string reason;      // why: "initial", "resend", "retry", "failover", ... or a failure
  std::string error;       // what the gateway or the planner said went wrong
  std::string channel;     // how the subscriber read it ("ussd:africastalking")
};

// "otp.sent" for event::kSent, ...; nullopt for events apps do not get (requested, resent, ...).
std::optional<std::string_view> webhook_event_name(std::string_view event_type);

// The body: {"id", "type", "createdAt", "data": {"otpId", "phone", "status", details...,
// "failedAttempts", "metadata"}}. `event_id` names this event ("evt_" + 32 hex).
std::string webhook_payload(const OtpRecord& otp, std::string_view name,
                            const WebhookEventDetails& details, UnixSeconds at,
                            std::string_view event_id);

// Queues the app webhook for `event_type` on `otp` when its key has a webhook URL. Call it in the
// transaction that records the event, so the event and its webhook commit (or not) together.
// Returns whether a row was queued.
bool queue_webhook_event(OtpStoreTransaction& tx, const OtpRecord& otp, std::string_view event_type,
                         UnixSeconds at, const WebhookEventDetails& details = {});
// The same for a site that has only the id (loads the OTP; false when it is gone).
bool queue_webhook_event(OtpStoreTransaction& tx, std::string_view otp_id,
                         std::string_view event_type, UnixSeconds at,
                         const WebhookEventDetails& details = {});

// Webhook secrets: "whsec_" + 43 URL-safe base64 characters (32 random bytes).
std::string generate_webhook_secret();
// What a key's sealed secret is bound to (CodeVault::seal's associated data), so a secret copied
// to another key's row, or a code's ciphertext, does not open as this key's secret.
std::string webhook_secret_binding(std::int64_t api_key_id);
// Generates a secret, seals it for key `api_key_id` and stores it with `url` (checked by the
// caller); returns the secret, to be shown once. nullopt when no key has that id.
std::optional<std::string> install_webhook(ApiKeyStore& keys, const CodeVault& vault,
                                           std::int64_t api_key_id, std::string_view url);
// nullopt when `url` is an absolute http:// or https:// URL with a host; else what is wrong.
std::optional<std::string> webhook_url_problem(std::string_view url);

}  // namespace ussd_otp
