// Server configuration: one table of settings, each settable by flag, environment or JSON file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "delivery/provider.hpp"
#include "otp/otp_service.hpp"

namespace ussd_otp {

// One aggregator dialect's callback settings (ussd-<dialect>-*).
struct UssdDialectConfig {
  std::string enabled = "auto";  // auto: on in --dev mode or when a token or allow-list is set
  std::string path_token;        // callbacks go to /ussd/<dialect>/<token>
  std::string allowed_ips;       // CIDR blocks, comma-separated; empty: any source
  std::string service_code;      // expected service code; empty: any of ussd-service-codes
  std::string user_id;           // expected account id (Arkesel userID, Nalo USERID); empty: any
  std::size_t screen_limit = 0;  // characters per screen; 0: the dialect's own limit
};

struct UssdConfig {
  std::vector<std::string> service_codes{"*889*142#"};
  std::string default_language = "en";
  std::map<std::string, std::string> language_by_service_code;
  std::map<std::string, std::string> language_by_prefix;
  std::int64_t lookups_per_window = 5;
  std::int64_t lookup_window_seconds = 600;
  int session_idle_seconds = 180;
  int session_retention_hours = 24;
  int max_invalid_entries = 3;
  std::size_t screen_limit = 160;
  std::string example_number = "0241234567";
  int write_behind_ms = 10;
  std::size_t write_queue_limit = 100'000;
  std::map<std::string, UssdDialectConfig> dialects;  // by dialect name, one per dialect
};

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

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::filesystem::path db = "var/ussd-otp.db";
  bool dev = false;
  std::string log_format = "text";  // text | json
  std::string log_level = "info";
  std::string server_key;                 // 64 hex chars; empty: use server_key_file
  std::filesystem::path server_key_file;  // empty: "server.key" next to the database
  int threads = 16;
  std::size_t max_body_bytes = 16 * 1024;
  std::size_t max_header_bytes = 8 * 1024;
  int header_timeout_seconds = 10;
  int body_timeout_seconds = 10;
  int keepalive_timeout_seconds = 15;
  int shutdown_grace_seconds = 10;
  std::string trusted_proxy_header;  // e.g. "X-Forwarded-For"; empty: use the peer address
  // Whether the per-IP limit of authenticated routes counts the peer's address when a request
  // names no end-user IP (clientIp / metadata.ip): off, since one backend speaks for many users.
  bool rate_limit_ip_count_peer = false;
  std::int64_t rate_limit_unauthenticated_ip_per_minute = 1200;  // USSD, receipts; 0: off
  std::string sqlite_synchronous = "NORMAL";
  int sqlite_busy_timeout_ms = 2000;
  int sqlite_cache_mib = 16;  // page cache per connection (5 connections: a writer, 4 readers)
  int sqlite_mmap_mib = 256;  // memory map of the file per connection; 0: plain reads
  int sweep_interval_seconds = 30;
  int api_key_cache_seconds = 5;
  OtpPolicy policy;
  UssdConfig ussd;
  DeliveryConfig delivery;
  WebhookConfig webhooks;

  std::filesystem::path effective_server_key_file() const;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One configurable value. `name` is the flag (--name), the JSON key (name, or with '_' for '-')
// and the environment variable (USSD_OTP_NAME with '-' as '_').
struct Setting {
  std::string name;
  std::string help;
  std::string default_value;
  bool is_flag = false;                                    // takes no value on the command line
  std::function<void(Config&, const std::string&)> apply;  // throws ConfigError
  // How the docs name a family of settings (e.g. "ussd-<dialect>-enabled"); empty: `name`.
  std::string doc_name = {};
};

const std::vector<Setting>& all_settings();
std::string env_var_name(const std::string& setting_name);

// Layers, lowest first: defaults < JSON file < environment < flags. `flags` holds only the
// options given on the command line; the JSON file path comes from --config or USSD_OTP_CONFIG.
Config resolve_config(const std::map<std::string, std::string>& flags,
                      const std::function<std::optional<std::string>(const std::string&)>& getenv,
                      const std::optional<std::filesystem::path>& config_file);

}  // namespace ussd_otp
