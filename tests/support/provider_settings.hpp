// Settings that every SMS adapter accepts: each credential set, so make_provider succeeds for any
// name (the registry test and the gateway fuzzer build all five adapters from them).
#pragma once

#include <string>

#include "delivery/provider.hpp"

namespace ussd_otp::testing {

inline constexpr const char* kAnyAuthToken = "token";               // Twilio's signing key
inline constexpr const char* kAnyWebhookSecret = "webhook-secret";  // the webhook's signing key

inline ProviderSettings settings_for_any_provider(std::string name) {
  ProviderSettings settings;
  settings.name = std::move(name);
  settings.sender = "ACME";  // required by arkesel
  settings.username = "sandbox";
  settings.api_key = "key";
  settings.client_id = "id";
  settings.client_secret = "secret";
  settings.account_sid = "AC0123";
  settings.auth_token = kAnyAuthToken;
  settings.secret = kAnyWebhookSecret;
  settings.url = "https://sms.example.com/send";
  return settings;
}

}  // namespace ussd_otp::testing
