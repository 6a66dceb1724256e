// Moolre over HTTP against the real server: JSON in, JSON {sessionid, message, reply} out.
#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include "http/ussd_calls.hpp"

using namespace ussd_otp::testing;

namespace {

const std::string kPath = "/ussd/moolre";
const std::vector<std::string> kJson{"Content-Type: application/json"};

HttpResponse post(HttpClient& client, const std::string& body) {
  return client.post_raw(kPath, body, kJson);
}

// The reply as JSON, compared field by field with a fixture (key order is not part of it).
nlohmann::json reply_json(const HttpResponse& response) {
  REQUIRE(response.status == 200);
  CHECK(response.header("content-type").find("application/json") == 0);
  return response.json();
}

nlohmann::json expected(const std::string& name, const std::map<std::string, std::string>& values) {
  return nlohmann::json::parse(fixture("moolre", name, values));
}

}  // namespace

TEST_CASE("ussd moolre: dial then number shows the code and records the view", "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first =
      post(client, fixture("moolre", "dial.json", {{"session_id", "moo-1"}}));
  CHECK(reply_json(first) == expected("dial.reply", {{"session_id", "moo-1"}}));

  const HttpResponse second = post(
      client, fixture("moolre", "answer.json", {{"session_id", "moo-1"}, {"text", "0241234567"}}));
  CHECK(reply_json(second) ==
        expected("code.reply", {{"session_id", "moo-1"}, {"code", otp.code}}));

  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

TEST_CASE("ussd moolre: pre-filled digits in data go straight to the code", "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  const HttpResponse reply =
      post(client, fixture("moolre", "shortcut.json", {{"session_id", "moo-2"}}));
  CHECK(reply_json(reply) == expected("code.reply", {{"session_id", "moo-2"}, {"code", otp.code}}));
}

TEST_CASE("ussd moolre: a forwarded dial string without data also goes straight to the code",
          "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  auto body = nlohmann::json::parse(fixture("moolre", "shortcut.json", {{"session_id", "moo-4"}}));
  body["data"] = "";  // only the message carries the extra digits
  CHECK(reply_json(post(client, body.dump())) ==
        expected("code.reply", {{"session_id", "moo-4"}, {"code", otp.code}}));
}

TEST_CASE("ussd moolre: another number gets the neutral answer", "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  post(client, fixture("moolre", "dial.json", {{"session_id", "moo-3"}}));
  const HttpResponse answer = post(
      client, fixture("moolre", "answer.json", {{"session_id", "moo-3"}, {"text", "0241234568"}}));
  CHECK(reply_json(answer) ==
        expected("end.reply",
                 {{"session_id", "moo-3"}, {"message", "No active code for 024 123 4568."}}));
}

TEST_CASE("ussd moolre: a continue on an unknown session says it expired and ends it",
          "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  const HttpResponse reply =
      post(client, fixture("moolre", "answer.json", {{"session_id", "moo-gone"}, {"text", "1"}}));
  CHECK(reply_json(reply) ==
        expected("end.reply",
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
  const HttpResponse no_id = post(client, missing.dump());
  CHECK(no_id.status == 400);
  CHECK(error_code(no_id) == "VALIDATION_ERROR");
  CHECK(no_id.json()["error"]["fields"].contains("sessionid"));
  CHECK(no_id.json()["error"]["fields"].contains("msisdn"));

  auto wrong = body;
  wrong["new"] = 1;
  wrong["message"] = nlohmann::json::array({"1"});
  const HttpResponse wrong_types = post(client, wrong.dump());
  CHECK(wrong_types.status == 400);
  CHECK(wrong_types.json()["error"]["fields"].contains("new"));
  CHECK(wrong_types.json()["error"]["fields"].contains("message"));

  auto too_long = body;
  too_long["message"] = std::string(2000, '1');
  const HttpResponse long_input = post(client, too_long.dump());
  CHECK(long_input.status == 400);
  CHECK(long_input.json()["error"]["fields"].contains("message"));

  const HttpResponse not_json = post(client, "{\"sessionid\":");
  CHECK(not_json.status == 400);
  CHECK(error_code(not_json) == "INVALID_JSON");
  CHECK(error_code(post(client, "[1,2]")) == "INVALID_JSON");
  CHECK(client.get(kPath).status == 405);
}

TEST_CASE("ussd moolre: an extension other than the configured code is refused", "[ussd][moolre]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.ussd.dialects["moolre"].service_code = "*203*142#"; });
  auto client = server.client();
  CHECK(post(client, fixture("moolre", "dial.json", {{"session_id", "moo-c1"}})).status == 200);
  auto other = nlohmann::json::parse(fixture("moolre", "dial.json", {{"session_id", "moo-c2"}}));
  other["extension"] = 109;
  const HttpResponse refused = post(client, other.dump());
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
}
