// The ten aggregators as a client speaks them. Field names and shapes follow docs/dialects/ and
// tests/fixtures/ussd/. Where an aggregator may or may not send the dial string on the first
// request (or may put extra digits in two places), the variant that carries the whole dial string
// is used, so a pre-filled number (the shortcut) reaches the server.
#include <algorithm>
#include <charconv>
#include <memory>

#include "otp/text.hpp"
#include "simulator/http_connection.hpp"
#include "simulator/json_text.hpp"
#include "simulator/wire_dialect.hpp"

namespace ussd_otp::sim {
namespace {

using nlohmann::json;

WireRequest json_request(const json& body) {
  return WireRequest{"POST", "", "", "application/json", json_text(body)};
}

// The reply as a JSON object, or why it is not one.
std::optional<json> json_object(std::string_view body, std::string& problem) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    problem = "the reply is not a JSON object";
    return std::nullopt;
  }
  return parsed;
}

// A string field of the reply; records a problem when missing or not a string.
std::optional<std::string> text_field(const json& reply, const char* name, std::string& problem) {
  const auto it = reply.find(name);
  if (it == reply.end() || !it->is_string()) {
    problem = std::string("the reply has no string \"") + name + "\"";
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<bool> bool_field(const json& reply, const char* name, std::string& problem) {
  const auto it = reply.find(name);
  if (it == reply.end() || !it->is_boolean()) {
    problem = std::string("the reply has no boolean \"") + name + "\"";
    return std::nullopt;
  }
  return it->get<bool>();
}

// A screen whose end flag is a word: `ends_word` ends it, `continues_word` continues it (any case).
ReplyReading screen_by_word(const json& reply, const char* text_name, const char* word_name,
                            std::string_view continues_word, std::string_view ends_word) {
  ReplyReading reading;
  const std::optional<std::string> text = text_field(reply, text_name, reading.problem);
  const std::optional<std::string> word = text_field(reply, word_name, reading.problem);
  if (!text || !word) return reading;
  const std::string flag = text::ascii_lower(*word);
  if (flag != continues_word && flag != ends_word) {
    reading.problem = std::string("\"") + word_name + "\" is \"" + *word + "\", expected \"" +
                      std::string(continues_word) + "\" or \"" + std::string(ends_word) + "\"";
    return reading;
  }
  reading.screen = Screen{*text, flag == ends_word};
  return reading;
}

ReplyReading screen_by_flag(std::string_view body, const char* text_name, const char* flag_name) {
  ReplyReading reading;
  const std::optional<json> reply = json_object(body, reading.problem);
  if (!reply) return reading;
  const std::optional<std::string> text = text_field(*reply, text_name, reading.problem);
  const std::optional<bool> continues = bool_field(*reply, flag_name, reading.problem);
  if (text && continues) reading.screen = Screen{*text, !*continues};
  return reading;
}

ReplyReading json_screen_by_word(std::string_view body, const char* text_name,
                                 const char* word_name, std::string_view continues_word,
                                 std::string_view ends_word) {
  ReplyReading reading;
  const std::optional<json> reply = json_object(body, reading.problem);
  if (!reply) return reading;
  return screen_by_word(*reply, text_name, word_name, continues_word, ends_word);
}

const std::string& latest_answer(const SessionWire& session) {
  static const std::string none;
  return session.answers.empty() ? none : session.answers.back();
}

// A network name as an aggregator that numbers networks sends it: `codes` maps lower-case
// names; digits pass through, and an unknown name is sent as it is (the server stores it).
std::string network_code(
    const std::string& network,
    std::initializer_list<std::pair<std::string_view, std::string_view>> codes) {
  if (text::is_digits(network)) return network;
  const std::string name = text::ascii_lower(network);
  for (const auto& [known, code] : codes) {
    if (name == known) return std::string(code);
  }
  return network;
}

// Africa's Talking's networkCode: the MCC-MNC (Ghana's networks; 62001 in the fixtures).
std::string at_network_code(const std::string& network) {
  return network_code(network, {{"mtn", "62001"},
                                {"vodafone", "62002"},
                                {"telecel", "62002"},
                                {"airteltigo", "62003"},
                                {"tigo", "62003"}});
}

// Moolre's network numbers (docs/dialects/moolre.md): 3 MTN, 5 AirtelTigo, 6 Telecel.
json moolre_network(const std::string& network) {
  const std::string code = network_code(
      network, {{"mtn", "3"}, {"airteltigo", "5"}, {"telecel", "6"}, {"vodafone", "6"}});
  int number = 0;
  const auto [end, error] = std::from_chars(code.data(), code.data() + code.size(), number);
  return error == std::errc() && end == code.data() + code.size() ? json(number) : json(code);
}

std::string join(const std::vector<std::string>& parts, char separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += name + "=" + url_escape(value);
  }
  return out;
}

// Africa's Talking: form posts, `text` holds every answer joined with '*', CON/END replies.
class AfricasTalking final : public WireDialect {
 public:
  std::string_view name() const override { return "africastalking"; }
  WireRequest begin(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, "");  // extra digits travel inside serviceCode (the first variant)
  }
  WireRequest answer(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, join(s.answers, '*'));
  }
  std::optional<WireRequest> hang_up(const SessionWire& s, const Subscriber& who,
                                     HangUp why) const override {
    WireRequest report = form_request(
        form({{"sessionId", s.session_id},
              {"serviceCode", s.dial},
              {"phoneNumber", "+" + who.msisdn},
              {"networkCode", at_network_code(who.network)},
              {"status", "Incomplete"},
              {"input", latest_answer(s)},
              {"errorMessage", why == HangUp::Timeout ? "Session timed out" : "User hung up"}}));
    report.subpath = "events";
    return report;
  }
  ReplyReading read_reply(std::string_view, std::string_view body, SessionWire&) const override {
    ReplyReading reading;
    if (body.substr(0, 4) == "CON ") {
      reading.screen = Screen{std::string(body.substr(4)), false};
    } else if (body.substr(0, 4) == "END ") {
      reading.screen = Screen{std::string(body.substr(4)), true};
    } else {
      reading.problem = "the reply starts with neither \"CON \" nor \"END \"";
    }
    return reading;
  }

 private:
  static WireRequest form_request(std::string body) {
    return WireRequest{"POST", "", "", "application/x-www-form-urlencoded", std::move(body)};
  }
  static WireRequest post(const SessionWire& s, const Subscriber& who, const std::string& text) {
    return form_request(form({{"sessionId", s.session_id},
                              {"serviceCode", s.dial},
                              {"phoneNumber", "+" + who.msisdn},
                              {"networkCode", at_network_code(who.network)},
                              {"text", text}}));
  }
};

