#include "simulator/script.hpp"
#include "simulator/json_text.hpp"
#include "simulator/terminal_text.hpp"

#include <fstream>
#include <regex>

#include "simulator/phone_screen.hpp"

namespace ussd_otp::sim {
namespace {

using nlohmann::json;

// Reads one JSON object's fields, recording problems under a path instead of throwing.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path, std::vector<std::string>& problems)
      : object_(object), path_(std::move(path)), problems_(problems) {}

  const json* find(const char* name) const {
    const auto it = object_.find(name);
    return it == object_.end() ? nullptr : &*it;
  }
  std::optional<std::string> string(const char* name) {
    const json* value = find(name);
    if (!value) return std::nullopt;
    if (!value->is_string()) return problem(name, "must be a string"), std::nullopt;
    return value->get<std::string>();
  }
  std::optional<std::int64_t> integer(const char* name, std::int64_t min, std::int64_t max) {
    const json* value = find(name);
    if (!value) return std::nullopt;
    if (!value->is_number_integer() || value->get<std::int64_t>() < min ||
        value->get<std::int64_t>() > max) {
      problem(name,
              "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
      return std::nullopt;
    }
    return value->get<std::int64_t>();
  }
  // A string or a list of strings.
  std::vector<std::string> strings(const char* name) {
    const json* value = find(name);
    if (!value) return {};
    if (value->is_string()) return {value->get<std::string>()};
    std::vector<std::string> out;
    if (value->is_array()) {
      for (const json& item : *value) {
        if (!item.is_string()) break;
        out.push_back(item.get<std::string>());
      }
      if (out.size() == value->size()) return out;
    }
    problem(name, "must be a string or a list of strings");
    return {};
  }
  void only(std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : object_.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        problem(key.c_str(), "unknown field");
      }
    }
  }
  void problem(std::string_view name, std::string_view what) {
    problems_.push_back(path_ + "." + std::string(name) + ": " + std::string(what));
  }
  const std::string& path() const { return path_; }

 private:
  const json& object_;
  std::string path_;
  std::vector<std::string>& problems_;
};

// The fields a script and each of its sessions may set to configure the phone.
void read_phone_fields(ObjectReader& fields, PhoneSettings& phone) {
  if (auto dialect = fields.string("dialect")) {
    if (!find_wire_dialect(*dialect)) {
      fields.problem("dialect", "unknown dialect \"" + *dialect + "\"");
    } else {
      phone.dialect = *dialect;
    }
  }
  if (auto msisdn = fields.string("msisdn")) {
    if (!msisdn->empty() && msisdn->front() == '+') msisdn->erase(0, 1);
    phone.subscriber.msisdn = *msisdn;
  }
  if (auto network = fields.string("network")) phone.subscriber.network = *network;
  if (auto user_id = fields.string("userId")) phone.subscriber.user_id = *user_id;
  if (auto code = fields.string("serviceCode")) phone.service_code = *code;
}

Expectation read_expectation(const json& value, const std::string& path,
                             std::vector<std::string>& problems) {
  Expectation expect;
  if (value.is_string()) {
    expect.contains.push_back(value.get<std::string>());
    return expect;
  }
  if (!value.is_object()) {
    problems.push_back(path + ": must be a string (a substring) or an object");
    return expect;
  }
  ObjectReader fields(value, path, problems);
  fields.only({"contains", "notContains", "regex", "state", "maxLength"});
  expect.contains = fields.strings("contains");
  expect.not_contains = fields.strings("notContains");
  expect.regexes = fields.strings("regex");
  for (const std::string& pattern : expect.regexes) {
    try {
      std::regex check(pattern);
    } catch (const std::regex_error& e) {
      fields.problem("regex", "/" + pattern + "/ is not a valid regular expression: " + e.what());
    }
  }
  if (auto state = fields.string("state")) {
    if (*state == "continue" || *state == "end") {
      expect.ends = *state == "end";
    } else {
      fields.problem("state", "must be \"continue\" or \"end\"");
    }
  }
  if (auto length = fields.integer("maxLength", 1, 1000)) {
    expect.max_length = static_cast<std::size_t>(*length);
  }
  return expect;
}

