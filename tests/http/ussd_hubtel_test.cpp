// Hubtel over HTTP against the real server: typed JSON requests in, response/release JSON out.
#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include "http/ussd_calls.hpp"
#include "http/ussd_session_row.hpp"

using namespace ussd_otp::testing;

namespace {

const JsonDialect kHubtel{"hubtel"};

// (end_reason, ended) of a stored session.
std::pair<std::string, bool> session_end(const TestServer& server, const std::string& id) {
  const auto row = session_row(server, "hubtel", id);
  REQUIRE(row);
  return {row->end_reason, row->ended};
}

}  // namespace

TEST_CASE("ussd hubtel: dial then number shows the code and records the view", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first =
      kHubtel.post(client, fixture("hubtel", "initiation.json", {{"session_id", "hub-1"}}));
  CHECK(reply_json(first) == kHubtel.expected("dial.reply", {{"session_id", "hub-1"}}));

  const HttpResponse second = kHubtel.post(
      client,
      fixture("hubtel", "response.json", {{"session_id", "hub-1"}, {"text", "0241234567"}}));
  CHECK(reply_json(second) ==
        kHubtel.expected("code.reply", {{"session_id", "hub-1"}, {"code", otp.code}}));

  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

TEST_CASE("ussd hubtel: the dial string in Message goes straight to the code", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  // Lower-case "initiation" and a string Sequence, as in one of Hubtel's own samples.
  const HttpResponse reply =
      kHubtel.post(client, fixture("hubtel", "shortcut.json", {{"session_id", "hub-2"}}));
  CHECK(reply_json(reply) ==
        kHubtel.expected("code.reply", {{"session_id", "hub-2"}, {"code", otp.code}}));
}

TEST_CASE("ussd hubtel: another number gets the neutral answer", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  kHubtel.post(client, fixture("hubtel", "initiation.json", {{"session_id", "hub-3"}}));
  const HttpResponse answer = kHubtel.post(
      client,
      fixture("hubtel", "response.json", {{"session_id", "hub-3"}, {"text", "0241234568"}}));
  CHECK(reply_json(answer) ==
        kHubtel.expected("end.reply", {{"session_id", "hub-3"},
                                       {"message", "No active code for 024 123 4568."}}));
}

TEST_CASE("ussd hubtel: Timeout and Release end the session with a release reply",
          "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();

  kHubtel.post(client, fixture("hubtel", "initiation.json", {{"session_id", "hub-4"}}));
  CHECK(session_end(server, "hub-4") == std::pair<std::string, bool>{"", false});
  const HttpResponse timeout =
      kHubtel.post(client, fixture("hubtel", "timeout.json", {{"session_id", "hub-4"}}));
  CHECK(reply_json(timeout) == kHubtel.expected("release.reply", {{"session_id", "hub-4"}}));
  CHECK(session_end(server, "hub-4") == std::pair<std::string, bool>{"timed_out", true});

  kHubtel.post(client, fixture("hubtel", "initiation.json", {{"session_id", "hub-5"}}));
  const HttpResponse release =
      kHubtel.post(client, fixture("hubtel", "release.json", {{"session_id", "hub-5"}}));
  CHECK(reply_json(release) == kHubtel.expected("release.reply", {{"session_id", "hub-5"}}));
  CHECK(session_end(server, "hub-5") == std::pair<std::string, bool>{"released", true});

  // The timed-out session cannot be continued.
  const HttpResponse after = kHubtel.post(
      client,
      fixture("hubtel", "response.json", {{"session_id", "hub-4"}, {"text", "0241234567"}}));
  CHECK(reply_json(after) ==
        kHubtel.expected("end.reply", {{"session_id", "hub-4"},
                                       {"message",
                                        "Your session has expired. Dial *889*142# to start "
                                        "again."}}));
}

TEST_CASE("ussd hubtel: a Response on an unknown session says it expired", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  const HttpResponse reply = kHubtel.post(
      client, fixture("hubtel", "response.json", {{"session_id", "hub-gone"}, {"text", "1"}}));
  CHECK(
      reply_json(reply) ==
      kHubtel.expected("end.reply",
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
  auto expected_reply = kHubtel.expected("dial.reply", {{"session_id", "hub-6"}});
  expected_reply["ClientState"] = "100";
  CHECK(reply_json(kHubtel.post(client, body.dump())) == expected_reply);
}

TEST_CASE("ussd hubtel: malformed requests get a 400 naming the field", "[ussd][hubtel]") {
  TestServer server;
  auto client = server.client();
  auto body =
      nlohmann::json::parse(fixture("hubtel", "initiation.json", {{"session_id", "hub-b"}}));

  auto missing = body;
  missing.erase("SessionId");
  missing.erase("Mobile");
  const HttpResponse no_id = kHubtel.post(client, missing.dump());
  CHECK(no_id.status == 400);
  CHECK(error_code(no_id) == "VALIDATION_ERROR");
  CHECK(no_id.json()["error"]["fields"].contains("SessionId"));
  CHECK(no_id.json()["error"]["fields"].contains("Mobile"));

  auto wrong = body;
  wrong["Sequence"] = true;
  wrong["Message"] = nlohmann::json::object();
  const HttpResponse wrong_types = kHubtel.post(client, wrong.dump());
  CHECK(wrong_types.status == 400);
  CHECK(wrong_types.json()["error"]["fields"].contains("Sequence"));
  CHECK(wrong_types.json()["error"]["fields"].contains("Message"));

  auto unknown_type = body;
  unknown_type["Type"] = "AddToCart";
  const HttpResponse bad_type = kHubtel.post(client, unknown_type.dump());
  CHECK(bad_type.status == 400);
  CHECK(bad_type.json()["error"]["fields"].contains("Type"));

  auto too_long = body;
  too_long["Message"] = std::string(2000, '1');
  const HttpResponse long_input = kHubtel.post(client, too_long.dump());
  CHECK(long_input.status == 400);
  CHECK(long_input.json()["error"]["fields"].contains("Message"));

  const HttpResponse not_json = kHubtel.post(client, "{\"Type\":\"Initiation\",");
  CHECK(not_json.status == 400);
  CHECK(error_code(not_json) == "INVALID_JSON");
  CHECK(error_code(kHubtel.post(client, "\"Initiation\"")) == "INVALID_JSON");
}

TEST_CASE("ussd hubtel: a ServiceCode other than the configured one is refused", "[ussd][hubtel]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.ussd.dialects["hubtel"].service_code = "*889*142#"; });
  auto client = server.client();
  // Hubtel's bare "889*142" is the same code.
  CHECK(kHubtel.post(client, fixture("hubtel", "initiation.json", {{"session_id", "hub-c1"}}))
            .status == 200);
  auto other =
      nlohmann::json::parse(fixture("hubtel", "initiation.json", {{"session_id", "hub-c2"}}));
  other["ServiceCode"] = "713";
  const HttpResponse refused = kHubtel.post(client, other.dump());
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
}
