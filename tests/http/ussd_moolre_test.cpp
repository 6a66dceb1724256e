// Moolre over HTTP against the real server: JSON in, JSON {sessionid, message, reply} out.
#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include "http/ussd_calls.hpp"

using namespace ussd_otp::testing;

namespace {

const JsonDialect kMoolre{"moolre"};

}  // namespace

TEST_CASE("ussd moolre: dial then number shows the code and records the view", "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first =
      kMoolre.post(client, fixture("moolre", "dial.json", {{"session_id", "moo-1"}}));
  CHECK(reply_json(first) == kMoolre.expected("dial.reply", {{"session_id", "moo-1"}}));

  const HttpResponse second = kMoolre.post(
      client, fixture("moolre", "answer.json", {{"session_id", "moo-1"}, {"text", "0241234567"}}));
  CHECK(reply_json(second) ==
        kMoolre.expected("code.reply", {{"session_id", "moo-1"}, {"code", otp.code}}));

  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

TEST_CASE("ussd moolre: pre-filled digits in data go straight to the code", "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  const HttpResponse reply =
      kMoolre.post(client, fixture("moolre", "shortcut.json", {{"session_id", "moo-2"}}));
  CHECK(reply_json(reply) ==
        kMoolre.expected("code.reply", {{"session_id", "moo-2"}, {"code", otp.code}}));
}

TEST_CASE("ussd moolre: a forwarded dial string without data also goes straight to the code",
          "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  auto body = nlohmann::json::parse(fixture("moolre", "shortcut.json", {{"session_id", "moo-4"}}));
  body["data"] = "";  // only the message carries the extra digits
  CHECK(reply_json(kMoolre.post(client, body.dump())) ==
        kMoolre.expected("code.reply", {{"session_id", "moo-4"}, {"code", otp.code}}));
}

TEST_CASE("ussd moolre: another number gets the neutral answer", "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  kMoolre.post(client, fixture("moolre", "dial.json", {{"session_id", "moo-3"}}));
  const HttpResponse answer = kMoolre.post(
      client, fixture("moolre", "answer.json", {{"session_id", "moo-3"}, {"text", "0241234568"}}));
  CHECK(reply_json(answer) ==
        kMoolre.expected("end.reply", {{"session_id", "moo-3"},
                                       {"message", "No active code for 024 123 4568."}}));
}

TEST_CASE("ussd moolre: a continue on an unknown session says it expired and ends it",
          "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  const HttpResponse reply = kMoolre.post(
      client, fixture("moolre", "answer.json", {{"session_id", "moo-gone"}, {"text", "1"}}));
  CHECK(
      reply_json(reply) ==
      kMoolre.expected("end.reply",
                       {{"session_id", "moo-gone"},
                        {"message", "Your session has expired. Dial *889*142# to start again."}}));
  server.flush_writes();  // rows are written just behind the answer
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  SQLite::Statement row(db,
                        "SELECT end_reason, ended_at IS NOT NULL FROM ussd_sessions "
                        "WHERE dialect = 'moolre' AND id = 'moo-gone'");
  REQUIRE(row.executeStep());
  CHECK(row.getColumn(0).getString() == "idle");
  CHECK(row.getColumn(1).getInt() == 1);
}

TEST_CASE("ussd moolre: malformed requests get a 400 naming the field", "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  auto body = nlohmann::json::parse(fixture("moolre", "dial.json", {{"session_id", "moo-bad"}}));

  auto missing = body;
  missing.erase("sessionid");
  missing.erase("msisdn");
  const HttpResponse no_id = kMoolre.post(client, missing.dump());
  CHECK(no_id.status == 400);
  CHECK(error_code(no_id) == "VALIDATION_ERROR");
  CHECK(no_id.json()["error"]["fields"].contains("sessionid"));
  CHECK(no_id.json()["error"]["fields"].contains("msisdn"));

  auto wrong = body;
  wrong["new"] = 1;
  wrong["message"] = nlohmann::json::array({"1"});
  const HttpResponse wrong_types = kMoolre.post(client, wrong.dump());
  CHECK(wrong_types.status == 400);
  CHECK(wrong_types.json()["error"]["fields"].contains("new"));
  CHECK(wrong_types.json()["error"]["fields"].contains("message"));

  auto too_long = body;
  too_long["message"] = std::string(2000, '1');
  const HttpResponse long_input = kMoolre.post(client, too_long.dump());
  CHECK(long_input.status == 400);
  CHECK(long_input.json()["error"]["fields"].contains("message"));

  const HttpResponse not_json = kMoolre.post(client, "{\"sessionid\":");
  CHECK(not_json.status == 400);
  CHECK(error_code(not_json) == "INVALID_JSON");
  CHECK(error_code(kMoolre.post(client, "[1,2]")) == "INVALID_JSON");
  CHECK(client.get("/ussd/moolre").status == 405);
}

TEST_CASE("ussd moolre: an extension other than the configured code is refused", "[ussd][moolre]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.ussd.dialects["moolre"].service_code = "*203*142#"; });
  auto client = server.client();
  CHECK(kMoolre.post(client, fixture("moolre", "dial.json", {{"session_id", "moo-c1"}})).status ==
        200);
  auto other = nlohmann::json::parse(fixture("moolre", "dial.json", {{"session_id", "moo-c2"}}));
  other["extension"] = 109;
  const HttpResponse refused = kMoolre.post(client, other.dump());
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
}
