// Black-box tests of the GetOTP-compatible endpoint (seed 003): the documented request and
// answer, every error code of its table, auth, payload on webhooks, USSD and native verify.
#include <catch2/catch.hpp>

#include <sodium.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "http/api_calls.hpp"
#include "http/webhook_receiver.hpp"
#include "otp/codes.hpp"
#include "otp/webhook_events.hpp"
#include "server/http/json_body.hpp"
#include "support/test_server.hpp"

using namespace ussd_otp::testing;
using nlohmann::json;

namespace {

const std::string kPath = "/api/verify/";

std::string base64(const std::string& text) {
  std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()),
                    text.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);
  return out;
}

ussd_otp::ApiKeyRecord test_key(TestServer& server) {
  auto key = server.app().store().find_api_key_by_name("test");
  REQUIRE(key);
  return *key;
}

// Stores a template for the test key; returns its UUID.
std::string add_template(TestServer& server, const std::string& text = "Your ACME code is {code}") {
  const std::string id = ussd_otp::generate_uuid();
  server.app().store().create_template({id, test_key(server).id, text, server.clock().now()});
  return id;
}

// A server whose test key has a template, and a client of the server.
struct WithTemplate : ServerWithClient {
  const std::string tmpl = add_template(server);
};

std::vector<std::string> otp_key(const TestServer& server) {
  return {"X-OTP-Key: " + server.api_key(), "accept: application/json"};
}

// The seed's example body, with our test phone and a stored template.
json documented(const std::string& template_id) {
  return {{"data",
           {{"channel", "sms"},
            {"sender", "GetOTP"},
            {"phone", kPhone},
            {"template", template_id},
            {"code_length", 4}}}};
}

HttpResponse send(HttpClient& client, const TestServer& server, const json& body,
                  const std::string& path = kPath) {
  return client.post_json(path, body, otp_key(server));
}

json with_data(json body, const std::string& field, json value) {
  body["data"][field] = std::move(value);
  return body;
}

json without_data(json body, const std::string& field) {
  body["data"].erase(field);
  return body;
}

// The seed's error table: each code's exact message.
const std::map<std::string, std::string> kSeedMessages = {
    {"1136", "User Not Authorized"},
    {"1512", "Invalid template id"},
    {"1513", "Template is not found"},
    {"1515", "Invalid channel specified"},
    {"1523", "Invalid recipient number(s)"},
    {"1620", "'sender' is missing"},
    {"1621", "'phone' is missing"},
    {"1622", "'template' is missing"},
    {"1623", "Invalid code length"},
    {"1624", "Template does not contain keyword {code}"},
    {"1629", "Provide either 'data.code' or 'data.code_length' but not both"},
    {"1631",
     "When 'data.channel' is not VOICE 'data.code' must be valid and 4 to 8 characters long"},
    {"1632", "'data.code' should be numeric if provided"},
    {"1705", "Invalid payload"},
};

