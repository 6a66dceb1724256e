// The one place dialects are registered: add a line to USSD_OTP_DIALECTS for a new one
// (server/dialect_<name>.cpp defines make_<name>_dialect()).
#include "otp/text.hpp"
#include "server/ussd/dialects/dialect.hpp"

#include <algorithm>
#include <cctype>

#include "otp/strict_json.hpp"

namespace ussd_otp {

#define USSD_OTP_DIALECTS(X) \
  X(africastalking)          \
  X(arkesel)                 \
  X(hubtel)                  \
  X(nalo)                    \
  X(emergent)                \
  X(crossswitch)             \
  X(beem)                    \
  X(southpawsl)              \
  X(moolre)                  \
  X(hollatags)

#define USSD_OTP_DECLARE(name) std::unique_ptr<UssdDialect> make_##name##_dialect();
USSD_OTP_DIALECTS(USSD_OTP_DECLARE)
#undef USSD_OTP_DECLARE

std::vector<std::unique_ptr<UssdDialect>> all_dialects() {
  std::vector<std::unique_ptr<UssdDialect>> dialects;
#define USSD_OTP_MAKE(name) dialects.push_back(make_##name##_dialect());
  USSD_OTP_DIALECTS(USSD_OTP_MAKE)
#undef USSD_OTP_MAKE
  return dialects;
}

std::vector<std::string> dialect_names() {
  std::vector<std::string> names;
  for (const auto& dialect : all_dialects()) names.emplace_back(dialect->name());
  return names;
}

namespace dialect_json {

Result<nlohmann::json> object_body(std::string_view body) {
  StrictJson parsed = parse_json_strict(body);
  if (!parsed.duplicate_key.empty()) {
    // Which MSISDN or input would count is not ours to guess.
    return Error::make(ErrorCode::InvalidJson,
                       "The body is ambiguous JSON: " + duplicate_key_message(parsed) + ".");
  }
  if (!parsed.ok() || !parsed.value.is_object()) {
    return Error::make(ErrorCode::InvalidJson, "The body must be a JSON object.");
  }
  return std::move(parsed.value);
}

namespace {
std::optional<std::string> as_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_number()) return value.dump();
  return std::nullopt;
}
}  // namespace

std::string optional_string(const nlohmann::json& body, std::string_view name,
                            std::map<std::string, std::string>& problems, std::size_t max_length) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return "";
  auto text = as_text(*it);
  if (!text) {
    problems[std::string(name)] = "must be a string";
    return "";
  }
  if (text->size() > max_length) {
    problems[std::string(name)] = "must be at most " + std::to_string(max_length) + " characters";
    return "";
  }
  return std::move(*text);
}

std::string required_string(const nlohmann::json& body, std::string_view name,
                            std::map<std::string, std::string>& problems, std::size_t max_length) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    problems[std::string(name)] = "is required";
    return "";
  }
  return optional_string(body, name, problems, max_length);
}

std::string ascii_lower(std::string value) {
  return text::ascii_lower(value);
}

void require_non_empty(std::map<std::string, std::string>& problems, const char* field,
                       const std::string& value) {
  if (value.empty() && !problems.contains(field)) problems[field] = "must not be empty";
}

bool required_bool(const nlohmann::json& body, std::string_view name,
                   std::map<std::string, std::string>& problems) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    problems[std::string(name)] = "is required";
    return false;
  }
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  problems[std::string(name)] = "must be true or false";
  return false;
}

Error validation_error(std::string_view dialect, std::map<std::string, std::string> problems) {
  std::string names;
  for (const auto& [field, problem] : problems) {
    names += (names.empty() ? "" : ", ") + field + " " + problem;
  }
  Error error = Error::make(ErrorCode::ValidationError,
                            "Not a valid " + std::string(dialect) + " request: " + names + ".");
  error.fields = std::move(problems);
  return error;
}

DialectReply json_reply(const nlohmann::json& body) {
  // Echoed fields come from the aggregator: bytes that are not UTF-8 become U+FFFD rather than
  // an exception after the step has happened.
  return DialectReply{200, "application/json",
                      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace dialect_json
}  // namespace ussd_otp
