// Black-box tests of the Arkesel-compatible API: every result code, and the documented flow.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <string>
#include <thread>
#include <vector>

#include "otp/send_budget.hpp"
#include "support/test_server.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

const std::string kPhone = "233241234567";

// The body README.md's "Switching from Arkesel" section sends.
json documented_body() {
  return {{"expiry", 5},
          {"length", 6},
          {"medium", "sms"},
          {"message", "Your MyApp code is %otp_code%"},
          {"phone_number", "233241234567"},
          {"sender_id", "MyApp"},
          {"type", "numeric"}};
}

std::vector<std::string> key_header(const TestServer& server) {
  return {"api-key: " + server.api_key()};
}

HttpResponse generate(HttpClient& client, const TestServer& server, const json& body) {
  return client.post_json("/api/otp/generate", body, key_header(server));
}

HttpResponse verify(HttpClient& client, const TestServer& server, const std::string& phone,
                    const std::string& code) {
  return client.post_json("/api/otp/verify", {{"phone_number", phone}, {"code", code}},
                          key_header(server));
}

// The Arkesel result code; also checks the body is exactly {"code": "...", "message": "..."}
// with the code as a string.
std::string arkesel_code(const HttpResponse& response) {
  const json body = response.json();
  CHECK(body.size() == 2);
  CHECK(body["message"].is_string());
  REQUIRE(body["code"].is_string());
  return body["code"].get<std::string>();
}

json without(json body, const char* field) {
  body.erase(field);
  return body;
}

void set_budget(TestServer& server, ussd_otp::BudgetChange change) {
  auto key = server.app().store().find_api_key_by_name("test");
  REQUIRE(key);
  ussd_otp::update_send_budget(server.app().store(), key->id, change, server.clock().now());
}

// The native API applies the same policy: its own answer to an OTP request for `phone`.
void check_native_refusal(HttpClient& client, const TestServer& server, const std::string& phone,
                          int status, const std::string& code) {
  const HttpResponse native =
      client.post_json("/v1/otp/request", {{"phone", phone}}, {server.auth()});
  CHECK(native.status == status);
  CHECK(native.json()["error"]["code"] == code);
}

}  // namespace

TEST_CASE_METHOD(
    ServerWithClient,
    "arkesel: generate then read the dev inbox then verify 1100 then again 1104 and past expiry "
    "1105",
    "[http][arkesel]") {
  HttpResponse generated = generate(client, server, documented_body());
  CHECK(generated.status == 200);
  CHECK(generated.json() == json{{"code", "1000"}, {"message", "Successful, Message delivered"}});
  const std::string message = server.wait_for_message(kPhone);
  CHECK(message.rfind("Your MyApp code is ", 0) == 0);
  const std::string code = code_in(message);
  CHECK(code.size() == 6);

  HttpResponse verified = verify(client, server, kPhone, code);
  CHECK(verified.status == 200);
  CHECK(verified.json() == json{{"code", "1100"}, {"message", "Successful"}});
  HttpResponse again = verify(client, server, kPhone, code);
  CHECK(again.status == 200);
  CHECK(again.json() == json{{"code", "1104"}, {"message", "Invalid code"}});

  // A fresh OTP, then past its 5-minute expiry on the dev clock.
  REQUIRE(arkesel_code(generate(client, server, documented_body())) == "1000");
  const std::string second = code_in(server.wait_for_message(kPhone, 2));
  server.clock().advance(5 * 60);
  HttpResponse late = verify(client, server, "0241234567", second);  // any accepted form
  CHECK(late.json() == json{{"code", "1105"}, {"message", "Code has expired"}});
}

