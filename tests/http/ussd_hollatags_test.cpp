// HollaTags over HTTP against the real server: GET with session_* query parameters in,
// {session_operation, session_type, session_id, session_msg} out.
#include <catch2/catch.hpp>

#include "http/ussd_calls.hpp"
#include "http/ussd_session_row.hpp"

using namespace ussd_otp::testing;

namespace {

const std::string kPath = "/ussd/hollatags";

HttpResponse get(HttpClient& client, const std::string& query) {
  return client.get(kPath + "?" + query);
}

void check_invalid(const HttpResponse& response, const std::string& field) {
  check_400(response, "VALIDATION_ERROR", field);
}

}  // namespace

TEST_CASE("ussd hollatags: dial then number shows the code and records the view",
          "[ussd][hollatags]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first =
      get(client, fixture("hollatags", "dial.query", {{"session_id", "5456657676"}}));
  REQUIRE(first.status == 200);
  CHECK(first.header("content-type").find("application/json") == 0);
  CHECK(first.body == fixture("hollatags", "dial.reply", {{"session_id", "5456657676"}}));

  const HttpResponse second = get(
      client,
      fixture("hollatags", "answer.query", {{"session_id", "5456657676"}, {"text", "0241234567"}}));
  REQUIRE(second.status == 200);
  CHECK(second.body ==
        fixture("hollatags", "code.reply", {{"session_id", "5456657676"}, {"code", otp.code}}));
  CHECK(second.json()["session_type"] == 4);

  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

TEST_CASE("ussd hollatags: the number in session_from or session_msg goes straight to the code",
          "[ussd][hollatags]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  CHECK(
      get(client, fixture("hollatags", "shortcut-in-from.query", {{"session_id", "2001"}})).body ==
      fixture("hollatags", "code.reply", {{"session_id", "2001"}, {"code", otp.code}}));
  // This one also sends the MSISDN as %2B233...: the decoded '+' must survive.
  CHECK(get(client, fixture("hollatags", "shortcut-in-msg.query", {{"session_id", "2002"}})).body ==
        fixture("hollatags", "code.reply", {{"session_id", "2002"}, {"code", otp.code}}));
}

TEST_CASE("ussd hollatags: another number gets the neutral answer", "[ussd][hollatags]") {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  get(client, fixture("hollatags", "dial.query", {{"session_id", "3001"}}));
  const HttpResponse answer =
      get(client,
          fixture("hollatags", "answer.query", {{"session_id", "3001"}, {"text", "0241234568"}}));
  CHECK(answer.body ==
        fixture("hollatags", "end.reply",
                {{"session_id", "3001"}, {"text", "No active code for 024 123 4568."}}));
}

TEST_CASE("ussd hollatags: end closes the session and unknown sessions expire",
          "[ussd][hollatags]") {
  TestServer server;
  auto client = server.client();
  get(client, fixture("hollatags", "dial.query", {{"session_id", "4001"}}));
  REQUIRE(session_row(server, "hollatags", "4001").has_value());
  CHECK_FALSE(session_row(server, "hollatags", "4001")->ended);
  const HttpResponse ended =
      get(client, fixture("hollatags", "end.query", {{"session_id", "4001"}}));
  CHECK(ended.status == 200);
  CHECK(ended.body == fixture("hollatags", "end.reply", {{"session_id", "4001"}, {"text", ""}}));
  const auto row = session_row(server, "hollatags", "4001");
  REQUIRE(row.has_value());
  CHECK(row->ended);
  CHECK(row->end_reason == "released");

  const HttpResponse late =
      get(client, fixture("hollatags", "answer.query", {{"session_id", "4999"}, {"text", "1"}}));
  CHECK(late.status == 200);
  CHECK(late.body ==
        fixture("hollatags", "end.reply",
                {{"session_id", "4999"},
                 {"text", "Your session has expired. Dial *889*142# to start again."}}));
}

TEST_CASE("ussd hollatags: malformed requests get a 400 naming the field", "[ussd][hollatags]") {
  TestServer server;
  auto client = server.client();
  const std::string id = "session_id=5001";
  const std::string msisdn = "&session_msisdn=233241234567";
  check_invalid(get(client, "session_operation=begin" + msisdn), "session_id");
  check_invalid(get(client, id + "&session_operation=begin"), "session_msisdn");
  check_invalid(get(client, id + msisdn), "session_operation");
  check_invalid(get(client, id + msisdn + "&session_operation=pause"), "session_operation");
  check_invalid(get(client, id + msisdn + "&session_operation=continue"), "session_msg");
  check_invalid(get(client, id + msisdn + "&session_operation=begin&session_type=9"),
                "session_type");
  check_invalid(get(client, id + msisdn + "&session_operation=continue&session_msg=" +
                                std::string(2000, '1')),
                "session_msg");
  check_invalid(
      get(client, "session_id=" + std::string(300, '9') + msisdn + "&session_operation=begin"),
      "session_id");
  CHECK(client.post_raw(kPath, "", {"Content-Type: application/json"}).status == 405);
}
