// The checks every USSD dialect passes over HTTP against the real server, parametrised by a
// DialectCase: each tests/http/ussd_<name>_test.cpp states only what is special about its
// aggregator (fixtures, end notifications, malformed requests) and adds its own special cases.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/ussd_calls.hpp"
#include "http/ussd_session_row.hpp"

namespace ussd_otp::testing {

using FixtureValues = std::map<std::string, std::string>;

// How the aggregator calls us.
enum class Wire { Json, Form, Query };

// A request that ends the session (release, timeout, terminate...): the end reason stored and
// the reply fixture (filled with an empty text).
struct EndNotice {
  std::string fixture;
  std::string reason;
  std::string reply = "end.reply";
};

// A request that must be refused with a 400 naming `fields` (none: only the status is checked
// when `code` is empty).
struct BadRequest {
  std::string wire_text;
  std::vector<std::string> fields;
  std::string code = "VALIDATION_ERROR";
  std::string message = {};  // the whole error message, when given
};

struct DialectCase {
  std::string name = {};
  Wire wire = Wire::Json;
  std::string id_prefix = {};  // session ids are <prefix>1, <prefix>2, ...
  std::string dial = "dial.json";
  std::string answer = "answer.json";
  // Requests with the number pre-filled, and values their code reply needs besides the code.
  std::vector<std::pair<std::string, FixtureValues>> shortcuts = {{"shortcut.json", {}}};
  // Reply fixtures are the bytes on the wire; false: compared as JSON (the fixture keeps the
  // documented key order, which is not part of the format).
  bool exact_bytes = true;
  std::vector<EndNotice> end_notices = {};
  // An answer for a session we do not know gets the expiry screen (not Africa's Talking: its
  // path rebuilds the session).
  bool expires_unknown_sessions = true;
  // The final screen's reply; default: the end.reply fixture ({{text}} or {{message}}).
  std::function<std::string(const FixtureValues&)> end_reply = {};
  // Further checks on the reply that shows the code.
  std::function<void(const nlohmann::json&)> check_code_reply = {};
  std::function<std::vector<BadRequest>()> bad_requests = {};
  // Variants of a valid request the aggregator may send (numbers for strings...): answered 200
  // and, when given, with that reply.
  std::function<std::vector<std::pair<std::string, std::string>>()> accepted = {};
};

inline HttpResponse send(HttpClient& client, const DialectCase& dialect,
                         const std::string& wire_text) {
  const std::string path = "/ussd/" + dialect.name;
  switch (dialect.wire) {
    case Wire::Form:
      return client.post_raw(path, wire_text, {"Content-Type: application/x-www-form-urlencoded"});
    case Wire::Query:
      return client.get(path + "?" + wire_text);
    case Wire::Json:
      break;
  }
  return client.post_raw(path, wire_text, {"Content-Type: application/json"});
}

// Sends a request fixture with `values` filled in.
inline HttpResponse send(HttpClient& client, const DialectCase& dialect, const std::string& name,
                         const FixtureValues& values) {
  return send(client, dialect, fixture(dialect.name, name, values));
}

inline void check_reply(const DialectCase& dialect, const HttpResponse& response,
                        const std::string& expected) {
  INFO(dialect.name << " reply: " << response.body);
  REQUIRE(response.status == 200);
  const bool json = dialect.wire != Wire::Form;  // Africa's Talking answers text/plain
  CHECK(response.header("content-type").find(json ? "application/json" : "text/plain") == 0);
  if (dialect.exact_bytes) {
    CHECK(response.body == expected);
  } else {
    CHECK(response.json() == nlohmann::json::parse(expected));
  }
}

// The values every fixture of a step may use: the session, a request id, the typed text.
inline FixtureValues step(const DialectCase& dialect, int session, const std::string& text = "",
                          const std::string& request_id = "1") {
  return {{"session_id", dialect.id_prefix + std::to_string(session)},
          {"request_id", request_id},
          {"text", text}};
}

// A reply fixture's values: the step's, with the screen text under both names reply fixtures
// use for it, and what SouthPawsl echoes as `option`.
inline FixtureValues screen(FixtureValues values, const std::string& text) {
  values["option"] = values["text"];
  values["text"] = text;
  values["message"] = text;
  return values;
}

inline std::string final_reply(const DialectCase& dialect, const FixtureValues& values) {
  return dialect.end_reply ? dialect.end_reply(values) : fixture(dialect.name, "end.reply", values);
}

inline const std::string kExpired = "Your session has expired. Dial *889*142# to start again.";

inline void full_session(const DialectCase& dialect) {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const FixtureValues dial = step(dialect, 1, "", "501");
  check_reply(dialect, send(client, dialect, dialect.dial, dial),
              fixture(dialect.name, "dial.reply", dial));
  FixtureValues answer = step(dialect, 1, "0241234567", "502");
  const HttpResponse second = send(client, dialect, dialect.answer, answer);
  answer = screen(answer, "");
  answer["code"] = otp.code;
  check_reply(dialect, second, fixture(dialect.name, "code.reply", answer));
  if (dialect.check_code_reply) dialect.check_code_reply(second.json());

  // Shown, not consumed: the event is there and the app still verifies the code.
  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

inline void shortcuts(const DialectCase& dialect) {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  int session = 10;
  for (const auto& [name, reply_values] : dialect.shortcuts) {
    INFO(name);
    FixtureValues values = step(dialect, ++session, "", "7");
    const HttpResponse reply = send(client, dialect, name, values);
    values = screen(values, "");
    values["code"] = otp.code;
    for (const auto& [key, value] : reply_values) values[key] = value;
    check_reply(dialect, reply, fixture(dialect.name, "code.reply", values));
  }
  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
}

inline void wrong_number(const DialectCase& dialect) {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  send(client, dialect, dialect.dial, step(dialect, 3));
  const FixtureValues answer = step(dialect, 3, "0241234568", "2");
  check_reply(dialect, send(client, dialect, dialect.answer, answer),
              final_reply(dialect, screen(answer, "No active code for 024 123 4568.")));
}

// An answer for a session we never saw (or that ended) gets the expiry screen and ends it.
inline void check_expired(const DialectCase& dialect, TestServer& server, HttpClient& client,
                          int session) {
  const FixtureValues answer = step(dialect, session, "1", "3");
  check_reply(dialect, send(client, dialect, dialect.answer, answer),
              final_reply(dialect, screen(answer, kExpired)));
  const auto row = session_row(server, dialect.name, answer.at("session_id"));
  REQUIRE(row.has_value());
  CHECK(row->ended);
}

inline void unknown_session(const DialectCase& dialect) {
  TestServer server;
  auto client = server.client();
  // A session that was dialled stays open until it ends.
  send(client, dialect, dialect.dial, step(dialect, 98));
  const auto open = session_row(server, dialect.name, dialect.id_prefix + "98");
  REQUIRE(open.has_value());
  CHECK_FALSE(open->ended);
  check_expired(dialect, server, client, 99);
  CHECK(session_row(server, dialect.name, dialect.id_prefix + "99")->end_reason == "idle");
}

// Each end notification ends an open session with its reason; the session cannot go on.
inline void end_notices(const DialectCase& dialect) {
  TestServer server;
  auto client = server.client();
  int session = 40;
  for (const EndNotice& notice : dialect.end_notices) {
    INFO(notice.fixture);
    const FixtureValues values = step(dialect, ++session, "", "2");
    const std::string id = values.at("session_id");
    send(client, dialect, dialect.dial, values);
    REQUIRE(session_row(server, dialect.name, id).has_value());
    CHECK_FALSE(session_row(server, dialect.name, id)->ended);
    CHECK(session_row(server, dialect.name, id)->end_reason.empty());
    check_reply(dialect, send(client, dialect, notice.fixture, values),
                fixture(dialect.name, notice.reply, screen(values, "")));
    const auto row = session_row(server, dialect.name, id);
    REQUIRE(row.has_value());
    CHECK(row->ended);
    CHECK(row->end_reason == notice.reason);
    check_expired(dialect, server, client, session);
  }
}

inline void malformed(const DialectCase& dialect) {
  TestServer server;
  auto client = server.client();
  for (const BadRequest& bad :
       dialect.bad_requests ? dialect.bad_requests() : std::vector<BadRequest>{}) {
    const HttpResponse response = send(client, dialect, bad.wire_text);
    INFO(bad.wire_text.substr(0, 200));
    if (bad.code.empty()) {
      CHECK(response.status == 400);
    } else {
      check_400(response, bad.code);
    }
    for (const std::string& field : bad.fields) {
      CHECK(response.json()["error"]["fields"].contains(field));
    }
    if (!bad.message.empty()) CHECK(response.json()["error"]["message"] == bad.message);
  }
  if (dialect.accepted) {
    for (const auto& [variant, reply] : dialect.accepted()) {
      INFO(variant);
      const HttpResponse response = send(client, dialect, variant);
      CHECK(response.status == 200);
      if (!reply.empty()) check_reply(dialect, response, reply);
    }
  }
  // GET dialects refuse POST, the others GET.
  const std::string path = "/ussd/" + dialect.name;
  CHECK((dialect.wire == Wire::Query ? client.post_raw(path, "", {"Content-Type: application/json"})
                                     : client.get(path))
            .status == 405);
}

// A JSON fixture with one edit, as BadRequest wire text.
inline std::string edited(const nlohmann::json& body,
                          const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json copy = body;
  edit(copy);
  return copy.dump();
}

// The names of a JSON dialect's session id, MSISDN, new-session flag and input fields.
struct FlagDialectFields {
  std::string session_id, msisdn, flag, input;
};

// The refusals of the JSON dialects with a new-session flag (Arkesel, Moolre, Nalo): ids missing,
// the flag and the input of the wrong type, an input too long, bodies that are not JSON objects.
inline std::vector<BadRequest> flag_dialect_refusals(const std::string& name,
                                                     const FlagDialectFields& f) {
  const auto body = nlohmann::json::parse(fixture(name, "dial.json", {{"session_id", "bad"}}));
  return {{edited(body,
                  [&](auto& b) {
                    b.erase(f.session_id);
                    b.erase(f.msisdn);
                  }),
           {f.session_id, f.msisdn}},
          {edited(body,
                  [&](auto& b) {
                    b[f.flag] = 1;
                    b[f.input] = nlohmann::json::array({"1"});
                  }),
           {f.flag, f.input}},
          {edited(body, [&](auto& b) { b[f.input] = std::string(2000, '1'); }), {f.input}},
          {"{\"" + f.session_id + "\":", {}, "INVALID_JSON"},
          {"[1,2]", {}, "INVALID_JSON"}};
}

// A configured user id (ussd-<name>-user-id) refuses requests with another one in `field`.
inline void refuses_other_user_id(const DialectCase& dialect, const std::string& field) {
  TestServer server(
      [&](ussd_otp::Config& config) { config.ussd.dialects[dialect.name].user_id = "OURS"; });
  auto client = server.client();
  const HttpResponse refused = send(client, dialect, dialect.dial, step(dialect, 61));
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
  auto ours = nlohmann::json::parse(fixture(dialect.name, dialect.dial, step(dialect, 62)));
  ours[field] = "OURS";
  CHECK(send(client, dialect, ours.dump()).status == 200);
}

// A configured service code (ussd-<name>-service-code) accepts the fixtures' and refuses a
// request whose `field` names another.
inline void refuses_other_service_code(const DialectCase& dialect, const std::string& code,
                                       const std::string& field, const nlohmann::json& other) {
  TestServer server(
      [&](ussd_otp::Config& config) { config.ussd.dialects[dialect.name].service_code = code; });
  auto client = server.client();
  CHECK(send(client, dialect, dialect.dial, step(dialect, 63)).status == 200);
  auto body = nlohmann::json::parse(fixture(dialect.name, dialect.dial, step(dialect, 64)));
  body[field] = other;
  const HttpResponse refused = send(client, dialect, body.dump());
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
}

// The checks the dialects share, each a section of the dialect's shared TEST_CASE. A check
// that does not apply to a dialect (`applies` says no) is not run, so no section passes empty.
struct SharedCheck {
  const char* title;
  void (*run)(const DialectCase&);
  bool (*applies)(const DialectCase&) = [](const DialectCase&) { return true; };
};
inline const SharedCheck kSharedChecks[] = {
    {"dial then number shows the code and records the view", full_session},
    {"the number dialled with the code goes straight to the code", shortcuts},
    {"another number gets the neutral answer", wrong_number},
    {"an answer on an unknown session says it expired and ends it", unknown_session,
     [](const DialectCase& dialect) { return dialect.expires_unknown_sessions; }},
    {"end notifications end the session", end_notices,
     [](const DialectCase& dialect) { return !dialect.end_notices.empty(); }},
    {"malformed requests get a 400 naming the field", malformed}};

}  // namespace ussd_otp::testing

// A dialect's case (DialectCase designated initialisers after .name, or a DialectCase) as
// dialect_case(), and the shared checks as its TEST_CASE "ussd <name>: the shared checks".
#define USSD_DIALECT_TESTS(dialect_name, ...)                                              \
  namespace {                                                                              \
  ussd_otp::testing::DialectCase dialect_case() {                                          \
    ussd_otp::testing::DialectCase the_case{__VA_ARGS__};                                  \
    the_case.name = dialect_name;                                                          \
    return the_case;                                                                       \
  }                                                                                        \
  }                                                                                        \
  TEST_CASE("ussd " dialect_name ": the shared checks", "[ussd][" dialect_name "]") {      \
    for (const ussd_otp::testing::SharedCheck& check : ussd_otp::testing::kSharedChecks) { \
      if (!check.applies(dialect_case())) continue;                                        \
      DYNAMIC_SECTION(check.title) {                                                       \
        check.run(dialect_case());                                                         \
      }                                                                                    \
    }                                                                                      \
  }