std::optional<ScriptStep> read_step(const json& value, const std::string& path,
                                    std::vector<std::string>& problems) {
  if (!value.is_object()) {
    problems.push_back(path + ": must be an object such as {\"dial\": \"*889*142#\"}");
    return std::nullopt;
  }
  ObjectReader fields(value, path, problems);
  fields.only({"dial", "send", "wait", "hangUp", "requestOtp", "expect"});
  ScriptStep step;
  int actions = 0;
  const auto action = [&](StepAction kind) {
    ++actions;
    step.action = kind;
  };
  if (auto dial = fields.string("dial")) {
    action(StepAction::Dial);
    step.text = *dial;
    if (dial->empty()) fields.problem("dial", "must not be empty");
  }
  if (auto input = fields.string("send")) {  // may be empty: pressing Send with nothing typed
    action(StepAction::Send);
    step.text = *input;
  }
  if (auto seconds = fields.integer("wait", 0, 366 * 24 * 3600)) {
    action(StepAction::Wait);
    step.seconds = *seconds;
  }
  if (auto why = fields.string("hangUp")) {
    action(StepAction::HangUp);
    if (*why == "release" || *why == "timeout") {
      step.hang_up = *why == "timeout" ? HangUp::Timeout : HangUp::Release;
    } else {
      fields.problem("hangUp", "must be \"release\" or \"timeout\"");
    }
  }
  if (const json* request = fields.find("requestOtp")) {
    action(StepAction::RequestOtp);
    if (request->is_string()) {
      step.text = request->get<std::string>();
      if (step.text.empty()) fields.problem("requestOtp", "must not be empty");
    } else if (request->is_object()) {
      ObjectReader otp(*request, path + ".requestOtp", problems);
      otp.only({"phone", "from"});
      step.text = otp.string("phone").value_or("");
      step.from = otp.string("from").value_or("");
      if (step.text.empty()) otp.problem("phone", "is required");
    } else {
      fields.problem("requestOtp", "must be a phone number or {\"phone\", \"from\"}");
    }
  }
  if (actions != 1) {
    problems.push_back(path + ": needs exactly one of dial, send, wait, hangUp, requestOtp");
    return std::nullopt;
  }
  if (const json* expect = fields.find("expect")) {
    if (step.action != StepAction::Dial && step.action != StepAction::Send) {
      fields.problem("expect", "only dial and send steps show a screen");
    }
    step.expect = read_expectation(*expect, path + ".expect", problems);
  }
  return step;
}

// Far beyond any screen (182 characters of at most 4 bytes), and safely below where std::regex
// runs out of stack.
constexpr std::size_t kMaxMatchedScreen = 4096;

std::string json_quoted(std::string_view text) {
  return json_text(json(std::string(text)));
}

}  // namespace

json Expectation::to_json() const {
  json out = json::object();
  if (!contains.empty())
    out["contains"] = contains.size() == 1 ? json(contains[0]) : json(contains);
  if (!not_contains.empty()) out["notContains"] = not_contains;
  if (!regexes.empty()) out["regex"] = regexes.size() == 1 ? json(regexes[0]) : json(regexes);
  if (ends) out["state"] = *ends ? "end" : "continue";
  if (max_length) out["maxLength"] = *max_length;
  return out;
}

std::string ScriptStep::describe() const {
  switch (action) {
    case StepAction::Dial:
      return "dial " + json_quoted(text);
    case StepAction::Send:
      return "send " + json_quoted(text);
    case StepAction::Wait:
      return "wait " + std::to_string(seconds) + " s";
    case StepAction::HangUp:
      return hang_up == HangUp::Timeout ? "hang up (timeout)" : "hang up";
    case StepAction::RequestOtp:
      return "request an OTP for " + json_quoted(text);
  }
  return "?";
}

