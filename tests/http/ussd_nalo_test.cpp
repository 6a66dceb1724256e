// Nalo over HTTP against the real server: JSON in, JSON {MSG, MSGTYPE} out (MSGTYPE true =
// continue).
#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include "http/ussd_calls.hpp"

using namespace ussd_otp::testing;

namespace {

const JsonDialect kNalo{"nalo"};

}  // namespace

TEST_CASE("ussd nalo: dial then number shows the code and records the view", "[ussd][nalo]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first =
      kNalo.post(client, fixture("nalo", "dial.json", {{"session_id", "nal-1"}}));
  CHECK(reply_json(first) == kNalo.expected("dial.reply", {{"session_id", "nal-1"}}));

  const HttpResponse second = kNalo.post(
      client, fixture("nalo", "answer.json", {{"session_id", "nal-1"}, {"text", "0241234567"}}));
  CHECK(reply_json(second) ==
        kNalo.expected("code.reply", {{"session_id", "nal-1"}, {"code", otp.code}}));

  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

TEST_CASE("ussd nalo: a dial string in USERDATA goes straight to the code", "[ussd][nalo]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  const HttpResponse reply =
      kNalo.post(client, fixture("nalo", "shortcut.json", {{"session_id", "nal-2"}}));
  CHECK(reply_json(reply) ==
        kNalo.expected("code.reply", {{"session_id", "nal-2"}, {"code", otp.code}}));
}

TEST_CASE("ussd nalo: a string MSGTYPE and a numeric SESSIONID are accepted", "[ussd][nalo]") {
  TestServer server;
  auto client = server.client();
  auto body = nlohmann::json::parse(fixture("nalo", "dial.json", {{"session_id", "0"}}));
  body["MSGTYPE"] = "true";
  body["SESSIONID"] = 16590115252429751;
  CHECK(reply_json(kNalo.post(client, body.dump())) == kNalo.expected("dial.reply", {}));
}

TEST_CASE("ussd nalo: another number gets the neutral answer", "[ussd][nalo]") {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  kNalo.post(client, fixture("nalo", "dial.json", {{"session_id", "nal-3"}}));
  const HttpResponse answer = kNalo.post(
      client, fixture("nalo", "answer.json", {{"session_id", "nal-3"}, {"text", "0241234568"}}));
  CHECK(reply_json(answer) ==
        kNalo.expected("end.reply",
                       {{"session_id", "nal-3"}, {"message", "No active code for 024 123 4568."}}));
}

TEST_CASE("ussd nalo: a continue on an unknown session says it expired and ends it",
          "[ussd][nalo]") {
  TestServer server;
  auto client = server.client();
  const HttpResponse reply = kNalo.post(
      client, fixture("nalo", "answer.json", {{"session_id", "nal-gone"}, {"text", "1"}}));
  CHECK(reply_json(reply) ==
        kNalo.expected("end.reply",
                       {{"session_id", "nal-gone"},
                        {"message", "Your session has expired. Dial *889*142# to start again."}}));
  server.flush_writes();  // rows are written just behind the answer
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  SQLite::Statement row(db,
                        "SELECT end_reason, ended_at IS NOT NULL FROM ussd_sessions "
                        "WHERE dialect = 'nalo' AND id = 'nal-gone'");
  REQUIRE(row.executeStep());
  CHECK(row.getColumn(0).getString() == "idle");
  CHECK(row.getColumn(1).getInt() == 1);
}

TEST_CASE("ussd nalo: malformed requests get a 400 naming the field", "[ussd][nalo]") {
  TestServer server;
  auto client = server.client();
  auto body = nlohmann::json::parse(fixture("nalo", "dial.json", {{"session_id", "nal-bad"}}));

  auto missing = body;
  missing.erase("SESSIONID");
  missing.erase("MSISDN");
  const HttpResponse no_id = kNalo.post(client, missing.dump());
  CHECK(no_id.status == 400);
  CHECK(error_code(no_id) == "VALIDATION_ERROR");
  CHECK(no_id.json()["error"]["fields"].contains("SESSIONID"));
  CHECK(no_id.json()["error"]["fields"].contains("MSISDN"));

  auto wrong = body;
  wrong["MSGTYPE"] = 1;
  wrong["USERDATA"] = nlohmann::json::array({"1"});
  const HttpResponse wrong_types = kNalo.post(client, wrong.dump());
  CHECK(wrong_types.status == 400);
  CHECK(wrong_types.json()["error"]["fields"].contains("MSGTYPE"));
  CHECK(wrong_types.json()["error"]["fields"].contains("USERDATA"));

  auto too_long = body;
  too_long["USERDATA"] = std::string(2000, '1');
  const HttpResponse long_input = kNalo.post(client, too_long.dump());
  CHECK(long_input.status == 400);
  CHECK(long_input.json()["error"]["fields"].contains("USERDATA"));

  const HttpResponse not_json = kNalo.post(client, "{\"SESSIONID\":");
  CHECK(not_json.status == 400);
  CHECK(error_code(not_json) == "INVALID_JSON");
  CHECK(error_code(kNalo.post(client, "[1,2]")) == "INVALID_JSON");
  CHECK(client.get("/ussd/nalo").status == 405);
}

TEST_CASE("ussd nalo: a USERID other than the configured one is refused", "[ussd][nalo]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.ussd.dialects["nalo"].user_id = "OURS"; });
  auto client = server.client();
  const HttpResponse refused =
      kNalo.post(client, fixture("nalo", "dial.json", {{"session_id", "nal-u1"}}));
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
  auto ours = nlohmann::json::parse(fixture("nalo", "dial.json", {{"session_id", "nal-u2"}}));
  ours["USERID"] = "OURS";
  CHECK(kNalo.post(client, ours.dump()).status == 200);
}