TEST_CASE_METHOD(ServerWithClient, "arkesel: the OTP is an ordinary core OTP under the same key",
                 "[http][arkesel]") {
  REQUIRE(arkesel_code(generate(client, server, documented_body())) == "1000");
  server.wait_for_message(kPhone);
  const auto inbox = server.app().dev_inbox()->messages_for(kPhone, server.clock().now());
  REQUIRE(inbox.size() == 1);
  HttpResponse view = client.get("/v1/otp/" + inbox[0].otp_id, {server.auth()});
  REQUIRE(view.status == 200);
  CHECK(view.json()["data"]["status"] == "pending");
  CHECK(view.json()["data"]["from"] == "MyApp");
  CHECK(view.json()["data"]["pinType"] == "NUMERIC");
  CHECK(view.json()["data"]["expiresAt"] != nullptr);
  // Native verify of the same OTP works too; Arkesel verify then sees it as used.
  const std::string code = code_in(inbox[0].text);
  CHECK(
      client.post_json("/v1/otp/verify", {{"id", inbox[0].otp_id}, {"pin", code}}, {server.auth()})
          .status == 200);
  CHECK(arkesel_code(verify(client, server, kPhone, code)) == "1104");
}

TEST_CASE_METHOD(ServerWithClient, "arkesel: api-key and X-API-Token in any case and 401 otherwise",
                 "[http][arkesel]") {
  const json body = documented_body();
  for (const std::string header : {"api-key: ", "API-KEY: ", "X-API-Token: ", "x-api-token: "}) {
    INFO(header);
    CHECK(arkesel_code(client.post_json("/api/otp/generate", body, {header + server.api_key()})) ==
          "1000");
  }
  const json unauthorized = {{"code", "401"},
                             {"message", "Authentication failed (Missing or Invalid API key)"}};
  HttpResponse none = client.post_json("/api/otp/generate", body);
  CHECK(none.status == 401);
  CHECK(none.json() == unauthorized);
  HttpResponse wrong = client.post_json(
      "/api/otp/verify", {{"phone_number", kPhone}, {"code", "1"}}, {"X-API-Token: uok_wrong"});
  CHECK(wrong.status == 401);
  CHECK(wrong.json() == unauthorized);
}

TEST_CASE_METHOD(ServerWithClient, "arkesel: empty or non-JSON bodies get HTTP 422",
                 "[http][arkesel]") {
  const json invalid = {{"code", "422"}, {"message", "Validation error (Missing required field)"}};
  for (const char* path : {"/api/otp/generate", "/api/otp/verify"}) {
    for (const std::string body : {"", "not json", "[1,2]", "phone_number=233241234567"}) {
      INFO(path << " " << body);
      HttpResponse response = client.post_raw(path, body, key_header(server));
      CHECK(response.status == 422);
      CHECK(response.json() == invalid);
    }
  }
}

TEST_CASE_METHOD(ServerWithClient,
                 "arkesel: a JSON body needs no Content-Type and numbers may be strings",
                 "[http][arkesel]") {
  json body = documented_body();
  body["expiry"] = "5";
  body["length"] = "4";
  body["phone_number"] = 233241234567LL;
  HttpResponse response = client.post_raw("/api/otp/generate", body.dump(),
                                          {"api-key: " + server.api_key(), "Content-Type:"});
  CHECK(arkesel_code(response) == "1000");
  CHECK(code_in(server.wait_for_message(kPhone)).size() == 4);
}

