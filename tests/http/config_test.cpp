// Configuration layering: defaults < JSON file < environment < flags, and clear errors.
#include <catch2/catch.hpp>

#include <fstream>

#include "server/app/config.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

using ussd_otp::Config;
using ussd_otp::ConfigError;
using ussd_otp::resolve_config;

namespace {

auto env_of(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

// The throttling settings the exact-limits test sets, as they should resolve (in this order).
struct Throttles {
  std::int64_t phone_global_limit;
  std::int64_t verify_attempts;
  std::int64_t verify_window_seconds;
  std::int64_t verify_block_seconds;
  bool ip_count_peer;
  std::int64_t unauthenticated_ip_per_minute;
};

void check_throttles(const Config& config, const Throttles& expected) {
  CHECK(config.policy.per_phone_global.limit == expected.phone_global_limit);
  CHECK(config.policy.verify_throttle.attempts == expected.verify_attempts);
  CHECK(config.policy.verify_throttle.window_seconds == expected.verify_window_seconds);
  CHECK(config.policy.verify_throttle.block_seconds == expected.verify_block_seconds);
  CHECK(config.rate_limit_ip_count_peer == expected.ip_count_peer);
  CHECK(config.rate_limit_unauthenticated_ip_per_minute == expected.unauthenticated_ip_per_minute);
}

}  // namespace

TEST_CASE("flag beats environment beats file beats default", "[config]") {
  ussd_otp::testing::TempDir dir;
  const auto file = dir.file("config.json");
  std::ofstream(file) << R"({"listen": "0.0.0.0:1", "threads": 3, "log_level": "debug",
                             "rate-limit-phone-per-hour": 7, "dev": true})";
  const Config defaults = resolve_config({}, env_of({}), std::nullopt);
  CHECK(defaults.listen == "127.0.0.1:8080");
  CHECK(defaults.policy.per_phone.limit == 3);

  const Config from_file = resolve_config({}, env_of({}), file);
  CHECK(from_file.listen == "0.0.0.0:1");
  CHECK(from_file.threads == 3);
  CHECK(from_file.log_level == "debug");
  CHECK(from_file.policy.per_phone.limit == 7);
  CHECK(from_file.dev);

  const Config from_env = resolve_config(
      {}, env_of({{"USSD_OTP_LISTEN", "127.0.0.1:2"}, {"USSD_OTP_THREADS", "4"}}), file);
  CHECK(from_env.listen == "127.0.0.1:2");
  CHECK(from_env.threads == 4);
  CHECK(from_env.log_level == "debug");

  const Config from_flag = resolve_config({{"listen", "127.0.0.1:3"}},
                                          env_of({{"USSD_OTP_LISTEN", "127.0.0.1:2"}}), file);
  CHECK(from_flag.listen == "127.0.0.1:3");
  CHECK(from_flag.threads == 3);
}

TEST_CASE("bad settings are refused with the setting's name", "[config]") {
  ussd_otp::testing::TempDir dir;
  CHECK_THROWS_WITH(resolve_config({{"threads", "0"}}, env_of({}), std::nullopt),
                    Catch::Contains("threads"));
  CHECK_THROWS_WITH(resolve_config({}, env_of({{"USSD_OTP_MAX_BODY_BYTES", "lots"}}), std::nullopt),
                    Catch::Contains("max-body-bytes"));
  CHECK_THROWS_AS(resolve_config({{"sqlite-synchronous", "SOMETIMES"}}, env_of({}), std::nullopt),
                  ConfigError);
  CHECK_THROWS_AS(resolve_config({{"default-country-code", "0233"}}, env_of({}), std::nullopt),
                  ConfigError);
  const auto unknown = dir.file("unknown.json");
  std::ofstream(unknown) << R"({"listne": "x:1"})";
  CHECK_THROWS_WITH(resolve_config({}, env_of({}), unknown), Catch::Contains("listne"));
  const auto broken = dir.file("broken.json");
  std::ofstream(broken) << "{";
  CHECK_THROWS_WITH(resolve_config({}, env_of({}), broken), Catch::Contains("not valid JSON"));
}

