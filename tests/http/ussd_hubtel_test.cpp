// Hubtel over HTTP against the real server: typed JSON requests in, response/release JSON out.
#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include "http/ussd_calls.hpp"

using namespace ussd_otp::testing;

namespace {

const std::string kPath = "/ussd/hubtel";
const std::vector<std::string> kJson{"Content-Type: application/json"};

HttpResponse post(HttpClient& client, const std::string& body) {
  return client.post_raw(kPath, body, kJson);
}

nlohmann::json reply_json(const HttpResponse& response) {
  REQUIRE(response.status == 200);
  CHECK(response.header("content-type").find("application/json") == 0);
  return response.json();
}

nlohmann::json expected(const std::string& name, const std::map<std::string, std::string>& values) {
  return nlohmann::json::parse(fixture("hubtel", name, values));
}

// (end_reason, ended) of a stored session.
std::pair<std::string, bool> session_end(const TestServer& server, const std::string& id) {
  server.flush_writes();  // rows are written just behind the answer
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  SQLite::Statement row(db,
                        "SELECT end_reason, ended_at IS NOT NULL FROM ussd_sessions "
                        "WHERE dialect = 'hubtel' AND id = ?");
  row.bind(1, id);
  REQUIRE(row.executeStep());
  return {row.getColumn(0).getString(), row.getColumn(1).getInt() == 1};
}

}  // namespace

TEST_CASE("ussd hubtel: dial then number shows the code and records the view", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first =
      post(client, fixture("hubtel", "initiation.json", {{"session_id", "hub-1"}}));
  CHECK(reply_json(first) == expected("dial.reply", {{"session_id", "hub-1"}}));

  const HttpResponse second =
      post(client,
           fixture("hubtel", "response.json", {{"session_id", "hub-1"}, {"text", "0241234567"}}));
  CHECK(reply_json(second) ==
        expected("code.reply", {{"session_id", "hub-1"}, {"code", otp.code}}));

  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

TEST_CASE("ussd hubtel: the dial string in Message goes straight to the code", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  // Lower-case "initiation" and a string Sequence, as in one of Hubtel's own samples.
  const HttpResponse reply =
      post(client, fixture("hubtel", "shortcut.json", {{"session_id", "hub-2"}}));
  CHECK(reply_json(reply) == expected("code.reply", {{"session_id", "hub-2"}, {"code", otp.code}}));
}

TEST_CASE("ussd hubtel: another number gets the neutral answer", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  post(client, fixture("hubtel", "initiation.json", {{"session_id", "hub-3"}}));
  const HttpResponse answer =
      post(client,
           fixture("hubtel", "response.json", {{"session_id", "hub-3"}, {"text", "0241234568"}}));
  CHECK(reply_json(answer) ==
        expected("end.reply",
                 {{"session_id", "hub-3"}, {"message", "No active code for 024 123 4568."}}));
}

TEST_CASE("ussd hubtel: Timeout and Release end the session with a release reply",
          "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();

  post(client, fixture("hubtel", "initiation.json", {{"session_id", "hub-4"}}));
  CHECK(session_end(server, "hub-4") == std::pair<std::string, bool>{"", false});
  const HttpResponse timeout =
      post(client, fixture("hubtel", "timeout.json", {{"session_id", "hub-4"}}));
  CHECK(reply_json(timeout) == expected("release.reply", {{"session_id", "hub-4"}}));
  CHECK(session_end(server, "hub-4") == std::pair<std::string, bool>{"timed_out", true});

  post(client, fixture("hubtel", "initiation.json", {{"session_id", "hub-5"}}));
  const HttpResponse release =
      post(client, fixture("hubtel", "release.json", {{"session_id", "hub-5"}}));
  CHECK(reply_json(release) == expected("release.reply", {{"session_id", "hub-5"}}));
  CHECK(session_end(server, "hub-5") == std::pair<std::string, bool>{"released", true});

  // The timed-out session cannot be continued.
  const HttpResponse after =
      post(client,
           fixture("hubtel", "response.json", {{"session_id", "hub-4"}, {"text", "0241234567"}}));
  CHECK(reply_json(after) ==
        expected("end.reply", {{"session_id", "hub-4"},
                               {"message",
                                "Your session has expired. Dial *889*142# to start "
                                "again."}}));
}

TEST_CASE("ussd hubtel: a Response on an unknown session says it expired", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  const HttpResponse reply =
      post(client, fixture("hubtel", "response.json", {{"session_id", "hub-gone"}, {"text", "1"}}));
  CHECK(reply_json(reply) ==
        expected("end.reply",
                 {{"session_id", "hub-gone"},
                  {"message", "Your session has expired. Dial *889*142# to start again."}}));
  CHECK(session_end(server, "hub-gone") == std::pair<std::string, bool>{"idle", true});
}

TEST_CASE("ussd hubtel: ClientState is echoed back when sent", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  auto body =
      nlohmann::json::parse(fixture("hubtel", "initiation.json", {{"session_id", "hub-6"}}));
  body["ClientState"] = "100";
  auto expected_reply = expected("dial.reply", {{"session_id", "hub-6"}});
  expected_reply["ClientState"] = "100";
  CHECK(reply_json(post(client, body.dump())) == expected_reply);
}

TEST_CASE("ussd hubtel: malformed requests get a 400 naming the field", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  auto body =
      nlohmann::json::parse(fixture("hubtel", "initiation.json", {{"session_id", "hub-b"}}));

  auto missing = body;
  missing.erase("SessionId");
  missing.erase("Mobile");
  const HttpResponse no_id = post(client, missing.dump());
  CHECK(no_id.status == 400);
  CHECK(error_code(no_id) == "VALIDATION_ERROR");
  CHECK(no_id.json()["error"]["fields"].contains("SessionId"));
  CHECK(no_id.json()["error"]["fields"].contains("Mobile"));

  auto wrong = body;
  wrong["Sequence"] = true;
  wrong["Message"] = nlohmann::json::object();
  const HttpResponse wrong_types = post(client, wrong.dump());
  CHECK(wrong_types.status == 400);
  CHECK(wrong_types.json()["error"]["fields"].contains("Sequence"));
  CHECK(wrong_types.json()["error"]["fields"].contains("Message"));

  auto unknown_type = body;
  unknown_type["Type"] = "AddToCart";
  const HttpResponse bad_type = post(client, unknown_type.dump());
  CHECK(bad_type.status == 400);
  CHECK(bad_type.json()["error"]["fields"].contains("Type"));

  auto too_long = body;
  too_long["Message"] = std::string(2000, '1');
  const HttpResponse long_input = post(client, too_long.dump());
  CHECK(long_input.status == 400);
  CHECK(long_input.json()["error"]["fields"].contains("Message"));

  const HttpResponse not_json = post(client, "{\"Type\":\"Initiation\",");
  CHECK(not_json.status == 400);
  CHECK(error_code(not_json) == "INVALID_JSON");
  CHECK(error_code(post(client, "\"Initiation\"")) == "INVALID_JSON");
}

TEST_CASE("ussd hubtel: a ServiceCode other than the configured one is refused", "[ussd][hubtel]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.ussd.dialects["hubtel"].service_code = "*889*142#"; });
  auto client = server.client();
  // Hubtel's bare "889*142" is the same code.
  CHECK(post(client, fixture("hubtel", "initiation.json", {{"session_id", "hub-c1"}})).status ==
        200);
  auto other =
      nlohmann::json::parse(fixture("hubtel", "initiation.json", {{"session_id", "hub-c2"}}));
  other["ServiceCode"] = "713";
  const HttpResponse refused = post(client, other.dump());
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
}
