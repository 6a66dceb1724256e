// Shorthands the USSD dialect tests share: issue a real OTP, load wire fixtures, read events.
#pragma once

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "http/api_calls.hpp"
#include "support/fixtures.hpp"
#include "support/test_server.hpp"

namespace ussd_otp::testing {

struct IssuedOtp {
  std::string id;
  std::string code;
};

// Requests an OTP through /v1/otp/request and reads its code from the dev inbox.
// `phone` is digits-only E.164; "233241234567" is 0241234567.
// A second OTP for the same phone needs another API key (`auth`, e.g. from create_api_key).
inline IssuedOtp issue_otp(TestServer& server, HttpClient& client,
                           const std::string& phone = kPhone, const std::string& from = "ACME",
                           std::size_t messages_before = 0, const std::string& auth = "") {
  nlohmann::json body{{"phone", phone}};
  if (!from.empty()) body["from"] = from;
  const HttpResponse created =
      client.post_json("/v1/otp/request", body, {auth.empty() ? server.auth() : auth});
  REQUIRE(created.status == 201);
  const std::string id = created.json()["data"]["id"];
  const std::string message = server.wait_for_message(phone, messages_before + 1);
  return IssuedOtp{id, code_in(message)};
}

// A JSON dialect's answer: 200, application/json, the body parsed.
inline nlohmann::json reply_json(const HttpResponse& response) {
  REQUIRE(response.status == 200);
  CHECK(response.header("content-type").find("application/json") == 0);
  return response.json();
}

// A 400 with this error code and, when given, `field` named in error.fields.
inline void check_400(const HttpResponse& response, const std::string& code,
                      const std::string& field = "") {
  INFO(response.body);
  CHECK(response.status == 400);
  CHECK(error_code(response) == code);
  if (!field.empty()) CHECK(response.json()["error"]["fields"].contains(field));
}

// The event types recorded on an OTP, oldest first.
inline std::vector<std::string> event_types(HttpClient& client, const TestServer& server,
                                            const std::string& otp_id) {
  server.flush_writes();  // view events are written just behind the answer
  const HttpResponse got = client.get("/v1/otp/" + otp_id, {server.auth()});
  REQUIRE(got.status == 200);
  const nlohmann::json body = got.json();  // keep it alive: the loop reads into it
  std::vector<std::string> types;
  for (const auto& event : body["data"]["events"]) types.push_back(event["type"]);
  return types;
}

inline bool has_event(const std::vector<std::string>& types, const std::string& type) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

}  // namespace ussd_otp::testing