TEST_CASE_METHOD(ServerWithClient, "arkesel generate: 1001 1002 1005 and field checks",
                 "[http][arkesel]") {
  for (const char* field : {"phone_number", "sender_id", "message"}) {
    INFO(field);
    HttpResponse missing = generate(client, server, without(documented_body(), field));
    CHECK(missing.status == 200);
    CHECK(missing.json() ==
          json{{"code", "1001"}, {"message", "Validation error (Missing required field)"}});
    json empty = documented_body();
    empty[field] = "";
    CHECK(arkesel_code(generate(client, server, empty)) == "1001");
  }
  // Arkesel's own docs name the phone field `number`: accepted as an alias.
  json aliased = without(documented_body(), "phone_number");
  aliased["number"] = "0241234567";
  CHECK(arkesel_code(generate(client, server, aliased)) == "1000");

  json no_slot = documented_body();
  no_slot["message"] = "Your code is {code} %OTP_CODE%";  // the placeholder is case-sensitive
  HttpResponse slot = generate(client, server, no_slot);
  CHECK(slot.json() ==
        json{{"code", "1002"},
             {"message", "Message must contain a slot for otp code, like %otp_code%"}});

  struct Case {
    const char* field;
    json value;
    const char* message_part;
  };
  for (const Case& c : std::vector<Case>{{"length", 3, "length must be 4-8 for NUMERIC"},
                                         {"length", 9, "length must be 4-8 for NUMERIC"},
                                         {"expiry", 0, "expiry must give 1-1440 minutes"},
                                         {"expiry", 1441, "expiry must give 1-1440 minutes"},
                                         {"expiry", 2.5, "whole numbers"},
                                         {"type", "hex", "type must be numeric or alphanumeric"},
                                         {"medium", "fax", "medium must be sms or voice"},
                                         {"sender_id", "TwelveChars!", "sender_id must be 1-11"},
                                         {"message", "%otp_code% {x}", "unknown placeholder"}}) {
    INFO(c.field << " = " << c.value.dump());
    json body = documented_body();
    body[c.field] = c.value;
    HttpResponse response = generate(client, server, body);
    CHECK(arkesel_code(response) == "1001");
    CHECK(response.json()["message"].get<std::string>().find(c.message_part) != std::string::npos);
  }

  for (const char* phone : {"12", "02412345678", "+233 24 123 456x", "not a phone"}) {
    INFO(phone);
    json body = documented_body();
    body["phone_number"] = phone;
    HttpResponse response = generate(client, server, body);
    CHECK(response.json() == json{{"code", "1005"}, {"message", "Invalid phone number"}});
  }
}

TEST_CASE_METHOD(ServerWithClient,
                 "arkesel generate: alphanumeric codes are the core's ALPHANUMERIC",
                 "[http][arkesel]") {
  json body = documented_body();
  body["type"] = "alphanumeric";
  body["length"] = 8;
  REQUIRE(arkesel_code(generate(client, server, body)) == "1000");
  const std::string code = code_in(server.wait_for_message(kPhone));
  CHECK(code.size() == 8);
  CHECK(code.find_first_not_of("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") == std::string::npos);
  std::string typed = code;
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(arkesel_code(verify(client, server, kPhone, typed)) == "1100");  // case-insensitive
}

TEST_CASE("arkesel generate: 1003 for a blocked sender and 1006 for another country",
          "[http][arkesel]") {
  TestServer server([](ussd_otp::Config& config) {
    config.policy.blocked_senders = {"MTN", "Bank"};
    config.policy.allowed_phone_prefixes.reset();  // the default: the default country only
  });
  HttpClient client = server.client();
  json blocked = documented_body();
  blocked["sender_id"] = "mtn";  // compared case-insensitively
  CHECK(generate(client, server, blocked).json() ==
        json{{"code", "1003"}, {"message", "This Sender ID have Blocked By Administrator"}});

  json abroad = documented_body();
  abroad["phone_number"] = "+447911123456";
  CHECK(generate(client, server, abroad).json() ==
        json{{"code", "1006"}, {"message", "OTP is not allowed in your Country"}});
  check_native_refusal(client, server, "+447911123456", 403, "COUNTRY_NOT_ALLOWED");
}

TEST_CASE_METHOD(ServerWithClient,
                 "arkesel generate: voice answers 1009 over 500 characters and 1004 otherwise",
                 "[http][arkesel]") {
  json voice = documented_body();
  voice["medium"] = "voice";
  CHECK(generate(client, server, voice).json() ==
        json{{"code", "1004"}, {"message", "SMS gateway not active or credential not found"}});
  voice["message"] = "%otp_code%" + std::string(491, 'x');  // 501 characters
  CHECK(generate(client, server, voice).json() ==
        json{{"code", "1009"},
             {"message", "You can not send more than 500 characters using voice medium"}});
  CHECK(server.app().dev_inbox()->messages_for(kPhone, server.clock().now()).empty());
}

