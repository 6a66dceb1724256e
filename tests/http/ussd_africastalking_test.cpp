// Africa's Talking over HTTP against the real server: form bodies in, "CON "/"END " text out.
#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include "http/ussd_calls.hpp"

using namespace ussd_otp::testing;

namespace {

const std::string kPath = "/ussd/africastalking";
const std::vector<std::string> kForm{"Content-Type: application/x-www-form-urlencoded"};

HttpResponse post_form(HttpClient& client, const std::string& body,
                       const std::string& path = kPath) {
  return client.post_raw(path, body, kForm);
}

}  // namespace

TEST_CASE("ussd africastalking: dial then number shows the code and records the view",
          "[ussd][africastalking]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first =
      post_form(client, fixture("africastalking", "dial.form", {{"session_id", "ATUid_1"}}));
  REQUIRE(first.status == 200);
  CHECK(first.header("content-type").find("text/plain") == 0);
  CHECK(first.body == fixture("africastalking", "dial.reply"));

  const HttpResponse second =
      post_form(client, fixture("africastalking", "answer.form",
                                {{"session_id", "ATUid_1"}, {"text", "0241234567"}}));
  REQUIRE(second.status == 200);
  CHECK(second.body == fixture("africastalking", "code.reply", {{"code", otp.code}}));

  // Shown, not consumed: the event is there and the app still verifies the code.
  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

TEST_CASE("ussd africastalking: extra digits in text or in serviceCode go straight to the code",
          "[ussd][africastalking]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  const std::string expected = fixture("africastalking", "code.reply", {{"code", otp.code}});
  CHECK(post_form(client,
                  fixture("africastalking", "shortcut-in-text.form", {{"session_id", "ATUid_2"}}))
            .body == expected);
  CHECK(post_form(client, fixture("africastalking", "shortcut-in-service-code.form",
                                  {{"session_id", "ATUid_3"}}))
            .body == expected);
}

TEST_CASE("ussd africastalking: another number gets the neutral answer", "[ussd][africastalking]") {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  post_form(client, fixture("africastalking", "dial.form", {{"session_id", "ATUid_4"}}));
  const HttpResponse answer =
      post_form(client, fixture("africastalking", "answer.form",
                                {{"session_id", "ATUid_4"}, {"text", "0241234568"}}));
  CHECK(answer.body == "END No active code for 024 123 4568.");
}

TEST_CASE("ussd africastalking: the path rebuilds the session after a restart",
          "[ussd][africastalking]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp first = issue_otp(server, client, kPhone, "ACME");
  const IssuedOtp second = issue_otp(server, client, kPhone, "BANK", 1,
                                     "Authorization: Bearer " + server.create_api_key("bank"));
  post_form(client, fixture("africastalking", "dial.form", {{"session_id", "ATUid_5"}}));
  const HttpResponse list =
      post_form(client, fixture("africastalking", "answer.form",
                                {{"session_id", "ATUid_5"}, {"text", "0241234567"}}));
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
      post_form(after, fixture("africastalking", "answer.form",
                               {{"session_id", "ATUid_5"}, {"text", "0241234567*2"}}));
  CHECK(chosen.body == fixture("africastalking", "code.reply", {{"code", first.code}}));
  (void)second;
}

TEST_CASE("ussd africastalking: the end-of-session notification is stored on the session",
          "[ussd][africastalking]") {
  TestServer server;
  auto client = server.client();
  post_form(client, fixture("africastalking", "dial.form", {{"session_id", "ATUid_6"}}));
  const HttpResponse event = post_form(
      client, fixture("africastalking", "event-incomplete.form", {{"session_id", "ATUid_6"}}),
      kPath + "/events");
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

TEST_CASE("ussd africastalking: malformed requests get a 400 naming the field",
          "[ussd][africastalking]") {
  TestServer server;
  auto client = server.client();
  const HttpResponse missing = post_form(client, "sessionId=x&serviceCode=%2A889%2A142%23&text=");
  CHECK(missing.status == 400);
  CHECK(error_code(missing) == "VALIDATION_ERROR");
  CHECK(missing.json()["error"]["fields"].contains("phoneNumber"));

  const HttpResponse bad_escape = post_form(client, "sessionId=%ZZ");
  CHECK(bad_escape.status == 400);

  const std::string huge_text(2000, '1');
  const HttpResponse too_long = post_form(
      client,
      "sessionId=x&serviceCode=%2A889%2A142%23&phoneNumber=%2B233241234567&text=" + huge_text);
  CHECK(too_long.status == 400);
  CHECK(too_long.json()["error"]["fields"].contains("text"));

  CHECK(client.get(kPath).status == 405);
}
