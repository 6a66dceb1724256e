// The USSD gateway's settings (ussd-* settings, docs/ussd.md): plain values that
// server/app/config.cpp fills and the gateway and its routes read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

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

}  // namespace ussd_otp