json ScriptStep::to_json() const {
  json out;
  switch (action) {
    case StepAction::Dial:
      out["dial"] = text;
      break;
    case StepAction::Send:
      out["send"] = text;
      break;
    case StepAction::Wait:
      out["wait"] = seconds;
      break;
    case StepAction::HangUp:
      out["hangUp"] = hang_up == HangUp::Timeout ? "timeout" : "release";
      break;
    case StepAction::RequestOtp:
      out["requestOtp"] = json{{"phone", text}};
      if (!from.empty()) out["requestOtp"]["from"] = from;
      break;
  }
  const json expectation = expect.to_json();
  if (!expectation.empty()) out["expect"] = expectation;
  return out;
}

json Script::to_json() const {
  json out{{"sessions", json::array()}};
  for (const ScriptSession& session : sessions) {
    json item{{"name", session.name},
              {"dialect", session.phone.dialect},
              {"msisdn", session.phone.subscriber.msisdn},
              {"network", session.phone.subscriber.network},
              {"userId", session.phone.subscriber.user_id},
              {"serviceCode", session.phone.service_code},
              {"steps", json::array()}};
    for (const ScriptStep& step : session.steps) item["steps"].push_back(step.to_json());
    out["sessions"].push_back(std::move(item));
  }
  return out;
}

ScriptParse parse_script(std::string_view text, const PhoneSettings& defaults) {
  ScriptParse result;
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& e) {
    result.problems.push_back(std::string("not valid JSON: ") + e.what());
    return result;
  }
  if (!document.is_object() || !document.contains("sessions") || !document["sessions"].is_array() ||
      document["sessions"].empty()) {
    result.problems.push_back("a script is an object with a non-empty \"sessions\" list");
    return result;
  }
  ObjectReader top(document, "script", result.problems);
  top.only({"sessions", "dialect", "msisdn", "network", "userId", "serviceCode"});
  PhoneSettings script_defaults = defaults;
  read_phone_fields(top, script_defaults);

  Script script;
  const json& sessions = document["sessions"];
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    const std::string path = "sessions[" + std::to_string(i) + "]";
    if (!sessions[i].is_object() || !sessions[i].contains("steps") ||
        !sessions[i]["steps"].is_array() || sessions[i]["steps"].empty()) {
      result.problems.push_back(path + ": a session is an object with a non-empty \"steps\" list");
      continue;
    }
    ObjectReader fields(sessions[i], path, result.problems);
    fields.only({"name", "steps", "dialect", "msisdn", "network", "userId", "serviceCode"});
    ScriptSession session;
    session.phone = script_defaults;
    read_phone_fields(fields, session.phone);
    session.name = fields.string("name").value_or("session " + std::to_string(i + 1));
    const json& steps = sessions[i]["steps"];
    for (std::size_t j = 0; j < steps.size(); ++j) {
      const std::string step_path = path + ".steps[" + std::to_string(j) + "]";
      std::optional<ScriptStep> step = read_step(steps[j], step_path, result.problems);
      if (!step) continue;
      const bool needs_session = step->action == StepAction::Send;
      const bool dialled =
          std::any_of(session.steps.begin(), session.steps.end(),
                      [](const ScriptStep& s) { return s.action == StepAction::Dial; });
      if (needs_session && !dialled) {
        result.problems.push_back(step_path + ": send before any dial");
      }
      session.steps.push_back(std::move(*step));
    }
    script.sessions.push_back(std::move(session));
  }
  if (result.problems.empty()) result.script = std::move(script);
  return result;
}

