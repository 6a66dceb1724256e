// The named route filters: each turns one cross-cutting check into a value a route lists.
#include "server/http/filters.hpp"

#include <sodium.h>

#include <algorithm>
#include <utility>

#include "otp/text.hpp"
#include "server/http/api_key_auth.hpp"
#include "server/http/logging.hpp"

namespace ussd_otp {
namespace {

using namespace Pistache;

// "Bearer KEY": the scheme in any case, followed by something.
bool has_scheme(std::string_view value, std::string_view scheme) {
  return value.size() > scheme.size() && text::starts_with_ignoring_case(value, scheme);
}

bool token_matches(const std::string& expected, const std::string& given) {
  return expected.size() == given.size() &&
         sodium_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

}  // namespace

std::vector<std::string> api_key_candidates(const Http::Request& request) {
  std::vector<std::string> keys;
  // Pistache parses Authorization into a typed header, so it is not among the raw ones.
  if (auto authorization = request.headers().tryGet<Http::Header::Authorization>()) {
    const std::string value(text::trim(authorization->value()));
    constexpr std::string_view kBearer = "Bearer ";
    constexpr std::string_view kBasic = "Basic ";
    if (has_scheme(value, kBearer)) {
      keys.emplace_back(text::trim(std::string_view(value).substr(kBearer.size())));
    } else if (has_scheme(value, kBasic)) {
      keys = basic_auth_key_candidates(text::trim(std::string_view(value).substr(kBasic.size())));
    }
  }
  for (const char* header : {"api-key", "X-API-Token", "X-OTP-Key"}) {
    if (auto raw = request.headers().tryGetRaw(header)) keys.emplace_back(text::trim(raw->value()));
  }
  return keys;
}

RouteFilter api_key_filter(Authenticator authenticate) {
  return {
      .name = "api-key",
      .check = [authenticate = std::move(authenticate)](
                   const Rest::Request& request, HttpContext& context) -> std::optional<HttpError> {
        std::optional<AuthenticatedKey> identity;
        for (const std::string& key : api_key_candidates(request)) {
          if ((identity = authenticate(key))) break;
        }
        if (!identity) {
          return HttpError(TransportCode::Unauthorized,
                           "A valid API key is required (Authorization: Bearer KEY or Basic "
                           "base64(KEY), api-key: KEY, X-API-Token: KEY or X-OTP-Key: KEY).");
        }
        context.api_key_id = identity->id;
        context.api_key_prefix = identity->prefix;
        context.api_client_id = identity->client_id;
        return std::nullopt;
      },
      .authenticates = true};
}

RouteFilter path_token_filter(std::string token, std::string not_found_message) {
  return {"path-token",
          [token = std::move(token), message = std::move(not_found_message)](
              const Rest::Request& request, HttpContext&) -> std::optional<HttpError> {
            if (token_matches(token, request.param(":token").as<std::string>())) {
              return std::nullopt;
            }
            return Error::make(ErrorCode::NotFound, message);
          }};
}

RouteFilter allowed_ips_filter(std::vector<CidrBlock> blocks, std::string forbidden_message,
                               RejectionLog log) {
  return {
      "allowed-ips",
      [blocks = std::move(blocks), message = std::move(forbidden_message), log = std::move(log)](
          const Rest::Request&, HttpContext& context) -> std::optional<HttpError> {
        if (std::any_of(blocks.begin(), blocks.end(), [&](const CidrBlock& block) {
              return block.contains(context.client_ip);
            })) {
          return std::nullopt;
        }
        log_event(spdlog::level::warn, log.event,
                  {{"rid", context.request_id},
                   {log.subject_field, log.subject},
                   {"ip", context.client_ip},
                   {"reason", "source address not allowed"}});
        return Error::make(ErrorCode::Forbidden, message);
      }};
}

}  // namespace ussd_otp
