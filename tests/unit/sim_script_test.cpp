// The simulator's script format: parsing with precise errors, expectations, and recordings that
// parse back into the same script.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>

#include "simulator/script.hpp"
#include "support/temp_dir.hpp"

using namespace ussd_otp::sim;

namespace {

StepResult screen(const std::string& text, bool ends) {
  StepResult result;
  result.screen = Screen{text, ends};
  result.measure = ussd_otp::measure_screen(text);
  return result;
}

bool has_problem(const ScriptParse& parsed, const std::string& part) {
  for (const std::string& problem : parsed.problems) {
    if (problem.find(part) != std::string::npos) return true;
  }
  return false;
}

// Saves the recording and parses the file back, as `run` would.
ScriptParse saved_and_parsed(const ScriptRecorder& recorder, const std::string& path) {
  std::string error;
  REQUIRE(recorder.save(error));
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_script(text, PhoneSettings{});
}

}  // namespace

TEST_CASE("sim script: sessions take the script's defaults and their own fields", "[sim]") {
  PhoneSettings defaults;
  defaults.base_url = "http://127.0.0.1:9";
  const ScriptParse parsed = parse_script(R"({
    "dialect": "hubtel", "msisdn": "+233201112222",
    "sessions": [
      {"name": "code", "steps": [
        {"requestOtp": {"phone": "0201112222", "from": "ACME"}},
        {"dial": "*889*142#", "expect": {"contains": "phone number", "state": "continue"}},
        {"send": "0201112222", "expect": {"regex": ["code is [0-9]{6}", "ACME"], "maxLength": 160}},
        {"wait": 300}
      ]},
      {"dialect": "nalo", "steps": [{"dial": "*889*142#", "expect": "Enter"}, {"hangUp": "timeout"}]}
    ]})",
                                          defaults);
  INFO(parsed.problems.size());
  REQUIRE(parsed.script);
  const Script& script = *parsed.script;
  REQUIRE(script.sessions.size() == 2);
  CHECK(script.sessions[0].phone.dialect == "hubtel");
  CHECK(script.sessions[0].phone.subscriber.msisdn == "233201112222");
  CHECK(script.sessions[0].phone.base_url == "http://127.0.0.1:9");
  CHECK(script.sessions[0].steps[0].action == StepAction::RequestOtp);
  CHECK(script.sessions[0].steps[0].from == "ACME");
  CHECK(script.sessions[0].steps[1].expect.ends == false);
  CHECK(script.sessions[0].steps[2].expect.regexes.size() == 2);
  CHECK(script.sessions[0].steps[3].seconds == 300);
  CHECK(script.sessions[1].phone.dialect == "nalo");
  CHECK(script.sessions[1].name == "session 2");
  CHECK(script.sessions[1].steps[0].expect.contains == std::vector<std::string>{"Enter"});
  CHECK(script.sessions[1].steps[1].hang_up == HangUp::Timeout);
}

TEST_CASE("sim script: mistakes are named by their place in the file", "[sim]") {
  const PhoneSettings defaults;
  CHECK(has_problem(parse_script("{", defaults), "not valid JSON"));
  CHECK(has_problem(parse_script(R"({"sessions": []})", defaults), "non-empty \"sessions\""));
  const ScriptParse parsed = parse_script(R"({"dialect": "smoke", "sessions": [{"steps": [
      {"send": "1"},
      {"dial": "*889*142#", "send": "2"},
      {"dial": "*889*142#", "expect": {"state": "maybe", "regex": "(", "colour": 1}},
      {"wait": -5},
      {"hangUp": "later"}
    ]}]})",
                                          defaults);
  CHECK_FALSE(parsed.script);
  CHECK(has_problem(parsed, "script.dialect: unknown dialect \"smoke\""));
  CHECK(has_problem(parsed, "sessions[0].steps[0]: send before any dial"));
  CHECK(has_problem(parsed, "sessions[0].steps[1]: needs exactly one of"));
  CHECK(has_problem(parsed, "sessions[0].steps[2].expect.state: must be \"continue\" or \"end\""));
  CHECK(has_problem(parsed, "sessions[0].steps[2].expect.regex"));
  CHECK(has_problem(parsed, "sessions[0].steps[2].expect.colour: unknown field"));
  CHECK(has_problem(parsed, "sessions[0].steps[3].wait: must be a whole number"));
  CHECK(has_problem(parsed, "sessions[0].steps[4].hangUp"));
  const ScriptParse empty = parse_script(
      R"({"sessions": [{"steps": [{"dial": ""}, {"requestOtp": ""}, {"send": ""}]}]})", defaults);
  CHECK(has_problem(empty, "sessions[0].steps[0].dial: must not be empty"));
  CHECK(has_problem(empty, "sessions[0].steps[1].requestOtp: must not be empty"));
  CHECK(empty.problems.size() == 2);  // an empty answer is allowed: Send with nothing typed
}

