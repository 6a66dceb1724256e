// Black-box tests that a request means one thing: repeated JSON keys, field types the docs do not
// allow, and media types, on every JSON route of the real server (issue 12, "The front door").
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "http/api_calls.hpp"
#include "http/ussd_calls.hpp"
#include "http/ussd_session_row.hpp"
#include "support/raw_http.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

bool names_key(const HttpResponse& response, const std::string& message_field,
               const std::string& key) {
  const std::string message = message_field == "error"
                                  ? response.json()["error"]["message"].get<std::string>()
                                  : response.json()["message"].get<std::string>();
  return message.find("duplicate key \"" + key + "\"") != std::string::npos;
}

// The native 400 INVALID_JSON naming `key`.
void check_duplicate_refused(const HttpResponse& response, const std::string& key) {
  INFO(response.body);
  CHECK(response.status == 400);
  CHECK(error_code(response) == "INVALID_JSON");
  CHECK(names_key(response, "error", key));
}

std::size_t inbox_size(HttpClient& client, const std::string& phone) {
  const HttpResponse inbox = client.get("/dev/inbox?phone=" + phone);
  REQUIRE(inbox.status == 200);
  return inbox.json()["data"]["messages"].size();
}

std::vector<std::string> arkesel_key(const TestServer& server) {
  return {"api-key: " + server.api_key()};
}

const std::string kGenerate =
    R"({"phone_number":"233241234567","sender_id":"MyApp","message":"Code %otp_code%")";

}  // namespace

TEST_CASE("json: a repeated key on the native API is 400 INVALID_JSON naming it", "[http][json]") {
  TestServer server;
  HttpClient client = server.client();
  const std::vector<std::string> json_auth = {server.auth(), "Content-Type: application/json"};

  // Whatever checked the first phone in front of us approved a different request.
  check_duplicate_refused(
      client.post_raw("/v1/otp/request", R"({"phone":"0241234567","phone":"0201234567"})",
                      json_auth),
      "phone");
  check_duplicate_refused(
      client.post_raw("/v1/otp/request",
                      R"({"phone":"0241234567","expiry":{"amount":5,"duration":"minutes",)"
                      R"("amount":1440}})",
                      json_auth),
      "expiry.amount");
  check_duplicate_refused(
      client.post_raw("/v1/otp/request",
                      R"({"phone":"0241234567","metadata":{"order":{"id":1,"id":2}}})", json_auth),
      "metadata.order.id");
  // Escapes do not hide a repeat: "ph\u006fne" is "phone".
  check_duplicate_refused(
      client.post_raw("/v1/otp/request", R"({"phone":"0241234567","ph\u006fne":"0201234567"})",
                      json_auth),
      "phone");
  CHECK(inbox_size(client, "0241234567") == 0);
  CHECK(inbox_size(client, "0201234567") == 0);

  const std::string id = new_otp(client, server);
  check_duplicate_refused(
      client.post_raw("/v1/otp/verify", R"({"id":")" + id + R"(","pin":"1","pin":"2"})", json_auth),
      "pin");
  check_duplicate_refused(
      client.post_raw("/v1/otp/resend", R"({"id":")" + id + R"(","id":")" + id + R"("})",
                      json_auth),
      "id");
  // The same key in different objects is fine.
  CHECK(client
            .post_raw("/v1/otp/request",
                      R"({"phone":"0201234567","metadata":{"phone":"x","nested":{"phone":"y"}}})",
                      json_auth)
            .status == 201);
}

TEST_CASE("json: a repeated key on the dev routes is 400 INVALID_JSON naming it", "[http][json]") {
  TestServer server;
  HttpClient client = server.client();
  const std::vector<std::string> json_type = {"Content-Type: application/json"};
  check_duplicate_refused(
      client.post_raw("/dev/clock", R"({"advanceSeconds":1,"advanceSeconds":86400})", json_type),
      "advanceSeconds");
  check_duplicate_refused(
      client.post_raw("/dev/delivery", R"({"phone":"0241234567","mode":"normal","mode":"drop"})",
                      json_type),
      "mode");
  CHECK(client.get("/dev/clock").json()["data"]["advancedSeconds"] == 0);
}

TEST_CASE("json: a repeated key on the Arkesel API is 422 naming it and creates nothing",
          "[http][json][arkesel]") {
  TestServer server;
  HttpClient client = server.client();
  for (const std::string& body :
       {kGenerate + R"(,"phone_number":"233201234567"})", kGenerate + R"(,"sender_id":"Other"})",
        // Arkesel ignores unknown fields, but not an ambiguous body.
        kGenerate + R"(,"extra":{"a":1,"a":2}})"}) {
    INFO(body);
    const HttpResponse response = client.post_raw("/api/otp/generate", body, arkesel_key(server));
    CHECK(response.status == 422);
    CHECK(response.json()["code"] == "422");
    CHECK(response.json()["message"].get<std::string>().find("duplicate key") != std::string::npos);
  }
  CHECK(names_key(client.post_raw("/api/otp/generate", kGenerate + R"(,"extra":{"a":1,"a":2}})",
                                  arkesel_key(server)),
                  "message", "extra.a"));
  CHECK(inbox_size(client, "233241234567") == 0);

  const HttpResponse verify = client.post_raw(
      "/api/otp/verify", R"({"phone_number":"233241234567","code":"123456","code":"654321"})",
      arkesel_key(server));
  CHECK(verify.status == 422);
  CHECK(names_key(verify, "message", "code"));
  // Without the repeat the same body is an ordinary generate.
  CHECK(client.post_raw("/api/otp/generate", kGenerate + "}", arkesel_key(server)).json()["code"] ==
        "1000");
}

