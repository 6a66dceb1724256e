// The USSD gateway over HTTP, whatever the dialect: callback security, failures, sessions,
// lookup limits and languages. Africa's Talking is the carrier (its wire format is simplest).
#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include <thread>

#include "http/ussd_calls.hpp"

using namespace ussd_otp::testing;
using ussd_otp::Config;

namespace {

const std::vector<std::string> kForm{"Content-Type: application/x-www-form-urlencoded"};
const std::string kToken = "s3cret-token-0123456789";

std::string at_body(const std::string& session, const std::string& text,
                    const std::string& service_code = "%2A889%2A142%23",
                    const std::string& phone = "%2B233241234567") {
  return "sessionId=" + session + "&serviceCode=" + service_code + "&phoneNumber=" + phone +
         "&networkCode=62001&text=" + text;
}

HttpResponse at_post(HttpClient& client, const std::string& body,
                     const std::string& path = "/ussd/africastalking",
                     std::vector<std::string> headers = kForm) {
  return client.post_raw(path, body, headers);
}

std::string session_column(const TestServer& server, const std::string& id,
                           const std::string& column) {
  server.flush_writes();  // rows are written just behind the answer
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  SQLite::Statement row(
      db, "SELECT " + column + " FROM ussd_sessions WHERE dialect = 'africastalking' AND id = ?");
  row.bind(1, id);
  if (!row.executeStep()) return "<none>";
  return row.getColumn(0).isNull() ? "<null>" : row.getColumn(0).getString();
}

}  // namespace

TEST_CASE("ussd gateway: a disabled dialect is not there", "[ussd][gateway]") {
  TestServer server([](Config& c) { c.ussd.dialects["africastalking"].enabled = "false"; });
  auto client = server.client();
  const HttpResponse response = at_post(client, at_body("g1", ""));
  CHECK(response.status == 404);
  CHECK(error_code(response) == "NOT_FOUND");
}

TEST_CASE("ussd gateway: outside dev mode an unprotected dialect stays off unless enabled",
          "[ussd][gateway]") {
  TestServer off([](Config& c) { c.dev = false; });
  auto client = off.client();
  CHECK(at_post(client, at_body("g2", "")).status == 404);

  TestServer on([](Config& c) {
    c.dev = false;
    c.ussd.dialects["africastalking"].enabled = "true";
  });
  auto on_client = on.client();
  CHECK(at_post(on_client, at_body("g3", "")).status == 200);
}

TEST_CASE("ussd gateway: a path token is required and never logged", "[ussd][gateway]") {
  TestServer server([](Config& c) { c.ussd.dialects["africastalking"].path_token = kToken; });
  auto client = server.client();
  CHECK(at_post(client, at_body("g4", "")).status == 404);
  const HttpResponse wrong = at_post(client, at_body("g4", ""), "/ussd/africastalking/wrong-token");
  CHECK(wrong.status == 404);
  CHECK(error_code(wrong) == "NOT_FOUND");
  const HttpResponse right = at_post(client, at_body("g4", ""), "/ussd/africastalking/" + kToken);
  CHECK(right.status == 200);
  CHECK(right.body.rfind("CON ", 0) == 0);
  const HttpResponse events =
      at_post(client, "sessionId=g4&status=Success", "/ussd/africastalking/" + kToken + "/events");
  CHECK(events.status == 200);
}

TEST_CASE("ussd gateway: the source address must be on the allow-list", "[ussd][gateway]") {
  TestServer server([](Config& c) {
    c.ussd.dialects["africastalking"].allowed_ips = "10.0.0.0/8, 192.0.2.7";
    c.trusted_proxy_header = "X-Forwarded-For";
  });
  auto client = server.client();
  const HttpResponse refused = at_post(client, at_body("g5", ""));  // from 127.0.0.1
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
  std::vector<std::string> proxied = kForm;
  proxied.push_back("X-Forwarded-For: 203.0.113.9, 10.20.30.40");
  CHECK(at_post(client, at_body("g5", ""), "/ussd/africastalking", proxied).status == 200);
  // Only the right-most entry counts: the client can forge the rest.
  proxied.back() = "X-Forwarded-For: 10.20.30.40, 203.0.113.9";
  CHECK(at_post(client, at_body("g6", ""), "/ussd/africastalking", proxied).status == 403);
}

