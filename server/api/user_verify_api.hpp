// Verify by user (seed 002's IAM `/otp/verify`): the newest code sent to a phone under the API key
// named by its public client id, with that API's statuses and error bodies.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "otp/otp_service.hpp"
#include "otp/store.hpp"
#include "server/http/server.hpp"

namespace ussd_otp {

struct UserVerifyDependencies {
  OtpService& otp;
  ApiKeyStore& keys;
};

// Every error answer of seed 002's /otp/verify: status, `error` and `message` (empty for
// invalid_parameters, which carries each field's problem at the top level instead). An error
// not listed (a storage failure, the server draining) is http_exception with the native status
// and the error's message.
enum class UserVerifyError {
  EmptyBody,
  NotJson,
  UnknownClient,
  InvalidParameters,
  InvalidCode,
  TooMany
};
struct UserVerifyErrorRow {
  UserVerifyError error;
  int status;
  std::string_view name;  // the body's "error"
  std::string_view message;
};
inline constexpr UserVerifyErrorRow kUserVerifyErrors[] = {
    {UserVerifyError::EmptyBody, 400, "http_exception", "Invalid json format"},
    {UserVerifyError::NotJson, 400, "invalid_parameters", "Invalid json format"},
    {UserVerifyError::UnknownClient, 403, "http_exception", "Forbidden"},
    {UserVerifyError::InvalidParameters, 422, "invalid_parameters", ""},
    {UserVerifyError::InvalidCode, 422, "invalid_code", "Please enter a valid verification code."},
    {UserVerifyError::TooMany, 429, "user_attempts_limits", "Too many requests"},
};

// The checked body: every field present and well formed (the key and the OTP not yet looked up).
struct UserVerifyInput {
  std::string client_id;
  std::string user_id;  // a phone number as the client sent it
  std::string code;
};

// Pure: a body's fields checked as seed 002's table says (no Pistache types). A refusal is the
// complete answer: 400 for an empty or non-JSON body, 422 invalid_parameters with the per-field
// map, 422 invalid_code for an empty code.
std::variant<UserVerifyInput, ApiResponse> parse_user_verify(std::string_view body,
                                                             const PhoneRules& phone_rules);

// POST /otp/verify (no API key: `client_id` names the key).
void add_user_verify_routes(HttpServer& server, const UserVerifyDependencies& deps);

}  // namespace ussd_otp
