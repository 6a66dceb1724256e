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