class Arkesel final : public WireDialect {
 public:
  std::string_view name() const override { return "arkesel"; }
  WireRequest begin(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, s.dial, true);
  }
  WireRequest answer(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, latest_answer(s), false);
  }
  ReplyReading read_reply(std::string_view, std::string_view body, SessionWire&) const override {
    return screen_by_flag(body, "message", "continueSession");
  }

 private:
  static WireRequest post(const SessionWire& s, const Subscriber& who, const std::string& data,
                          bool is_new) {
    return json_request({{"sessionID", s.session_id},
                         {"userID", who.user_id},
                         {"msisdn", who.msisdn},
                         {"userData", data},
                         {"newSession", is_new},
                         {"network", who.network}});
  }
};

// The Hubtel family: a `Type` of Initiation, Response, Release or Timeout, and a `Message`.
class TypedJsonDialect : public WireDialect {
 public:
  WireRequest begin(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, "Initiation", s.dial);
  }
  WireRequest answer(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, "Response", latest_answer(s));
  }
  std::optional<WireRequest> hang_up(const SessionWire& s, const Subscriber& who,
                                     HangUp why) const override {
    return post(s, who, why == HangUp::Timeout ? "Timeout" : "Release", "");
  }

 protected:
  virtual WireRequest post(const SessionWire& s, const Subscriber& who, const char* type,
                           const std::string& message) const = 0;
};

class Hubtel final : public TypedJsonDialect {
 public:
  std::string_view name() const override { return "hubtel"; }
  ReplyReading read_reply(std::string_view, std::string_view body,
                          SessionWire& session) const override {
    ReplyReading reading;
    const std::optional<json> reply = json_object(body, reading.problem);
    if (!reply) return reading;
    if (const auto state = reply->find("ClientState");
        state != reply->end() && state->is_string()) {
      session.echo["ClientState"] = *state;
    }
    return screen_by_word(*reply, "Message", "Type", "response", "release");
  }

 private:
  WireRequest post(const SessionWire& s, const Subscriber& who, const char* type,
                   const std::string& message) const override {
    // Hubtel names the code without its '*' prefix and '#' ("889*142").
    std::string code = s.service_code;
    if (!code.empty() && code.front() == '*') code.erase(0, 1);
    if (!code.empty() && code.back() == '#') code.pop_back();
    return json_request({{"Type", type},
                         {"Mobile", who.msisdn},
                         {"SessionId", s.session_id},
                         {"ServiceCode", code},
                         {"Message", message},
                         {"Operator", text::ascii_lower(who.network)},
                         {"Sequence", s.requests_sent + 1},
                         {"ClientState", s.echo.value("ClientState", "")},
                         {"Platform", "USSD"}});
  }
};

