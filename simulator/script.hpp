// Scripted sessions: the JSON script format (docs/simulator.md), its parser, the runner that
// checks each screen against expectations, and the recorder that turns an interactive session
// into a script that replays it.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/server_api.hpp"
#include "simulator/ussd_phone.hpp"

namespace ussd_otp::sim {

struct Expectation {
  std::vector<std::string> contains;
  std::vector<std::string> not_contains;
  std::vector<std::string> regexes;       // ECMAScript, each searched anywhere in the screen
  std::optional<bool> ends;               // "state": "continue" (false) or "end" (true)
  std::optional<std::size_t> max_length;  // in GSM-7 characters
  nlohmann::json to_json() const;
};

enum class StepAction { Dial, Send, Wait, HangUp, RequestOtp };

struct ScriptStep {
  StepAction action = StepAction::Dial;
  std::string text;  // dial string, answer, or the phone for requestOtp
  std::string from;  // requestOtp's sender name
  std::int64_t seconds = 0;
  HangUp hang_up = HangUp::Release;
  Expectation expect;
  std::string describe() const;  // "send \"0241234567\""
  nlohmann::json to_json() const;
};

struct ScriptSession {
  std::string name;
  PhoneSettings phone;  // the script's defaults, then the session's own fields
  std::vector<ScriptStep> steps;
};

struct Script {
  std::vector<ScriptSession> sessions;
  nlohmann::json to_json() const;
};

struct ScriptParse {
  std::optional<Script> script;
  std::vector<std::string> problems;  // "sessions[0].steps[1].expect.state: must be ..."
};

// Parses a script; `defaults` gives the URL, token and anything the script leaves out.
ScriptParse parse_script(std::string_view text, const PhoneSettings& defaults);

// The lines of every unmet expectation (empty when the screen satisfies them all).
std::vector<std::string> unmet(const Expectation& expect, const StepResult& result);

struct RunSummary {
  int sessions_passed = 0;
  int sessions_failed = 0;
  bool all_passed() const { return sessions_failed == 0; }
};

// Runs every session, printing PASS/FAIL lines and, for a failure, a readable diff to `out`. A
// session stops at its first failing step; the next session still runs.
RunSummary run_script(const Script& script, HttpConnection& http, ServerApi& api, std::ostream& out,
                      const WireObserver& transcript = nullptr);

// Expects `screen` again on replay: anchored, metacharacters escaped, and digits generalised
// (runs of 4+ digits keep their length: codes and numbers; shorter runs, minutes, may change).
std::string replay_pattern(std::string_view screen);

// Collects what a tester does interactively and writes it as a script after every step, so
// nothing is lost when the terminal closes.
class ScriptRecorder {
 public:
  // `phone`: the settings the session starts with (for steps recorded before any dial).
  ScriptRecorder(std::string path, PhoneSettings phone)
      : path_(std::move(path)), last_phone_(std::move(phone)) {}
  void dialled(const PhoneSettings& phone, const std::string& dial, const StepResult& result);
  void answered(const std::string& input, const StepResult& result);
  void waited(std::int64_t seconds);
  void hung_up(HangUp why);
  void requested_otp(const std::string& phone);
  void configured(const PhoneSettings& phone) { last_phone_ = phone; }  // :dialect, :msisdn
  bool save(std::string& error) const;
  const Script& script() const { return script_; }

 private:
  void add(ScriptStep step);
  void add_screen_step(StepAction action, const std::string& text, const StepResult& result);
  std::string path_;
  PhoneSettings last_phone_;  // for steps recorded outside a session
  Script script_;
  std::vector<ScriptStep> pending_;  // recorded between sessions: they start the next one
  bool session_open_ = false;
};

}  // namespace ussd_otp::sim
