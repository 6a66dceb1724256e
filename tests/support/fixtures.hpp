// Wire fixtures: the exact bytes an aggregator sends or expects (tests/fixtures/ussd/), shared by
// the server's dialect tests and the simulator's.
#pragma once

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace ussd_otp::testing {

// tests/fixtures/ussd/<dialect>/<name>, with {{placeholders}} filled from `values`.
inline std::string fixture(const std::string& dialect, const std::string& name,
                           const std::map<std::string, std::string>& values = {}) {
  const std::string path =
      std::string(USSD_OTP_SOURCE_DIR) + "/tests/fixtures/ussd/" + dialect + "/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && text.back() == '\n') text.pop_back();  // editors add one
  for (const auto& [key, value] : values) {
    const std::string needle = "{{" + key + "}}";
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + value.size())) {
      text.replace(at, needle.size(), value);
    }
  }
  REQUIRE(text.find("{{") == std::string::npos);  // every placeholder filled
  return text;
}

}  // namespace ussd_otp::testing