TEST_CASE("ussd gateway: an unexpected service code is refused", "[ussd][gateway]") {
  TestServer server(
      [](Config& c) { c.ussd.dialects["africastalking"].service_code = "*889*142#"; });
  auto client = server.client();
  CHECK(at_post(client, at_body("g7", "")).status == 200);
  CHECK(at_post(client, at_body("g8", "", "%2A889%2A142%2A0241234567%23")).status == 200);
  const HttpResponse other = at_post(client, at_body("g9", "", "%2A123%23"));
  CHECK(other.status == 403);
  CHECK(error_code(other) == "FORBIDDEN");
}

TEST_CASE("ussd gateway: a locked database gets a polite final screen not a 500",
          "[ussd][gateway]") {
  // Queue limit 0: every step writes before it answers, so the lock reaches the subscriber.
  TestServer server([](Config& c) {
    c.sqlite_busy_timeout_ms = 200;
    c.ussd.write_queue_limit = 0;
  });
  auto client = server.client();
  SQLite::Database other(server.db_path().string(), SQLite::OPEN_READWRITE);
  other.setBusyTimeout(5000);  // the dispatcher may be writing this very moment
  other.exec("BEGIN IMMEDIATE");
  const HttpResponse answer = at_post(client, at_body("g10", ""));
  other.exec("ROLLBACK");
  CHECK(answer.status == 200);
  CHECK(answer.body == "END Service unavailable. Please try again.");
  CHECK(at_post(client, at_body("g10b", "")).body.rfind("CON ", 0) == 0);
}

TEST_CASE("ussd gateway: while the database is write-locked steps go on and rows land later",
          "[ussd][gateway]") {
  TestServer server([](Config& c) { c.sqlite_busy_timeout_ms = 100; });
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  {
    SQLite::Database other(server.db_path().string(), SQLite::OPEN_READWRITE);
    other.setBusyTimeout(5000);
    other.exec("BEGIN IMMEDIATE");
    CHECK(at_post(client, at_body("g23", "")).body.rfind("CON ", 0) == 0);
    CHECK(at_post(client, at_body("g23", "0241234567")).body ==
          "END Your ACME code is " + otp.code + ". It expires in 5 min.");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a few failed batches
    other.exec("ROLLBACK");
  }
  CHECK(session_column(server, "g23", "end_reason") == "menu");
  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
}

TEST_CASE("ussd gateway: lookups are limited per MSISDN", "[ussd][gateway]") {
  TestServer server([](Config& c) {
    c.ussd.lookups_per_window = 2;
    c.ussd.lookup_window_seconds = 600;
  });
  auto client = server.client();
  issue_otp(server, client);
  CHECK(at_post(client, at_body("g11", "0241234567")).body.rfind("END Your ACME code is", 0) == 0);
  CHECK(at_post(client, at_body("g12", "0241234568")).body ==
        "END No active code for 024 123 4568.");
  // The sliding window says how long; the clock's place in the window decides the figure.
  CHECK_THAT(at_post(client, at_body("g13", "0241234567")).body,
             Catch::Matches("END Too many requests\\. Try again in ([1-9]|10) min\\."));
  // Another subscriber is not affected.
  CHECK(at_post(client, at_body("g14", "0241234568", "%2A889%2A142%23", "%2B233241234568")).body ==
        "END No active code for 024 123 4568.");
  // A restart remembers the count, and so does the sweeper, even for a day-long window.
  server.restart();
  auto after = server.client();
  CHECK_THAT(at_post(after, at_body("g13b", "0241234567")).body,
             Catch::Matches("END Too many requests\\. Try again in ([1-9]|10) min\\."));
  server.clock().advance(1200);
  // Allowed again (the code itself has expired by now).
  CHECK(at_post(after, at_body("g15", "0241234567")).body ==
        "END No active code for 024 123 4567.");
}