// Checks the GetOTP error list shape and returns the one error's code.
std::string getotp_code(const HttpResponse& response, long status,
                        const std::string& path = kPath) {
  INFO(response.body);
  CHECK(response.status == status);
  const json body = response.json();
  REQUIRE(body.contains("errors"));
  REQUIRE(body["errors"].size() == 1);
  const json& error = body["errors"][0];
  // The seed's six fields, plus our "detail" where we know more than the table's message.
  CHECK((error.size() == 6 || (error.size() == 7 && error["detail"].is_string())));
  CHECK(std::regex_match(error["timestamp"].get<std::string>(),
                         std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")));
  CHECK(error["path"] == path);
  CHECK(error["method"] == "POST");
  CHECK(error["status"] == status);
  CHECK(error["message"].is_string());
  REQUIRE(error["code"].is_string());
  if (auto seed = kSeedMessages.find(error["code"]); seed != kSeedMessages.end() && status < 429) {
    CHECK(error["message"] == seed->second);
  }
  return error["code"];
}

}  // namespace

TEST_CASE_METHOD(
    WithTemplate,
    "getotp: the documented request answers 200 with the documented fields and sends the SMS",
    "[http][getotp]") {
  const HttpResponse sent = send(client, server, documented(tmpl));
  INFO(sent.body);
  REQUIRE(sent.status == 200);
  const json body = sent.json();
  CHECK(body.size() == 5);
  // The fields in the seed's order, for clients that compare text.
  CHECK(std::regex_match(sent.body, std::regex(R"(\{"account_id":"[^"]+","message_id":"[^"]+",)"
                                               R"("phone":"[^"]+","create_date":"[^"]+",)"
                                               R"("expire_date":"[^"]+"\})")));
  CHECK(body["account_id"] == test_key(server).client_id);
  CHECK(ussd_otp::is_uuid(body["account_id"].get<std::string>()));
  CHECK(body["message_id"].get<std::string>().rfind("otp_", 0) == 0);
  CHECK(body["phone"] == kPhone);
  const std::regex date("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z");
  CHECK(std::regex_match(body["create_date"].get<std::string>(), date));
  CHECK(std::regex_match(body["expire_date"].get<std::string>(), date));
  CHECK(body["create_date"] < body["expire_date"]);
  CHECK(body["create_date"] == ussd_otp::iso8601(server.clock().now()).insert(19, ".000"));

  const std::string message = server.wait_for_message(kPhone);
  CHECK(std::regex_match(message, std::regex("Your ACME code is [0-9]{4}")));
  const auto inbox = server.app().dev_inbox()->messages_for(kPhone, server.clock().now());
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].otp_id == body["message_id"]);
}

TEST_CASE_METHOD(
    WithTemplate,
    "getotp: the path works without the trailing slash, and errors name the path called",
    "[http][getotp]") {
  CHECK(send(client, server, documented(tmpl), "/api/verify").status == 200);
  CHECK(getotp_code(send(client, server, without_data(documented(tmpl), "phone"), "/api/verify"),
                    400, "/api/verify") == "1621");
}

TEST_CASE_METHOD(
    WithTemplate,
    "getotp: 1136 without a valid key, and X-OTP-Key or Basic auth with the key either side",
    "[http][getotp]") {
  const json body = documented(tmpl);
  CHECK(getotp_code(client.post_json(kPath, body), 401) == "1136");
  CHECK(getotp_code(client.post_json(kPath, body, {"X-OTP-Key: nope"}), 401) == "1136");
  CHECK(getotp_code(client.post_json(kPath, body, {"Authorization: Basic " + base64("nope:")}),
                    401) == "1136");
  CHECK(getotp_code(client.post_json(kPath, body, {"Authorization: Basic %%%"}), 401) == "1136");
  const HttpResponse refused = client.post_json(kPath, body);
  CHECK(refused.json()["errors"][0]["message"] == "User Not Authorized");
  CHECK(std::regex_match(refused.body,
                         std::regex(R"(\{"errors":\[\{"timestamp":"[^"]+","path":"/api/verify/",)"
                                    R"("method":"POST","status":401,)"
                                    R"("message":"User Not Authorized","code":"1136"\}\]\})")));

  const std::string key = server.api_key();
  for (const std::string& header :
       {"X-OTP-Key: " + key, "x-otp-key: " + key, "Authorization: Basic " + base64(key),
        "Authorization: Basic " + base64(key + ":"), "Authorization: basic " + base64(":" + key),
        "Authorization: Basic " + base64(key + ":secret"),
        "Authorization: Basic " + base64("account:" + key)}) {
    INFO(header);
    server.clock().advance(1);
    CHECK(client.post_json(kPath, body, {header}).status == 200);
  }
}

TEST_CASE_METHOD(WithTemplate,
                 "getotp: every request error of the seed's table, each with its code and status",
                 "[http][getotp]") {
  const json ok = documented(tmpl);
  struct Case {
    const char* why;
    json body;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"template not a UUID", with_data(ok, "template", "not-a-uuid"), "1512"},
      {"template not stored", with_data(ok, "template", ussd_otp::generate_uuid()), "1513"},
      {"channel voice", with_data(ok, "channel", "voice"), "1515"},
      {"channel missing", without_data(ok, "channel"), "1515"},
      {"phone not a number", with_data(ok, "phone", "12ab"), "1523"},
      {"phone abroad (not allowed)", with_data(ok, "phone", "60123456789"), "1523"},
      {"sender missing", without_data(ok, "sender"), "1620"},
      {"sender empty", with_data(ok, "sender", ""), "1620"},
      {"phone missing", without_data(ok, "phone"), "1621"},
      {"template missing", without_data(ok, "template"), "1622"},
      {"code_length 3", with_data(ok, "code_length", 3), "1623"},
      {"code_length 9", with_data(ok, "code_length", 9), "1623"},
      {"code_length text", with_data(ok, "code_length", "four"), "1623"},
      {"neither code nor code_length", without_data(ok, "code_length"), "1623"},
      {"inline template without {code}", with_data(ok, "template", "Your code is {pin}"), "1624"},
      {"code and code_length", with_data(ok, "code", "1234"), "1629"},
      {"code too short", with_data(without_data(ok, "code_length"), "code", "123"), "1631"},
      {"code too long", with_data(without_data(ok, "code_length"), "code", "123456789"), "1631"},
      {"code not numeric", with_data(without_data(ok, "code_length"), "code", "12a4"), "1632"},
      {"payload an object", with_data(ok, "payload", {{"order_id", 1}}), "1705"},
      {"payload too long", with_data(ok, "payload", std::string(2049, 'x')), "1705"},
  };
  for (const Case& c : cases) {
    INFO(c.why);
    CHECK(getotp_code(send(client, server, c.body), 400) == c.code);
  }
  // Not JSON at all.
  CHECK(getotp_code(
            client.post_raw(kPath, "{\"data\":",
                            {"X-OTP-Key: " + server.api_key(), "Content-Type: application/json"}),
            400) == "1705");
  // Each message is the seed's text.
  CHECK(send(client, server, without_data(ok, "sender")).json()["errors"][0]["message"] ==
        "'sender' is missing");
  // None of them created an OTP.
  CHECK(server.app().dev_inbox()->messages_for(kPhone, server.clock().now()).empty());
}

