// Keeps the documentation in step with the code: every registered route, every error code and
// every setting must be named in docs/api.md or docs/configuration.md.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include <pistache/http_defs.h>

#include "otp/errors.hpp"
#include "server/api/arkesel_api.hpp"
#include "server/api/getotp_api.hpp"
#include "server/app/config.hpp"
#include "server/ussd/dialects/dialect.hpp"
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

TEST_CASE("docs: docs/configuration.md names every USSD dialect", "[docs]") {
  const std::string configuration = read_doc("docs/configuration.md");
  const std::string ussd = read_doc("docs/ussd.md");
  for (const std::string& dialect : ussd_otp::dialect_names()) {
    INFO("dialect " << dialect);
    CHECK(configuration.find("`" + dialect + "`") != std::string::npos);
    const bool routed = ussd.find("`POST /ussd/" + dialect) != std::string::npos ||
                        ussd.find("`GET /ussd/" + dialect) != std::string::npos;
    CHECK(routed);
  }
}

TEST_CASE("docs: docs/api.md documents every registered route", "[docs]") {
  // USSD callbacks are documented with the menu in docs/ussd.md.
  const std::string api = read_doc("docs/api.md") + read_doc("docs/ussd.md");
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
    const std::string name = setting.doc_name.empty() ? setting.name : setting.doc_name;
    const std::string needle = "`--" + name + "`";
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
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(USSD_OTP_SOURCE_DIR) + "/tests/http")) {
    if (entry.path().extension() != ".cpp" || entry.path().filename() == "docs_test.cpp") continue;
    tests += read_doc("tests/http/" + entry.path().filename().string());
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

TEST_CASE("docs: every GetOTP error code is documented and asserted by a black-box test",
          "[docs]") {
  const std::string api = read_doc("docs/api.md");
  const std::string tests = read_doc("tests/http/getotp_api_test.cpp");
  for (const ussd_otp::GetOtpCode& code : ussd_otp::kGetOtpCodes) {
    const std::string row = "| " + std::string(code.code) + " | " + std::to_string(code.status) +
                            " | " + std::string(code.message) + " |";
    INFO("docs/api.md has no table row starting " << row);
    CHECK(api.find(row) != std::string::npos);
    const std::string quoted = "\"" + std::string(code.code) + "\"";
    INFO("no black-box test asserts " << quoted);
    CHECK(tests.find(quoted) != std::string::npos);
  }
}

// catch_discover_tests passes each name through a CMake list: a ';' cuts it, and the cut name
// matches no test, so CTest reports a pass for a test that never ran. (Commas are escaped.) An
// unbalanced '[' or ']' stops CMake splitting the list there: the rest of the names fuse into one.
TEST_CASE("test names have no semicolons or square brackets", "[docs]") {
  const std::regex name_pattern(R"re(TEST_CASE\(\s*"([^"]*)")re");
  for (const char* dir : {"tests/http", "tests/unit", "tests/storage"}) {
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(USSD_OTP_SOURCE_DIR) + "/" + dir)) {
      if (entry.path().extension() != ".cpp") continue;
      const std::string text = read_doc(std::string(dir) + "/" + entry.path().filename().string());
      for (std::sregex_iterator it(text.begin(), text.end(), name_pattern), end; it != end; ++it) {
        const std::string name = (*it)[1];
        INFO(entry.path().filename().string() << ": \"" << name << "\"");
        CHECK(name.find_first_of(";[]") == std::string::npos);
      }
    }
  }
}