class Nalo final : public WireDialect {
 public:
  std::string_view name() const override { return "nalo"; }
  std::size_t screen_limit() const override { return 120; }
  WireRequest begin(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, s.dial, true);
  }
  WireRequest answer(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, latest_answer(s), false);
  }
  ReplyReading read_reply(std::string_view, std::string_view body, SessionWire&) const override {
    return screen_by_flag(body, "MSG", "MSGTYPE");  // in replies, true means "continue"
  }

 private:
  static WireRequest post(const SessionWire& s, const Subscriber& who, const std::string& data,
                          bool is_new) {
    return json_request({{"USERID", who.user_id},
                         {"MSISDN", who.msisdn},
                         {"USERDATA", data},
                         {"MSGTYPE", is_new},
                         {"NETWORK", who.network},
                         {"SESSIONID", s.session_id}});
  }
};

// Emergent, and Cross-Switch which speaks the same shape plus a Sequence.
class Emergent final : public TypedJsonDialect {
 public:
  Emergent(std::string_view name, bool sends_sequence)
      : name_(name), sends_sequence_(sends_sequence) {}
  std::string_view name() const override { return name_; }
  ReplyReading read_reply(std::string_view, std::string_view body, SessionWire&) const override {
    return json_screen_by_word(body, "Message", "Type", "response", "release");
  }

 private:
  WireRequest post(const SessionWire& s, const Subscriber& who, const char* type,
                   const std::string& message) const override {
    json body{{"SessionId", s.session_id},
              {"Mobile", who.msisdn},
              {"USERID", who.user_id},
              {"Operator", text::ascii_lower(who.network)},
              {"Type", type},
              {"Message", message}};
    if (sends_sequence_) body["Sequence"] = s.requests_sent + 1;
    return json_request(body);
  }
  std::string_view name_;
  bool sends_sequence_;
};

class Beem final : public WireDialect {
 public:
  std::string_view name() const override { return "beem"; }
  WireRequest begin(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, "initiate", s.dial, "");  // extra digits inside serviceCode
  }
  WireRequest answer(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, "continue", s.service_code, latest_answer(s));
  }
  std::optional<WireRequest> hang_up(const SessionWire& s, const Subscriber& who,
                                     HangUp why) const override {
    return post(s, who, why == HangUp::Timeout ? "timeout" : "terminate", s.service_code, "");
  }
  ReplyReading read_reply(std::string_view, std::string_view body, SessionWire&) const override {
    ReplyReading reading;
    const std::optional<json> reply = json_object(body, reading.problem);
    if (!reply) return reading;
    const auto payload = reply->find("payload");
    if (payload == reply->end() || !payload->is_object()) {
      reading.problem = "the reply has no object \"payload\"";
      return reading;
    }
    json flat = *payload;
    flat["command"] = reply->value("command", json());
    return screen_by_word(flat, "request", "command", "continue", "terminate");
  }

 private:
  static WireRequest post(const SessionWire& s, const Subscriber& who, const char* command,
                          const std::string& code, const std::string& response) {
    return json_request(
        {{"msisdn", who.msisdn},
         {"operator", text::ascii_lower(who.network)},
         {"session_id", s.session_id},
         {"serviceCode", code},
         {"command", command},
         {"payload", {{"request_id", s.requests_sent + 1}, {"response", response}}}});
  }
};

class SouthPawsl final : public WireDialect {
 public:
  std::string_view name() const override { return "southpawsl"; }
  WireRequest begin(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, s.dial);
  }
  WireRequest answer(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, latest_answer(s));
  }
  ReplyReading read_reply(std::string_view, std::string_view body, SessionWire&) const override {
    return json_screen_by_word(body, "message", "state", "continue", "end");
  }

 private:
  static WireRequest post(const SessionWire& s, const Subscriber& who, const std::string& input) {
    return json_request({{"sessionId", s.session_id},
                         {"menuId", who.user_id},
                         {"msisdn", who.msisdn},
                         {"ussdString", s.service_code},
                         {"inputOption", input},
                         {"network", who.network},
                         {"ussdState", ""},
                         {"possibleAnswers", ""},
                         {"ussdParameters", json::array()}});
  }
};