TEST_CASE("json: a repeated key in a JSON USSD callback is 400 INVALID_JSON naming it",
          "[http][json][ussd]") {
  TestServer server;
  HttpClient client = server.client();
  // Which MSISDN the menu trusts must not depend on which copy a parser keeps.
  const HttpResponse arkesel =
      client.post_raw("/ussd/arkesel",
                      R"({"sessionID":"dup-1","userID":"USSD_OTP","msisdn":"233241234567",)"
                      R"("msisdn":"233201234567","userData":"","newSession":true,"network":"MTN"})",
                      {"Content-Type: application/json"});
  check_duplicate_refused(arkesel, "msisdn");
  const HttpResponse hubtel = client.post_raw(
      "/ussd/hubtel",
      R"({"Type":"Initiation","Message":"*889*142#","ServiceCode":"889*142","Operator":"mtn",)"
      R"("ClientState":"","Mobile":"233241234567","SessionId":"dup-2","Sequence":1,)"
      R"("Mobile":"233201234567"})",
      {"Content-Type: application/json"});
  check_duplicate_refused(hubtel, "Mobile");
}

TEST_CASE("arkesel types: sender_id and message as numbers are 1001 and create nothing",
          "[http][arkesel]") {
  TestServer server;
  HttpClient client = server.client();
  const json documented = {{"phone_number", "233241234567"},
                           {"sender_id", "MyApp"},
                           {"message", "Your code is %otp_code%"}};
  struct Case {
    const char* field;
    json value;
  };
  // Only phone_number (and its alias number) and code take numbers (docs/api.md).
  for (const Case& c : std::vector<Case>{{"sender_id", 1234},
                                         {"sender_id", 12.5},
                                         {"sender_id", true},
                                         {"message", 1234},
                                         {"message", json::array({"%otp_code%"})},
                                         {"medium", 1},
                                         {"type", 0},
                                         {"phone_number", 233241234567.5},
                                         {"phone_number", json::object()}}) {
    INFO(c.field << " = " << c.value.dump());
    json body = documented;
    body[c.field] = c.value;
    const HttpResponse response = client.post_json("/api/otp/generate", body, arkesel_key(server));
    CHECK(response.status == 200);
    CHECK(response.json()["code"] == "1001");
    CHECK(response.json()["message"].get<std::string>().find("must be strings") !=
          std::string::npos);
  }
  CHECK(inbox_size(client, "233241234567") == 0);

  // What the docs allow still works: phone_number and code as integers.
  json numeric_phone = documented;
  numeric_phone["phone_number"] = 233241234567LL;
  std::string code;
  // An integer cannot carry a leading zero: generate again (it replaces) until the code has none.
  for (std::size_t sent = 1; sent <= 20 && (code.empty() || code.front() == '0'); ++sent) {
    REQUIRE(
        client.post_json("/api/otp/generate", numeric_phone, arkesel_key(server)).json()["code"] ==
        "1000");
    code = code_in(server.wait_for_message(kPhone, sent));
  }
  REQUIRE(code.front() != '0');
  const HttpResponse verified = client.post_json(
      "/api/otp/verify", {{"phone_number", 233241234567LL}, {"code", std::stoll(code)}},
      arkesel_key(server));
  CHECK(verified.json()["code"] == "1100");

  // verify: code and phone_number of other types are 1101.
  for (const json& bad : {json{{"phone_number", kPhone}, {"code", true}},
                          json{{"phone_number", kPhone}, {"code", 12.5}},
                          json{{"phone_number", json::array()}, {"code", "123456"}}}) {
    INFO(bad.dump());
    CHECK(client.post_json("/api/otp/verify", bad, arkesel_key(server)).json()["code"] == "1101");
  }
}

namespace {

const std::string kUnreadableEn = "We could not read your phone number. Please try again later.";
const std::string kUnavailableEn = "Service unavailable. Please try again.";

std::string end_reason(const TestServer& server, const std::string& dialect,
                       const std::string& id) {
  const auto row = session_row(server, dialect, id);
  REQUIRE(row);
  CHECK(row->ended);
  return row->end_reason;
}

}  // namespace