TEST_CASE("arkesel generate: sms answers 1004 when no SMS channel is configured",
          "[http][arkesel]") {
  TestServer server([](ussd_otp::Config& c) { c.dev = false; });  // no dev inbox, no gateway
  HttpClient client = server.client();
  CHECK(generate(client, server, documented_body()).json() ==
        json{{"code", "1004"}, {"message", "SMS gateway not active or credential not found"}});
  // The native API refuses it too, and nothing was stored.
  check_native_refusal(client, server, "0241234567", 503, "NO_DELIVERY_CHANNEL");
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM otps").getInt() == 0);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM rate_counters").getInt() == 0);
}

TEST_CASE("arkesel generate: with USSD-only delivery the code is issued and readable over USSD",
          "[http][arkesel]") {
  TestServer server([](ussd_otp::Config& c) {
    c.dev = false;
    c.delivery.ussd_only = true;
  });
  HttpClient client = server.client();
  CHECK(generate(client, server, documented_body()).json() ==
        json{{"code", "1000"}, {"message", "Successful, code available over USSD"}});
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM otps").getInt() == 1);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM outbox").getInt() == 0);  // nothing to send
}

TEST_CASE_METHOD(ServerWithClient,
                 "arkesel generate: 1007 when the budget is spent and 1008 when it is zero",
                 "[http][arkesel]") {
  set_budget(server, {std::nullopt, ussd_otp::SendLimit{1}});
  REQUIRE(arkesel_code(generate(client, server, documented_body())) == "1000");
  server.wait_for_message(kPhone);  // the delivery reached the gateway: the balance is now 0
  CHECK(generate(client, server, documented_body()).json() ==
        json{{"code", "1007"}, {"message", "Insufficient balance"}});

  // Topped up, with a daily cap of 2: one send was made today already.
  set_budget(server, {ussd_otp::SendLimit{2}, ussd_otp::SendLimit{10}});
  CHECK(arkesel_code(generate(client, server, documented_body())) == "1000");
  server.wait_for_message(kPhone, 2);
  HttpResponse daily = generate(client, server, documented_body());
  CHECK(arkesel_code(daily) == "1007");
  CHECK(!daily.header("retry-after").empty());

  set_budget(server, {ussd_otp::SendLimit{}, ussd_otp::SendLimit{0}});
  CHECK(generate(client, server, documented_body()).json() ==
        json{{"code", "1008"}, {"message", "Insufficient balance"}});
  set_budget(server, {ussd_otp::SendLimit{0}, ussd_otp::SendLimit{}});
  CHECK(arkesel_code(generate(client, server, documented_body())) == "1008");
}

TEST_CASE("arkesel generate: rate limits answer 1011 with Retry-After", "[http][arkesel]") {
  TestServer server([](ussd_otp::Config& config) { config.policy.per_phone.limit = 2; });
  HttpClient client = server.client();
  CHECK(arkesel_code(generate(client, server, documented_body())) == "1000");
  CHECK(arkesel_code(generate(client, server, documented_body())) == "1000");
  HttpResponse limited = generate(client, server, documented_body());
  CHECK(limited.status == 200);
  CHECK(arkesel_code(limited) == "1011");
  CHECK(limited.json()["message"].get<std::string>().find("phone limit") != std::string::npos);
  CHECK(!limited.header("retry-after").empty());
}

TEST_CASE("arkesel: a storage failure answers 1011 on generate and 1106 on verify",
          "[http][arkesel]") {
  TestServer server([](ussd_otp::Config& config) { config.sqlite_busy_timeout_ms = 200; });
  HttpClient client = server.client();
  SQLite::Database other(server.db_path().string(), SQLite::OPEN_READWRITE);
  other.setBusyTimeout(5000);  // the dispatcher may be writing this very moment
  other.exec("BEGIN IMMEDIATE");
  HttpResponse generated = generate(client, server, documented_body());
  CHECK(generated.status == 200);
  CHECK(generated.json() == json{{"code", "1011"}, {"message", "Internal error"}});
  CHECK(!generated.header("x-request-id").empty());
  HttpResponse verified = verify(client, server, kPhone, "123456");
  CHECK(verified.status == 200);
  CHECK(verified.json() == json{{"code", "1106"}, {"message", "Internal error"}});
  other.exec("ROLLBACK");
  CHECK(arkesel_code(generate(client, server, documented_body())) == "1000");
}

