// Building and queueing app webhook events; the sender (delivery/webhook_sender.cpp) signs them.
#include "otp/webhook_events.hpp"

#include <sodium.h>

#include <ctime>

#include <nlohmann/json.hpp>

#include "otp/codes.hpp"

namespace ussd_otp {
namespace {

std::string iso8601_utc(UnixSeconds at) {
  const auto time = static_cast<std::time_t>(at);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string generate_event_id() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return "evt_" + std::string(hex);
}

}  // namespace

std::optional<std::string_view> webhook_event_name(std::string_view event_type) {
  if (event_type == event::kSent) return "otp.sent";
  if (event_type == event::kDelivered) return "otp.delivered";
  if (event_type == event::kDeliveryFailed) return "otp.failed";
  if (event_type == event::kVerified) return "otp.verified";
  if (event_type == event::kExpired) return "otp.expired";
  if (event_type == event::kLocked) return "otp.locked";
  if (event_type == event::kUssdViewed) return "otp.ussd_viewed";
  return std::nullopt;
}

std::string webhook_payload(const OtpRecord& otp, std::string_view name,
                            const WebhookEventDetails& details, UnixSeconds at,
                            std::string_view event_id) {
  using nlohmann::json;
  json data = {{"otpId", otp.id}, {"phone", otp.phone}, {"status", to_string(otp.status)}};
  if (!details.provider.empty()) data["provider"] = details.provider;
  if (!details.message_id.empty()) data["messageId"] = details.message_id;
  if (!details.reason.empty()) data["reason"] = details.reason;
  if (!details.error.empty()) data["error"] = details.error;
  if (!details.channel.empty()) data["channel"] = details.channel;
  data["failedAttempts"] = otp.failed_attempts;
  data["maxAttempts"] = otp.max_attempts;
  json metadata = nullptr;
  if (!otp.metadata_json.empty()) {
    // Stored as compact JSON by the API; anything unreadable is left out rather than thrown.
    metadata = json::parse(otp.metadata_json, nullptr, false);
    if (metadata.is_discarded()) metadata = nullptr;
  }
  data["metadata"] = std::move(metadata);
  // The caller's text exactly as given (GetOTP's `payload`, often a JSON string): never parsed.
  if (!otp.payload.empty()) data["payload"] = otp.payload;
  const json body = {
      {"id", event_id}, {"type", name}, {"createdAt", iso8601_utc(at)}, {"data", std::move(data)}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool queue_webhook_event(OtpStoreTransaction& tx, const OtpRecord& otp, std::string_view event_type,
                         UnixSeconds at, const WebhookEventDetails& details) {
  const std::optional<std::string_view> name = webhook_event_name(event_type);
  if (!name) return false;
  return tx.enqueue_webhook(otp.api_key_id, otp.id, *name,
                            webhook_payload(otp, *name, details, at, generate_event_id()), at);
}

bool queue_webhook_event(OtpStoreTransaction& tx, std::string_view otp_id,
                         std::string_view event_type, UnixSeconds at,
                         const WebhookEventDetails& details) {
  if (!webhook_event_name(event_type)) return false;
  const std::optional<OtpRecord> otp = tx.find_otp(otp_id);
  return otp && queue_webhook_event(tx, *otp, event_type, at, details);
}

std::string generate_webhook_secret() {
  return "whsec_" + random_token(32);
}

std::string webhook_secret_binding(std::int64_t api_key_id) {
  return "webhook-secret:" + std::to_string(api_key_id);
}

std::optional<std::string> install_webhook(ApiKeyStore& keys, const CodeVault& vault,
                                           std::int64_t api_key_id, std::string_view url) {
  std::string secret = generate_webhook_secret();
  if (!keys.set_api_key_webhook(api_key_id, url,
                                vault.seal(webhook_secret_binding(api_key_id), secret))) {
    return std::nullopt;
  }
  return secret;
}

std::optional<std::string> webhook_url_problem(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return "must start with http:// or https://";
  }
  const std::size_t host_end = rest.find_first_of("/?#");
  const std::string_view host = rest.substr(0, host_end);
  if (host.empty() || host.front() == ':') return "must name a host";
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "must not contain spaces";
  }
  if (url.size() > 2048) return "must be at most 2048 characters";
  return std::nullopt;
}

}  // namespace ussd_otp
