// Black-box tests of verify by user (seed 002's /otp/verify): the newest code for (client id,
// phone), and each row of the seed's table for phone numbers.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "http/api_calls.hpp"
#include "http/ussd_calls.hpp"
#include "support/test_server.hpp"

using namespace ussd_otp::testing;
using nlohmann::json;

namespace {

const std::string kPath = "/otp/verify";

std::string client_id_of(TestServer& server, const std::string& name = "test") {
  auto key = server.app().store().find_api_key_by_name(name);
  REQUIRE(key);
  return key->client_id;
}

json body_for(const std::string& client_id, const std::string& code,
              const std::string& user_id = "0241234567") {
  return {{"client_id", client_id}, {"user_id", user_id}, {"code", code}, {"auth_type", "sms"}};
}

HttpResponse user_verify(HttpClient& client, const json& body) {
  return client.post_json(kPath, body);
}

json with(json body, const char* field, json value) {
  body[field] = std::move(value);
  return body;
}

json without(json body, const char* field) {
  body.erase(field);
  return body;
}

const json kInvalidCode = {{"error", "invalid_code"},
                           {"message", "Please enter a valid verification code."}};

}  // namespace

TEST_CASE_METHOD(
    ServerWithClient,
    "user verify: the newest code for the phone verifies once with the key's client id",
    "[http][user-verify]") {
  const IssuedOtp otp = issue_otp(server, client);
  const std::string client_id = client_id_of(server);

  const HttpResponse ok = user_verify(client, body_for(client_id, otp.code, "+233241234567"));
  INFO(ok.body);
  CHECK(ok.status == 200);
  CHECK(ok.json()["message"] == "Verify OTP successfully");
  // Used: a second try is an invalid code.
  const HttpResponse again = user_verify(client, body_for(client_id, otp.code));
  CHECK(again.status == 422);
  CHECK(again.json() == kInvalidCode);
  // The OTP is verified in the native API too.
  CHECK(client.get("/v1/otp/" + otp.id, {server.auth()}).json()["data"]["status"] == "verified");
}

TEST_CASE_METHOD(ServerWithClient, "user verify: wrong and expired codes answer 422 invalid_code",
                 "[http][user-verify]") {
  const IssuedOtp otp = issue_otp(server, client);
  const std::string client_id = client_id_of(server);
  const HttpResponse bad = user_verify(client, body_for(client_id, wrong_pin_for(otp.code)));
  CHECK(bad.status == 422);
  CHECK(bad.json() == kInvalidCode);
  // An empty code (the seed's 502 row) is an invalid code here, and spends no attempt.
  CHECK(user_verify(client, body_for(client_id, "")).json() == kInvalidCode);
  CHECK(client.get("/v1/otp/" + otp.id, {server.auth()}).json()["data"]["attemptsRemaining"] == 2);

  server.clock().advance(5 * 60);
  const HttpResponse late = user_verify(client, body_for(client_id, otp.code));
  CHECK(late.status == 422);
  CHECK(late.json() == kInvalidCode);
}

TEST_CASE_METHOD(ServerWithClient, "user verify: an unknown or revoked client_id is 403 Forbidden",
                 "[http][user-verify]") {
  const IssuedOtp otp = issue_otp(server, client);
  const json forbidden = {{"error", "http_exception"}, {"message", "Forbidden"}};
  const HttpResponse unknown =
      user_verify(client, body_for("3fa85f64-5717-4562-b3fc-2c963f66afa6", otp.code));
  CHECK(unknown.status == 403);
  CHECK(unknown.json() == forbidden);
  CHECK(user_verify(client, body_for("not a client id", otp.code)).status == 403);

  server.create_api_key("gone");
  const std::string gone = client_id_of(server, "gone");
  REQUIRE(server.app().store().revoke_api_key("gone", server.clock().now()));
  CHECK(user_verify(client, body_for(gone, otp.code)).status == 403);
  // Another key's client id does not reach this key's code.
  server.create_api_key("other");
  const HttpResponse other = user_verify(client, body_for(client_id_of(server, "other"), otp.code));
  CHECK(other.status == 422);
  CHECK(other.json() ==
        json{{"error", "invalid_parameters"}, {"user_id", {{"invalid", "invalid value"}}}});
}

TEST_CASE_METHOD(ServerWithClient,
                 "user verify: invalid_parameters names each field as the seed's table does",
                 "[http][user-verify]") {
  const IssuedOtp otp = issue_otp(server, client);
  const json ok = body_for(client_id_of(server), otp.code);
  auto check_refused = [&](const json& body, json expected) {
    INFO(body.dump());
    const HttpResponse response = user_verify(client, body);
    INFO(response.body);
    CHECK(response.status == 422);
    expected["error"] = "invalid_parameters";
    CHECK(response.json() == expected);
  };
  const json removed = nullptr;  // the field left out of the body
  // {field, the value sent, what the answer says of that field}
  const std::vector<std::tuple<const char*, json, json>> cases = {
      {"client_id", "", {{"missing", "required"}}},
      {"client_id", removed, "field required"},
      {"user_id", "0241234999", {{"invalid", "invalid value"}}},  // unknown
      {"user_id", "someone@example.com", {{"invalid", "invalid value"}}},
      {"user_id", "", {{"invalid", "invalid format"}}},
      {"user_id", removed, "field required"},
      {"auth_type", "email", {{"invalid", "unsupported auth_type value"}}},
      {"auth_type", "", {{"invalid", "unsupported auth_type value"}}},
      {"auth_type", removed, "field required"},
      {"code", removed, "field required"},
  };
  for (const auto& [field, value, problem] : cases) {
    check_refused(value.is_null() ? without(ok, field) : with(ok, field, value),
                  {{field, problem}});
  }
  check_refused(without(without(ok, "code"), "client_id"),
                {{"code", "field required"}, {"client_id", "field required"}});
  // None of them spent an attempt: the right code still verifies.
  CHECK(user_verify(client, ok).status == 200);
}

TEST_CASE_METHOD(
    ServerWithClient,
    "user verify: an empty body is 400 http_exception and bad JSON 400 invalid_parameters",
    "[http][user-verify]") {
  const HttpResponse empty = client.post_raw(kPath, "", {"Content-Type: application/json"});
  CHECK(empty.status == 400);
  CHECK(empty.json() == json{{"error", "http_exception"}, {"message", "Invalid json format"}});
  for (const std::string body : {"{\"client_id\":", "[1, 2]", "\"text\"", "client_id=x"}) {
    INFO(body);
    const HttpResponse bad = client.post_raw(kPath, body, {"Content-Type: application/json"});
    CHECK(bad.status == 400);
    CHECK(bad.json() == json{{"error", "invalid_parameters"}, {"message", "Invalid json format"}});
  }
}

TEST_CASE("user verify: a sixth attempt within a minute is 429 user_attempts_limits",
          "[http][user-verify]") {
  // The throttle is off in TestServer by default; these are the shipped defaults.
  TestServer server([](ussd_otp::Config& config) { config.policy.verify_throttle = {5, 60, 300}; });
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  const std::string client_id = client_id_of(server);
  for (int i = 0; i < 5; ++i) {
    INFO("attempt " << i + 1);
    CHECK(user_verify(client, body_for(client_id, wrong_pin_for(otp.code))).status == 422);
  }
  const HttpResponse limited = user_verify(client, body_for(client_id, otp.code));
  CHECK(limited.status == 429);
  CHECK(limited.json() ==
        json{{"error", "user_attempts_limits"}, {"message", "Too many requests"}});
  CHECK(limited.header("retry-after") == "300");
}
