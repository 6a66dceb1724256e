// The checks a route may list by name, run by HttpServer before the handler: API key, secret
// path token, source-address allow-list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/http/cidr.hpp"
#include "server/http/server.hpp"

namespace ussd_otp {

// The keys a request may be carrying, to try in order: "Authorization: Bearer KEY" or
// "Authorization: Basic base64(...)" (schemes case-insensitive; see basic_auth_key_candidates),
// "api-key: KEY", "X-API-Token: KEY" or "X-OTP-Key: KEY" (GetOTP; header names in any case).
// Undecodable Basic credentials give no key: the same 401 as a wrong one.
std::vector<std::string> api_key_candidates(const Pistache::Http::Request& request);

// "api-key": the first candidate key `authenticate` accepts sets the key in the HttpContext;
// none is 401 UNAUTHORIZED.
RouteFilter api_key_filter(Authenticator authenticate);

// "path-token": the route's ":token" segment must equal `token` (compared in constant time);
// anything else is 404 NOT_FOUND with `not_found_message`, as if the URL did not exist.
RouteFilter path_token_filter(std::string token, std::string not_found_message);

// Who is refused by an allow-list, for the log line: `event` with {subject_field: subject}.
struct RejectionLog {
  std::string event;          // "ussd.rejected"
  std::string subject_field;  // "dialect"
  std::string subject;        // "hubtel"
};

// "allowed-ips": the client's address must be in one of `blocks`; anything else is 403 FORBIDDEN
// with `forbidden_message`, logged as `log` says (reason "source address not allowed").
RouteFilter allowed_ips_filter(std::vector<CidrBlock> blocks, std::string forbidden_message,
                               RejectionLog log);

}  // namespace ussd_otp
