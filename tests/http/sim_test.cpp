// ussd-otp-sim against the real server: scripted sessions in every dialect, the app-side
// commands, failures with readable diffs, and load mode's counts.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <regex>

#include "http/sim_calls.hpp"
#include "http/ussd_calls.hpp"
#include "support/temp_dir.hpp"

using namespace ussd_otp::testing;
using nlohmann::json;

namespace {

// A whole story in one script: request a code, dial, read it; the shortcut; someone else's
// number; a hang-up; an idle session and an expired code after the dev clock moves.
json story(const std::string& dialect) {
  json script = json::parse(R"({"msisdn": "+233241234567", "sessions": [
    {"name": "request, dial, read the code", "steps": [
      {"requestOtp": {"phone": "0241234567", "from": "ACME"}},
      {"dial": "*889*142#", "expect": {"contains": "Enter the phone number", "state": "continue"}},
      {"send": "0241234567", "expect": {"regex": "^Your ACME code is [0-9]{6}\\.", "state": "end"}}]},
    {"name": "shortcut", "steps": [
      {"dial": "*889*142*0241234567#", "expect": {"regex": "code is [0-9]{6}", "state": "end"}}]},
    {"name": "another number learns nothing", "steps": [
      {"dial": "*889*142#"},
      {"send": "0209999999", "expect": {"contains": "No active code", "notContains": "ACME", "state": "end"}}]},
    {"name": "hang up", "steps": [
      {"dial": "*889*142#", "expect": {"state": "continue"}}, {"hangUp": "release"}]},
    {"name": "an idle session times out on the dev clock", "steps": [
      {"dial": "*889*142#", "expect": {"state": "continue"}}, {"wait": 200},
      {"send": "0241234567", "expect": {"contains": "session has expired", "state": "end"}}]},
    {"name": "expired once the dev clock moves", "steps": [
      {"wait": 600},
      {"dial": "*889*142*0241234567#", "expect": {"contains": "No active code", "state": "end"}}]}
  ]})");
  script["dialect"] = dialect;
  for (json& session : script["sessions"]) {
    for (json& step : session["steps"]) {
      if (step.contains("expect")) step["expect"]["maxLength"] = dialect == "nalo" ? 120 : 160;
    }
  }
  return script;
}

void scripted_story(const std::string& dialect) {
  TestServer server;
  TempDir dir;
  const auto path = dir.file("story.json");
  write_text(path, story(dialect).dump(2));
  const CommandResult run = run_sim(server, {"run", path.string(), "--transcript"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("6 passed, 0 failed") != std::string::npos);
  // The code the simulator showed is the one the SMS carried.
  HttpClient client = server.client();
  const std::string code = code_in(server.wait_for_message(kPhone));
  CHECK(run.out.find("code is " + code) != std::string::npos);
  // The hang-up reached the server where the dialect has a notice for it.
  const bool has_release = dialect == "hubtel" || dialect == "emergent" ||
                           dialect == "crossswitch" || dialect == "beem" || dialect == "hollatags";
  if (has_release) CHECK(ended_sessions(server, dialect, "released") == 1);
}

}  // namespace

#define SIM_DIALECT_STORY(name)                                                \
  TEST_CASE("sim: a scripted story in the " #name " dialect", "[sim][http]") { \
    scripted_story(#name);                                                     \
  }
SIM_DIALECT_STORY(africastalking)
SIM_DIALECT_STORY(arkesel)
SIM_DIALECT_STORY(hubtel)
SIM_DIALECT_STORY(nalo)
SIM_DIALECT_STORY(emergent)
SIM_DIALECT_STORY(crossswitch)
SIM_DIALECT_STORY(beem)
SIM_DIALECT_STORY(southpawsl)
SIM_DIALECT_STORY(moolre)
SIM_DIALECT_STORY(hollatags)

TEST_CASE("sim: the simulator speaks every dialect the server has", "[sim][http]") {
  TestServer server;
  const CommandResult listed = run_sim(server, {"dialects"});
  REQUIRE(listed.exit_code == 0);
  for (const auto& dialect : server.app().http().routes()) {
    const std::string path = dialect.path;
    if (path.rfind("/ussd/", 0) != 0) continue;
    const std::string name = path.substr(6, path.find('/', 6) - 6);
    INFO(name);
    CHECK(listed.out.find(name + "\n") != std::string::npos);
  }
}

TEST_CASE("sim: the one-liner reads a code and fails with a diff when the screen differs",
          "[sim][http]") {
  TestServer server;
  HttpClient client = server.client();
  issue_otp(server, client);
  const CommandResult good = run_sim(server, {"run", "--dial", "*889*142#", "--input", "0241234567",
                                              "--expect", "code is [0-9]{6}"});
  INFO(good.out << good.err);
  CHECK(good.exit_code == 0);
  CHECK(good.out.find("PASS") != std::string::npos);

  const CommandResult bad = run_sim(server, {"run", "--dial", "*889*142#", "--input", "0209999999",
                                             "--expect", "code is [0-9]{6}"});
  INFO(bad.out);
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.find("FAIL session 1") != std::string::npos);
  CHECK(bad.out.find("step 2: send \"0209999999\"") != std::string::npos);
  CHECK(bad.out.find("- expected: matches /code is [0-9]{6}/") != std::string::npos);
  CHECK(bad.out.find("+ got:      \"No active code for 020 999 9999.\" (end)") !=
        std::string::npos);
}

