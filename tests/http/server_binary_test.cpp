// Tests of the ussd-otp-server binary itself: commands, signals, key files and logs.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "server/app/config.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

std::string dev_key_from(const std::string& out) {
  static const std::regex pattern("dev API key: (uok_[A-Za-z0-9_-]+)");
  std::smatch match;
  REQUIRE(std::regex_search(out, match, pattern));
  return match[1];
}

std::string code_from_inbox(HttpClient& client, const std::string& phone) {
  for (int i = 0; i < 200; ++i) {
    json messages = client.get("/dev/inbox?phone=" + phone).json()["data"]["messages"];
    if (!messages.empty()) {
      std::smatch match;
      const std::string text = messages[0]["text"];
      static const std::regex code("code is ([0-9]+)");
      REQUIRE(std::regex_search(text, match, code));
      return match[1];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("no message arrived");
  return "";
}

}  // namespace

TEST_CASE("serve --help documents every setting with its environment variable", "[binary]") {
  auto help = run_server_command({"serve", "--help"});
  CHECK(help.exit_code == 0);
  for (const ussd_otp::Setting& setting : ussd_otp::all_settings()) {
    INFO(setting.name);
    CHECK(help.out.find("--" + setting.name) != std::string::npos);
    CHECK(help.out.find(ussd_otp::env_var_name(setting.name)) != std::string::npos);
  }
  CHECK(help.out.find("--config") != std::string::npos);
}

TEST_CASE("bad configuration exits 2 with a message naming the setting", "[binary]") {
  TempDir dir;
  auto bad_flag =
      run_server_command({"serve", "--threads", "zero", "--db", dir.file("a.db").string()});
  CHECK(bad_flag.exit_code == 2);
  CHECK(bad_flag.err.find("threads") != std::string::npos);
  auto bad_env = run_server_command({"serve", "--db", dir.file("a.db").string()},
                                    {"USSD_OTP_LOG_FORMAT=yaml"});
  CHECK(bad_env.exit_code == 2);
  CHECK(bad_env.err.find("log-format") != std::string::npos);
  auto bad_memory =
      run_server_command({"serve", "--sqlite-mmap-mib", "4096", "--db", dir.file("a.db").string()});
  CHECK(bad_memory.exit_code == 2);
  CHECK(bad_memory.err.find("sqlite-mmap-mib") != std::string::npos);
  auto missing_file = run_server_command({"serve", "--config", dir.file("nope.json").string()});
  CHECK(missing_file.exit_code == 2);
}

TEST_CASE("keys create/list/revoke against a running server", "[binary]") {
  TempDir dir;
  const std::string db = dir.file("keys.db").string();
  auto created = run_server_command({"keys", "create", "--name", "shop", "--db", db});
  REQUIRE(created.exit_code == 0);
  const std::string key = created.out.substr(0, created.out.find('\n'));
  CHECK(key.rfind("uok_", 0) == 0);
  CHECK(run_server_command({"keys", "create", "--name", "shop", "--db", db}).exit_code == 1);

  auto listed = run_server_command({"keys", "list", "--db", db});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("shop") != std::string::npos);
  CHECK(listed.out.find(key.substr(0, 12)) != std::string::npos);
  CHECK(listed.out.find(key) == std::string::npos);  // never the whole key

  // USSD-only delivery: no gateway is needed for a code to be issued.
  ServerProcess server(dir.path(),
                       {"--db", db, "--api-key-cache-seconds", "1", "--delivery-ussd-only"});
  HttpClient client(server.url());
  const std::vector<std::string> auth = {"Authorization: Bearer " + key};
  CHECK(client.post_json("/v1/otp/request", {{"phone", "0241234567"}}, auth).status == 201);
  // The key's "last used" column is now a timestamp too (created + last used).
  const std::string after_use = run_server_command({"keys", "list", "--db", db}).out;
  static const std::regex timestamp("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z");
  CHECK(std::distance(std::sregex_iterator(after_use.begin(), after_use.end(), timestamp),
                      std::sregex_iterator()) == 2);

  REQUIRE(run_server_command({"keys", "revoke", "shop", "--db", db}).exit_code == 0);
  // The server trusts a checked key for --api-key-cache-seconds (1 here): 401 within that.
  long status = 0;
  for (int i = 0; i < 40 && status != 401; ++i) {
    status = client.post_json("/v1/otp/request", {{"phone", "0241234568"}}, auth).status;
    if (status != 401) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(status == 401);
  CHECK(run_server_command({"keys", "revoke", "shop", "--db", db}).exit_code == 1);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("the server key file is created with mode 0600 next to the database", "[binary]") {
  TempDir dir;
  ServerProcess server(dir.path(), {"--db", dir.file("data/otp.db").string()});
  struct stat info {};
  REQUIRE(stat(dir.file("data/server.key").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(server.stop(SIGINT) == 0);
}

TEST_CASE("dev mode prints a stable API key - SIGTERM stops cleanly", "[binary]") {
  TempDir dir;
  const std::string db = dir.file("dev.db").string();
  std::string first_key;
  {
    ServerProcess server(dir.path(), {"--dev", "--db", db});
    first_key = dev_key_from(server.stdout_text());
    HttpClient client(server.url());
    CHECK(client.get("/healthz").status == 200);
    CHECK(server.stop(SIGTERM) == 0);
    CHECK(server.stderr_text().find("server.stopped drained=true") != std::string::npos);
  }
  ServerProcess again(dir.path(), {"--dev", "--db", db});
  CHECK(dev_key_from(again.stdout_text()) == first_key);
  CHECK(again.stop(SIGTERM) == 0);
}

TEST_CASE("scripts/run's launcher lets extra arguments override its listen and db defaults",
          "[binary]") {
  TempDir dir;
  const std::string launcher = std::string(USSD_OTP_SOURCE_DIR) + "/scripts/serve";
  const std::string binary = std::string("USSD_OTP_SERVER_BINARY=") + USSD_OTP_SERVER_BINARY;
  {
    ServerProcess server(dir.path(), launcher,
                         {"--listen", "127.0.0.1:0", "--db", dir.file("flags/otp.db").string()},
                         {binary});
    const std::string key = dev_key_from(server.stdout_text());
    std::ifstream key_file(dir.file("flags/dev-api-key"));
    std::string saved;
    CHECK((key_file >> saved && saved == key));
    HttpClient client(server.url());
    CHECK(client.get("/dev/clock").status == 200);  // dev mode, as scripts/run promises
    CHECK(server.stop(SIGTERM) == 0);
  }
  // Without --db the database goes where USSD_OTP_DB says (the launcher's default otherwise).
  ServerProcess from_env(dir.path(), launcher, {"--listen", "127.0.0.1:0"},
                         {binary, "USSD_OTP_DB=" + dir.file("env/otp.db").string()});
  CHECK(std::filesystem::exists(dir.file("env/dev-api-key")));
  CHECK(from_env.stop(SIGTERM) == 0);
}

TEST_CASE("JSON logs: one object per line, request ids, never a code or a whole key",
          "[binary][security]") {
  TempDir dir;
  ServerProcess server(dir.path(),
                       {"--dev", "--db", dir.file("log.db").string(), "--log-format", "json"});
  const std::string key = dev_key_from(server.stdout_text());
  HttpClient client(server.url());
  const auto created = client.post_json("/v1/otp/request", {{"phone", "0241234567"}},
                                        {"Authorization: Bearer " + key, "X-Request-Id: trace-77"});
  REQUIRE(created.status == 201);
  const std::string code = code_from_inbox(client, "0241234567");
  CHECK(client
            .post_json("/v1/otp/verify", {{"id", created.json()["data"]["id"]}, {"pin", code}},
                       {"Authorization: Bearer " + key})
            .status == 200);
  REQUIRE(server.stop(SIGTERM) == 0);

  std::istringstream lines(server.stderr_text());
  std::string line;
  int requests_logged = 0;
  bool saw_trace_id = false;
  while (std::getline(lines, line)) {
    INFO(line);
    json object = json::parse(line);  // throws (fails) if a line is not JSON
    CHECK(object.contains("ts"));
    CHECK(object.contains("level"));
    if (object["event"] == "http.request") {
      ++requests_logged;
      CHECK(object.contains("rid"));
      saw_trace_id = saw_trace_id || object["rid"] == "trace-77";
    }
    CHECK(line.find(code) == std::string::npos);
    CHECK(line.find(key) == std::string::npos);
  }
  CHECK(requests_logged >= 3);
  CHECK(saw_trace_id);
}

TEST_CASE("a new server key is warned about only when pending codes are lost to it",
          "[binary][security]") {
  TempDir dir;
  const std::string db = dir.file("otp.db").string();
  constexpr std::string_view kWarning = "server_key.cannot_open_codes";
  // The README's order: a key first (this creates the database), then serve. Nothing is lost.
  auto created = run_server_command({"keys", "create", "--name", "shop", "--db", db});
  REQUIRE(created.exit_code == 0);
  const std::string key = created.out.substr(0, created.out.find('\n'));
  {
    ServerProcess first(dir.path(), {"--db", db, "--delivery-ussd-only"});
    HttpClient client(first.url());
    CHECK(client
              .post_json("/v1/otp/request", {{"phone", "0241234567"}},
                         {"Authorization: Bearer " + key})
              .status == 201);
    CHECK(first.stop(SIGTERM) == 0);
    CHECK(first.stderr_text().find(kWarning) == std::string::npos);
  }
  {
    ServerProcess same_key(dir.path(), {"--db", db, "--delivery-ussd-only"});
    CHECK(same_key.stop(SIGTERM) == 0);
    CHECK(same_key.stderr_text().find(kWarning) == std::string::npos);
  }
  // A replaced key: the pending code above can no longer be opened.
  std::filesystem::remove(dir.file("server.key"));
  ServerProcess second(dir.path(), {"--db", db, "--delivery-ussd-only"});
  CHECK(second.stop(SIGTERM) == 0);
  CHECK(second.stderr_text().find(kWarning) != std::string::npos);
}

TEST_CASE("a port already taken is reported with the address and exit status 1", "[binary]") {
  TempDir dir;
  ServerProcess first(dir.path(), {"--db", dir.file("a.db").string()});
  const std::string address = first.url().substr(std::string("http://").size());
  auto second =
      run_server_command({"serve", "--listen", address, "--db", dir.file("b.db").string()});
  CHECK(second.exit_code == 1);
  CHECK(second.err.find("cannot listen on " + address) != std::string::npos);
  CHECK(first.stop(SIGTERM) == 0);
}

TEST_CASE("keys create with a budget and keys set-budget", "[binary]") {
  TempDir dir;
  const std::string db = dir.file("budget.db").string();
  auto bad =
      run_server_command({"keys", "create", "--name", "shop", "--budget", "lots", "--db", db});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--budget") != std::string::npos);
  auto created = run_server_command(
      {"keys", "create", "--name", "shop", "--daily-sends", "1", "--budget", "5", "--db", db});
  REQUIRE(created.exit_code == 0);  // the failed attempt above created nothing
  const std::string key = created.out.substr(0, created.out.find('\n'));
  CHECK(run_server_command({"keys", "list", "--db", db}).out.find("daily 0/1, balance 5") !=
        std::string::npos);

  {
    ServerProcess server(dir.path(), {"--db", db, "--delivery-ussd-only"});
    HttpClient client(server.url());
    const std::vector<std::string> auth = {"api-key: " + key};
    const json body = {
        {"phone_number", "0241234567"}, {"sender_id", "Shop"}, {"message", "Code: %otp_code%"}};
    // USSD-only delivery: codes are issued for USSD retrieval, never sent, so never charged.
    CHECK(client.post_json("/api/otp/generate", body, auth).json()["code"] == "1000");
    CHECK(client.post_json("/v1/otp/request", {{"phone", "0201234567"}}, auth).status == 201);
    CHECK(server.stop(SIGTERM) == 0);
  }
  CHECK(run_server_command({"keys", "list", "--db", db}).out.find("daily 0/1, balance 5") !=
        std::string::npos);

  auto changed = run_server_command(
      {"keys", "set-budget", "shop", "--daily-sends", "unlimited", "--budget", "0", "--db", db});
  CHECK(changed.exit_code == 0);
  CHECK(changed.out == "shop: daily 0/unlimited, balance 0\n");
  CHECK(run_server_command({"keys", "set-budget", "shop", "--db", db}).exit_code == 2);
  CHECK(
      run_server_command({"keys", "set-budget", "nobody", "--budget", "1", "--db", db}).exit_code ==
      1);
}

TEST_CASE("USSD: the path token and a shown code never reach the logs", "[binary][security]") {
  TempDir dir;
  const std::string token = "tok-" + std::string(24, 'q') + "-secret";
  ServerProcess server(dir.path(), {"--dev", "--db", dir.file("ussd.db").string(),
                                    "--ussd-africastalking-path-token", token});
  const std::string key = dev_key_from(server.stdout_text());
  HttpClient client(server.url());
  REQUIRE(
      client
          .post_json("/v1/otp/request", {{"phone", "0241234567"}}, {"Authorization: Bearer " + key})
          .status == 201);
  const std::string code = code_from_inbox(client, "0241234567");
  const std::vector<std::string> form{"Content-Type: application/x-www-form-urlencoded"};
  const std::string body =
      "sessionId=s1&serviceCode=%2A889%2A142%23&phoneNumber=%2B233241234567&text=0241234567";
  const auto shown = client.post_raw("/ussd/africastalking/" + token, body, form);
  CHECK(shown.body.find(code) != std::string::npos);
  CHECK(client.post_raw("/ussd/africastalking/" + token + "/event", body, form).status == 404);
  CHECK(client.request("PUT", "/ussd/africastalking/" + token, &body, form).status == 405);
  CHECK(client.post_raw("/ussd/africastalking/" + token + "x", body, form).status == 404);
  REQUIRE(server.stop(SIGTERM) == 0);
  const std::string logs = server.stderr_text();
  CHECK(logs.find("/ussd/africastalking") != std::string::npos);  // the requests were logged
  CHECK(logs.find(std::string(24, 'q')) == std::string::npos);
  CHECK(logs.find(code) == std::string::npos);
}

TEST_CASE("an unknown USSD language is a configuration error", "[binary]") {
  TempDir dir;
  const auto result = run_server_command({"serve", "--db", dir.file("l.db").string(), "--listen",
                                          "127.0.0.1:0", "--ussd-languages-by-country", "225=xx"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("no message catalog for language \"xx\"") != std::string::npos);
}
