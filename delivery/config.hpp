// Delivery settings (delivery-*, sms-* and webhook-* settings, docs/delivery.md): plain values that
// server/app/config.cpp fills and the senders and receipt routes read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "delivery/provider.hpp"

namespace ussd_otp {

// One SMS provider's settings (sms-<provider>-*).
struct SmsProviderConfig {
  ProviderSettings settings;
  std::vector<std::string> approved_senders;  // a request's `from` may pick one of these
  std::string receipt_path_token;             // receipts go to /delivery/<provider>/<token>
  std::string receipt_allowed_ips;            // CIDR blocks; empty: any source
};

// Delivery through SMS gateways (delivery-* and sms-* settings; docs/delivery.md).
struct DeliveryConfig {
  std::string routes;      // sms-routes: "233=arkesel,africastalking; *=twilio"; empty: none
  bool ussd_only = false;  // numbers no route covers still get a code, readable over USSD
  std::string public_url;  // how gateways reach us, for per-message receipt URLs
  int receipt_window_seconds = 30;
  int unknown_hold_seconds = 30;  // after an unknown outcome; independent of the receipt window
  int breaker_failures = 5;
  int breaker_window_seconds = 60;
  int breaker_cooldown_seconds = 30;
  int account_pause_seconds = 300;
  int retry_base_seconds = 1;
  int retry_max_seconds = 60;
  int lease_seconds = 60;
  int max_in_flight = 256;
  // Hubtel's developer portal limits its listed endpoints to 5 requests/min
  // (https://docs-developers.hubtel.com): the default stays within it.
  int status_polls_per_minute = 5;
  std::map<std::string, SmsProviderConfig> providers;  // by provider name
};

// App webhooks (webhook-* settings, docs/webhooks.md).
struct WebhookConfig {
  int timeout_ms = 5000;
  int max_attempts = 10;
  int retry_base_seconds = 5;
  int retry_max_seconds = 3600;
};

}  // namespace ussd_otp
