// Formats log events as text ("event k=v ...") or as JSON object lines.
#include "server/http/logging.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

#include <spdlog/sinks/stdout_sinks.h>

namespace ussd_otp {
namespace {

std::atomic<LogFormat> g_format{LogFormat::Text};

// Plain values stay plain; anything with spaces, quotes or control characters (paths and
// headers are client-controlled) is quoted and escaped, so one event stays one line.
std::string text_value(const std::string& value) {
  const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) return value;
  return nlohmann::json(value).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void configure_logging(LogFormat format, std::string_view level) {
  g_format = format;
  // Not created through the registry, so configuring twice (tests) does not clash on the name.
  auto logger = std::make_shared<spdlog::logger>("ussd-otp",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == LogFormat::Json) {
    // The message is the inside of a JSON object, so each line is one complete object.
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void log_event(spdlog::level::level_enum level, std::string_view event,
               const nlohmann::json& fields) {
  if (!spdlog::should_log(level)) return;
  if (g_format == LogFormat::Json) {
    nlohmann::json object = {{"event", event}};
    if (fields.is_object()) object.update(fields);
    std::string text = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    spdlog::log(level, "{}", std::string_view(text).substr(1, text.size() - 2));
    return;
  }
  std::string line(event);
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) {
      line += ' ';
      line += key;
      line += '=';
      line += value.is_string()
                  ? text_value(value.get<std::string>())
                  : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  spdlog::log(level, "{}", line);
}

}  // namespace ussd_otp
