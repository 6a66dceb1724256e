// Black-box tests of /v1/otp/* as Sendexa's OTP API (seed 004): Basic auth, the documented
// statuses and codes, millisecond timestamps, and the seed's own curl examples replayed.
#include <catch2/catch.hpp>

#include <sodium.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/api_calls.hpp"
#include "support/server_process.hpp"
#include "support/test_server.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

std::string base64(const std::string& text) {
  std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()),
                    text.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  return out;
}

std::string basic(const std::string& credentials) {
  return "Authorization: Basic " + base64(credentials);
}

std::string read_fixture(const std::string& name) {
  const std::string path = std::string(USSD_OTP_SOURCE_DIR) + "/tests/fixtures/sendexa/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

const std::regex kMillisTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
const std::regex kLooksLikeTimestamp(R"(\d{4}-\d\d-\d\dT.*)");

// Every string in `value` that looks like a timestamp carries milliseconds; returns how many.
int check_timestamps(const json& value, const std::string& path = "") {
  int seen = 0;
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) seen += check_timestamps(item, path + "." + key);
  } else if (value.is_array()) {
    for (const auto& item : value) seen += check_timestamps(item, path + "[]");
  } else if (value.is_string() && std::regex_match(value.get<std::string>(), kLooksLikeTimestamp)) {
    INFO(path << " = " << value);
    CHECK(std::regex_match(value.get<std::string>(), kMillisTimestamp));
    ++seen;
  }
  return seen;
}

// Our answer has every key the seed's example shows, with the same JSON type; its timestamps
// have the seed's form. Extra keys are allowed inside `data` only (documented in docs/api.md).
void check_shape(const json& ours, const json& seed, const std::string& path = "$") {
  INFO("at " << path);
  REQUIRE(ours.type_name() == std::string(seed.type_name()));
  if (seed.is_object()) {
    if (path == "$") {
      for (const auto& [key, item] : ours.items()) CHECK(seed.contains(key));
    }
    for (const auto& [key, item] : seed.items()) {
      INFO("key " << key);
      REQUIRE(ours.contains(key));
      check_shape(ours[key], item, path + "." + key);
    }
  } else if (seed.is_string() && std::regex_match(seed.get<std::string>(), kMillisTimestamp)) {
    CHECK(std::regex_match(ours.get<std::string>(), kMillisTimestamp));
  } else if (seed.is_boolean() && path == "$.success") {
    CHECK(ours == seed);
  }
}