TEST_CASE("sim: a broken script exits 2 naming the place, before any request", "[sim][http]") {
  TestServer server;
  TempDir dir;
  const auto path = dir.file("broken.json");
  write_text(path,
             R"({"sessions": [{"steps": [{"dial": "*889*142#", "expect": {"state": "over"}}]}]})");
  const CommandResult run = run_sim(server, {"run", path.string()});
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("sessions[0].steps[0].expect.state") != std::string::npos);
}

TEST_CASE("sim: usage mistakes exit 2 before any request", "[sim][http]") {
  TestServer server;
  CHECK(run_sim(server, {"--bogus"}).exit_code == 2);
  CHECK(run_sim(server, {"--dialect", "smoke", "run", "--dial", "*889*142#"}).exit_code == 2);
  CHECK(run_sim(server, {"otp", "request"}).exit_code == 2);  // --phone is required
  const CommandResult regex = run_sim(server, {"run", "--dial", "*889*142#", "--expect", "("});
  CHECK(regex.exit_code == 2);
  CHECK(regex.err.find("not a valid regular expression") != std::string::npos);
  CHECK(run_sim(server, {"load", "--sessions", "1", "--expect", "[a"}).exit_code == 2);
  const CommandResult help = run_sim(server, {"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--no-sms") != std::string::npos);
  CHECK(run_command(kSimBinary, {"--url", server.url()}).exit_code == 2);  // stdin is no terminal
  for (const char* dialect : {"africastalking", "hubtel"}) {  // nothing reached the server
    CHECK(sessions_of(server, dialect, "233241234567") == 0);
  }
}

TEST_CASE("sim: aggregator-level failures are shown, not hidden", "[sim][http]") {
  TestServer server;
  // A wrong path token: the server answers 404, which the phone shows as an HTTP failure.
  const CommandResult run = run_sim(server, {"--path-token", "nope", "run", "--dial", "*889*142#"});
  CHECK(run.exit_code == 1);
  CHECK(run.out.find("+ got:      HTTP 404") != std::string::npos);
  // Nobody listening: a transport failure.
  const CommandResult down =
      run_command(kSimBinary, {"--url", "http://127.0.0.1:9", "run", "--dial", "*889*142#"});
  CHECK(down.exit_code == 1);
  CHECK(down.out.find("+ got:      no reply from http://127.0.0.1:9") != std::string::npos);
}

TEST_CASE("sim: the whole story from the app side: request, read on USSD, verify", "[sim][http]") {
  TestServer server;
  const CommandResult requested = run_sim(server, {"otp", "request", "--phone", "0241234567"});
  INFO(requested.out << requested.err);
  REQUIRE(requested.exit_code == 0);
  const std::string id = json::parse(requested.out)["data"]["id"];

  const CommandResult inbox = run_sim(server, {"inbox", "--phone", "0241234567"});
  REQUIRE(inbox.exit_code == 0);
  CHECK(json::parse(inbox.out)["data"]["messages"].size() == 1);

  const CommandResult dialled =
      run_sim(server, {"run", "--dial", "*889*142*0241234567#", "--transcript"});
  REQUIRE(dialled.exit_code == 0);
  std::smatch code;
  REQUIRE(std::regex_search(dialled.out, code, std::regex("code is ([0-9]{6})")));

  const CommandResult wrong = run_sim(server, {"otp", "verify", "--id", id, "--pin", "000000x"});
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.err.find("HTTP 400") != std::string::npos);
  const CommandResult verified = run_sim(server, {"otp", "verify", "--id", id, "--pin", code[1]});
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(json::parse(verified.out)["data"]["verified"] == true);
}

TEST_CASE("sim: otp request without a key gets the server's clear 401", "[sim][http]") {
  TestServer server;
  const CommandResult run =
      run_command(kSimBinary, {"--url", server.url(), "otp", "request", "--phone", "0241234567"},
                  {"USSD_OTP_API_KEY="});
  CHECK(run.exit_code == 1);
  CHECK(run.err.find("HTTP 401") != std::string::npos);
}

