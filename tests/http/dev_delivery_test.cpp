// POST/GET /dev/delivery: dev-mode rules that lose or delay a phone's SMS, so testers rehearse
// "the SMS never came, dial *889*142#", and their absence outside dev mode.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "http/ussd_calls.hpp"
#include "server/http/json_body.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace ussd_otp::testing;
using nlohmann::json;

namespace {

const std::vector<std::string> kForm{"Content-Type: application/x-www-form-urlencoded"};

HttpResponse set_rule(HttpClient& client, const json& body) {
  return client.post_json("/dev/delivery", body);
}

json inbox(HttpClient& client, const std::string& phone = "0241234567") {
  const HttpResponse response = client.get("/dev/inbox?phone=" + phone);
  REQUIRE(response.status == 200);
  return response.json()["data"]["messages"];
}

json rules(HttpClient& client) {
  const HttpResponse response = client.get("/dev/delivery");
  REQUIRE(response.status == 200);
  return response.json()["data"]["rules"];
}

// Waits until the dispatcher has handed `count` messages for kPhone to a drop rule.
void wait_for_dropped(HttpClient& client, int count) {
  for (int i = 0; i < 1000; ++i) {
    const json listed = rules(client);
    if (!listed.empty() && listed[0]["dropped"] == count) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FAIL("the drop rule never counted " << count << " messages: " << rules(client).dump());
}

// The code the Africa's Talking menu shows to 0241234567.
std::string code_over_ussd(HttpClient& client, const std::string& session) {
  REQUIRE(client
              .post_raw("/ussd/africastalking",
                        fixture("africastalking", "dial.form", {{"session_id", session}}), kForm)
              .status == 200);
  const HttpResponse shown = client.post_raw(
      "/ussd/africastalking",
      fixture("africastalking", "answer.form", {{"session_id", session}, {"text", "0241234567"}}),
      kForm);
  REQUIRE(shown.status == 200);
  return code_in(shown.body);
}

}  // namespace

TEST_CASE("dev delivery: a dropped SMS never reaches the inbox, the code is read over USSD",
          "[http][delivery]") {
  TestServer server;
  HttpClient client = server.client();
  const HttpResponse set = set_rule(client, {{"phone", "+233 24 123 4567"}, {"mode", "drop"}});
  REQUIRE(set.status == 200);
  CHECK(set.json()["data"] ==
        json{{"phone", "233241234567"}, {"mode", "drop"}, {"delaySeconds", nullptr}});

  const std::string id = new_otp(client, server);
  wait_for_dropped(client, 1);
  CHECK(inbox(client).empty());
  CHECK(server.app().dev_inbox()->messages_for(kPhone, server.clock().now()).empty());
  // The sender saw an accepted send, as from a gateway whose SMS the network then lost.
  const std::vector<std::string> events = event_types(client, server, id);
  CHECK(has_event(events, "sent"));

  const std::string code = code_over_ussd(client, "ATUid_drop");
  CHECK(verify(client, server, id, code).status == 200);
  CHECK(rules(client) == json::array({json{
                             {"phone", "233241234567"},
                             {"mode", "drop"},
                             {"delaySeconds", nullptr},
                             {"dropped", 1},
                         }}));
}

TEST_CASE("dev delivery: a delayed SMS appears once the dev clock passes its delay",
          "[http][delivery]") {
  TestServer server;
  HttpClient client = server.client();
  const HttpResponse set =
      set_rule(client, {{"phone", "0241234567"}, {"mode", "delay"}, {"delaySeconds", 60}});
  REQUIRE(set.status == 200);
  CHECK(set.json()["data"] ==
        json{{"phone", "233241234567"}, {"mode", "delay"}, {"delaySeconds", 60}});
  const auto sent_at = server.clock().now();
  const std::string id = new_otp(client, server);
  // Sent (the outbox drains), but not on the phone yet.
  for (int i = 0; i < 1000 && !has_event(event_types(client, server, id), "sent"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(has_event(event_types(client, server, id), "sent"));
  CHECK(inbox(client).empty());
  REQUIRE(client.post_json("/dev/clock", {{"advanceSeconds", 59}}).status == 200);
  CHECK(inbox(client).empty());
  REQUIRE(client.post_json("/dev/clock", {{"advanceSeconds", 2}}).status == 200);
  const json messages = inbox(client);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["otpId"] == id);
  CHECK(messages[0]["sentAt"] == ussd_otp::iso8601(sent_at));
  CHECK(messages[0]["deliveredAt"] == ussd_otp::iso8601(sent_at + 60));
  CHECK(rules(client)[0]["dropped"] == 0);
}

TEST_CASE("dev delivery: normal removes the rule and SMS arrive at once again",
          "[http][delivery]") {
  TestServer server;
  HttpClient client = server.client();
  REQUIRE(set_rule(client, {{"phone", "0241234567"}, {"mode", "drop"}}).status == 200);
  REQUIRE(
      set_rule(client, {{"phone", "0201112222"}, {"mode", "delay"}, {"delaySeconds", 5}}).status ==
      200);
  CHECK(rules(client).size() == 2);
  const HttpResponse normal = set_rule(client, {{"phone", "0241234567"}, {"mode", "normal"}});
  REQUIRE(normal.status == 200);
  CHECK(normal.json()["data"] ==
        json{{"phone", "233241234567"}, {"mode", "normal"}, {"delaySeconds", nullptr}});
  const json left = rules(client);
  REQUIRE(left.size() == 1);
  CHECK(left[0]["phone"] == "233201112222");
  const IssuedOtp otp = issue_otp(server, client);  // waits for the message in the inbox
  CHECK(inbox(client).size() == 1);
  CHECK(inbox(client)[0]["otpId"] == otp.id);
}

TEST_CASE("dev delivery: bad bodies get 400 naming the field, and change nothing",
          "[http][delivery]") {
  TestServer server;
  HttpClient client = server.client();
  const std::vector<std::pair<json, std::string>> bad{
      {json::object(), "phone"},
      {json{{"phone", "0241234567"}}, "mode"},
      {json{{"phone", 241234567}, {"mode", "drop"}}, "phone"},
      {json{{"phone", "0241234567"}, {"mode", "lose"}}, "mode"},
      {json{{"phone", "0241234567"}, {"mode", "delay"}}, "delaySeconds"},
      {json{{"phone", "0241234567"}, {"mode", "delay"}, {"delaySeconds", 0}}, "delaySeconds"},
      {json{{"phone", "0241234567"}, {"mode", "delay"}, {"delaySeconds", 86'401}}, "delaySeconds"},
      {json{{"phone", "0241234567"}, {"mode", "delay"}, {"delaySeconds", "60"}}, "delaySeconds"},
      {json{{"phone", "0241234567"}, {"mode", "delay"}, {"delaySeconds", 1.5}}, "delaySeconds"},
      {json{{"phone", "0241234567"}, {"mode", "drop"}, {"delaySeconds", 60}}, "delaySeconds"},
      {json{{"phone", "0241234567"}, {"mode", "normal"}, {"delaySeconds", 60}}, "delaySeconds"},
      {json{{"phone", "0241234567"}, {"mode", "drop"}, {"network", "MTN"}}, "network"},
  };
  for (const auto& [body, field] : bad) {
    INFO(body.dump());
    check_400(set_rule(client, body), "VALIDATION_ERROR", field);
  }
  check_400(set_rule(client, {{"phone", "12345"}, {"mode", "drop"}}), "INVALID_PHONE");
  check_400(client.post_raw("/dev/delivery", "{", {"Content-Type: application/json"}),
            "INVALID_JSON");
  check_400(client.post_raw("/dev/delivery", "[]", {"Content-Type: application/json"}),
            "INVALID_JSON");
  CHECK(client.post_raw("/dev/delivery", "{}", {"Content-Type: text/plain"}).status == 415);
  CHECK(rules(client).empty());
  // The limits themselves are accepted.
  CHECK(
      set_rule(client, {{"phone", "0241234567"}, {"mode", "delay"}, {"delaySeconds", 1}}).status ==
      200);
  CHECK(set_rule(client, {{"phone", "0241234567"}, {"mode", "delay"}, {"delaySeconds", 86'400}})
            .status == 200);
  CHECK(set_rule(client, {{"phone", "0241234567"}, {"mode", "drop"}, {"delaySeconds", nullptr}})
            .status == 200);
}

TEST_CASE("dev delivery: the real binary has the routes in --dev only", "[http][delivery]") {
  TempDir dir;
  ServerProcess dev(dir.path(), {"--dev", "--db", dir.file("dev.db").string()});
  HttpClient dev_client(dev.url());
  CHECK(dev_client.post_json("/dev/delivery", {{"phone", "0241234567"}, {"mode", "drop"}}).status ==
        200);
  CHECK(dev_client.get("/dev/delivery").json()["data"]["rules"].size() == 1);
  ServerProcess plain(dir.path(), {"--db", dir.file("plain.db").string()});
  HttpClient plain_client(plain.url());
  const HttpResponse posted =
      plain_client.post_json("/dev/delivery", {{"phone", "0241234567"}, {"mode", "drop"}});
  CHECK(posted.status == 404);
  CHECK(error_code(posted) == "NOT_FOUND");
  CHECK(plain_client.get("/dev/delivery").status == 404);
}
