// JSON to text that never throws on bytes that are not UTF-8 (a typed answer, a --msisdn, a
// server's reply): they become U+FFFD, as a tester would expect to see, instead of an abort.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace ussd_otp::sim {

inline std::string json_text(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ussd_otp::sim
