// The aggregator's side of each USSD callback format: the requests an aggregator sends to
// /ussd/<dialect> and how it reads our replies. Independent of the server's parsers on purpose,
// so the simulator checks them from the outside. No I/O: unit-tested on bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ussd_otp::sim {

// Who dials, and what the aggregator says about them and about our account.
struct Subscriber {
  std::string msisdn = "233241234567";  // E.164 digits
  std::string network = "MTN";
  std::string user_id = "ussd-otp-sim";  // the aggregator's id for the app (Arkesel userID...)
};

// What a session carries from one request to the next.
struct SessionWire {
  std::string session_id;
  std::string service_code = "*889*142#";  // the base code; the dial string may extend it
  std::string dial;                        // as dialled, "*889*142*0241234567#"
  std::vector<std::string> answers;        // typed after the dial, oldest first
  int requests_sent = 0;
  nlohmann::json echo = nlohmann::json::object();  // reply fields sent back (Hubtel ClientState)
};

struct WireRequest {
  std::string method = "POST";
  std::string subpath;  // "" for the menu callback, "events" for Africa's Talking's report
  std::string query;    // GET parameters, encoded
  std::string content_type;
  std::string body;
};

// A screen as the aggregator read it from our reply.
struct Screen {
  std::string text;
  bool ends = false;  // true: the session is over (END, Release, continueSession=false...)
};

struct ReplyReading {
  std::optional<Screen> screen;
  std::string problem;  // why the reply is malformed, when `screen` is empty
};

enum class HangUp { Release, Timeout };

class WireDialect {
 public:
  virtual ~WireDialect() = default;
  virtual std::string_view name() const = 0;
  virtual std::size_t screen_limit() const { return 160; }
  // The first request of a session: the dial string is `session.dial`.
  virtual WireRequest begin(const SessionWire& session, const Subscriber& who) const = 0;
  // A later request: `session.answers.back()` is what the subscriber just typed.
  virtual WireRequest answer(const SessionWire& session, const Subscriber& who) const = 0;
  // The notification the aggregator sends when the subscriber hangs up or the network times the
  // session out, where the dialect has one.
  virtual std::optional<WireRequest> hang_up(const SessionWire& /*session*/,
                                             const Subscriber& /*who*/, HangUp /*why*/) const {
    return std::nullopt;
  }
  // Reads a 2xx reply. May store fields to echo in `session.echo`.
  virtual ReplyReading read_reply(std::string_view content_type, std::string_view body,
                                  SessionWire& session) const = 0;
};

// nullptr when no dialect has that name.
const WireDialect* find_wire_dialect(std::string_view name);
std::vector<std::string> wire_dialect_names();

// The digits dialled after the service code: ("*889*142*0241234567*2#", "*889*142#") ->
// {"0241234567", "2"}. Empty when the dial string does not extend the code.
std::vector<std::string> extra_digits(std::string_view dial, std::string_view service_code);

}  // namespace ussd_otp::sim
