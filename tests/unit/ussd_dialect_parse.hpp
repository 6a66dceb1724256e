// The dialect unit tests' access to a registered dialect: bytes in, DialectRequest or reply out,
// without HTTP.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp::testing {

// The dialect registered as `name` (server/ussd/dialects/registry.cpp).
inline const UssdDialect& registered_dialect(std::string_view name) {
  static const auto dialects = all_dialects();
  for (const auto& dialect : dialects) {
    if (dialect->name() == name) return *dialect;
  }
  FAIL(std::string(name) + " is not registered");
  return *dialects.front();
}

// `body` POSTed as JSON to the dialect.
inline Result<DialectRequest> parse_json(std::string_view name, const nlohmann::json& body) {
  const std::string text = body.dump();
  return registered_dialect(name).parse(DialectHttpRequest{"POST", "application/json", text, {}});
}

// The dialect's JSON reply showing `text`, ending the session or waiting for input.
inline nlohmann::json render_json(std::string_view name, const DialectRequest& request,
                                  const std::string& text, bool end) {
  const UssdAnswer answer{text, end, request.ussd.session_id, "en"};
  return nlohmann::json::parse(registered_dialect(name).render(request, answer).body);
}

}  // namespace ussd_otp::testing
