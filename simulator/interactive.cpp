#include "simulator/interactive.hpp"

#include <poll.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <unistd.h>

#include <fcntl.h>
#include <signal.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "simulator/phone_screen.hpp"
#include "simulator/script.hpp"
#include "simulator/server_api.hpp"
#include "simulator/sms_poller.hpp"
#include "simulator/terminal_text.hpp"

namespace ussd_otp::sim {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kHelp =
    "Type a dial string (*889*142# or *889*142*0241234567#) to start a session, then answers.\n"
    "  :q              hang up (sends the dialect's release notice); with no session, quit\n"
    "  :r              redial the last dial string\n"
    "  :dialect NAME   switch aggregator (:dialect alone lists them)\n"
    "  :msisdn NUMBER  dial as another subscriber\n"
    "  :wait SECONDS   move the server's dev clock forward (expiry, cooldowns, idle sessions)\n"
    "  :otp [PHONE]    request a code through /v1/otp/request (needs --api-key)\n"
    "  :inbox [PHONE]  show the dev inbox (new SMS to this phone also appear by themselves)\n"
    "  :quit           leave\n"
    "  :help           this text\n"
    "To answer something that starts with ':', type '::' (::1 sends :1).\n";

// Signals become bytes on a pipe that the main loop polls next to stdin, so they are handled
// outside readline's callbacks: Ctrl-C cancels the line, SIGTERM/SIGHUP hang up and leave (the
// terminal's modes are restored either way), SIGWINCH re-reads the window size.
class SignalPipe {
 public:
  SignalPipe() {
    if (pipe2(fds_, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    write_fd_ = fds_[1];
    struct sigaction action {};
    action.sa_handler = &SignalPipe::on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // a resize during a write to stdout must not fail the write
    for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &action, &saved_[i]);
  }
  ~SignalPipe() {
    for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &saved_[i], nullptr);
    write_fd_ = -1;
    close(fds_[0]);
    close(fds_[1]);
  }
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int fd() const { return fds_[0]; }
  // The next signal received, or 0.
  int next() const {
    unsigned char signal = 0;
    return read(fds_[0], &signal, 1) == 1 ? signal : 0;
  }

 private:
  static void on_signal(int signal) {
    const int saved_errno = errno;  // the interrupted code may be about to read it
    const auto byte = static_cast<unsigned char>(signal);
    if (write_fd_ >= 0) [[maybe_unused]]
      const auto written = write(write_fd_, &byte, 1);
    errno = saved_errno;
  }
  static constexpr std::array<int, 4> kSignals{SIGINT, SIGTERM, SIGHUP, SIGWINCH};
  static inline volatile int write_fd_ = -1;
  int fds_[2]{-1, -1};
  std::array<struct sigaction, 4> saved_{};
};

class Terminal {
 public:
  explicit Terminal(const InteractiveOptions& options)
      : options_(options),
        phone_(http_, options.phone, options.transcript ? transcript_to(std::cout) : nullptr),
        api_(http_, options.phone.base_url, options.api_key,
             options.transcript ? transcript_to(std::cout) : nullptr) {
    if (!options.record_path.empty()) recorder_.emplace(options.record_path, options.phone);
  }

  int run() {
    std::cout << "ussd-otp-sim: " << describe_phone() << "\nType :help for commands.\n";
    instance_ = this;
    rl_catch_signals = 0;  // SignalPipe handles them, outside readline's callbacks
    rl_catch_sigwinch = 0;
    // A pasted block is then read line by line, as typed, instead of as one line with breaks.
    rl_variable_bind("enable-bracketed-paste", "off");
    const SignalPipe signals;
    if (options_.show_sms) {
      guarded(
          [this] { sms_.emplace(options_.phone.base_url, phone_.settings().subscriber.msisdn); });
      show_sms(false);  // a note, if the server has no dev inbox
    }
    install_prompt();
    while (!quit_) {
      // A negative fd is skipped by poll(): without --no-sms there is nothing to watch.
      std::array<pollfd, 3> inputs{pollfd{STDIN_FILENO, POLLIN, 0}, pollfd{signals.fd(), POLLIN, 0},
                                   pollfd{sms_ ? sms_->fd() : -1, POLLIN, 0}};
      const int ready = poll(inputs.data(), inputs.size(), remaining_ms());
      if (ready < 0) continue;  // EINTR: the signal is waiting on the pipe
      if (inputs[1].revents & POLLIN) {
        while (const int signal = signals.next()) on_signal(signal);
      } else if (inputs[0].revents & (POLLIN | POLLHUP)) {
        rl_callback_read_char();
      } else if (ready == 0) {
        guarded([this] { drop_for_timeout(); });
      }
      if (!quit_ && (inputs[2].revents & POLLIN)) show_sms(true);
    }
    rl_callback_handler_remove();
    sms_.reset();
    instance_ = nullptr;
    return exit_status_;
  }

