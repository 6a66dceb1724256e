// SouthPawsl over HTTP against the real server: {sessionId, menuId, ussdString, inputOption, ...}
// in, {message, state CONTINUE|END, menuId, ussdString, option, ussdParameter} out.
#include <catch2/catch.hpp>

#include "http/ussd_calls.hpp"
#include "http/ussd_session_row.hpp"

using namespace ussd_otp::testing;

namespace {

const JsonDialect kSouthpawsl{"southpawsl"};

}  // namespace

TEST_CASE("ussd southpawsl: dial then number shows the code and records the view",
          "[ussd][southpawsl]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first =
      kSouthpawsl.post(client, fixture("southpawsl", "dial.json", {{"session_id", "P-1"}}));
  REQUIRE(first.status == 200);
  CHECK(first.header("content-type").find("application/json") == 0);
  CHECK(first.body == fixture("southpawsl", "dial.reply"));

  const HttpResponse second = kSouthpawsl.post(
      client,
      fixture("southpawsl", "answer.json", {{"session_id", "P-1"}, {"text", "0241234567"}}));
  REQUIRE(second.status == 200);
  CHECK(second.body ==
        fixture("southpawsl", "code.reply", {{"code", otp.code}, {"option", "0241234567"}}));
  CHECK(second.json()["state"] == "END");

  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

TEST_CASE("ussd southpawsl: the number in the dial string goes straight to the code",
          "[ussd][southpawsl]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  const HttpResponse answer =
      kSouthpawsl.post(client, fixture("southpawsl", "shortcut.json", {{"session_id", "P-2"}}));
  REQUIRE(answer.status == 200);
  CHECK(answer.body == fixture("southpawsl", "code.reply", {{"code", otp.code}, {"option", ""}}));
  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
}

TEST_CASE("ussd southpawsl: another number gets the neutral answer", "[ussd][southpawsl]") {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  kSouthpawsl.post(client, fixture("southpawsl", "dial.json", {{"session_id", "P-3"}}));
  const HttpResponse answer = kSouthpawsl.post(
      client,
      fixture("southpawsl", "answer.json", {{"session_id", "P-3"}, {"text", "0241234568"}}));
  CHECK(answer.body ==
        fixture("southpawsl", "end.reply",
                {{"text", "No active code for 024 123 4568."}, {"option", "0241234568"}}));
}

// SouthPawsl has no release or timeout request (none is documented): the session stays open
// until the idle sweep; an answer for a session we do not know gets the expiry screen.
TEST_CASE("ussd southpawsl: an answer for an unknown session gets the expiry screen",
          "[ussd][southpawsl]") {
  TestServer server;
  auto client = server.client();
  kSouthpawsl.post(client, fixture("southpawsl", "dial.json", {{"session_id", "P-4"}}));
  const auto open = session_row(server, "southpawsl", "P-4");
  REQUIRE(open.has_value());
  CHECK_FALSE(open->ended);

  const HttpResponse late = kSouthpawsl.post(
      client, fixture("southpawsl", "answer.json", {{"session_id", "P-unknown"}, {"text", "1"}}));
  CHECK(late.status == 200);
  CHECK(late.body == fixture("southpawsl", "end.reply",
                             {{"text", "Your session has expired. Dial *889*142# to start again."},
                              {"option", "1"}}));
  const auto row = session_row(server, "southpawsl", "P-unknown");
  REQUIRE(row.has_value());
  CHECK(row->ended);
}

TEST_CASE("ussd southpawsl: ussdParameters and menuId are echoed as sent", "[ussd][southpawsl]") {
  TestServer server;
  auto client = server.client();
  nlohmann::json body =
      nlohmann::json::parse(fixture("southpawsl", "dial.json", {{"session_id", "P-5"}}));
  body["ussdParameters"] = {{{"key", "lang"}, {"value", "en"}}};
  body["menuId"] = 42;
  const HttpResponse reply = kSouthpawsl.post(client, body.dump());
  REQUIRE(reply.status == 200);
  CHECK(reply.json()["ussdParameter"] == body["ussdParameters"]);
  CHECK(reply.json()["menuId"] == 42);
  CHECK(reply.json()["state"] == "CONTINUE");
}

TEST_CASE("ussd southpawsl: malformed requests get a 400 naming the field", "[ussd][southpawsl]") {
  TestServer server;
  auto client = server.client();
  const nlohmann::json good = nlohmann::json::parse(
      fixture("southpawsl", "answer.json", {{"session_id", "P-6"}, {"text", "1"}}));
  auto without = [&](const char* field) {
    nlohmann::json body = good;
    body.erase(field);
    return kSouthpawsl.post(client, body.dump());
  };
  auto with = [&](const char* field, nlohmann::json value) {
    nlohmann::json body = good;
    body[field] = std::move(value);
    return kSouthpawsl.post(client, body.dump());
  };
  check_400(without("sessionId"), "VALIDATION_ERROR", "sessionId");
  check_400(without("msisdn"), "VALIDATION_ERROR", "msisdn");
  check_400(without("ussdString"), "VALIDATION_ERROR", "ussdString");
  check_400(without("inputOption"), "VALIDATION_ERROR", "inputOption");
  check_400(with("inputOption", nlohmann::json::array()), "VALIDATION_ERROR", "inputOption");
  check_400(with("menuId", nlohmann::json::object()), "VALIDATION_ERROR", "menuId");
  check_400(with("inputOption", std::string(2000, '1')), "VALIDATION_ERROR", "inputOption");
  check_400(with("ussdParameters", std::vector<std::string>(200, "xxxxxxxxxx")), "VALIDATION_ERROR",
            "ussdParameters");
  check_400(kSouthpawsl.post(client, "{"), "INVALID_JSON");
  check_400(kSouthpawsl.post(client, "null"), "INVALID_JSON");
  CHECK(client.get("/ussd/southpawsl").status == 405);
}
