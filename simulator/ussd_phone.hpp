// A handset plus its aggregator: dials, answers and hangs up over one dialect's wire format, and
// classifies every reply (a screen, an HTTP error, a transport failure, a malformed body).
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "otp/gsm7.hpp"
#include "simulator/http_connection.hpp"
#include "simulator/wire_dialect.hpp"

namespace ussd_otp::sim {

struct PhoneSettings {
  std::string base_url = "http://127.0.0.1:8080";
  std::string dialect = "africastalking";
  std::string path_token;  // when the server protects the callback with one
  Subscriber subscriber;
  std::string service_code = "*889*142#";
};

enum class StepKind { Screen, HttpError, TransportError, Malformed };

struct StepResult {
  StepKind kind = StepKind::Screen;
  Screen screen;        // kind == Screen
  std::string problem;  // otherwise: what went wrong, for people
  long http_status = 0;
  double seconds = 0;  // request -> reply
  ScreenMeasure measure;
  std::size_t screen_limit = 160;  // the dialect's
  // What the screen costs on a handset: GSM-7 septets, or characters once UCS-2 is forced.
  std::size_t cost() const { return measure.gsm7 ? measure.septets : measure.characters; }
  // The dialect's limit, halved when a character forces UCS-2 (two octets per character).
  std::size_t limit() const { return measure.gsm7 ? screen_limit : screen_limit / 2; }
  bool too_long() const { return kind == StepKind::Screen && cost() > limit(); }
  bool ok() const { return kind == StepKind::Screen; }
  // "screen", "http_403", "transport", "malformed": the error kinds load mode counts.
  std::string kind_name() const;
};

// Called with every exchange as it went over the wire (the transcript).
using WireObserver =
    std::function<void(const std::string& url, const WireRequest&, const HttpExchange&)>;

// Writes each exchange to `out` as it went over the wire ("> POST url", body, "< 200", body).
WireObserver transcript_to(std::ostream& out);

class UssdPhone {
 public:
  UssdPhone(HttpConnection& http, PhoneSettings settings, WireObserver observer = nullptr);

  // Starts a new session (hanging up nothing: call hang_up first to end one politely).
  StepResult dial(const std::string& dial_string);
  // Sends what the subscriber typed; the session must be open.
  StepResult answer(const std::string& input);
  // Sends the dialect's release/timeout notification; nullopt when it has none (the session
  // still ends here) or no session is open.
  std::optional<StepResult> hang_up(HangUp why);

  bool in_session() const { return open_; }
  const PhoneSettings& settings() const { return settings_; }
  // Changes the dialect, number... for the next dial; false for an unknown dialect.
  bool configure(const PhoneSettings& settings);
  const WireDialect& dialect() const { return *dialect_; }

 private:
  StepResult exchange(const WireRequest& request, bool reply_is_screen = true);
  HttpConnection& http_;
  PhoneSettings settings_;
  const WireDialect* dialect_;
  WireObserver observer_;
  SessionWire session_;
  bool open_ = false;
};

// "sim-" and 16 random hex digits.
std::string new_session_id();

}  // namespace ussd_otp::sim