 private:
  static void on_line(char* raw) {
    std::unique_ptr<char, decltype(&std::free)> line(raw, &std::free);
    Terminal& self = *instance_;
    rl_callback_handler_remove();
    if (!line) {  // end of input (Ctrl-D)
      std::cout << "\n";
      self.guarded([&] { self.hang_up(HangUp::Release); });
      self.quit_ = true;
      return;
    }
    // Each line of pasted text is an answer of its own; a stray '\r' is not part of it.
    std::istringstream lines(line.get());
    for (std::string text; !self.quit_ && std::getline(lines, text);) {
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (!text.empty()) add_history(text.c_str());
      self.guarded([&] { self.handle(text); });  // nothing may unwind through readline's C code
    }
    if (!self.quit_) self.install_prompt();
  }

  template <class Action>
  void guarded(Action&& action) {
    try {
      action();
    } catch (const std::exception& e) {
      std::cout << "ussd-otp-sim: " << e.what() << "\n";
    }
  }

  void on_signal(int signal) {
    if (signal == SIGWINCH) return rl_resize_terminal();
    std::cout << (signal == SIGINT ? "^C" : "") << std::endl;  // after the cancelled text
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_callback_handler_remove();  // restores the terminal's modes
    if (signal == SIGINT) {
      std::cout << (phone_.in_session() ? "(:q hangs up, :quit leaves)" : "(:quit leaves)") << "\n";
      install_prompt();
      return;
    }
    guarded([this] { hang_up(HangUp::Release); });
    exit_status_ = 128 + signal;  // as a shell reports a process ended by that signal
    quit_ = true;
  }

  // Draws the SMS that arrived since the last call. `at_prompt`: readline shows the prompt and
  // what is typed so far; they are cleared first and drawn again under the message.
  void show_sms(bool at_prompt) {
    if (!sms_) return;
    const SmsPoller::Arrivals arrivals = sms_->take();
    if (arrivals.messages.empty() && arrivals.note.empty()) return;
    if (at_prompt) rl_clear_visible_line();
    for (const Sms& sms : arrivals.messages)
      std::cout << render_sms(sms.from, sms.text, options_.width);
    if (!arrivals.note.empty()) std::cout << "\x1b[2m" << printable(arrivals.note) << "\x1b[0m\n";
    std::cout << std::flush;
    if (at_prompt) {
      rl_on_new_line();
      rl_forced_update_display();
    }
  }

  // After a USSD step or :inbox: what has arrived is drawn now, and the inbox is read at once.
  void check_sms() {
    if (!sms_) return;
    show_sms(false);
    sms_->poke();
  }

  void install_prompt() {
    prompt_ = phone_.in_session() ? "answer> " : "dial> ";
    rl_callback_handler_install(prompt_.c_str(), &Terminal::on_line);
  }

  std::string describe_phone() const {
    const PhoneSettings& s = phone_.settings();
    return s.dialect + " at " + s.base_url + ", dialling as +" + s.subscriber.msisdn + " (" +
           s.subscriber.network + ")";
  }

  int remaining_ms() const {
    if (!phone_.in_session()) return -1;
    const auto waited = Clock::now() - screen_shown_;
    const auto limit = std::chrono::seconds(options_.screen_timeout_seconds);
    return static_cast<int>(std::max<long long>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(limit - waited).count()));
  }

  void handle(const std::string& typed) {
    // ":..." is a command; "::..." sends an answer that starts with ':'.
    if (typed.rfind("::", 0) != 0 && !typed.empty() && typed[0] == ':') return command(typed);
    const std::string text = typed.rfind("::", 0) == 0 ? typed.substr(1) : typed;
    if (phone_.in_session()) {
      const StepResult result = phone_.answer(text);
      if (recorder_) recorder_->answered(text, result);
      show(result);
      check_sms();
    } else if (!text.empty() && text[0] == '*') {
      dial(text);
    } else if (!text.empty()) {
      std::cout << "No session: dial a code first, e.g. " << options_.phone.service_code << "\n";
    }
    save_recording();
  }

  void dial(const std::string& dial_string) {
    last_dial_ = dial_string;
    session_started_ = Clock::now();
    const StepResult result = phone_.dial(dial_string);
    if (recorder_) recorder_->dialled(phone_.settings(), dial_string, result);
    show(result);
    check_sms();
  }

  void show(const StepResult& result, std::optional<SessionState> forced = std::nullopt) {
    PhoneView view;
    view.limit = result.screen_limit;
    view.step_seconds = result.seconds;
    view.session_seconds = std::chrono::duration<double>(Clock::now() - session_started_).count();
    if (result.ok()) {
      view.text = result.screen.text;
      view.state = result.screen.ends ? SessionState::Ended : SessionState::Continue;
    } else {
      view.text = result.problem;
      view.state = SessionState::Failed;
    }
    if (forced) view.state = *forced;
    std::cout << render_phone(view, options_.width);
    screen_shown_ = Clock::now();
  }

  void hang_up(HangUp why) {
    if (!phone_.in_session()) return;
    const std::optional<StepResult> notice = phone_.hang_up(why);
    if (recorder_) recorder_->hung_up(why);
    const char* what = why == HangUp::Timeout ? "timed out" : "hung up";
    if (!notice) {
      std::cout << "Session " << what << " (" << phone_.settings().dialect
                << " sends no notice for this).\n";
    } else if (notice->ok()) {
      std::cout << "Session " << what << "; the aggregator's notice was accepted.\n";
    } else {
      std::cout << "Session " << what << "; the notice failed: " << notice->problem << "\n";
    }
    save_recording();
  }

