// Running ussd-otp-sim against a real server in the black-box tests.
#pragma once

#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <fstream>
#include <string>
#include <vector>

#include "support/server_process.hpp"
#include "support/test_server.hpp"

namespace ussd_otp::testing {

inline const std::string kSimBinary = USSD_OTP_SIM_BINARY;

// ussd-otp-sim --url <server> --api-key <key> ARGS...
inline CommandResult run_sim(const TestServer& server, const std::vector<std::string>& args) {
  std::vector<std::string> all{"--url", server.url(), "--api-key", server.api_key()};
  all.insert(all.end(), args.begin(), args.end());
  return run_command(kSimBinary, all);
}

// How many of the dialect's sessions ended for `reason` ("released", "timed_out", ...).
inline std::size_t ended_sessions(const TestServer& server, const std::string& dialect,
                                  const std::string& reason) {
  server.flush_writes();  // rows are written just behind the answer
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  SQLite::Statement count(
      db, "SELECT COUNT(*) FROM ussd_sessions WHERE dialect = ? AND end_reason = ?");
  count.bind(1, dialect);
  count.bind(2, reason);
  REQUIRE(count.executeStep());
  return static_cast<std::size_t>(count.getColumn(0).getInt64());
}

// How many sessions the dialect has for `msisdn` (E.164 digits).
inline std::size_t sessions_of(const TestServer& server, const std::string& dialect,
                               const std::string& msisdn) {
  server.flush_writes();
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  SQLite::Statement count(db,
                          "SELECT COUNT(*) FROM ussd_sessions WHERE dialect = ? AND msisdn = ?");
  count.bind(1, dialect);
  count.bind(2, msisdn);
  REQUIRE(count.executeStep());
  return static_cast<std::size_t>(count.getColumn(0).getInt64());
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  REQUIRE(out.good());
}

}  // namespace ussd_otp::testing
