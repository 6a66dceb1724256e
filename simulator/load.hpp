// Load mode: many complete sessions (dial, enter the number, read the code) from distinct
// subscribers over keep-alive connections, with per-step latency percentiles and errors by kind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/ussd_phone.hpp"

namespace ussd_otp::sim {

struct LoadOptions {
  PhoneSettings phone;  // dialect, URL, service code...; the MSISDN changes per session
  std::size_t sessions = 100;
  std::size_t concurrency = 8;
  bool seed_otps = false;  // request an OTP for every subscriber first (needs api_key)
  std::string api_key;
  std::uint64_t first_msisdn = 0;  // 0: a random block of 2332xxxxxxxx numbers
  std::string
      final_expect;  // regex the last screen must match; with seeding "code is [0-9A-Z]{4,}"
};

struct StepLatency {
  std::string step;  // "dial", "number"
  std::size_t count = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
};

struct LoadReport {
  std::size_t sessions = 0;
  std::size_t completed = 0;  // every step answered as expected
  std::size_t failed = 0;
  std::size_t requests = 0;
  std::size_t seeded = 0;
  std::map<std::string, std::size_t> errors;  // kind -> count: http_503, malformed, wrong_screen...
  std::map<std::string, std::string> error_examples;  // kind -> the first one: step and screen
  std::vector<StepLatency> steps;
  double seconds = 0;
  double cpu_seconds = 0;  // the simulator's own CPU time during the timed phase
  double sessions_per_second = 0;
  double requests_per_second = 0;
  long connections = 0;
  std::uint64_t first_msisdn = 0;
  std::size_t error_count() const;
  // What to change when the errors have a known cause (seeds refused by rate limits); may be empty.
  std::vector<std::string> hints() const;
  nlohmann::json to_json() const;
  void print(std::ostream& out) const;
};

// `progress(done, total)` is called from a worker after each session (may be null).
LoadReport run_load(const LoadOptions& options,
                    const std::function<void(std::size_t, std::size_t)>& progress = nullptr);

// Nearest-rank percentile of sorted `values` (0 when empty).
double percentile(const std::vector<double>& sorted, double fraction);

}  // namespace ussd_otp::sim