TEST_CASE("ussd: an MSISDN that does not parse gets its own screen and outcome in every dialect",
          "[http][ussd]") {
  TestServer server([](ussd_otp::Config& c) {
    c.ussd.service_codes = {"*889*142#", "*889*143#"};
    c.ussd.language_by_service_code = {{"*889*143#", "fr"}};
  });
  HttpClient client = server.client();

  SECTION("Africa's Talking (form)") {
    const HttpResponse answer = client.post_raw(
        "/ussd/africastalking",
        "sessionId=bad-1&serviceCode=%2A889%2A142%23&phoneNumber=not-a-number&networkCode=62001"
        "&text=",
        {"Content-Type: application/x-www-form-urlencoded"});
    CHECK(answer.status == 200);
    CHECK(answer.body == "END " + kUnreadableEn);
    CHECK(answer.body.find(kUnavailableEn) == std::string::npos);
    CHECK(end_reason(server, "africastalking", "bad-1") == "invalid_msisdn");

    // In French where the service code says so.
    const HttpResponse french = client.post_raw(
        "/ussd/africastalking",
        "sessionId=bad-2&serviceCode=%2A889%2A143%23&phoneNumber=%2B233&networkCode=62001&text=",
        {"Content-Type: application/x-www-form-urlencoded"});
    CHECK(french.body ==
          "END Nous n'avons pas pu lire votre numero de telephone. Veuillez reessayer plus tard.");
    CHECK(end_reason(server, "africastalking", "bad-2") == "invalid_msisdn");
  }
  SECTION("Arkesel (JSON)") {
    const HttpResponse answer =
        client.post_raw("/ussd/arkesel",
                        R"({"sessionID":"bad-3","userID":"USSD_OTP","msisdn":"12ab","userData":"",)"
                        R"("newSession":true,"network":"MTN"})",
                        {"Content-Type: application/json"});
    const json reply = reply_json(answer);
    CHECK(reply["message"] == kUnreadableEn);
    CHECK(reply["continueSession"] == false);
    CHECK(end_reason(server, "arkesel", "bad-3") == "invalid_msisdn");
  }
  SECTION("Hubtel (JSON)") {
    const HttpResponse answer = client.post_raw(
        "/ussd/hubtel",
        R"({"Type":"Initiation","Mobile":"0000","SessionId":"bad-4","ServiceCode":"889*142",)"
        R"("Message":"*889*142#","Operator":"mtn","Sequence":1,"ClientState":"","Platform":"USSD"})",
        {"Content-Type: application/json"});
    const json reply = reply_json(answer);
    CHECK(reply["Message"] == kUnreadableEn);
    CHECK(reply["Type"] == "release");
    CHECK(end_reason(server, "hubtel", "bad-4") == "invalid_msisdn");
  }
}

namespace {

// One POST with this Content-Type on a fresh connection: what came back, and whether it closed.
RawExchange post_with_type(const TestServer& server, const std::string& path,
                           const std::string& content_type, const std::string& extra_header) {
  const std::string body = R"({"phone":"0241234567"})";
  return raw_exchange(port_of(server.url()),
                      "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + extra_header +
                          "\r\nContent-Type: " + content_type +
                          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

}  // namespace

TEST_CASE("media type: a malformed Content-Type is 400 MALFORMED_REQUEST as api.md says",
          "[http][media]") {
  TestServer server;
  HttpClient client = server.client();
  // Not a media type at all: the transport refuses the request as bad HTTP, on every route,
  // before routing, and closes the connection (docs/api.md, Checks in order).
  for (const std::string type :
       {"application/", ";;;", "json", "application", "/json", "application/json; charset"}) {
    for (const std::string path : {"/v1/otp/request", "/api/otp/generate", "/ussd/arkesel"}) {
      INFO(path << " Content-Type: " << type);
      const RawExchange reply = post_with_type(server, path, type, server.auth());
      CHECK(reply.received.rfind("HTTP/1.1 400", 0) == 0);
      CHECK(reply.received.find("MALFORMED_REQUEST") != std::string::npos);
      CHECK(reply.closed_by_server);
    }
  }
  CHECK(inbox_size(client, "0241234567") == 0);

  // A well-formed type that is not JSON is 415 on routes that need JSON.
  for (const std::string type : {"text/plain", "application/xml", "application/vnd.api+json",
                                 "application/x-www-form-urlencoded", "*/*"}) {
    INFO("Content-Type: " << type);
    const RawExchange reply = post_with_type(server, "/v1/otp/request", type, server.auth());
    CHECK(reply.received.rfind("HTTP/1.1 415", 0) == 0);
    CHECK(reply.received.find("UNSUPPORTED_MEDIA_TYPE") != std::string::npos);
  }
  // JSON with parameters, in any case, is JSON.
  for (const std::string type : {"Application/JSON", "application/json ; charset=utf-8"}) {
    INFO("Content-Type: " << type);
    CHECK(post_with_type(server, "/v1/otp/verify", type, server.auth())
              .received.find("VALIDATION_ERROR") != std::string::npos);
  }

  // And the documentation says so (it used to promise 415 for anything but application/json).
  std::ifstream in(std::string(USSD_OTP_SOURCE_DIR) + "/docs/api.md", std::ios::binary);
  const std::string api{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK(api.find("A `Content-Type` that is not a media type at all") != std::string::npos);
}
