// Structured logging over spdlog: human-readable text or one JSON object per line.
#pragma once

#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace ussd_otp {

enum class LogFormat { Text, Json };

// Sets the default spdlog logger (stderr, UTC timestamps) to `format` and `level`.
void configure_logging(LogFormat format, std::string_view level);

// One log line: `event` plus fields. Callers pass request ids, key prefixes, statuses; never a
// code, a rendered message or a whole API key.
void log_event(spdlog::level::level_enum level, std::string_view event,
               const nlohmann::json& fields = nlohmann::json::object());

}  // namespace ussd_otp
