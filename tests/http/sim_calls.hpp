// Running ussd-otp-sim against a real server in the black-box tests.
#pragma once

#include <catch2/catch.hpp>

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

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  REQUIRE(out.good());
}

}  // namespace ussd_otp::testing