TEST_CASE("sim: the clock command moves the dev clock", "[sim][http]") {
  TestServer server;
  const auto before = server.clock().now();
  const CommandResult moved = run_sim(server, {"clock", "--advance", "300"});
  REQUIRE(moved.exit_code == 0);
  CHECK(server.clock().now() == before + 300);
  CHECK(json::parse(moved.out)["data"]["advancedSeconds"] == 300);
}

TEST_CASE("sim: docs/simulator.md's full example passes and prints what the guide shows",
          "[sim][http][docs]") {
  std::ifstream in(std::string(USSD_OTP_SOURCE_DIR) + "/docs/simulator.md");
  const std::string guide{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // The example's script and its documented output are the two fenced blocks after the heading.
  const std::size_t heading = guide.find("### A full example");
  REQUIRE(heading != std::string::npos);
  const std::size_t script_start = guide.find("```json\n", heading) + 8;
  const std::size_t script_end = guide.find("```", script_start);
  const std::string prompt = "$ ussd-otp-sim run story.json\n";
  const std::size_t output_start = guide.find(prompt, script_end) + prompt.size();
  const std::size_t output_end = guide.find("```", output_start);
  REQUIRE(output_end != std::string::npos);

  TestServer server;
  TempDir dir;
  write_text(dir.file("story.json"), guide.substr(script_start, script_end - script_start));
  const CommandResult run = run_sim(server, {"run", dir.file("story.json").string()});
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out == guide.substr(output_start, output_end - output_start));
}

TEST_CASE("sim: a small load run's counts add up", "[sim][http]") {
  TestServer server;
  const CommandResult run =
      run_sim(server, {"--dialect", "hubtel", "load", "--sessions", "40", "--concurrency", "4",
                       "--seed-otps", "--json", "--first-msisdn", "233200000100"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const json report = json::parse(run.out);
  CHECK(report["sessions"] == 40);
  CHECK(report["seeded"] == 40);
  CHECK(report["completed"] == 40);
  CHECK(report["failed"] == 0);
  CHECK(report["requests"] == 80);  // dial + number per session
  CHECK(report["errors"].empty());
  REQUIRE(report["steps"].size() == 2);
  CHECK(report["steps"][0]["step"] == "dial");
  CHECK(report["steps"][0]["count"] == 40);
  CHECK(report["steps"][1]["count"] == 40);
  CHECK(report["steps"][1]["p50Ms"] <= report["steps"][1]["p99Ms"]);
  CHECK(report["connections"] == 4);  // one keep-alive connection per worker
  CHECK(report["sessionsPerSecond"] > 0);
}

TEST_CASE("sim: load seeds refused by the server's rate limits say which settings to change",
          "[sim][http]") {
  TestServer server([](ussd_otp::Config& config) {
    config.policy.per_client_ip.limit = 3;
    config.rate_limit_ip_count_peer = true;  // the sim names no clientIp: count its address
  });
  const CommandResult run = run_sim(server, {"load", "--sessions", "5", "--concurrency", "1",
                                             "--seed-otps", "--first-msisdn", "233200000300"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK(run.out.find("seed_http_429: 2") != std::string::npos);
  CHECK(run.out.find("hint        the server's rate limits refused seeds: start it with "
                     "--rate-limit-api-key-per-minute 0 --rate-limit-ip-per-minute 0") !=
        std::string::npos);
  // Every setting the hint names exists.
  for (const char* option : {"--rate-limit-api-key-per-minute", "--rate-limit-ip-per-minute"}) {
    CHECK(run_server_command({"serve", "--help"}).out.find(option) != std::string::npos);
  }
}

TEST_CASE("sim: load mode counts errors by kind and exits non-zero", "[sim][http]") {
  TestServer server;
  // No OTPs seeded but a code expected: every final screen is the wrong one.
  const CommandResult wrong = run_sim(
      server, {"load", "--sessions", "6", "--concurrency", "2", "--expect", "code is", "--json"});
  INFO(wrong.out << wrong.err);
  CHECK(wrong.exit_code == 1);
  const json report = json::parse(wrong.out);
  CHECK(report["completed"] == 0);
  CHECK(report["errors"]["wrong_screen"] == 6);
  CHECK(report["hints"].empty());  // no known cause to point at
  // One example per kind says what the screen was.
  CHECK(report["errorExamples"]["wrong_screen"].get<std::string>().find(
            "number: \"No active code") == 0);
  // A callback path that does not exist: HTTP errors on the first step.
  const CommandResult missing = run_sim(
      server, {"--path-token", "nope", "load", "--sessions", "3", "--concurrency", "1", "--json"});
  CHECK(missing.exit_code == 1);
  CHECK(json::parse(missing.out)["errors"]["http_404"] == 3);
}
