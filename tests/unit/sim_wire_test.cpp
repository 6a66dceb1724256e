// The simulator's side of each dialect, checked against the same wire fixtures the server's
// tests use: what it sends has the aggregator's fields, and it reads our real replies.
#include <catch2/catch.hpp>

#include <set>

#include "simulator/wire_dialect.hpp"
#include "support/fixtures.hpp"

using namespace ussd_otp::sim;
using ussd_otp::testing::fixture;

namespace {

const std::map<std::string, std::string> kValues{{"session_id", "S-1"},  {"code", "482910"},
                                                 {"request_id", "7"},    {"option", "0241234567"},
                                                 {"text", "0241234567"}, {"message", "Bye."}};

std::set<std::string> json_keys(const std::string& body) {
  std::set<std::string> keys;
  const nlohmann::json object = nlohmann::json::parse(body);  // outlives the loop over it
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

std::set<std::string> form_names(const std::string& encoded) {
  std::set<std::string> names;
  std::size_t start = 0;
  while (start <= encoded.size()) {
    const std::size_t end = std::min(encoded.find('&', start), encoded.size());
    const std::string pair = encoded.substr(start, end - start);
    names.insert(pair.substr(0, pair.find('=')));
    start = end + 1;
  }
  return names;
}

// The fixture holding the first request of a session, per dialect.
std::string dial_fixture(const std::string& dialect) {
  if (dialect == "africastalking") return "dial.form";
  if (dialect == "hollatags") return "dial.query";
  if (dialect == "hubtel") return "initiation.json";
  return "dial.json";
}

}  // namespace

TEST_CASE("sim wire: every dialect reads our continue and end replies", "[sim]") {
  for (const std::string& name : wire_dialect_names()) {
    DYNAMIC_SECTION(name) {
      const WireDialect& dialect = *find_wire_dialect(name);
      SessionWire session;
      const ReplyReading dial =
          dialect.read_reply("", fixture(name, "dial.reply", kValues), session);
      REQUIRE(dial.screen);
      CHECK(dial.screen->text == "Enter the phone number your code was sent to:");
      CHECK_FALSE(dial.screen->ends);
      const ReplyReading code =
          dialect.read_reply("", fixture(name, "code.reply", kValues), session);
      REQUIRE(code.screen);
      CHECK(code.screen->text == "Your ACME code is 482910. It expires in 5 min.");
      CHECK(code.screen->ends);
    }
  }
}

TEST_CASE("sim wire: every dialect's first request has the aggregator's fields", "[sim]") {
  Subscriber who;
  SessionWire session;
  session.session_id = "S-1";
  session.dial = "*889*142#";
  for (const std::string& name : wire_dialect_names()) {
    DYNAMIC_SECTION(name) {
      const WireRequest request = find_wire_dialect(name)->begin(session, who);
      const std::string expected = fixture(name, dial_fixture(name), kValues);
      if (name == "africastalking") {
        CHECK(request.content_type == "application/x-www-form-urlencoded");
        CHECK(form_names(request.body) == form_names(expected));
        CHECK(request.body.find("text=&") == std::string::npos);  // text is last and empty
        CHECK(request.body.find("serviceCode=%2A889%2A142%23") != std::string::npos);
      } else if (name == "hollatags") {
        CHECK(request.method == "GET");
        CHECK(form_names(request.query) == form_names(expected));
        CHECK(request.query.find("session_operation=begin") != std::string::npos);
      } else {
        CHECK(request.content_type == "application/json");
        CHECK(json_keys(request.body) == json_keys(expected));
      }
    }
  }
}

TEST_CASE("sim wire: answers carry the input the way each aggregator does", "[sim]") {
  Subscriber who;
  SessionWire session;
  session.session_id = "S-1";
  session.dial = "*889*142#";
  session.answers = {"1", "0241234567"};
  session.requests_sent = 2;
  const auto body = [&](const char* name) {
    return nlohmann::json::parse(find_wire_dialect(name)->answer(session, who).body);
  };
  // Africa's Talking sends the whole path; the others the latest answer.
  CHECK(
      find_wire_dialect("africastalking")->answer(session, who).body.find("text=1%2A0241234567") !=
      std::string::npos);
  CHECK(body("arkesel")["userData"] == "0241234567");
  CHECK(body("arkesel")["newSession"] == false);
  CHECK(body("hubtel")["Type"] == "Response");
  CHECK(body("hubtel")["Sequence"] == 3);
  CHECK(body("nalo")["MSGTYPE"] == false);
  CHECK(body("beem")["payload"]["response"] == "0241234567");
  CHECK(body("beem")["command"] == "continue");
  CHECK(body("southpawsl")["inputOption"] == "0241234567");
  CHECK(body("moolre")["new"] == false);
  CHECK(body("emergent")["Type"] == "Response");
  CHECK(body("crossswitch")["Sequence"] == 3);
}

TEST_CASE("sim wire: hang-ups use each dialect's own notice, where there is one", "[sim]") {
  Subscriber who;
  SessionWire session;
  session.session_id = "S-1";
  session.dial = "*889*142#";
  const auto notice = [&](const char* name, HangUp why) {
    return find_wire_dialect(name)->hang_up(session, who, why);
  };
  CHECK(nlohmann::json::parse(notice("hubtel", HangUp::Release)->body)["Type"] == "Release");
  CHECK(nlohmann::json::parse(notice("hubtel", HangUp::Timeout)->body)["Type"] == "Timeout");
  CHECK(nlohmann::json::parse(notice("emergent", HangUp::Timeout)->body)["Type"] == "Timeout");
  CHECK(nlohmann::json::parse(notice("beem", HangUp::Release)->body)["command"] == "terminate");
  CHECK(notice("hollatags", HangUp::Release)->query.find("session_operation=end") !=
        std::string::npos);
  const auto events = notice("africastalking", HangUp::Release);
  REQUIRE(events);
  CHECK(events->subpath == "events");
  CHECK(events->body.find("status=Incomplete") != std::string::npos);
  CHECK_FALSE(notice("arkesel", HangUp::Release));  // no release notification exists
  CHECK_FALSE(notice("nalo", HangUp::Timeout));
  CHECK_FALSE(notice("moolre", HangUp::Release));
  CHECK_FALSE(notice("southpawsl", HangUp::Release));
}

TEST_CASE("sim wire: a pre-filled number travels where each aggregator puts it", "[sim]") {
  Subscriber who;
  SessionWire session;
  session.session_id = "S-1";
  session.dial = "*889*142*0241234567#";
  const auto moolre = nlohmann::json::parse(find_wire_dialect("moolre")->begin(session, who).body);
  CHECK(moolre["data"] == "0241234567");
  CHECK(moolre["extension"] == "142");
  const auto hubtel = nlohmann::json::parse(find_wire_dialect("hubtel")->begin(session, who).body);
  CHECK(hubtel["Message"] == "*889*142*0241234567#");
  CHECK(hubtel["ServiceCode"] == "889*142");
}

TEST_CASE("sim wire: networks as the aggregators that number them send them", "[sim]") {
  SessionWire session;
  session.session_id = "S-1";
  session.dial = "*889*142#";
  Subscriber who;
  const auto moolre = [&] {
    return nlohmann::json::parse(find_wire_dialect("moolre")->begin(session, who).body)["network"];
  };
  const auto at = [&] { return find_wire_dialect("africastalking")->begin(session, who).body; };
  CHECK(moolre() == 3);
  CHECK(at().find("networkCode=62001") != std::string::npos);
  who.network = "Telecel";
  CHECK(moolre() == 6);
  CHECK(at().find("networkCode=62002") != std::string::npos);
  who.network = "62003";  // digits pass through
  CHECK(at().find("networkCode=62003") != std::string::npos);
  who.network = "Glo";  // unknown names are sent as they are
  CHECK(moolre() == "Glo");
  who.network = "99999999999999999999";  // too big for a number: kept as text, no crash
  CHECK(moolre() == "99999999999999999999");
}

TEST_CASE("sim wire: bytes that are not UTF-8 are replaced, never a crash", "[sim]") {
  SessionWire session;
  session.session_id = "S-1";
  session.dial = "*889*142#";
  session.answers = {"caf\xe9"};
  const WireRequest request = find_wire_dialect("arkesel")->answer(session, Subscriber{});
  CHECK(nlohmann::json::parse(request.body)["userData"] == "caf\xef\xbf\xbd");  // U+FFFD
}

TEST_CASE("sim wire: malformed replies are named, never read as screens", "[sim]") {
  SessionWire session;
  CHECK(find_wire_dialect("africastalking")->read_reply("", "Hello", session).problem.find("CON") !=
        std::string::npos);
  CHECK_FALSE(find_wire_dialect("arkesel")->read_reply("", "{}", session).screen);
  CHECK_FALSE(find_wire_dialect("hubtel")->read_reply("", "not json", session).screen);
  const ReplyReading odd =
      find_wire_dialect("emergent")->read_reply("", R"({"Message":"x","Type":"Later"})", session);
  CHECK_FALSE(odd.screen);
  CHECK(odd.problem.find("Later") != std::string::npos);
  CHECK_FALSE(
      find_wire_dialect("beem")->read_reply("", R"({"command":"continue"})", session).screen);
}

TEST_CASE("sim wire: extra digits after the service code", "[sim]") {
  CHECK(extra_digits("*889*142*0241234567*2#", "*889*142#") ==
        std::vector<std::string>{"0241234567", "2"});
  CHECK(extra_digits("*889*142#", "*889*142#").empty());
  CHECK(extra_digits("*889*1421#", "*889*142#").empty());
  CHECK(extra_digits("*123#", "*889*142#").empty());
}

TEST_CASE("sim wire: Hubtel's ClientState is echoed on the next request", "[sim]") {
  const WireDialect& hubtel = *find_wire_dialect("hubtel");
  SessionWire session;
  session.session_id = "S-1";
  REQUIRE(hubtel.read_reply("", R"({"Type":"response","Message":"m","ClientState":"abc"})", session)
              .screen);
  session.answers = {"1"};
  CHECK(nlohmann::json::parse(hubtel.answer(session, Subscriber{}).body)["ClientState"] == "abc");
}

namespace {

// The subscriber and account each fixture was captured with, and the fields where the simulator
// knowingly differs (docs/simulator.md): those are checked separately.
struct FixtureCase {
  std::string dialect;
  std::string user_id;
  std::string network;
  std::set<std::string> differs;
};

const std::vector<FixtureCase> kJsonCases{
    {"arkesel", "USSD_OTP", "MTN", {"userData"}},  // we always send the dial string
    {"hubtel", "", "mtn", {}},
    {"nalo", "NALOTest", "MTN", {}},
    {"emergent", "ussd-otp", "mtn", {}},
    {"crossswitch", "ussd-otp", "vodafone", {"Type", "Sequence"}},  // fixtures vary case, types
    {"beem", "", "vodacom", {}},
    {"southpawsl", "otp-menu-1", "MTN", {}},
    {"moolre", "", "MTN", {"extension"}},  // we send "142", the fixture 142
};

nlohmann::json without(nlohmann::json object, const std::set<std::string>& keys) {
  for (const std::string& key : keys) object.erase(key);
  return object;
}

}  // namespace

TEST_CASE("sim wire: JSON requests match the fixtures field by field", "[sim]") {
  for (const FixtureCase& c : kJsonCases) {
    DYNAMIC_SECTION(c.dialect) {
      const WireDialect& dialect = *find_wire_dialect(c.dialect);
      Subscriber who;
      who.user_id = c.user_id;
      who.network = c.network;
      SessionWire session;
      session.session_id = "S-1";
      session.dial = "*889*142#";
      const std::map<std::string, std::string> values{
          {"session_id", "S-1"}, {"request_id", "1"}, {"text", "0241234567"}};
      const auto body = [](const WireRequest& r) { return nlohmann::json::parse(r.body); };
      const auto expected = [&](const std::string& name, const std::string& request_id) {
        std::map<std::string, std::string> filled = values;
        filled["request_id"] = request_id;
        return nlohmann::json::parse(fixture(c.dialect, name, filled));
      };

      const nlohmann::json begin = body(dialect.begin(session, who));
      CHECK(without(begin, c.differs) ==
            without(expected(dial_fixture(c.dialect), "1"), c.differs));

      session.requests_sent = 1;
      session.answers = {"0241234567"};
      const std::string answer_fixture = c.dialect == "hubtel" ? "response.json" : "answer.json";
      const nlohmann::json answer = body(dialect.answer(session, who));
      CHECK(without(answer, c.differs) == without(expected(answer_fixture, "2"), c.differs));
    }
  }
}

TEST_CASE("sim wire: hang-up notices match the fixtures", "[sim]") {
  SessionWire session;
  session.session_id = "S-1";
  session.dial = "*889*142#";
  session.requests_sent = 1;
  const auto notice = [&](const char* dialect, const Subscriber& who, HangUp why) {
    return nlohmann::json::parse(find_wire_dialect(dialect)->hang_up(session, who, why)->body);
  };
  const auto expected = [](const char* dialect, const char* name) {
    return nlohmann::json::parse(
        fixture(dialect, name, {{"session_id", "S-1"}, {"request_id", "2"}}));
  };
  Subscriber hubtel;
  hubtel.network = "mtn";
  CHECK(notice("hubtel", hubtel, HangUp::Release) == expected("hubtel", "release.json"));
  CHECK(notice("hubtel", hubtel, HangUp::Timeout) == expected("hubtel", "timeout.json"));
  Subscriber emergent;
  emergent.user_id = "ussd-otp";
  emergent.network = "mtn";
  CHECK(notice("emergent", emergent, HangUp::Release) == expected("emergent", "release.json"));
  CHECK(notice("emergent", emergent, HangUp::Timeout) == expected("emergent", "timeout.json"));
  Subscriber beem;
  beem.network = "vodacom";
  CHECK(notice("beem", beem, HangUp::Release) == expected("beem", "terminate.json"));
  CHECK(notice("beem", beem, HangUp::Timeout)["command"] == "timeout");
  Subscriber crossswitch;
  crossswitch.user_id = "ussd-otp";
  crossswitch.network = "vodafone";
  session.requests_sent = 2;  // the fixtures' notices are the third request
  CHECK(without(notice("crossswitch", crossswitch, HangUp::Release), {"Type", "Sequence"}) ==
        without(expected("crossswitch", "release.json"), {"Type", "Sequence"}));
  CHECK(notice("crossswitch", crossswitch, HangUp::Timeout)["Type"] == "Timeout");
  CHECK(notice("crossswitch", crossswitch, HangUp::Timeout)["Sequence"] == 3);
}

TEST_CASE("sim wire: form and query requests match the fixtures value by value", "[sim]") {
  const auto pairs = [](const std::string& encoded) {
    std::map<std::string, std::string> out;
    std::size_t start = 0;
    while (start <= encoded.size()) {
      const std::size_t end = std::min(encoded.find('&', start), encoded.size());
      const std::string pair = encoded.substr(start, end - start);
      const std::size_t equals = pair.find('=');
      out[pair.substr(0, equals)] = equals == std::string::npos ? "" : pair.substr(equals + 1);
      start = end + 1;
    }
    return out;
  };
  SessionWire session;
  session.session_id = "S-1";
  session.dial = "*889*142#";
  Subscriber who;  // MTN: Africa's Talking's 62001
  const std::map<std::string, std::string> id{{"session_id", "S-1"}, {"text", "0241234567"}};
  const WireDialect& at = *find_wire_dialect("africastalking");
  const WireDialect& holla = *find_wire_dialect("hollatags");
  CHECK(pairs(at.begin(session, who).body) == pairs(fixture("africastalking", "dial.form", id)));
  CHECK(pairs(holla.begin(session, who).query) == pairs(fixture("hollatags", "dial.query", id)));
  session.answers = {"0241234567"};
  CHECK(pairs(at.answer(session, who).body) == pairs(fixture("africastalking", "answer.form", id)));
  CHECK(pairs(holla.answer(session, who).query) == pairs(fixture("hollatags", "answer.query", id)));
  CHECK(pairs(holla.hang_up(session, who, HangUp::Release)->query) ==
        pairs(fixture("hollatags", "end.query", id)));
}
