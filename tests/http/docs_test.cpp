// Keeps the documentation in step with the code: every registered route, every error code and
// every setting must be named in docs/api.md or docs/configuration.md.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <pistache/http_defs.h>

#include "otp/errors.hpp"
#include "server/arkesel_api.hpp"
#include "server/config.hpp"
#include "support/test_server.hpp"

namespace {

std::string read_doc(const std::string& relative) {
  const std::string path = std::string(USSD_OTP_SOURCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  INFO("cannot read " << path);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// "/v1/otp/:id/cancel" -> "/v1/otp/{id}/cancel": the docs write Pistache's ":name" as "{name}".
std::string documented_path(const std::string& pistache_path) {
  std::string out;
  std::size_t i = 0;
  while (i < pistache_path.size()) {
    if (pistache_path[i] == ':') {
      const std::size_t end = pistache_path.find('/', i);
      const std::size_t stop = end == std::string::npos ? pistache_path.size() : end;
      out += "{" + pistache_path.substr(i + 1, stop - i - 1) + "}";
      i = stop;
    } else {
      out += pistache_path[i++];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("docs: path parameters are written {name}", "[docs]") {
  CHECK(documented_path("/v1/otp/:id") == "/v1/otp/{id}");
  CHECK(documented_path("/v1/otp/:id/cancel") == "/v1/otp/{id}/cancel");
  CHECK(documented_path("/healthz") == "/healthz");
}

TEST_CASE("docs: docs/api.md documents every registered route", "[docs]") {
  const std::string api = read_doc("docs/api.md");
  ussd_otp::testing::TestServer server;  // dev mode, so /dev/inbox is registered too
  const auto& routes = server.app().http().routes();
  REQUIRE(routes.size() >= 8);
  std::vector<std::string> missing;
  for (const auto& route : routes) {
    const std::string needle = "`" + std::string(Pistache::Http::methodString(route.method)) + " " +
                               documented_path(route.path) + "`";
    if (api.find(needle) == std::string::npos) missing.push_back(needle);
  }
  for (const std::string& needle : missing) {
    FAIL_CHECK("docs/api.md does not mention the route " << needle);
  }
  CHECK(missing.empty());
}

TEST_CASE("docs: docs/api.md documents every error code", "[docs]") {
  const std::string api = read_doc("docs/api.md");
  std::vector<std::string> missing;
  for (const ussd_otp::ErrorCode code : ussd_otp::kAllErrorCodes) {
    const std::string needle = "`" + std::string(ussd_otp::to_string(code)) + "`";
    if (api.find(needle) == std::string::npos) missing.push_back(needle);
  }
  for (const std::string& needle : missing) {
    FAIL_CHECK("docs/api.md does not mention the error code " << needle);
  }
  CHECK(missing.empty());
}

TEST_CASE("docs: docs/configuration.md documents every setting", "[docs]") {
  const std::string configuration = read_doc("docs/configuration.md");
  std::vector<std::string> missing;
  for (const ussd_otp::Setting& setting : ussd_otp::all_settings()) {
    const std::string needle = "`--" + setting.name + "`";
    if (configuration.find(needle) == std::string::npos) missing.push_back(needle);
  }
  for (const std::string& needle : missing) {
    FAIL_CHECK("docs/configuration.md does not mention the setting " << needle);
  }
  CHECK(missing.empty());
}

TEST_CASE("every error code is checked by a black-box test", "[docs]") {
  // A code no test asserts could silently stop being returned; the HTTP tests compare
  // error_code(...) (or the raw body) against the literal, so the literal must appear there.
  std::string tests;
  for (const char* file : {"tests/http/otp_api_test.cpp", "tests/http/otp_flows_test.cpp",
                           "tests/http/send_policy_test.cpp", "tests/http/arkesel_api_test.cpp"}) {
    tests += read_doc(file);
  }
  for (const ussd_otp::ErrorCode code : ussd_otp::kAllErrorCodes) {
    const std::string quoted = "\"" + std::string(ussd_otp::to_string(code)) + "\"";
    INFO("no black-box test asserts " << quoted);
    CHECK(tests.find(quoted) != std::string::npos);
  }
}

TEST_CASE("docs: every Arkesel result code is documented and asserted by a black-box test",
          "[docs]") {
  const std::string api = read_doc("docs/api.md");
  const std::string tests = read_doc("tests/http/arkesel_api_test.cpp");
  for (const ussd_otp::ArkeselCode& code : ussd_otp::kArkeselCodes) {
    const std::string row = "| " + std::string(code.code) + " | " + std::string(code.message);
    INFO("docs/api.md has no table row starting " << row);
    CHECK(api.find(row) != std::string::npos);
    const std::string quoted = "\"" + std::string(code.code) + "\"";
    INFO("no black-box test asserts " << quoted);
    CHECK(tests.find(quoted) != std::string::npos);
  }
}