std::string curl_binary() {
  for (const char* candidate : {"/usr/bin/curl", "/usr/local/bin/curl", "/bin/curl"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  FAIL("the curl binary is needed (scripts/deps.sh installs it)");
  return {};
}

struct CurlAnswer {
  long status = 0;
  std::string body;
};

// `curl -X POST URL -H ... -H ... -d BODY`, as the seed writes it (plus -sS, the status on the
// last line, and no proxy for the loopback server).
CurlAnswer curl_post(const std::string& url, const std::vector<std::string>& headers,
                     const std::string& body) {
  std::vector<std::string> args = {"-sS", "--noproxy", "*", "-w", "\n%{http_code}",
                                   "-X",  "POST",      url};
  for (const std::string& header : headers) {
    args.push_back("-H");
    args.push_back(header);
  }
  args.push_back("-d");
  args.push_back(body);
  const CommandResult result = run_command(curl_binary(), args, {}, std::chrono::seconds(30));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto newline = result.out.rfind('\n');
  REQUIRE(newline != std::string::npos);
  return {std::stol(result.out.substr(newline + 1)), result.out.substr(0, newline)};
}

}  // namespace

TEST_CASE("sendexa: Authorization Basic carries the key as KEY, KEY:, ANYTHING:KEY or KEY:ANYTHING",
          "[http][sendexa]") {
  TestServer server([](ussd_otp::Config& c) { c.api_key_cache_seconds = 0; });
  HttpClient client = server.client();
  const std::string key = server.api_key();
  std::string padded = base64(key);
  REQUIRE(padded.back() == '=');  // the test of unpadded input below needs padding to drop
  std::string unpadded = padded;
  while (unpadded.back() == '=') unpadded.pop_back();

  int phone = 0;
  auto request_with = [&](const std::string& header) {
    const std::string number = "020" + std::to_string(1000000 + phone++);
    return client.post_json("/v1/otp/request", {{"phone", number}}, {header});
  };
  for (const std::string& header :
       {basic(key), basic(key + ":"), basic("anything:" + key), basic(":" + key),
        basic(key + ":secret"),  // GetOTP's reading: the key as the user name
        "Authorization: basic " + padded, "Authorization: BASIC  " + padded + " ",
        "Authorization: Basic " + unpadded}) {
    INFO(header);
    HttpResponse created = request_with(header);
    CHECK(created.status == 201);
    // Every authenticated route takes it, not just request.
    if (created.status == 201) {
      CHECK(client.get("/v1/otp/" + created.json()["data"]["id"].get<std::string>(), {header})
                .status == 200);
    }
  }
  for (const std::string& header :
       {basic("uok_wrong"), basic("uok_wrong:uok_wrong2"), basic("anything:uok_wrong"), basic(":"),
        basic(""), std::string("Authorization: Basic"),
        std::string("Authorization: Basic !!not-base64!!"),
        "Authorization: Basic " + padded + "==", "Authorization: Basic " + key}) {
    INFO(header);
    HttpResponse refused = request_with(header);
    CHECK(refused.status == 401);
    CHECK(error_code(refused) == "UNAUTHORIZED");
  }
  // A revoked key is refused in Basic form too.
  const std::string other = server.create_api_key("other");
  CHECK(request_with(basic(other)).status == 201);
  REQUIRE(server.app().store().revoke_api_key("other", server.clock().now()));
  CHECK(request_with(basic(other)).status == 401);

  // The Arkesel routes use the same front door.
  const json arkesel = {
      {"phone_number", "0241234567"}, {"sender_id", "MyApp"}, {"message", "Code %otp_code%"}};
  HttpResponse generated = client.post_json("/api/otp/generate", arkesel, {basic(key)});
  CHECK(generated.json()["code"] == "1000");
  HttpResponse arkesel_refused =
      client.post_json("/api/otp/generate", arkesel, {"Authorization: Basic %%%"});
  CHECK(arkesel_refused.status == 401);
  CHECK(arkesel_refused.json()["code"] == "401");
}

TEST_CASE("sendexa: each documented error with its status and fields", "[http][sendexa]") {
  TestServer server([](ussd_otp::Config& c) { c.policy.per_phone.limit = 3; });
  HttpClient client = server.client();

  SECTION("400 ACTIVE_OTP_EXISTS with the seconds left to count down") {
    new_otp(client, server);
    server.clock().advance(30);
    HttpResponse again = request_otp(client, server);
    CHECK(again.status == 400);
    CHECK(again.json()["success"] == false);
    CHECK(error_code(again) == "ACTIVE_OTP_EXISTS");
    CHECK(again.json()["error"]["expiresIn"] == 270);
    CHECK(again.json()["error"]["retryAfter"] == 270);
    CHECK(again.header("retry-after") == "270");
    // The seed does not say where the fields sit: they are at the top level too.
    CHECK(again.json()["code"] == "ACTIVE_OTP_EXISTS");
    CHECK(again.json()["expiresIn"] == 270);
    CHECK(again.json()["retryAfter"] == 270);
  }
  SECTION("400 OTP_EXPIRED past the expiry") {
    const std::string id = new_otp(client, server, {{"expiry", {{"amount", 1}}}});
    const std::string code = code_in(server.wait_for_message(kPhone));
    server.clock().advance(61);
    HttpResponse late = verify(client, server, id, code);
    CHECK(late.status == 400);
    CHECK(error_code(late) == "OTP_EXPIRED");
  }
  SECTION("400 INVALID_PIN counts down to attemptsRemaining 0, then 423 OTP_LOCKED") {
    const auto [id, code] = sent_otp(client, server, {{"maxAttempts", 2}});
    for (const int remaining : {1, 0}) {
      HttpResponse wrong = verify(client, server, id, wrong_pin_for(code));
      check_error(wrong, 400, "INVALID_PIN");
      CHECK(wrong.json()["error"]["attemptsRemaining"] == remaining);
      CHECK(wrong.json()["attemptsRemaining"] == remaining);
    }
    check_error(verify(client, server, id, code), 423, "OTP_LOCKED");
  }
  SECTION("404 OTP_NOT_FOUND for an unknown id and for one already verified") {
    HttpResponse unknown = verify(client, server, "otp_abc123xyz", "482910");
    CHECK(unknown.status == 404);
    CHECK(error_code(unknown) == "OTP_NOT_FOUND");
    const std::string id = new_otp(client, server);
    const std::string code = code_in(server.wait_for_message(kPhone));
    REQUIRE(verify(client, server, id, code).status == 200);
    HttpResponse used = verify(client, server, id, code);
    CHECK(used.status == 404);
    CHECK(error_code(used) == "OTP_NOT_FOUND");
  }
  SECTION("429 RATE_LIMIT_EXCEEDED with retryAfter in the body and the header") {
    for (int i = 0; i < 3; ++i) {
      const std::string id = new_otp(client, server);
      client.post_json("/v1/otp/" + id + "/cancel", json::object(), {server.auth()});
    }
    HttpResponse limited = request_otp(client, server);
    CHECK(limited.status == 429);
    CHECK(error_code(limited) == "RATE_LIMIT_EXCEEDED");
    REQUIRE(limited.json()["error"]["retryAfter"].is_number_integer());
    CHECK(limited.json()["error"]["retryAfter"].get<int>() > 0);
    CHECK(limited.header("retry-after") ==
          std::to_string(limited.json()["error"]["retryAfter"].get<int>()));
    CHECK(limited.json()["retryAfter"] == limited.json()["error"]["retryAfter"]);
  }
}

TEST_CASE("sendexa: verify says OTP verified successfully and every /v1/otp timestamp has ms",
          "[http][sendexa]") {
  TestServer server;
  HttpClient client = server.client();
  HttpResponse created = request_otp(client, server);
  REQUIRE(created.status == 201);
  CHECK(check_timestamps(created.json()) == 1);
  const std::string id = created.json()["data"]["id"];
  const std::string code = code_in(server.wait_for_message(kPhone));

  server.clock().advance(61);
  HttpResponse resent = resend(client, server, id);
  REQUIRE(resent.status == 200);
  CHECK(check_timestamps(resent.json()) == 2);

  HttpResponse ok = verify(client, server, id, code);
  REQUIRE(ok.status == 200);
  // Sendexa's order: success, message, data.
  CHECK(ok.body.rfind(R"({"success":true,"message":"OTP verified successfully","data":{)", 0) == 0);
  CHECK(ok.json()["data"]["verified"] == true);

  HttpResponse view = client.get("/v1/otp/" + id, {server.auth()});
  REQUIRE(view.status == 200);
  CHECK(check_timestamps(view.json()) >= 5);  // createdAt, expiresAt, events, deliveries

  const std::string other = new_otp(client, server);
  HttpResponse cancelled =
      client.post_json("/v1/otp/" + other + "/cancel", json::object(), {server.auth()});
  REQUIRE(cancelled.status == 200);
  CHECK(check_timestamps(cancelled.json()) >= 3);
}

TEST_CASE("sendexa: the seed's request and verify examples, byte for byte through curl",
          "[http][sendexa]") {
  TestServer server;
  const std::vector<std::string> headers = {"Content-Type: application/json",
                                            "Authorization: Basic " + base64(server.api_key())};

  const std::string request_body = read_fixture("request.body");
  CurlAnswer requested = curl_post(server.url() + "/v1/otp/request", headers, request_body);
  INFO(requested.body);
  REQUIRE(requested.status / 100 == 2);
  const json created = json::parse(requested.body);
  check_shape(created, json::parse(read_fixture("request.response.json")));
  const std::string id = created["data"]["id"];
  CHECK(id.rfind("otp_", 0) == 0);

  const std::string message = server.wait_for_message("233244123456");
  CHECK(message.rfind("Your code is ", 0) == 0);
  CHECK(message.find(". Valid for 5 minutes.") != std::string::npos);
  const std::string code = code_in(message);
  CHECK(code.size() == 6);

  const std::string verify_body =
      replaced(replaced(read_fixture("verify.body"), "otp_abc123xyz", id), "482910", code);
  CurlAnswer verified = curl_post(server.url() + "/v1/otp/verify", headers, verify_body);
  INFO(verified.body);
  REQUIRE(verified.status == 200);
  const json answer = json::parse(verified.body);
  check_shape(answer, json::parse(read_fixture("verify.response.json")));
  CHECK(answer["message"] == "OTP verified successfully");
  CHECK(answer["data"]["verified"] == true);

  // The same id again: already verified is OTP_NOT_FOUND, as the seed's table says.
  CurlAnswer again = curl_post(server.url() + "/v1/otp/verify", headers, verify_body);
  CHECK(again.status == 404);
  CHECK(json::parse(again.body)["error"]["code"] == "OTP_NOT_FOUND");
}

TEST_CASE("sendexa: a pin of only spaces is a validation error and spends no attempt",
          "[http][sendexa]") {
  TestServer server;
  HttpClient client = server.client();
  const std::string id = new_otp(client, server, {{"maxAttempts", 1}});
  const std::string code = code_in(server.wait_for_message(kPhone));
  // Six blanks: more than the verify throttle's 5 a minute, which they must not count toward.
  for (const std::string blank : {"", " ", "      ", "\t \n", "  ", "\t"}) {
    INFO("pin '" << blank << "'");
    HttpResponse refused = verify(client, server, id, blank);
    CHECK(refused.status == 400);
    CHECK(error_code(refused) == "VALIDATION_ERROR");
    CHECK(refused.json()["error"]["fields"].contains("pin"));
  }
  CHECK(client.get("/v1/otp/" + id, {server.auth()}).json()["data"]["attemptsRemaining"] == 1);
  CHECK(verify(client, server, id, " " + code + " ").status == 200);
}

TEST_CASE("sendexa: a retried resend with the same Idempotency-Key sends nothing more",
          "[http][sendexa]") {
  TestServer server;
  HttpClient client = server.client();
  const std::string id = new_otp(client, server);
  server.wait_for_message(kPhone);
  server.clock().advance(61);
  const std::vector<std::string> headers = {server.auth(), "Idempotency-Key: resend-1"};

  HttpResponse first = client.post_json("/v1/otp/resend", {{"id", id}}, headers);
  REQUIRE(first.status == 200);
  CHECK(first.json()["data"]["sendCount"] == 2);
  server.wait_for_message(kPhone, 2);
  server.clock().advance(61);  // past the cooldown: without the key this would send again

  HttpResponse retried = client.post_json("/v1/otp/resend", {{"id", id}}, headers);
  CHECK(retried.status == 200);
  CHECK(retried.json()["data"] == first.json()["data"]);
  CHECK(retried.header("idempotent-replayed") == "true");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(server.app().dev_inbox()->messages_for(kPhone, server.clock().now()).size() == 2);
  CHECK(client.get("/v1/otp/" + id, {server.auth()}).json()["data"]["sendCount"] == 2);

  // The key with another body, or on another creating route, is a conflict.
  const std::string other = new_otp(client, server, {{"phone", "0201234567"}});
  HttpResponse other_id = client.post_json("/v1/otp/resend", {{"id", other}}, headers);
  CHECK(other_id.status == 409);
  CHECK(error_code(other_id) == "IDEMPOTENCY_KEY_REUSED");
  HttpResponse as_request = client.post_json("/v1/otp/request", {{"phone", "0209876543"}}, headers);
  CHECK(as_request.status == 409);
  CHECK(error_code(as_request) == "IDEMPOTENCY_KEY_REUSED");

  // Without the header a resend is not deduplicated.
  CHECK(resend(client, server, id).json()["data"]["sendCount"] == 3);
  HttpResponse bad = client.post_json("/v1/otp/resend", {{"id", id}},
                                      {server.auth(), "Idempotency-Key: " + std::string(256, 'k')});
  CHECK(bad.status == 400);
  CHECK(error_code(bad) == "VALIDATION_ERROR");
}