  void drop_for_timeout() {
    rl_callback_handler_remove();
    std::cout << "\nNo answer for " << options_.screen_timeout_seconds
              << " s: the network drops the session.\n";
    PhoneView view;
    view.text = "Connection problem or invalid MMI code.";  // what handsets typically show
    view.state = SessionState::TimedOut;
    view.session_seconds = std::chrono::duration<double>(Clock::now() - session_started_).count();
    view.limit = phone_.dialect().screen_limit();
    hang_up(HangUp::Timeout);
    std::cout << render_phone(view, options_.width);
    install_prompt();
  }

  void command(const std::string& text) {
    std::istringstream words(text);
    std::string name, argument;
    words >> name >> argument;
    PhoneSettings settings = phone_.settings();
    if (name == ":q") {
      if (phone_.in_session()) return hang_up(HangUp::Release);
      quit_ = true;
    } else if (name == ":quit" || name == ":exit") {
      hang_up(HangUp::Release);
      quit_ = true;
    } else if (name == ":r") {
      if (last_dial_.empty()) return void(std::cout << "Nothing dialled yet.\n");
      hang_up(HangUp::Release);
      dial(last_dial_);
    } else if (name == ":dialect") {
      settings.dialect = argument;
      if (argument.empty() || !find_wire_dialect(argument)) {
        std::cout << "Dialects:";
        for (const std::string& n : wire_dialect_names()) std::cout << " " << n;
        std::cout << "\n";
        return;
      }
      hang_up(HangUp::Release);
      phone_.configure(settings);
      if (recorder_) recorder_->configured(settings);
      std::cout << describe_phone() << "\n";
    } else if (name == ":msisdn") {
      if (!argument.empty() && argument[0] == '+') argument.erase(0, 1);
      if (argument.empty()) return void(std::cout << "Usage: :msisdn 233241234567\n");
      hang_up(HangUp::Release);
      settings.subscriber.msisdn = argument;
      phone_.configure(settings);
      if (sms_) sms_->set_phone(argument);
      if (recorder_) recorder_->configured(settings);
      std::cout << describe_phone() << "\n";
    } else if (name == ":wait") {
      wait(argument);
    } else if (name == ":otp") {
      const std::string phone = argument.empty() ? settings.subscriber.msisdn : argument;
      const HttpExchange created = api_.request_otp(phone);
      // A code already active is what a replay needs too: record both.
      const bool active = created.status == 201 || error_code(created) == "ACTIVE_OTP_EXISTS";
      if (recorder_ && active) recorder_->requested_otp(phone);
      std::cout << (created.status == 201 ? "Requested: " + printable(created.body, 2000)
                                          : describe_failure(created))
                << "\n";
    } else if (name == ":inbox") {
      const HttpExchange inbox =
          api_.inbox(argument.empty() ? settings.subscriber.msisdn : argument);
      std::cout << (inbox.ok()
                        ? printable(inbox.body, 4000)
                        : describe_failure(inbox) +
                              (inbox.status == 404 ? " (the server must run with --dev)" : ""))
                << "\n";
      check_sms();
    } else if (name == ":help") {
      std::cout << kHelp;
    } else {
      std::cout << "Unknown command " << name << ". Type :help.\n";
    }
  }

  void wait(const std::string& argument) {
    std::int64_t seconds = -1;
    const auto [end, error] =
        std::from_chars(argument.data(), argument.data() + argument.size(), seconds);
    if (error != std::errc() || end != argument.data() + argument.size() || seconds < 0) {
      return void(std::cout << "Usage: :wait SECONDS (a whole number, e.g. :wait 300)\n");
    }
    const HttpExchange moved = api_.advance_clock(seconds);
    if (!moved.ok()) {
      std::cout << "The dev clock did not move: " << describe_failure(moved)
                << (moved.status == 404 ? " (the server must run with --dev)" : "") << "\n";
      return;
    }
    if (recorder_) recorder_->waited(seconds);
    std::cout << "Server clock moved " << seconds << " s: " << printable(moved.body) << "\n";
    screen_shown_ = Clock::now();  // the phone itself did not wait
  }

  void save_recording() {
    std::string error;
    if (recorder_ && !recorder_->save(error)) std::cout << "Recording: " << error << "\n";
  }

  static inline Terminal* instance_ = nullptr;
  const InteractiveOptions& options_;
  HttpConnection http_;
  UssdPhone phone_;
  ServerApi api_;
  std::optional<ScriptRecorder> recorder_;
  std::optional<SmsPoller> sms_;  // unset with --no-sms
  std::string prompt_;
  std::string last_dial_;
  Clock::time_point screen_shown_ = Clock::now();
  Clock::time_point session_started_ = Clock::now();
  bool quit_ = false;
  int exit_status_ = 0;
};

}  // namespace

int run_interactive(const InteractiveOptions& options) {
  Terminal terminal(options);
  return terminal.run();
}

}  // namespace ussd_otp::sim