std::vector<std::string> unmet(const Expectation& expect, const StepResult& result) {
  std::vector<std::string> lines;
  if (!result.ok()) {
    lines.push_back("a screen from the server");
    return lines;
  }
  const std::string& text = result.screen.text;
  for (const std::string& part : expect.contains) {
    if (text.find(part) == std::string::npos) lines.push_back("contains " + json_quoted(part));
  }
  for (const std::string& part : expect.not_contains) {
    if (text.find(part) != std::string::npos)
      lines.push_back("does not contain " + json_quoted(part));
  }
  for (const std::string& pattern : expect.regexes) {
    // libstdc++'s regex recurses per character: a runaway screen could overflow the stack.
    if (text.size() > kMaxMatchedScreen) {
      lines.push_back("matches /" + pattern + "/ (not tried: the screen has " +
                      std::to_string(text.size()) + " bytes)");
    } else if (!std::regex_search(text, std::regex(pattern))) {
      lines.push_back("matches /" + pattern + "/");
    }
  }
  if (expect.ends && *expect.ends != result.screen.ends) {
    lines.push_back(std::string("state ") + (*expect.ends ? "end" : "continue"));
  }
  if (expect.max_length && result.cost() > *expect.max_length) {
    lines.push_back("at most " + std::to_string(*expect.max_length) + " characters (has " +
                    std::to_string(result.cost()) + ")");
  }
  if (result.too_long()) {
    lines.push_back("fits the " + std::to_string(result.limit()) + "-character " +
                    (result.measure.gsm7 ? "GSM-7" : "UCS-2") + " screen (has " +
                    std::to_string(result.cost()) + ")");
  }
  return lines;
}

namespace {

// Runs one session; false at the first failing step, after printing the diff.
bool run_session(const ScriptSession& session, std::size_t index, HttpConnection& http,
                 ServerApi& api, std::ostream& out, const WireObserver& transcript) {
  UssdPhone phone(http, session.phone, transcript);
  const std::string label = "session " + std::to_string(index + 1) + " " +
                            json_quoted(session.name) + " (" + session.phone.dialect + ")";
  for (std::size_t i = 0; i < session.steps.size(); ++i) {
    const ScriptStep& step = session.steps[i];
    auto fail = [&](const std::vector<std::string>& expected, const std::string& got) {
      out << "FAIL " << label << ", step " << (i + 1) << ": " << step.describe() << "\n";
      for (const std::string& line : expected) out << "  - expected: " << line << "\n";
      out << "  + got:      " << got << "\n";
      return false;
    };
    switch (step.action) {
      case StepAction::Dial:
      case StepAction::Send: {
        if (step.action == StepAction::Send && !phone.in_session()) {
          return fail({"an open session to send to"}, "the session had already ended");
        }
        const StepResult result =
            step.action == StepAction::Dial ? phone.dial(step.text) : phone.answer(step.text);
        const std::vector<std::string> missing = unmet(step.expect, result);
        if (!missing.empty()) {
          const std::string got = result.ok() ? "\"" + printable(result.screen.text, 400) + "\"" +
                                                    (result.screen.ends ? " (end)" : " (continue)")
                                              : result.problem;
          return fail(missing, got);
        }
        break;
      }
      case StepAction::Wait: {
        const HttpExchange moved = api.advance_clock(step.seconds);
        if (!moved.ok()) {
          return fail(
              {moved.status == 404 ? "the dev clock to move (the server must run with --dev)"
                                   : "the dev clock to move"},
              describe_failure(moved));
        }
        break;
      }
      case StepAction::HangUp: {
        const std::optional<StepResult> result = phone.hang_up(step.hang_up);
        if (result && !result->ok()) {
          return fail({"the hang-up notice accepted"}, result->problem);
        }
        break;
      }
      case StepAction::RequestOtp: {
        const HttpExchange created = api.request_otp(step.text, step.from);
        // A code already active for the number is what the step is for (a replayed recording).
        // 400 is Sendexa's status for it; servers before issue 13 answered 409.
        const bool active =
            created.status == 201 || ((created.status == 400 || created.status == 409) &&
                                      error_code(created) == "ACTIVE_OTP_EXISTS");
        if (!active) {
          return fail(
              {created.status == 401 ? "an OTP (give the API key: --api-key or USSD_OTP_API_KEY)"
                                     : "an OTP from /v1/otp/request"},
              describe_failure(created));
        }
        break;
      }
    }
  }
  const std::size_t steps = session.steps.size();
  out << "PASS " << label << ": " << steps << (steps == 1 ? " step\n" : " steps\n");
  return true;
}

}  // namespace