TEST_CASE("ussd gateway: the sweeper keeps lookup counts for a long window", "[ussd][gateway]") {
  TestServer server([](Config& c) {
    c.ussd.lookups_per_window = 1;
    c.ussd.lookup_window_seconds = 86400;
  });
  server.clock().set(1'700'006'400 + 8 * 3600);  // 08:00 UTC: 3 hours on stay in the same day
  auto client = server.client();
  CHECK(at_post(client, at_body("g30", "0241234567")).body ==
        "END No active code for 024 123 4567.");
  server.flush_writes();             // the count is in the database
  server.clock().advance(3 * 3600);  // past twice the OTP limits' longest window (1 h)
  server.app().otp().sweep();
  server.restart();  // memory forgets; the database must still hold the count
  auto after = server.client();
  CHECK_THAT(at_post(after, at_body("g31", "0241234567")).body,
             Catch::StartsWith("END Too many requests. Try again in"));
}

TEST_CASE("ussd gateway: idle sessions expire then are swept", "[ussd][gateway]") {
  TestServer server;
  auto client = server.client();
  at_post(client, at_body("g16", ""));
  CHECK(session_column(server, "g16", "ended_at") == "<null>");
  server.clock().advance(181);
  // A non-path dialect would say the same; Africa's Talking's own sessions end at 180 s.
  CHECK(at_post(client, at_body("g16", "0241234567")).body ==
        "END Your session has expired. Dial *889*142# to start again.");

  at_post(client, at_body("g17", ""));
  server.clock().advance(181);
  CHECK(server.app().ussd().sweep(100) >= 1);
  CHECK(session_column(server, "g17", "end_reason") == "idle");
  server.clock().advance(25 * 3600);
  server.app().ussd().sweep(100);
  CHECK(session_column(server, "g17", "id") == "<none>");
}

TEST_CASE("ussd gateway: language by service code then by the dialer's country",
          "[ussd][gateway]") {
  TestServer server([](Config& c) {
    c.ussd.service_codes = {"*889*142#", "*889*143#"};
    c.ussd.language_by_service_code = {{"*889*143#", "fr"}};
    c.ussd.language_by_prefix = {{"225", "fr"}};
    c.policy.phone_rules.national_number_length = 0;  // accept Ivorian numbers too
  });
  auto client = server.client();
  CHECK(at_post(client, at_body("g18", "")).body ==
        "CON Enter the phone number your code was sent to:");
  CHECK(at_post(client, at_body("g19", "", "%2A889%2A143%23")).body ==
        "CON Entrez le numero de telephone qui a recu votre code:");
  CHECK(at_post(client, at_body("g20", "", "%2A889%2A142%23", "%2B2250701234567")).body ==
        "CON Entrez le numero de telephone qui a recu votre code:");
  // The final screen names the code that was dialled.
  CHECK(at_post(client, at_body("g21", "1*2*3", "%2A889%2A143%23")).body ==
        "END Trop d'erreurs de saisie. Composez *889*143# pour reessayer.");
}

TEST_CASE("ussd gateway: an MSISDN that is not a phone number ends politely", "[ussd][gateway]") {
  TestServer server;
  auto client = server.client();
  const HttpResponse answer =
      at_post(client, at_body("g22", "0241234567", "%2A889%2A142%23", "not-a-number"));
  CHECK(answer.status == 200);
  // Not "Service unavailable": monitoring reads that as an outage.
  CHECK(answer.body == "END We could not read your phone number. Please try again later.");
  CHECK(session_column(server, "g22", "end_reason") == "invalid_msisdn");
}

TEST_CASE("ussd gateway: a code generated through the Arkesel API is on the menu too",
          "[ussd][gateway]") {
  TestServer server;
  auto client = server.client();
  const HttpResponse generated = client.post_json("/api/otp/generate",
                                                  {{"phone_number", "233241234567"},
                                                   {"sender_id", "MyApp"},
                                                   {"message", "Your MyApp code is %otp_code%"},
                                                   {"expiry", 5}},
                                                  {"api-key: " + server.api_key()});
  REQUIRE(generated.json()["code"] == "1000");
  const std::string code = code_in(server.wait_for_message(kPhone));
  CHECK(at_post(client, at_body("g40", "0241234567")).body ==
        "END Your MyApp code is " + code + ". It expires in 5 min.");
}

TEST_CASE("ussd gateway: leaving out the service code does not get around the check",
          "[ussd][gateway]") {
  TestServer server([](Config& c) { c.ussd.dialects["hubtel"].service_code = "*889*142#"; });
  auto client = server.client();
  const nlohmann::json initiation{{"Type", "Initiation"}, {"Mobile", "233241234567"},
                                  {"SessionId", "h1"},    {"Message", "*999#"},
                                  {"Operator", "mtn"},    {"Sequence", 1}};
  const HttpResponse refused = client.post_json("/ussd/hubtel", initiation);
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
  nlohmann::json right = initiation;
  right["ServiceCode"] = "889*142";
  right["Message"] = "*889*142#";
  CHECK(client.post_json("/ussd/hubtel", right).status == 200);
}

TEST_CASE("ussd gateway: bodies over max-body-bytes get 413 and HEAD runs no step",
          "[ussd][gateway]") {
  TestServer server([](Config& c) { c.max_body_bytes = 1024; });
  auto client = server.client();
  const HttpResponse big = at_post(client, at_body("g41", std::string(1500, '1')));
  CHECK(big.status == 413);
  CHECK(error_code(big) == "PAYLOAD_TOO_LARGE");
  const HttpResponse head = client.request("HEAD", "/ussd/hollatags?session_id=x");
  CHECK(head.status == 200);
  server.flush_writes();
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM ussd_sessions").getInt() == 0);
}

TEST_CASE("ussd gateway: bytes that are not UTF-8 never turn into a 503", "[ussd][gateway]") {
  TestServer server;
  auto client = server.client();
  const HttpResponse holla = client.get(
      "/ussd/hollatags?session_id=%FF%FE&session_msisdn=233241234567&session_operation=begin"
      "&session_msg=&session_from=%2A889%2A142%23&session_type=1&session_mno=MTN");
  CHECK(holla.status == 200);
  CHECK(holla.json()["session_operation"] == "continue");
  const HttpResponse report = at_post(client, "sessionId=g50&status=Failed&errorMessage=%FF%FE",
                                      "/ussd/africastalking/events");
  CHECK(report.status == 200);
}

TEST_CASE("ussd gateway: dev stats show the write-behind queue", "[ussd][gateway]") {
  TestServer server;
  auto client = server.client();
  at_post(client, at_body("g51", ""));
  server.flush_writes();
  const HttpResponse stats = client.get("/dev/ussd/stats");
  REQUIRE(stats.status == 200);
  CHECK(stats.json()["data"]["writesPending"] == 0);
  CHECK(stats.json()["data"]["writesDropped"] == 0);
  CHECK(stats.json()["data"]["sessionsInMemory"] == 1);
  TestServer production([](Config& c) { c.dev = false; });
  CHECK(production.client().get("/dev/ussd/stats").status == 404);
}

TEST_CASE("ussd gateway: an empty session id is refused by every JSON dialect", "[ussd][gateway]") {
  TestServer server;
  auto client = server.client();
  const std::map<std::string, std::string> empty{
      {"session_id", ""}, {"request_id", "1"}, {"text", ""}, {"code", ""}};
  for (const auto& [dialect, field] : std::vector<std::pair<std::string, std::string>>{
           {"beem", "session_id"}, {"emergent", "SessionId"}, {"southpawsl", "sessionId"}}) {
    INFO(dialect);
    const HttpResponse refused =
        client.post_raw("/ussd/" + dialect, fixture(dialect, "dial.json", empty),
                        {"Content-Type: application/json"});
    CHECK(refused.status == 400);
    CHECK(refused.json()["error"]["fields"].contains(field));
  }
}

TEST_CASE("ussd gateway: an end-of-session report does not wait for a locked database",
          "[ussd][gateway]") {
  TestServer server([](Config& c) { c.sqlite_busy_timeout_ms = 100; });
  auto client = server.client();
  at_post(client, at_body("g60", ""));
  server.flush_writes();
  {
    SQLite::Database other(server.db_path().string(), SQLite::OPEN_READWRITE);
    other.setBusyTimeout(5000);
    other.exec("BEGIN IMMEDIATE");
    const auto started = std::chrono::steady_clock::now();
    const HttpResponse report = at_post(client, "sessionId=g60&status=Success&input=0241234567",
                                        "/ussd/africastalking/events");
    CHECK(report.status == 200);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    other.exec("ROLLBACK");
  }
  CHECK(session_column(server, "g60", "end_reason") == "Success");
  CHECK(session_column(server, "g60", "report").find("0241234567") != std::string::npos);
}

TEST_CASE("ussd gateway: HEAD tells nothing without the path token", "[ussd][gateway]") {
  TestServer server([](Config& c) { c.ussd.dialects["hollatags"].path_token = kToken; });
  auto client = server.client();
  CHECK(client.request("HEAD", "/ussd/hollatags/not-the-token").status == 404);
  CHECK(client.request("HEAD", "/ussd/hollatags/" + kToken).status == 200);
}
