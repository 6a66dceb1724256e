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

#include "delivery/config.hpp"
#include "otp/otp_service.hpp"
#include "server/ussd/config.hpp"

namespace ussd_otp {

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