TEST_CASE_METHOD(ServerWithClient, "arkesel verify: 1101 1102 1103 and 1104 for wrong codes",
                 "[http][arkesel]") {
  CHECK(
      client.post_json("/api/otp/verify", {{"phone_number", kPhone}}, key_header(server)).json() ==
      json{{"code", "1101"}, {"message", "Validation error (Missing required field)"}});
  CHECK(arkesel_code(client.post_json("/api/otp/verify", {{"code", "123456"}},
                                      key_header(server))) == "1101");
  CHECK(arkesel_code(client.post_json("/api/otp/verify", {{"phone_number", kPhone}, {"code", ""}},
                                      key_header(server))) == "1101");
  CHECK(verify(client, server, "12ab", "123456").json() ==
        json{{"code", "1102"}, {"message", "Invalid phone number"}});
  CHECK(verify(client, server, kPhone, "123456").json() ==
        json{{"code", "1103"}, {"message", "Invalid phone number"}});

  // Another key's OTP for the phone is as good as none.
  const std::string other = server.create_api_key("other");
  json body = documented_body();
  REQUIRE(arkesel_code(client.post_json("/api/otp/generate", body, {"api-key: " + other})) ==
          "1000");
  const std::string code = code_in(server.wait_for_message(kPhone));
  CHECK(arkesel_code(verify(client, server, kPhone, code)) == "1103");

  REQUIRE(arkesel_code(generate(client, server, body)) == "1000");
  const std::string mine = code_in(server.wait_for_message(kPhone, 2));
  CHECK(verify(client, server, kPhone, wrong_pin_for(mine)).json() ==
        json{{"code", "1104"}, {"message", "Invalid code"}});
  CHECK(arkesel_code(verify(client, server, kPhone, std::string(65, '1'))) == "1104");
  CHECK(arkesel_code(verify(client, server, kPhone, mine)) == "1100");
}

TEST_CASE("arkesel verify: a locked OTP answers 1104 and stays locked", "[http][arkesel]") {
  TestServer server;  // default-max-attempts: 3
  HttpClient client = server.client();
  REQUIRE(arkesel_code(generate(client, server, documented_body())) == "1000");
  const std::string code = code_in(server.wait_for_message(kPhone));
  for (int i = 0; i < 3; ++i) {
    CHECK(arkesel_code(verify(client, server, kPhone, wrong_pin_for(code))) == "1104");
  }
  CHECK(arkesel_code(verify(client, server, kPhone, code)) == "1104");  // right code, locked
  const std::string id =
      server.app().dev_inbox()->messages_for(kPhone, server.clock().now())[0].otp_id;
  CHECK(client.get("/v1/otp/" + id, {server.auth()}).json()["data"]["status"] == "locked");
}

TEST_CASE_METHOD(ServerWithClient, "arkesel: generating again replaces the active OTP",
                 "[http][arkesel]") {
  REQUIRE(arkesel_code(generate(client, server, documented_body())) == "1000");
  const std::string first = code_in(server.wait_for_message(kPhone));
  REQUIRE(arkesel_code(generate(client, server, documented_body())) == "1000");
  const std::string second = code_in(server.wait_for_message(kPhone, 2));
  const auto inbox =
      server.app().dev_inbox()->messages_for(kPhone, server.clock().now());  // newest first
  REQUIRE(inbox.size() == 2);
  HttpResponse replaced = client.get("/v1/otp/" + inbox[1].otp_id, {server.auth()});
  CHECK(replaced.json()["data"]["status"] == "cancelled");
  if (first != second) CHECK(arkesel_code(verify(client, server, kPhone, first)) == "1104");
  CHECK(arkesel_code(verify(client, server, kPhone, second)) == "1100");
  // The native API keeps its rule: one active OTP per key and phone.
  REQUIRE(arkesel_code(generate(client, server, documented_body())) == "1000");
  check_native_refusal(client, server, "0241234567", 400, "ACTIVE_OTP_EXISTS");
}

