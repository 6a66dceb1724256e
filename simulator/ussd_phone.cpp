#include "simulator/ussd_phone.hpp"

#include "simulator/server_api.hpp"
#include "simulator/terminal_text.hpp"

#include <random>
#include <stdexcept>

namespace ussd_otp::sim {

std::string StepResult::kind_name() const {
  switch (kind) {
    case StepKind::Screen:
      return "screen";
    case StepKind::HttpError:
      return "http_" + std::to_string(http_status);
    case StepKind::TransportError:
      return "transport";
    case StepKind::Malformed:
      return "malformed";
  }
  return "unknown";
}

std::string new_session_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "sim-";
  std::uint64_t bits = random();
  for (int i = 0; i < 16; ++i, bits >>= 4) id += kHex[bits & 0xf];
  return id;
}

namespace {
constexpr std::size_t kTranscriptCharacters = 4096;  // a whole screen and then some
}  // namespace

WireObserver transcript_to(std::ostream& out) {
  return [&out](const std::string& url, const WireRequest& request, const HttpExchange& reply) {
    out << "> " << request.method << " " << url << "\n";
    if (!request.content_type.empty()) out << "> Content-Type: " << request.content_type << "\n";
    // As sent, but escaped and cut like every text from elsewhere (docs/simulator.md).
    if (!request.body.empty())
      out << "> " << printable(request.body, kTranscriptCharacters) << "\n";
    if (!reply.transport_error.empty()) {
      out << "< (no reply: " << reply.transport_error << ")\n";
    } else {
      out << "< " << reply.status << " " << printable(reply.content_type, 100) << " ("
          << static_cast<long>(reply.seconds * 1e6) << " us)\n< "
          << printable(reply.body, kTranscriptCharacters) << "\n";
    }
    out.flush();
  };
}

UssdPhone::UssdPhone(HttpConnection& http, PhoneSettings settings, WireObserver observer)
    : http_(http), settings_(std::move(settings)), observer_(std::move(observer)) {
  dialect_ = find_wire_dialect(settings_.dialect);
  if (!dialect_) throw std::invalid_argument("unknown dialect: " + settings_.dialect);
}

bool UssdPhone::configure(const PhoneSettings& settings) {
  const WireDialect* dialect = find_wire_dialect(settings.dialect);
  if (!dialect) return false;
  settings_ = settings;
  dialect_ = dialect;
  return true;
}

StepResult UssdPhone::dial(const std::string& dial_string) {
  session_ = SessionWire{};
  session_.session_id = new_session_id();
  session_.service_code = settings_.service_code;
  session_.dial = dial_string;
  open_ = true;
  return exchange(dialect_->begin(session_, settings_.subscriber));
}

StepResult UssdPhone::answer(const std::string& input) {
  if (!open_) throw std::logic_error("answer() without an open session");
  session_.answers.push_back(input);
  return exchange(dialect_->answer(session_, settings_.subscriber));
}

std::optional<StepResult> UssdPhone::hang_up(HangUp why) {
  if (!open_) return std::nullopt;
  const std::optional<WireRequest> notice = dialect_->hang_up(session_, settings_.subscriber, why);
  if (!notice) {
    open_ = false;
    return std::nullopt;
  }
  StepResult result = exchange(*notice, /*reply_is_screen=*/false);
  open_ = false;
  return result;
}

StepResult UssdPhone::exchange(const WireRequest& request, bool reply_is_screen) {
  std::string url = settings_.base_url + "/ussd/" + std::string(dialect_->name());
  if (!settings_.path_token.empty()) url += "/" + settings_.path_token;
  if (!request.subpath.empty()) url += "/" + request.subpath;
  if (!request.query.empty()) url += "?" + request.query;
  const HttpExchange reply = http_.send(request.method, url, request.content_type, request.body);
  ++session_.requests_sent;
  if (observer_) observer_(url, request, reply);

  StepResult result;
  result.seconds = reply.seconds;
  result.http_status = reply.status;
  result.screen_limit = dialect_->screen_limit();
  if (!reply.transport_error.empty()) {
    result.kind = StepKind::TransportError;
    result.problem = "no reply from " + settings_.base_url + ": " + reply.transport_error;
  } else if (reply.oversized) {
    result.kind = StepKind::Malformed;
    result.problem = "malformed " + std::string(dialect_->name()) + " reply: over " +
                     std::to_string(kMaxReplyBytes) + " bytes (cut off)";
  } else if (!reply.ok()) {
    result.kind = StepKind::HttpError;
    result.problem = describe_failure(reply);
  } else if (!reply_is_screen) {
    result.screen = Screen{"", true};  // a notice's reply only acknowledges it (AT answers "OK")
  } else {
    ReplyReading reading = dialect_->read_reply(reply.content_type, reply.body, session_);
    if (reading.screen) {
      result.screen = std::move(*reading.screen);
      result.measure = measure_screen(result.screen.text);
    } else {
      result.kind = StepKind::Malformed;
      result.problem = "malformed " + std::string(dialect_->name()) + " reply (" +
                       printable(reading.problem) + "): " + printable(reply.body);
    }
  }
  // An error, like a final screen, ends the session: the aggregator would drop the call.
  if (!result.ok() || result.screen.ends) open_ = false;
  return result;
}

}  // namespace ussd_otp::sim
