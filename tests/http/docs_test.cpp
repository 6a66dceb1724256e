// Keeps the documentation in step with the code: every registered route, every error code and
// every setting must be named in docs/api.md or docs/configuration.md.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include <pistache/http_defs.h>

#include "server/api/arkesel_api.hpp"
#include "server/api/getotp_api.hpp"
#include "server/api/user_verify_api.hpp"
#include "server/app/config.hpp"
#include "server/http/errors.hpp"
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

// Every tests/http/*.cpp but this one, as one text: a code the black-box tests compare against
// appears there as a quoted literal.
std::string black_box_tests() {
  std::string tests;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(USSD_OTP_SOURCE_DIR) + "/tests/http")) {
    if (entry.path().extension() != ".cpp" || entry.path().filename() == "docs_test.cpp") continue;
    tests += read_doc("tests/http/" + entry.path().filename().string());
  }
  return tests;
}

// Fails once per needle `text` lacks, naming `what` it is.
void check_all_found(const std::string& text, const std::vector<std::string>& needles,
                     const std::string& what) {
  std::vector<std::string> missing;
  for (const std::string& needle : needles) {
    if (text.find(needle) == std::string::npos) missing.push_back(needle);
  }
  for (const std::string& needle : missing) FAIL_CHECK(what << " " << needle);
  CHECK(missing.empty());
}

// The native envelope's codes: every row of kErrorTable, each name once.
std::vector<std::string> native_error_names() {
  std::vector<std::string> names;
  for (const ussd_otp::ErrorRow& row : ussd_otp::kErrorTable) {
    if (std::find(names.begin(), names.end(), row.name) == names.end()) {
      names.emplace_back(row.name);
    }
  }
  return names;
}

// `before` + each name + `after`.
std::vector<std::string> wrapped(const std::vector<std::string>& names, const std::string& before,
                                 const std::string& after) {
  std::vector<std::string> needles;
  for (const std::string& name : names) needles.push_back(before + name + after);
  return needles;
}

// A compatible API's code table: docs/api.md has a row starting `row(entry)` for every entry,
// and `test_file` quotes every `code(entry)`.
template <class Table, class Row, class Code>
void check_code_table(const Table& table, Row row, Code code, const std::string& test_file) {
  std::vector<std::string> rows;
  std::vector<std::string> codes;
  for (const auto& entry : table) {
    rows.push_back(row(entry));
    codes.emplace_back(code(entry));
  }
  check_all_found(read_doc("docs/api.md"), rows, "docs/api.md has no table row starting");
  check_all_found(read_doc(test_file), wrapped(codes, "\"", "\""), "no black-box test asserts");
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
  std::vector<std::string> needles;
  for (const auto& route : routes) {
    needles.push_back("`" + std::string(Pistache::Http::methodString(route.method)) + " " +
                      documented_path(route.path) + "`");
  }
  check_all_found(api, needles, "docs/api.md does not mention the route");
}

TEST_CASE("docs: docs/api.md documents every error code with its status", "[docs]") {
  std::vector<std::string> rows;
  for (const ussd_otp::ErrorRow& row : ussd_otp::kErrorTable) {
    rows.push_back("| `" + std::string(row.name) + "` | " + std::to_string(row.status) + " |");
  }
  check_all_found(read_doc("docs/api.md"), rows, "docs/api.md's error table has no row");
}

TEST_CASE("docs: docs/configuration.md documents every setting", "[docs]") {
  std::vector<std::string> needles;
  for (const ussd_otp::Setting& setting : ussd_otp::all_settings()) {
    needles.push_back("`--" + (setting.doc_name.empty() ? setting.name : setting.doc_name) + "`");
  }
  check_all_found(read_doc("docs/configuration.md"), needles,
                  "docs/configuration.md does not mention the setting");
}

TEST_CASE("every error code is checked by a black-box test", "[docs]") {
  // A code no test asserts could silently stop being returned; the HTTP tests compare
  // error_code(...) (or the raw body) against the literal, so the literal must appear there.
  check_all_found(black_box_tests(), wrapped(native_error_names(), "\"", "\""),
                  "no black-box test asserts");
}

TEST_CASE("docs: every Arkesel result code is documented and asserted by a black-box test",
          "[docs]") {
  check_code_table(
      ussd_otp::kArkeselCodes,
      [](const ussd_otp::ArkeselCode& code) {
        return "| " + std::string(code.code) + " | " + std::string(code.message);
      },
      [](const ussd_otp::ArkeselCode& code) { return std::string(code.code); },
      "tests/http/arkesel_api_test.cpp");
}

TEST_CASE("docs: every error an Arkesel route translates answers a documented code", "[docs]") {
  // The rows outside Arkesel's own table (401, 409, 413, 422, 503) are documented as bodies.
  std::vector<std::string> bodies;
  for (const ussd_otp::ArkeselError& row : ussd_otp::kArkeselErrors) {
    const bool arkesel_code =
        std::any_of(std::begin(ussd_otp::kArkeselCodes), std::end(ussd_otp::kArkeselCodes),
                    [&](const ussd_otp::ArkeselCode& code) { return code.code == row.code; });
    if (!arkesel_code) {
      bodies.push_back("| " + std::to_string(row.status) + " | `{\"code\":\"" +
                       std::string(row.code) + "\"");
    }
  }
  CHECK(bodies.size() >= 5);
  check_all_found(read_doc("docs/api.md"), bodies, "docs/api.md has no table row starting");
}

TEST_CASE("docs: every GetOTP error code is documented and asserted by a black-box test",
          "[docs]") {
  check_code_table(
      ussd_otp::kGetOtpCodes,
      [](const ussd_otp::GetOtpCode& code) {
        return "| " + std::string(code.code) + " | " + std::to_string(code.status) + " | " +
               std::string(code.message) + " |";
      },
      [](const ussd_otp::GetOtpCode& code) { return std::string(code.code); },
      "tests/http/getotp_api_test.cpp");
  for (const ussd_otp::GetOtpError& row : ussd_otp::kGetOtpErrors) {
    INFO("kGetOtpErrors names " << row.code << ", which kGetOtpCodes lacks");
    CHECK(std::any_of(std::begin(ussd_otp::kGetOtpCodes), std::end(ussd_otp::kGetOtpCodes),
                      [&](const ussd_otp::GetOtpCode& code) { return code.code == row.code; }));
  }
}

TEST_CASE("docs: every verify-by-user error is documented and asserted by a black-box test",
          "[docs]") {
  check_code_table(
      ussd_otp::kUserVerifyErrors,
      [](const ussd_otp::UserVerifyErrorRow& row) {
        return "| " + std::to_string(row.status) + " | `" + std::string(row.name) + "`";
      },
      [](const ussd_otp::UserVerifyErrorRow& row) { return std::string(row.name); },
      "tests/http/user_verify_api_test.cpp");
}

// catch_discover_tests passes each name through a CMake list: a ';' cuts it, and the cut name
// matches no test, so CTest reports a pass for a test that never ran. (Commas are escaped.) An
// unbalanced '[' or ']' stops CMake splitting the list there: the rest of the names fuse into one.
TEST_CASE("test names have no semicolons or square brackets", "[docs]") {
  const std::regex name_pattern(R"re(TEST_CASE\(\s*"([^"]*)")re");
  for (const char* dir : {"tests/http", "tests/unit", "tests/storage", "tests/storage/contract"}) {
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