TEST_CASE("sim script: each unmet expectation is listed", "[sim]") {
  Expectation expect;
  expect.contains = {"code is"};
  expect.not_contains = {"No active"};
  expect.regexes = {"[0-9]{6}"};
  expect.ends = true;
  expect.max_length = 20;
  CHECK(unmet(expect, screen("Your code is 482910.", true)).empty());
  const auto lines = unmet(expect, screen("No active code for 024 123 4567.", false));
  CHECK(lines.size() == 5);
  StepResult failed;
  failed.kind = StepKind::HttpError;
  failed.http_status = 403;
  failed.problem = "HTTP 403";
  REQUIRE(unmet(Expectation{}, failed).size() == 1);
  CHECK(unmet(Expectation{}, failed)[0] == "a screen from the server");  // "got" says what came
  StepResult long_screen = screen(std::string(170, 'x'), true);
  CHECK(unmet(Expectation{}, long_screen).size() == 1);  // over the 160-character screen
  // One character outside GSM-7 makes it UCS-2, where the same screen holds half as much.
  const StepResult ucs2 = screen(std::string(80, 'x') + "✓", true);
  CHECK(ucs2.limit() == 80);
  REQUIRE(unmet(Expectation{}, ucs2).size() == 1);
  CHECK(unmet(Expectation{}, ucs2)[0] == "fits the 80-character UCS-2 screen (has 81)");
  CHECK(unmet(Expectation{}, screen(std::string(79, 'x') + "✓", true)).empty());
}

TEST_CASE("sim script: a recorded screen replays with other codes and minutes", "[sim]") {
  const std::string pattern = replay_pattern("Your ACME code is 482910. It expires in 5 min.");
  CHECK(pattern == R"(^Your ACME code is [0-9]{6}\. It expires in [0-9]+ min\.$)");
  const std::regex replay(pattern);
  CHECK(std::regex_search("Your ACME code is 102938. It expires in 4 min.", replay));
  CHECK_FALSE(std::regex_search("Your ACME code is 1029. It expires in 4 min.", replay));
  CHECK(std::regex_search("Cost (GHS) 1+1?", std::regex(replay_pattern("Cost (GHS) 1+1?"))));
}

TEST_CASE("sim script: a recording parses back into the same steps", "[sim]") {
  const ussd_otp::testing::TempDir dir;
  const std::string path = dir.file("recorded.json").string();
  PhoneSettings phone;
  phone.dialect = "beem";
  phone.subscriber.msisdn = "233201112222";
  ScriptRecorder recorder(path, phone);
  recorder.requested_otp("233201112222");  // before any dial: it opens the first session
  recorder.dialled(phone, "*889*142#",
                   screen("Enter the phone number your code was sent to:", false));
  recorder.waited(120);
  recorder.answered("0201112222", screen("Your code is 482910. It expires in 3 min.", true));
  recorder.dialled(phone, "*889*142#",
                   screen("Enter the phone number your code was sent to:", false));
  recorder.hung_up(HangUp::Release);
  recorder.waited(60);  // after the last session: kept as a session of its own
  const ScriptParse parsed = saved_and_parsed(recorder, path);
  REQUIRE(parsed.script);
  REQUIRE(parsed.script->sessions.size() == 3);
  CHECK(parsed.script->to_json()["sessions"][0] == recorder.script().to_json()["sessions"][0]);
  CHECK(parsed.script->to_json()["sessions"][1] == recorder.script().to_json()["sessions"][1]);
  const ScriptSession& first = parsed.script->sessions[0];
  CHECK(first.phone.dialect == "beem");
  REQUIRE(first.steps.size() == 4);
  CHECK(first.steps[0].action == StepAction::RequestOtp);
  CHECK(first.steps[0].text == "233201112222");
  CHECK(first.steps[2].action == StepAction::Wait);
  CHECK(first.steps[3].expect.ends == true);
  CHECK(std::regex_search("Your code is 000111. It expires in 5 min.",
                          std::regex(first.steps[3].expect.regexes.at(0))));
  CHECK(parsed.script->sessions[1].steps[1].action == StepAction::HangUp);
  const ScriptSession& rest = parsed.script->sessions[2];
  CHECK(rest.phone.dialect == "beem");
  REQUIRE(rest.steps.size() == 1);
  CHECK(rest.steps[0].seconds == 60);
}

TEST_CASE("sim script: a recording with no dial still replays what it holds", "[sim]") {
  const ussd_otp::testing::TempDir dir;
  const std::string path = dir.file("recorded.json").string();
  PhoneSettings phone;
  phone.dialect = "nalo";
  ScriptRecorder recorder(path, phone);
  recorder.requested_otp("0245550009");
  recorder.waited(10);
  const ScriptParse parsed = saved_and_parsed(recorder, path);
  REQUIRE(parsed.script);
  REQUIRE(parsed.script->sessions.size() == 1);
  CHECK(parsed.script->sessions[0].phone.dialect == "nalo");
  CHECK(parsed.script->sessions[0].steps.size() == 2);
}