TEST_CASE("USSD settings: limits the screens can meet and well-formed maps only", "[config]") {
  using ussd_otp::ConfigError;
  const auto none = env_of({});
  CHECK_THROWS_WITH(resolve_config({{"ussd-screen-limit", "100"}}, none, std::nullopt),
                    Catch::Contains("ussd-screen-limit"));
  CHECK_THROWS_WITH(resolve_config({{"ussd-nalo-screen-limit", "90"}}, none, std::nullopt),
                    Catch::Contains("0 or 120-182"));
  CHECK(resolve_config({{"ussd-nalo-screen-limit", "0"}}, none, std::nullopt)
            .ussd.dialects.at("nalo")
            .screen_limit == 0);
  CHECK_THROWS_AS(resolve_config({{"ussd-hubtel-path-token", "short"}}, none, std::nullopt),
                  ConfigError);
  CHECK_THROWS_AS(resolve_config({{"ussd-beem-allowed-ips", "10.0.0.0/33"}}, none, std::nullopt),
                  ConfigError);
  CHECK_THROWS_AS(resolve_config({{"ussd-languages-by-country", "225:fr"}}, none, std::nullopt),
                  ConfigError);
  CHECK_THROWS_AS(resolve_config({{"ussd-service-codes", "*88a#"}}, none, std::nullopt),
                  ConfigError);
  const auto config = resolve_config({{"ussd-service-codes", "889*142, *889*143#"},
                                      {"ussd-languages-by-service-code", "*889*143#=fr"}},
                                     none, std::nullopt);
  CHECK(config.ussd.service_codes == std::vector<std::string>{"*889*142#", "*889*143#"});
  CHECK(config.ussd.language_by_service_code.at("*889*143#") == "fr");
}

TEST_CASE("SQLite memory settings reach the page cache and memory map of every connection",
          "[config][storage]") {
  const auto none = env_of({});
  const Config defaults = resolve_config({}, none, std::nullopt);
  CHECK(defaults.sqlite_cache_mib == 16);  // today's values: 5 x 16 MiB caches, a 256 MiB map
  CHECK(defaults.sqlite_mmap_mib == 256);
  CHECK_THROWS_WITH(resolve_config({{"sqlite-cache-mib", "0"}}, none, std::nullopt),
                    Catch::Contains("sqlite-cache-mib") && Catch::Contains("1 to 1024"));
  CHECK_THROWS_WITH(
      resolve_config({}, env_of({{"USSD_OTP_SQLITE_MMAP_MIB", "4096"}}), std::nullopt),
      Catch::Contains("sqlite-mmap-mib") && Catch::Contains("0 to 2047"));
  CHECK_THROWS_AS(resolve_config({{"sqlite-mmap-mib", "-1"}}, none, std::nullopt), ConfigError);

  // Through the wiring (Application builds the store from the Config) to SQLite's PRAGMAs.
  ussd_otp::testing::TestServer server([](Config& config) {
    config.sqlite_cache_mib = 3;
    config.sqlite_mmap_mib = 0;
  });
  const auto connections = server.app().store().connection_memory();
  CHECK(connections.size() == 5);
  for (const auto& memory : connections) {
    CHECK(memory.cache_kib == 3 * 1024);
    CHECK(memory.mmap_bytes == 0);
  }
}

TEST_CASE("the exact limits and the per-IP settings: defaults, layers and ranges", "[config]") {
  const Config defaults = resolve_config({}, env_of({}), std::nullopt);
  CHECK(defaults.policy.per_phone.limit == 3);
  CHECK(defaults.policy.per_phone.window_seconds == 3600);
  CHECK(defaults.policy.per_phone_global.window_seconds == 3600);
  check_throttles(defaults, {10, 5, 60, 300, false, 1200});

  const Config set =
      resolve_config({{"rate-limit-phone-global-per-hour", "4"},
                      {"verify-attempts-per-phone", "2"},
                      {"verify-attempts-window-seconds", "30"},
                      {"verify-block-seconds", "90"},
                      {"rate-limit-unauthenticated-ip-per-minute", "0"}},
                     env_of({{"USSD_OTP_RATE_LIMIT_IP_COUNT_PEER", "true"}}), std::nullopt);
  check_throttles(set, {4, 2, 30, 90, true, 0});

  CHECK_THROWS_WITH(resolve_config({{"verify-block-seconds", "0"}}, env_of({}), std::nullopt),
                    Catch::Contains("verify-block-seconds"));
  CHECK_THROWS_WITH(
      resolve_config({}, env_of({{"USSD_OTP_RATE_LIMIT_IP_COUNT_PEER", "maybe"}}), std::nullopt),
      Catch::Contains("rate-limit-ip-count-peer"));
}
