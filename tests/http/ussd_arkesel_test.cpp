// Arkesel over HTTP against the real server: JSON in, JSON {message, continueSession} out.
#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include "http/ussd_calls.hpp"

using namespace ussd_otp::testing;

namespace {

const JsonDialect kArkesel{"arkesel"};

}  // namespace

TEST_CASE("ussd arkesel: dial then number shows the code and records the view", "[ussd][arkesel]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first =
      kArkesel.post(client, fixture("arkesel", "dial.json", {{"session_id", "ark-1"}}));
  CHECK(reply_json(first) == kArkesel.expected("dial.reply", {{"session_id", "ark-1"}}));

  const HttpResponse second = kArkesel.post(
      client, fixture("arkesel", "answer.json", {{"session_id", "ark-1"}, {"text", "0241234567"}}));
  CHECK(reply_json(second) ==
        kArkesel.expected("code.reply", {{"session_id", "ark-1"}, {"code", otp.code}}));

  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

TEST_CASE("ussd arkesel: a dial string in userData goes straight to the code", "[ussd][arkesel]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  const HttpResponse reply =
      kArkesel.post(client, fixture("arkesel", "shortcut.json", {{"session_id", "ark-2"}}));
  CHECK(reply_json(reply) ==
        kArkesel.expected("code.reply", {{"session_id", "ark-2"}, {"code", otp.code}}));
}

TEST_CASE("ussd arkesel: another number gets the neutral answer", "[ussd][arkesel]") {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  kArkesel.post(client, fixture("arkesel", "dial.json", {{"session_id", "ark-3"}}));
  const HttpResponse answer = kArkesel.post(
      client, fixture("arkesel", "answer.json", {{"session_id", "ark-3"}, {"text", "0241234568"}}));
  CHECK(reply_json(answer) ==
        kArkesel.expected("end.reply", {{"session_id", "ark-3"},
                                        {"message", "No active code for 024 123 4568."}}));
}

TEST_CASE("ussd arkesel: a continue on an unknown session says it expired and ends it",
          "[ussd][arkesel]") {
  TestServer server;
  auto client = server.client();
  const HttpResponse reply = kArkesel.post(
      client, fixture("arkesel", "answer.json", {{"session_id", "ark-gone"}, {"text", "1"}}));
  CHECK(
      reply_json(reply) ==
      kArkesel.expected("end.reply",
                        {{"session_id", "ark-gone"},
                         {"message", "Your session has expired. Dial *889*142# to start again."}}));
  server.flush_writes();  // rows are written just behind the answer
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  SQLite::Statement row(db,
                        "SELECT end_reason, ended_at IS NOT NULL FROM ussd_sessions "
                        "WHERE dialect = 'arkesel' AND id = 'ark-gone'");
  REQUIRE(row.executeStep());
  CHECK(row.getColumn(0).getString() == "idle");
  CHECK(row.getColumn(1).getInt() == 1);
}

TEST_CASE("ussd arkesel: malformed requests get a 400 naming the field", "[ussd][arkesel]") {
  TestServer server;
  auto client = server.client();
  auto body = nlohmann::json::parse(fixture("arkesel", "dial.json", {{"session_id", "ark-bad"}}));

  auto missing = body;
  missing.erase("sessionID");
  missing.erase("msisdn");
  const HttpResponse no_id = kArkesel.post(client, missing.dump());
  CHECK(no_id.status == 400);
  CHECK(error_code(no_id) == "VALIDATION_ERROR");
  CHECK(no_id.json()["error"]["fields"].contains("sessionID"));
  CHECK(no_id.json()["error"]["fields"].contains("msisdn"));

  auto wrong = body;
  wrong["newSession"] = 1;
  wrong["userData"] = nlohmann::json::array({"1"});
  const HttpResponse wrong_types = kArkesel.post(client, wrong.dump());
  CHECK(wrong_types.status == 400);
  CHECK(wrong_types.json()["error"]["fields"].contains("newSession"));
  CHECK(wrong_types.json()["error"]["fields"].contains("userData"));

  auto too_long = body;
  too_long["userData"] = std::string(2000, '1');
  const HttpResponse long_input = kArkesel.post(client, too_long.dump());
  CHECK(long_input.status == 400);
  CHECK(long_input.json()["error"]["fields"].contains("userData"));

  const HttpResponse not_json = kArkesel.post(client, "{\"sessionID\":");
  CHECK(not_json.status == 400);
  CHECK(error_code(not_json) == "INVALID_JSON");
  CHECK(error_code(kArkesel.post(client, "[1,2]")) == "INVALID_JSON");
  CHECK(client.get("/ussd/arkesel").status == 405);
}

TEST_CASE("ussd arkesel: a userID other than the configured one is refused", "[ussd][arkesel]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.ussd.dialects["arkesel"].user_id = "OURS"; });
  auto client = server.client();
  const HttpResponse refused =
      kArkesel.post(client, fixture("arkesel", "dial.json", {{"session_id", "ark-u1"}}));
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
  auto ours = nlohmann::json::parse(fixture("arkesel", "dial.json", {{"session_id", "ark-u2"}}));
  ours["userID"] = "OURS";
  CHECK(kArkesel.post(client, ours.dump()).status == 200);
}