class Moolre final : public WireDialect {
 public:
  std::string_view name() const override { return "moolre"; }
  WireRequest begin(const SessionWire& s, const Subscriber& who) const override {
    const std::vector<std::string> extra = extra_digits(s.dial, s.service_code);
    // Moolre sends the digits after the code in `data`, and then the dial string in `message`.
    // A dial string that does not extend --service-code (Moolre's own *203*142*0241234567#) goes
    // in `message` alone: the server splits it there.
    return post(s, who, s.dial == s.service_code ? "" : s.dial, join(extra, '*'), true);
  }
  WireRequest answer(const SessionWire& s, const Subscriber& who) const override {
    return post(s, who, latest_answer(s), "", false);
  }
  ReplyReading read_reply(std::string_view, std::string_view body, SessionWire&) const override {
    return screen_by_flag(body, "message", "reply");
  }

 private:
  static WireRequest post(const SessionWire& s, const Subscriber& who, const std::string& message,
                          const std::string& data, bool is_new) {
    // Our extension is the last segment of the code: *203*142# -> 142.
    std::string code = s.service_code;
    if (!code.empty() && code.back() == '#') code.pop_back();
    const std::string extension = code.substr(code.find_last_of('*') + 1);
    return json_request({{"sessionid", s.session_id},
                         {"new", is_new},
                         {"msisdn", who.msisdn},
                         {"network", moolre_network(who.network)},
                         {"message", message},
                         {"extension", extension},
                         {"data", data}});
  }
};

class HollaTags final : public WireDialect {
 public:
  std::string_view name() const override { return "hollatags"; }
  WireRequest begin(const SessionWire& s, const Subscriber& who) const override {
    return get(s, who, "begin", "", s.dial, 1);  // extra digits inside session_from
  }
  WireRequest answer(const SessionWire& s, const Subscriber& who) const override {
    return get(s, who, "continue", latest_answer(s), s.service_code, 3);
  }
  std::optional<WireRequest> hang_up(const SessionWire& s, const Subscriber& who,
                                     HangUp) const override {
    return get(s, who, "end", "", s.service_code, 4);
  }
  ReplyReading read_reply(std::string_view, std::string_view body, SessionWire&) const override {
    return json_screen_by_word(body, "session_msg", "session_operation", "continue", "end");
  }

 private:
  static WireRequest get(const SessionWire& s, const Subscriber& who, const char* operation,
                         const std::string& message, const std::string& from, int type) {
    WireRequest request;
    request.method = "GET";
    request.query = form({{"session_msisdn", who.msisdn},
                          {"session_operation", operation},
                          {"session_msg", message},
                          {"session_id", s.session_id},
                          {"session_from", from},
                          {"session_type", std::to_string(type)},
                          {"session_mno", who.network}});
    return request;
  }
};

const std::vector<std::unique_ptr<WireDialect>>& registry() {
  static const std::vector<std::unique_ptr<WireDialect>> dialects = [] {
    std::vector<std::unique_ptr<WireDialect>> all;
    all.push_back(std::make_unique<AfricasTalking>());
    all.push_back(std::make_unique<Arkesel>());
    all.push_back(std::make_unique<Hubtel>());
    all.push_back(std::make_unique<Nalo>());
    all.push_back(std::make_unique<Emergent>("emergent", false));
    all.push_back(std::make_unique<Emergent>("crossswitch", true));
    all.push_back(std::make_unique<Beem>());
    all.push_back(std::make_unique<SouthPawsl>());
    all.push_back(std::make_unique<Moolre>());
    all.push_back(std::make_unique<HollaTags>());
    return all;
  }();
  return dialects;
}

}  // namespace

const WireDialect* find_wire_dialect(std::string_view name) {
  for (const auto& dialect : registry()) {
    if (dialect->name() == name) return dialect.get();
  }
  return nullptr;
}

std::vector<std::string> wire_dialect_names() {
  std::vector<std::string> names;
  for (const auto& dialect : registry()) names.emplace_back(dialect->name());
  return names;
}

std::vector<std::string> extra_digits(std::string_view dial, std::string_view service_code) {
  if (service_code.empty() || service_code.back() != '#') return {};
  const std::string_view stem = service_code.substr(0, service_code.size() - 1);  // "*889*142"
  if (dial.size() <= stem.size() + 1 || dial.substr(0, stem.size()) != stem ||
      dial[stem.size()] != '*' || dial.back() != '#') {
    return {};
  }
  std::vector<std::string> parts;
  std::string_view rest = dial.substr(stem.size() + 1, dial.size() - stem.size() - 2);
  while (true) {
    const std::size_t star = rest.find('*');
    if (!rest.substr(0, star).empty()) parts.emplace_back(rest.substr(0, star));
    if (star == std::string_view::npos) break;
    rest.remove_prefix(star + 1);
  }
  return parts;
}

}  // namespace ussd_otp::sim
