// The interactive phone as a person uses it: ussd-otp-sim runs in a tmux pane, keys are typed
// with send-keys and the screen is read with capture-pane.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <signal.h>
#include <chrono>
#include <cstdio>
#include <memory>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "http/sim_calls.hpp"
#include "http/ussd_calls.hpp"
#include "support/temp_dir.hpp"

using namespace ussd_otp::testing;

namespace {

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string capture(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
  REQUIRE(pipe);
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  return out;
}

// A private tmux server (its own socket) running one simulator in a 100x60 window.
class TmuxPhone {
 public:
  explicit TmuxPhone(const std::string& sim_command)
      : tmux_("tmux -L ussd-otp-sim-test-" + std::to_string(getpid()) + "-" +
              std::to_string(++count_)) {
    const std::string start =
        tmux_ + " new-session -d -s phone -x 100 -y 60 " + shell_quote("TERM=xterm " + sim_command);
    REQUIRE(std::system(start.c_str()) == 0);
  }
  ~TmuxPhone() { std::system((tmux_ + " kill-server 2>/dev/null").c_str()); }

  void key(const std::string& name) {
    REQUIRE(std::system((tmux_ + " send-keys -t phone " + name).c_str()) == 0);
  }
  // Pastes `text` as a terminal would (line breaks as Enter).
  void paste(const std::string& text) {
    REQUIRE(std::system((tmux_ + " set-buffer -b paste " + shell_quote(text)).c_str()) == 0);
    REQUIRE(std::system((tmux_ + " paste-buffer -p -b paste -t phone").c_str()) == 0);
  }
  void type(const std::string& keys) {
    REQUIRE(std::system((tmux_ + " send-keys -t phone -l " + shell_quote(keys)).c_str()) == 0);
    REQUIRE(std::system((tmux_ + " send-keys -t phone Enter").c_str()) == 0);
  }
  std::string screen() { return capture(tmux_ + " capture-pane -p -t phone -S -200 2>/dev/null"); }
  // Waits until the pane shows `pattern`; returns the pane.
  std::string wait_for(const std::string& pattern,
                       std::chrono::seconds limit = std::chrono::seconds(20)) {
    const std::regex wanted(pattern);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::string pane;
    while (std::chrono::steady_clock::now() < deadline) {
      pane = screen();
      if (std::regex_search(pane, wanted)) return pane;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("the pane never showed /" << pattern << "/; it shows:\n" << pane);
    return pane;
  }
  bool running() { return std::system((tmux_ + " has-session -t phone 2>/dev/null").c_str()) == 0; }

 private:
  static inline int count_ = 0;
  std::string tmux_;
};

std::string sim_command(const TestServer& server, const std::string& extra) {
  return shell_quote(kSimBinary) + " --url " + server.url() + " --api-key " + server.api_key() +
         " " + extra;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The simulator inside a shell that saves the terminal's modes before and after it, and its exit
// status: a simulator that leaves the terminal raw (no echo, no line editing) is caught.
struct Wrapped {
  TempDir dir;
  std::string command(const std::string& sim) const {
    const std::string d = dir.path().string();
    // The shell ignores Ctrl-C (the terminal sends it to the whole foreground group) so that it
    // lives on to write the status; the simulator installs its own handler.
    return "sh -c " + shell_quote("trap '' INT; stty -g >" + d + "/before; " + sim + "; echo $? >" +
                                  d + "/status; stty -g >" + d + "/after");
  }
  // The simulator's exit status once it has exited (-1 if it does not within 10 s).
  int status() const {
    for (int i = 0; i < 200; ++i) {
      const std::string text = read_text(dir.file("after"));
      if (!text.empty()) return std::stoi(read_text(dir.file("status")));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  bool terminal_restored() const {
    return !read_text(dir.file("before")).empty() &&
           read_text(dir.file("before")) == read_text(dir.file("after"));
  }
};

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

// The pid of the simulator whose command line holds `marker` (not the shell around it).
pid_t sim_pid(const std::string& marker) {
  std::istringstream pids(capture("pgrep -f " + shell_quote(marker)));
  for (pid_t pid = 0; pids >> pid;) {
    if (read_text("/proc/" + std::to_string(pid) + "/comm").rfind("ussd-otp-sim", 0) == 0) {
      return pid;
    }
  }
  return -1;
}

}  // namespace

TEST_CASE(
    "sim interactive: dial, answer, and the framed screen shows the code, and the recording "
    "replays",
    "[sim][tmux]") {
  TestServer server;
  HttpClient client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  TempDir dir;
  const std::string recording = dir.file("session.json").string();

  {
    TmuxPhone phone(sim_command(server, "--record " + shell_quote(recording)));
    phone.wait_for("dial>");
    phone.type("*889*142#");
    std::string pane = phone.wait_for("answer>");
    CHECK(pane.find("+------------------------+") != std::string::npos);
    CHECK(pane.find("|Enter the phone number  |") != std::string::npos);
    CHECK(pane.find(" continue | step ") != std::string::npos);
    phone.type("0241234567");
    pane = phone.wait_for(" ended \\| step ");
    // The code inside the frame, with its count and GSM-7 verdict below.
    CHECK(pane.find("|Your ACME code is       |") != std::string::npos);
    CHECK(std::regex_search(pane, std::regex("\\|" + otp.code + "\\. It expires in [0-9] +\\|")));
    CHECK(pane.find(" 46/160 GSM-7") != std::string::npos);
    phone.type(":q");  // no session open: leaves
    for (int i = 0; i < 100 && phone.running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK_FALSE(phone.running());
  }

  // The recording is a script that `run` replays against the same server.
  const CommandResult replay = run_sim(server, {"run", recording});
  INFO(replay.out << replay.err);
  CHECK(replay.exit_code == 0);
  CHECK(replay.out.find("1 passed, 0 failed") != std::string::npos);
}

TEST_CASE("sim interactive: an unanswered screen times out and the aggregator says so",
          "[sim][tmux]") {
  TestServer server;
  TmuxPhone phone(sim_command(server, "--dialect hubtel --timeout 1"));
  phone.wait_for("dial>");
  phone.type("*889*142#");
  phone.wait_for("answer>");
  const std::string pane = phone.wait_for("timed out \\| step", std::chrono::seconds(10));
  CHECK(pane.find("No answer for 1 s") != std::string::npos);
  CHECK(pane.find("the aggregator's notice was accepted") != std::string::npos);
  CHECK(ended_sessions(server, "hubtel", "timed_out") == 1);  // Timeout, not Release, was sent
  phone.wait_for("dial>\\s*$");
}

TEST_CASE("sim interactive: commands switch dialect and number, :wait moves the dev clock",
          "[sim][tmux]") {
  TestServer server;
  const auto before = server.clock().now();
  TmuxPhone phone(sim_command(server, ""));
  phone.wait_for("dial>");
  phone.type(":dialect nalo");
  phone.wait_for("nalo at http");
  phone.type(":msisdn +233201112222");
  phone.wait_for("dialling as \\+233201112222");
  phone.type(":wait 300");
  phone.wait_for("Server clock moved 300 s");
  CHECK(server.clock().now() == before + 300);
  phone.type(":dialect");
  phone.wait_for("Dialects: africastalking");
  phone.type("*889*142*0209999999#");
  const std::string pane = phone.wait_for("No active code");
  CHECK(pane.find("ended") != std::string::npos);
  // The switch reached the wire: a Nalo session from the new number.
  CHECK(sessions_of(server, "nalo", "233201112222") == 1);
}

TEST_CASE("sim interactive: Ctrl-C cancels the line, :q hangs up, :r redials", "[sim][tmux]") {
  TestServer server;
  const Wrapped wrapped;
  TmuxPhone phone(wrapped.command(sim_command(server, "--dialect emergent")));
  phone.wait_for("dial>");
  phone.type("*889*142#");
  phone.wait_for("answer>");
  phone.key("-l 0241");  // typed, not sent
  phone.key("C-c");
  phone.wait_for("answer> 0241\\^C\\s+\\(:q hangs up, :quit leaves\\)");
  phone.type(":q");
  phone.wait_for("Session hung up; the aggregator's notice was accepted");
  CHECK(ended_sessions(server, "emergent", "released") == 1);
  CHECK(occurrences(phone.screen(), "|Enter the phone number  |") == 1);
  phone.type(":r");  // the same dial string again
  phone.wait_for("Session hung up[^]*Enter the phone number");
  CHECK(occurrences(phone.screen(), "|Enter the phone number  |") == 2);
  phone.type(":quit");
  CHECK(wrapped.status() == 0);
  CHECK(wrapped.terminal_restored());  // echo and line editing are back for the shell
  CHECK(ended_sessions(server, "emergent", "released") == 2);  // :quit hung up the redial
}

TEST_CASE("sim interactive: pasted lines are answers of their own, Ctrl-D leaves", "[sim][tmux]") {
  TestServer server;
  HttpClient client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  const Wrapped wrapped;
  TmuxPhone phone(wrapped.command(sim_command(server, "--dialect hubtel")));
  phone.wait_for("dial>");
  phone.paste("*889*142#\n0241234567\n");
  const std::string pane = phone.wait_for(otp.code);
  CHECK(pane.find("not valid") == std::string::npos);
  phone.key("C-d");
  CHECK(wrapped.status() == 0);
  CHECK(wrapped.terminal_restored());
}

TEST_CASE("sim interactive: SIGTERM hangs up, restores the terminal and exits 143", "[sim][tmux]") {
  TestServer server;
  const Wrapped wrapped;
  const std::string marker = "sigterm-" + std::to_string(getpid());
  TmuxPhone phone(wrapped.command(sim_command(server, "--dialect hubtel --user-id " + marker)));
  phone.wait_for("dial>");
  phone.type("*889*142#");
  phone.wait_for("answer>");
  const pid_t pid = sim_pid(marker);
  REQUIRE(pid > 0);
  REQUIRE(kill(pid, SIGTERM) == 0);
  CHECK(wrapped.status() == 128 + SIGTERM);
  CHECK(wrapped.terminal_restored());
  CHECK(ended_sessions(server, "hubtel", "released") == 1);
}

TEST_CASE(
    "sim interactive: an SMS for the played number appears on screen without a key press, once, "
    "and the typed line survives",
    "[sim][tmux][sms]") {
  TestServer server;
  HttpClient client = server.client();
  issue_otp(server, client, kPhone, "Early");  // before the phone was on: never shown
  TmuxPhone phone(sim_command(server, ""));
  phone.wait_for("dial>");
  phone.key("-l '*889'");  // typed, not sent
  const IssuedOtp otp = issue_otp(server, client, kPhone, "MyApp", 1,
                                  "Authorization: Bearer " + server.create_api_key("second"));
  std::string pane = phone.wait_for("\u2709 SMS from MyApp", std::chrono::seconds(5));
  CHECK(std::regex_search(pane, std::regex("\\|Your code is " + otp.code + "\\. +\\|")));
  phone.wait_for("\\+-+\\+\\s+dial> \\*889\\s*$");  // the prompt and the typed text, below the box
  phone.key("-l '*142*0241234567#'");
  phone.key("Enter");
  pane = phone.wait_for("Choose one:");  // the typed dial went out whole: both codes listed
  CHECK(pane.find("|1. MyApp") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // two more polls
  pane = phone.screen();
  CHECK(occurrences(pane, "SMS from MyApp") == 1);
  CHECK(pane.find("SMS from Early") == std::string::npos);
}

TEST_CASE("sim interactive: with a drop rule no SMS appears and the code is read over USSD",
          "[sim][tmux][sms]") {
  TestServer server;
  HttpClient client = server.client();
  REQUIRE(client.post_json("/dev/delivery", {{"phone", "0241234567"}, {"mode", "drop"}}).status ==
          200);
  TmuxPhone phone(sim_command(server, ""));
  phone.wait_for("dial>");
  REQUIRE(request_otp(client, server, {{"from", "MyApp"}}).status == 201);
  for (int i = 0; i < 500; ++i) {
    if (client.get("/dev/delivery").json()["data"]["rules"][0]["dropped"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(client.get("/dev/delivery").json()["data"]["rules"][0]["dropped"] == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // two polls
  CHECK(phone.screen().find("SMS from") == std::string::npos);
  phone.type("*889*142*0241234567#");
  const std::string pane = phone.wait_for("\\|Your MyApp code is +\\|");
  CHECK(pane.find("SMS from") == std::string::npos);
}

TEST_CASE("sim interactive: --no-sms shows no SMS, and a server without --dev one note at most",
          "[sim][tmux][sms]") {
  {
    TestServer server;
    HttpClient client = server.client();
    TmuxPhone phone(sim_command(server, "--no-sms"));
    phone.wait_for("dial>");
    issue_otp(server, client, kPhone, "MyApp");
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    phone.type(":inbox");
    const std::string pane = phone.wait_for("\"messages\":\\[\\{");
    CHECK(pane.find("SMS from") == std::string::npos);
    CHECK(pane.find("SMS not shown") == std::string::npos);
  }
  TestServer plain([](ussd_otp::Config& config) { config.dev = false; });
  TmuxPhone phone(sim_command(plain, ""));
  phone.wait_for("SMS not shown: the server has no dev inbox[^]*dial>");
  phone.type("*889*142#");  // no dialect is open outside --dev without a token: a failed step
  phone.wait_for(" failed \\| step ");
  phone.type(":inbox");
  const std::string pane = phone.wait_for("the server must run with --dev");
  CHECK(occurrences(pane, "SMS not shown") == 1);
}
