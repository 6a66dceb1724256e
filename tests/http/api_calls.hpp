// Shorthands the black-box API tests share: one OTP API call each, with the test server's key.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/test_server.hpp"

namespace ussd_otp::testing {

inline const std::string kPhone = "233241234567";  // "0241234567" normalised

inline std::string error_code(const HttpResponse& response) {
  return response.json()["error"]["code"].get<std::string>();
}

// POST /v1/otp/request; the phone defaults to 0241234567.
inline HttpResponse request_otp(HttpClient& client, const TestServer& server,
                                nlohmann::json body = {}, std::vector<std::string> headers = {}) {
  if (!body.contains("phone")) body["phone"] = "0241234567";
  headers.push_back(server.auth());
  return client.post_json("/v1/otp/request", body, headers);
}

// Requests an OTP that must be created; returns its id.
inline std::string new_otp(HttpClient& client, const TestServer& server, nlohmann::json body = {}) {
  HttpResponse created = request_otp(client, server, std::move(body));
  REQUIRE(created.status == 201);
  return created.json()["data"]["id"];
}

inline HttpResponse verify(HttpClient& client, const TestServer& server, const std::string& id,
                           const std::string& pin) {
  return client.post_json("/v1/otp/verify", {{"id", id}, {"pin", pin}}, {server.auth()});
}

inline HttpResponse resend(HttpClient& client, const TestServer& server, const std::string& id) {
  return client.post_json("/v1/otp/resend", {{"id", id}}, {server.auth()});
}

// GET /v1/otp/{id}, which must succeed: its data.
inline nlohmann::json otp_view(HttpClient& client, const TestServer& server,
                               const std::string& id) {
  const HttpResponse got = client.get("/v1/otp/" + id, {server.auth()});
  REQUIRE(got.status == 200);
  return got.json()["data"];
}

// An OTP that must be created for 0241234567, and the code the dev inbox received for it.
struct SentOtp {
  std::string id;
  std::string code;
};
inline SentOtp sent_otp(HttpClient& client, TestServer& server, nlohmann::json body = {}) {
  REQUIRE_FALSE(body.contains("phone"));
  std::string id = new_otp(client, server, std::move(body));
  return {std::move(id), code_in(server.wait_for_message(kPhone))};
}

// An error answer of the native API: its status and machine-readable code.
inline void check_error(const HttpResponse& response, int status, const std::string& code) {
  INFO(response.body);
  CHECK(response.status == status);
  CHECK(error_code(response) == code);
}

}  // namespace ussd_otp::testing
