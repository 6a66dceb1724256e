// ussd-otp-sim: a feature phone and its aggregator in the terminal (docs/simulator.md).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <regex>
#include <sstream>

#include "simulator/interactive.hpp"
#include "simulator/json_text.hpp"
#include "simulator/load.hpp"
#include "simulator/script.hpp"
#include "simulator/server_api.hpp"
#include "simulator/terminal_text.hpp"

namespace {

using namespace ussd_otp::sim;

constexpr int kUsageError = 2;

std::string strip_plus(std::string number) {
  if (!number.empty() && number.front() == '+') number.erase(0, 1);
  return number;
}

// Prints a JSON reply pretty, or the failure; 0 on 2xx.
int print_reply(const HttpExchange& reply) {
  if (!reply.ok()) {
    std::cerr << describe_failure(reply) << "\n";
    return 1;
  }
  const nlohmann::json body = nlohmann::json::parse(reply.body, nullptr, false);
  // JSON escapes C0 controls but not C1 ones: everything goes through printable().
  std::cout << printable(body.is_discarded() ? reply.body : json_text(body, 2), 100'000) << "\n";
  return 0;
}

// Why `pattern` is not a usable regular expression ("" when it is).
std::string regex_problem(const std::string& pattern) {
  try {
    std::regex check(pattern);
  } catch (const std::regex_error& e) {
    return std::string("not a valid regular expression: ") + e.what();
  }
  return "";
}

// Whether `path` can be written, without creating it (a run that records nothing leaves no file).
bool can_write(const std::filesystem::path& path) {
  std::error_code error;
  if (std::filesystem::exists(path, error)) {
    return !std::filesystem::is_directory(path, error) && access(path.c_str(), W_OK) == 0;
  }
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  return access(folder.c_str(), W_OK) == 0;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The one-liner: run --dial D --input X... --expect REGEX... as a one-session script.
Script one_liner(const PhoneSettings& phone, const std::string& dial,
                 const std::vector<std::string>& inputs, const std::vector<std::string>& expects) {
  ScriptSession session;
  session.name = "dial " + dial;
  session.phone = phone;
  ScriptStep step;
  step.action = StepAction::Dial;
  step.text = dial;
  session.steps.push_back(step);
  for (const std::string& input : inputs) {
    step.action = StepAction::Send;
    step.text = input;
    session.steps.push_back(step);
  }
  session.steps.back().expect.regexes = expects;  // every --expect applies to the last screen
  Script script;
  script.sessions.push_back(std::move(session));
  return script;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ussd-otp-sim: a feature phone and its USSD aggregator in the terminal.\n"
      "Without a subcommand, an interactive phone (stdin must be a terminal)."};
  app.fallthrough();  // global options may follow the subcommand
  app.require_subcommand(0, 1);

  PhoneSettings phone;
  std::string api_key;
  InteractiveOptions interactive;
  bool transcript = false;
  std::string msisdn = "+" + phone.subscriber.msisdn;
  std::vector<std::string> dialects = wire_dialect_names();

  app.add_option("--url", phone.base_url, "Server address")
      ->envname("USSD_OTP_SIM_URL")
      ->capture_default_str();
  app.add_option("--dialect", phone.dialect, "Aggregator wire format")
      ->check(CLI::IsMember(dialects))
      ->capture_default_str();
  app.add_option("--msisdn", msisdn, "The dialling subscriber")->capture_default_str();
  app.add_option("--network", phone.subscriber.network, "Network the aggregator reports")
      ->capture_default_str();
  app.add_option("--service-code", phone.service_code, "The USSD code the server answers")
      ->capture_default_str();
  app.add_option("--user-id", phone.subscriber.user_id,
                 "The aggregator's id for the app (Arkesel userID, Nalo USERID, ...)")
      ->capture_default_str();
  app.add_option("--path-token", phone.path_token,
                 "Secret callback path token, if the server sets one")
      ->envname("USSD_OTP_SIM_PATH_TOKEN");
  app.add_option("--api-key", api_key, "API key for /v1/otp (otp, :otp, --seed-otps)")
      ->envname("USSD_OTP_API_KEY");
  app.add_flag("--transcript", transcript, "Print each request and reply as sent on the wire");
  app.add_option("--timeout", interactive.screen_timeout_seconds,
                 "Seconds a screen waits for an answer before the network drops the session")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  app.add_option("--width", interactive.width, "Characters inside the screen's frame")
      ->check(CLI::Range(8, 80))
      ->capture_default_str();
  app.add_option("--record", interactive.record_path,
                 "Write the interactive session as a script that `run` replays");
  bool no_sms = false;
  app.add_flag("--no-sms", no_sms,
               "Interactive: do not poll the dev inbox or show SMS arriving for --msisdn");

  CLI::App* run = app.add_subcommand("run", "Run scripted sessions (JSON files, or a one-liner)");
  std::vector<std::string> script_files;
  std::string dial;
  std::vector<std::string> inputs, expects;
  run->add_option("scripts", script_files, "Script files (docs/simulator.md)")
      ->check(CLI::ExistingFile);
  run->add_option("--dial", dial, "One-liner: the dial string");
  run->add_option("--input", inputs, "One-liner: an answer (repeat for several)");
  run->add_option("--expect", expects,
                  "One-liner: a regex the last screen must match (repeatable)");

  CLI::App* otp = app.add_subcommand("otp", "The app side: request or verify a code");
  otp->require_subcommand(1);
  CLI::App* otp_request = otp->add_subcommand("request", "POST /v1/otp/request");
  std::string otp_phone, otp_from, otp_id, otp_pin;
  otp_request->add_option("--phone", otp_phone, "The subscriber's number")->required();
  otp_request->add_option("--from", otp_from, "Sender name shown with the code");
  CLI::App* otp_verify = otp->add_subcommand("verify", "POST /v1/otp/verify");
  otp_verify->add_option("--id", otp_id, "The OTP id from `otp request`")->required();
  otp_verify->add_option("--pin", otp_pin, "The code the subscriber read")->required();

  CLI::App* inbox = app.add_subcommand("inbox", "Show the dev inbox (server in --dev)");
  std::string inbox_phone;
  inbox->add_option("--phone", inbox_phone, "The subscriber's number")->required();

  CLI::App* clock = app.add_subcommand("clock", "Show or move the dev clock (server in --dev)");
  std::int64_t advance = 0;
  clock->add_option("--advance", advance, "Seconds to move forward")
      ->check(CLI::Range(0, 31'622'400));

  CLI::App* load = app.add_subcommand("load", "Run many complete sessions and report figures");
  LoadOptions load_options;
  bool load_json = false;
  load->add_option("--sessions", load_options.sessions, "Complete sessions to run")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  load->add_option("--concurrency", load_options.concurrency, "Sessions in flight (connections)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  load->add_flag("--seed-otps", load_options.seed_otps,
                 "Request an OTP for every subscriber first, and expect its code on screen");
  load->add_option("--first-msisdn", load_options.first_msisdn,
                   "First subscriber number, E.164 digits (default: a random 23320xxxxxxx block)")
      ->check(CLI::Range(std::uint64_t{10'000'000}, std::uint64_t{999'999'999'999'999}));
  load->add_option("--expect", load_options.final_expect, "Regex the final screen must match");
  load->add_flag("--json", load_json, "Print the report as JSON");

  CLI::App* list = app.add_subcommand("dialects", "List the aggregator dialects");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every usage mistake exits 2, whatever CLI11's own code for it.
    return app.exit(e) == 0 ? 0 : kUsageError;
  }
  std::vector<std::string> patterns = expects;  // run's --expect, and load's
  if (!load_options.final_expect.empty()) patterns.push_back(load_options.final_expect);
  for (const std::string& pattern : patterns) {
    if (const std::string problem = regex_problem(pattern); !problem.empty()) {
      std::cerr << "--expect " << pattern << ": " << problem << "\n";
      return kUsageError;
    }
  }
  phone.subscriber.msisdn = strip_plus(msisdn);
  if (*load && load_options.first_msisdn &&
      load_options.first_msisdn + load_options.sessions - 1 > 999'999'999'999'999ULL) {
    std::cerr << "load: --first-msisdn plus --sessions runs past 15 digits\n";
    return kUsageError;
  }
  HttpConnection http;
  const WireObserver observer = transcript ? transcript_to(std::cout) : nullptr;
  ServerApi api(http, phone.base_url, api_key, observer);

  if (*list) {
    for (const std::string& name : dialects) std::cout << name << "\n";
    return 0;
  }
  if (*run) {
    Script script;
    if (!dial.empty()) {
      script = one_liner(phone, dial, inputs, expects);
    } else if (script_files.empty()) {
      std::cerr << "run: give script files, or --dial (with --input and --expect)\n";
      return kUsageError;
    } else if (!inputs.empty() || !expects.empty()) {
      // Silently ignoring them would let a CI check pass without checking anything.
      std::cerr << "run: --input and --expect belong to the one-liner (--dial); put them in the "
                   "script's steps\n";
      return kUsageError;
    }
    for (const std::string& path : script_files) {
      const std::optional<std::string> text = read_file(path);
      ScriptParse parsed = parse_script(text.value_or(""), phone);
      if (!text || !parsed.script) {
        std::cerr << path << ": not a valid script\n";
        for (const std::string& problem : parsed.problems) std::cerr << "  " << problem << "\n";
        return kUsageError;
      }
      for (ScriptSession& session : parsed.script->sessions) {
        script.sessions.push_back(std::move(session));
      }
    }
    return run_script(script, http, api, std::cout, observer).all_passed() ? 0 : 1;
  }
  if (*otp_request) return print_reply(api.request_otp(otp_phone, otp_from));
  if (*otp_verify) return print_reply(api.verify_otp(otp_id, otp_pin));
  if (*inbox) return print_reply(api.inbox(inbox_phone));
  if (*clock) return print_reply(advance > 0 ? api.advance_clock(advance) : api.clock());
  if (*load) {
    load_options.phone = phone;
    load_options.api_key = api_key;
    if (load_options.seed_otps && api_key.empty()) {
      std::cerr << "load --seed-otps needs --api-key (or USSD_OTP_API_KEY)\n";
      return kUsageError;
    }
    const bool bar = isatty(STDERR_FILENO) && !load_json;
    std::mutex progress_lock;
    std::size_t shown = 0;  // workers finish out of order: never draw an older count
    const LoadReport report = run_load(load_options, [&](std::size_t done, std::size_t total) {
      if (!bar || (done % 50 != 0 && done != total)) return;
      const std::lock_guard<std::mutex> hold(progress_lock);
      if (done <= shown) return;
      shown = done;
      const std::size_t filled = done * 40 / total;
      std::cerr << "\r[" << std::string(filled, '#') << std::string(40 - filled, ' ') << "] "
                << done << "/" << total << (done == total ? "\n" : "") << std::flush;
    });
    if (load_json) {
      std::cout << json_text(report.to_json(), 2) << "\n";
    } else {
      report.print(std::cout);
    }
    return report.error_count() == 0 && report.failed == 0 ? 0 : 1;
  }

  if (!isatty(STDIN_FILENO)) {
    std::cerr << "ussd-otp-sim: stdin is not a terminal; use `ussd-otp-sim run` for scripts "
                 "(see --help)\n";
    return kUsageError;
  }
  if (!interactive.record_path.empty() && !can_write(interactive.record_path)) {
    std::cerr << "--record " << interactive.record_path << ": cannot write there\n";
    return kUsageError;
  }
  interactive.phone = phone;
  interactive.api_key = api_key;
  interactive.transcript = transcript;
  interactive.show_sms = !no_sms;
  return run_interactive(interactive);
}