RunSummary run_script(const Script& script, HttpConnection& http, ServerApi& api, std::ostream& out,
                      const WireObserver& transcript) {
  RunSummary summary;
  for (std::size_t i = 0; i < script.sessions.size(); ++i) {
    if (run_session(script.sessions[i], i, http, api, out, transcript)) {
      ++summary.sessions_passed;
    } else {
      ++summary.sessions_failed;
    }
  }
  out << summary.sessions_passed << " passed, " << summary.sessions_failed << " failed\n";
  return summary;
}

std::string replay_pattern(std::string_view screen) {
  static constexpr std::string_view kSpecial = R"(\^$.|?*+()[]{}/)";
  std::string pattern = "^";
  for (std::size_t i = 0; i < screen.size();) {
    if (std::isdigit(static_cast<unsigned char>(screen[i]))) {
      std::size_t end = i;
      while (end < screen.size() && std::isdigit(static_cast<unsigned char>(screen[end]))) ++end;
      const std::size_t run = end - i;
      pattern += run >= 4 ? "[0-9]{" + std::to_string(run) + "}" : "[0-9]+";
      i = end;
      continue;
    }
    if (screen[i] == '\n') {
      pattern += "\\n";
    } else {
      if (kSpecial.find(screen[i]) != std::string_view::npos) pattern += '\\';
      pattern += screen[i];
    }
    ++i;
  }
  return pattern + "$";
}

void ScriptRecorder::add(ScriptStep step) {
  // Between sessions (a wait or a requested code before the next dial), the step opens the next
  // session's steps.
  if (!session_open_) return pending_.push_back(std::move(step));
  script_.sessions.back().steps.push_back(std::move(step));
}

namespace {
Expectation recorded_expectation(const StepResult& result) {
  Expectation expect;
  if (!result.ok()) return expect;  // replaying will show the same failure as a failed step
  expect.regexes.push_back(replay_pattern(result.screen.text));
  expect.ends = result.screen.ends;
  return expect;
}
}  // namespace

void ScriptRecorder::dialled(const PhoneSettings& phone, const std::string& dial,
                             const StepResult& result) {
  last_phone_ = phone;
  ScriptSession session;
  session.phone = phone;
  session.name = "recorded " + std::to_string(script_.sessions.size() + 1) + ": " + dial + " (" +
                 phone.dialect + ")";
  session.steps = std::move(pending_);
  pending_.clear();
  script_.sessions.push_back(std::move(session));
  session_open_ = true;
  add_screen_step(StepAction::Dial, dial, result);
}

void ScriptRecorder::answered(const std::string& input, const StepResult& result) {
  add_screen_step(StepAction::Send, input, result);
}

void ScriptRecorder::add_screen_step(StepAction action, const std::string& text,
                                     const StepResult& result) {
  ScriptStep step;
  step.action = action;
  step.text = text;
  step.expect = recorded_expectation(result);
  add(std::move(step));
  session_open_ = result.ok() && !result.screen.ends;  // a final screen or a failure ends it
}

void ScriptRecorder::waited(std::int64_t seconds) {
  ScriptStep step;
  step.action = StepAction::Wait;
  step.seconds = seconds;
  add(std::move(step));
}

void ScriptRecorder::hung_up(HangUp why) {
  ScriptStep step;
  step.action = StepAction::HangUp;
  step.hang_up = why;
  add(std::move(step));
  session_open_ = false;
}

void ScriptRecorder::requested_otp(const std::string& phone) {
  ScriptStep step;
  step.action = StepAction::RequestOtp;
  step.text = phone;
  add(std::move(step));
}

bool ScriptRecorder::save(std::string& error) const {
  Script script = script_;
  if (!pending_.empty()) {
    // Steps after the last session (a code requested, a wait) are kept as a session of their own.
    ScriptSession rest;
    rest.name = "recorded " + std::to_string(script.sessions.size() + 1) + ": without a dial";
    rest.phone = last_phone_;
    rest.steps = pending_;
    script.sessions.push_back(std::move(rest));
  }
  if (script.sessions.empty()) return true;
  json document = script.to_json();
  std::ofstream file(path_, std::ios::trunc);
  file << json_text(document, 2) << "\n";
  if (!file.good()) {
    error = "could not write " + path_;
    return false;
  }
  return true;
}

}  // namespace ussd_otp::sim