TEST_CASE_METHOD(ServerWithClient,
                 "arkesel verify: an integer code gets its leading zeros back (issue 13 bug 1)",
                 "[http][arkesel]") {
  // Generate until the code starts with 0 (1 in 10 each time; 300 tries fail 1 in 10^13).
  std::string code;
  for (std::size_t sent = 1; sent <= 300 && (code.empty() || code[0] != '0'); ++sent) {
    REQUIRE(arkesel_code(generate(client, server, documented_body())) == "1000");
    code = code_in(server.wait_for_message(kPhone, sent));
  }
  REQUIRE(code[0] == '0');
  const std::string id =
      server.app().dev_inbox()->messages_for(kPhone, server.clock().now())[0].otp_id;
  const json as_integer = {{"phone_number", kPhone}, {"code", std::stoll(code)}};
  REQUIRE(as_integer.dump().find("\"code\":" + code) == std::string::npos);  // zeros gone
  HttpResponse verified = client.post_json("/api/otp/verify", as_integer, key_header(server));
  CHECK(arkesel_code(verified) == "1100");
  HttpResponse view = client.get("/v1/otp/" + id, {server.auth()});
  CHECK(view.json()["data"]["status"] == "verified");
  CHECK(view.json()["data"]["attemptsRemaining"] == 3);  // nothing spent
}

TEST_CASE("arkesel verify: a code of only spaces is 1101 and spends no attempt (issue 13 bug 5)",
          "[http][arkesel]") {
  TestServer server;  // default-max-attempts: 3
  HttpClient client = server.client();
  REQUIRE(arkesel_code(generate(client, server, documented_body())) == "1000");
  const std::string code = code_in(server.wait_for_message(kPhone));
  // More than the verify throttle's 5 a minute: blanks count toward nothing.
  for (const std::string blank : {" ", "      ", "\t", " \n ", "", "  ", "\t\t"}) {
    INFO("code '" << blank << "'");
    CHECK(arkesel_code(verify(client, server, kPhone, blank)) == "1101");
  }
  CHECK(arkesel_code(verify(client, server, kPhone, code)) == "1100");
}

TEST_CASE_METHOD(
    ServerWithClient,
    "arkesel generate: a retry with the same Idempotency-Key keeps the user's code (issue 13 "
    "bug 6)",
    "[http][arkesel]") {
  std::vector<std::string> headers = key_header(server);
  headers.push_back("Idempotency-Key: signup-42");
  const json body = documented_body();
  HttpResponse first = client.post_json("/api/otp/generate", body, headers);
  REQUIRE(arkesel_code(first) == "1000");
  const std::string code = code_in(server.wait_for_message(kPhone));

  // The client timed out and retries: same answer, no new code, no second SMS.
  HttpResponse retried = client.post_json("/api/otp/generate", body, headers);
  CHECK(retried.status == first.status);
  CHECK(retried.json() == first.json());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto inbox = server.app().dev_inbox()->messages_for(kPhone, server.clock().now());
  CHECK(inbox.size() == 1);
  CHECK(client.get("/v1/otp/" + inbox[0].otp_id, {server.auth()}).json()["data"]["status"] ==
        "pending");

  // The same key with another body is a conflict, in Arkesel's shape.
  json other = body;
  other["length"] = 4;
  HttpResponse conflict = client.post_json("/api/otp/generate", other, headers);
  CHECK(conflict.status == 409);
  CHECK(arkesel_code(conflict) == "409");
  HttpResponse bad = client.post_json(
      "/api/otp/generate", body,
      {"api-key: " + server.api_key(), "Idempotency-Key: " + std::string(256, 'k')});
  CHECK(arkesel_code(bad) == "1001");

  CHECK(arkesel_code(verify(client, server, kPhone, code)) == "1100");
  // Without the header, generate still replaces (Arkesel clients expect that).
  REQUIRE(arkesel_code(generate(client, server, body)) == "1000");
  CHECK(server.wait_for_message(kPhone, 2) != "");
}