TEST_CASE_METHOD(ServerWithClient, "getotp: another key's template is not found (1513)",
                 "[http][getotp]") {
  const std::string other_key = server.create_api_key("other");
  const std::string tmpl = add_template(server);
  const HttpResponse other = client.post_json(kPath, documented(tmpl), {"X-OTP-Key: " + other_key});
  CHECK(getotp_code(other, 400) == "1513");
}

TEST_CASE("getotp: the per-phone limit answers 429 with 1523 and Retry-After", "[http][getotp]") {
  TestServer server([](ussd_otp::Config& config) { config.policy.per_phone.limit = 1; });
  auto client = server.client();
  const std::string tmpl = add_template(server);
  REQUIRE(send(client, server, documented(tmpl)).status == 200);
  const HttpResponse limited = send(client, server, documented(tmpl));
  CHECK(getotp_code(limited, 429) == "1523");
  CHECK_FALSE(limited.header("retry-after").empty());
}

TEST_CASE_METHOD(ServerWithClient,
                 "getotp: a caller's code reaches the SMS, the USSD screen and native verify",
                 "[http][getotp]") {
  const std::string tmpl = add_template(server, "Use {code} to log in");
  const json body = with_data(without_data(documented(tmpl), "code_length"), "code", "048213");
  const HttpResponse sent = send(client, server, body);
  REQUIRE(sent.status == 200);
  const std::string id = sent.json()["message_id"];
  CHECK(server.wait_for_message(kPhone) == "Use 048213 to log in");

  // *889*142# from the same phone shows it.
  const HttpResponse screen = client.post_raw(
      "/ussd/africastalking",
      "sessionId=getotp1&serviceCode=*889*142%23&phoneNumber=%2B233241234567&text=0241234567",
      {"Content-Type: application/x-www-form-urlencoded"});
  REQUIRE(screen.status == 200);
  CHECK(screen.body.rfind("END ", 0) == 0);
  CHECK(screen.body.find("048213") != std::string::npos);

  // Verified natively with message_id as the id: a wrong code first, then the right one.
  CHECK(verify(client, server, id, "048214").status == 400);
  const HttpResponse verified = verify(client, server, id, "048213");
  CHECK(verified.status == 200);
  CHECK(verified.json()["data"]["verified"] == true);
}

TEST_CASE_METHOD(ServerWithClient,
                 "getotp: a generated code is readable on USSD and verifiable with message_id",
                 "[http][getotp]") {
  const HttpResponse sent =
      send(client, server, with_data(documented(add_template(server)), "code_length", 8));
  REQUIRE(sent.status == 200);
  const std::string message = server.wait_for_message(kPhone);
  const std::string code = message.substr(message.size() - 8);
  const HttpResponse screen = client.post_raw(
      "/ussd/africastalking",
      "sessionId=getotp2&serviceCode=*889*142%23&phoneNumber=%2B233241234567&text=0241234567",
      {"Content-Type: application/x-www-form-urlencoded"});
  CHECK(screen.body.find(code) != std::string::npos);
  CHECK(verify(client, server, sent.json()["message_id"], code).status == 200);
}

