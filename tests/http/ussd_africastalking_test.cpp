// Africa's Talking over HTTP against the real server: form bodies in, "CON "/"END " text out.
#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

USSD_DIALECT_TESTS(
    "africastalking", .wire = Wire::Form, .id_prefix = "ATUid_", .dial = "dial.form",
    .answer = "answer.form",
    .shortcuts = {{"shortcut-in-text.form", {}}, {"shortcut-in-service-code.form", {}}},
    .expires_unknown_sessions = false,  // `text` carries the whole path
    .end_reply = [](const FixtureValues& values) { return "END " + values.at("text"); },
    .bad_requests =
        [] {
          const std::string code = "sessionId=x&serviceCode=%2A889%2A142%23";
          return std::vector<BadRequest>{
              {code + "&text=", {"phoneNumber"}},
              {"sessionId=%ZZ", {}, ""},
              {code + "&phoneNumber=%2B233241234567&text=" + std::string(2000, '1'), {"text"}}};
        })

TEST_CASE("ussd africastalking: the path rebuilds the session after a restart",
          "[ussd][africastalking]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp first = issue_otp(server, client, kPhone, "ACME");
  const IssuedOtp second = issue_otp(server, client, kPhone, "BANK", 1,
                                     "Authorization: Bearer " + server.create_api_key("bank"));
  const DialectCase at = dialect_case();
  send(client, at, "dial.form", {{"session_id", "ATUid_5"}});
  const HttpResponse list =
      send(client, at, "answer.form", {{"session_id", "ATUid_5"}, {"text", "0241234567"}});
  REQUIRE(list.body.rfind("CON Codes for 024 123 4567", 0) == 0);
  CHECK(list.body.find("1. BANK") != std::string::npos);  // newest first
  CHECK(list.body.find("2. ACME") != std::string::npos);

  // The session row is gone (new process, and we delete it to be sure); text still has the path.
  server.restart();
  {
    SQLite::Database db(server.db_path().string(), SQLite::OPEN_READWRITE);
    db.exec("DELETE FROM ussd_sessions");
  }
  auto after = server.client();
  const HttpResponse chosen =
      send(after, at, "answer.form", {{"session_id", "ATUid_5"}, {"text", "0241234567*2"}});
  CHECK(chosen.body == fixture("africastalking", "code.reply", {{"code", first.code}}));
  (void)second;
}

TEST_CASE("ussd africastalking: the end-of-session notification is stored on the session",
          "[ussd][africastalking]") {
  TestServer server;
  auto client = server.client();
  send(client, dialect_case(), "dial.form", {{"session_id", "ATUid_6"}});
  const HttpResponse event = client.post_raw(
      "/ussd/africastalking/events",
      fixture("africastalking", "event-incomplete.form", {{"session_id", "ATUid_6"}}),
      {"Content-Type: application/x-www-form-urlencoded"});
  CHECK(event.status == 200);
  server.flush_writes();  // rows are written just behind the answer
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  SQLite::Statement row(db,
                        "SELECT end_reason, report, ended_at IS NOT NULL FROM ussd_sessions "
                        "WHERE dialect = 'africastalking' AND id = 'ATUid_6'");
  REQUIRE(row.executeStep());
  CHECK(row.getColumn(0).getString() == "Incomplete");
  const auto report = nlohmann::json::parse(row.getColumn(1).getString());
  CHECK(report["durationInMillis"] == "31200");
  CHECK(report["input"] == "0241234567");
  CHECK_FALSE(report.contains("lastAppResponse"));  // it would hold a shown code
  CHECK(row.getColumn(2).getInt() == 1);
}