TEST_CASE_METHOD(
    ServerWithClient,
    "getotp: an inline template text is accepted as well as a template id, and a flat body",
    "[http][getotp]") {
  const json body = with_data(documented(add_template(server)), "template", "Code: {code}");
  REQUIRE(send(client, server, body).status == 200);
  CHECK(std::regex_match(server.wait_for_message(kPhone), std::regex("Code: [0-9]{4}")));
  // A flat body (the fields without the "data" wrapper) is taken too.
  server.clock().advance(1);
  REQUIRE(send(client, server, body["data"]).status == 200);
  CHECK(std::regex_match(server.wait_for_message(kPhone, 2), std::regex("Code: [0-9]{4}")));
}

TEST_CASE("getotp: the payload comes back in every webhook of the OTP", "[http][getotp]") {
  WebhookReceiver receiver;
  TestServer server;
  auto client = server.client();
  const auto key = test_key(server);
  REQUIRE(ussd_otp::install_webhook(server.app().store(), server.app().vault(), key.id,
                                    receiver.url()));
  const std::string payload = R"({"order_id":"xfdu48sfdjsdf", "agent_id":2258})";
  const json body = with_data(
      with_data(without_data(documented(add_template(server)), "code_length"), "code", "5531"),
      "payload", payload);
  const HttpResponse sent = send(client, server, body);
  REQUIRE(sent.status == 200);
  server.wait_for_message(kPhone);
  const ReceivedWebhook hook = receiver.wait_for_type("otp.sent");
  REQUIRE_FALSE(hook.body.empty());
  CHECK(hook.json()["data"]["payload"] == payload);
  CHECK(hook.json()["data"]["otpId"] == sent.json()["message_id"]);

  REQUIRE(verify(client, server, sent.json()["message_id"], "5531").status == 200);
  const ReceivedWebhook verified = receiver.wait_for_type("otp.verified");
  REQUIRE_FALSE(verified.body.empty());
  CHECK(verified.json()["data"]["payload"] == payload);
}

TEST_CASE_METHOD(
    ServerWithClient,
    "getotp: a retry with the same Idempotency-Key answers the same OTP and sends once",
    "[http][getotp]") {
  const json body = documented(add_template(server));
  std::vector<std::string> headers = otp_key(server);
  headers.push_back("Idempotency-Key: order-17");
  const HttpResponse first = client.post_json(kPath, body, headers);
  REQUIRE(first.status == 200);
  server.wait_for_message(kPhone);
  server.clock().advance(5);
  const HttpResponse retry = client.post_json(kPath, body, headers);
  REQUIRE(retry.status == 200);
  CHECK(retry.json()["message_id"] == first.json()["message_id"]);
  CHECK(retry.json()["create_date"] == first.json()["create_date"]);
  CHECK(server.app().dev_inbox()->messages_for(kPhone, server.clock().now()).size() == 1);
  // Not replaced by the retry: the first OTP is still the pending one.
  const HttpResponse view =
      client.get("/v1/otp/" + first.json()["message_id"].get<std::string>(), {server.auth()});
  CHECK(view.json()["data"]["status"] == "pending");
  // The same key with another body is refused in GetOTP's shape.
  CHECK(getotp_code(client.post_json(kPath, with_data(body, "code_length", 6), headers), 409) ==
        "IDEMPOTENCY_KEY_REUSED");
}

TEST_CASE(
    "getotp: data.clientIp names the end user for the per-IP limit, and a non-address is 1705",
    "[http][getotp][limits]") {
  TestServer server([](ussd_otp::Config& config) { config.policy.per_client_ip.limit = 1; });
  auto client = server.client();
  const std::string tmpl = add_template(server);
  auto from = [&](const std::string& phone, const std::string& ip) {
    return send(client, server,
                with_data(with_data(documented(tmpl), "phone", phone), "clientIp", ip));
  };
  CHECK(from("233241000001", "203.0.113.7").status == 200);
  const HttpResponse limited = from("233241000002", "203.0.113.7");
  CHECK(limited.status == 429);
  CHECK(!limited.header("retry-after").empty());
  CHECK(from("233241000003", "2001:db8::1").status == 200);  // another user: a limit of its own
  // Without clientIp the backend's own address (the peer) is not counted.
  CHECK(send(client, server, with_data(documented(tmpl), "phone", "233241000004")).status == 200);
  CHECK(send(client, server, with_data(documented(tmpl), "phone", "233241000005")).status == 200);
  CHECK(getotp_code(from("233241000006", "not-an-ip"), 400) == "1705");
}
