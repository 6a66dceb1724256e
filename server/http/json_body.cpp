// JSON body parsing and field validation shared by the API handlers.
#include "server/http/json_body.hpp"

#include <cstdint>
#include <ctime>
#include <limits>

#include "otp/strict_json.hpp"

namespace ussd_otp {

Result<nlohmann::json> parse_json_object(std::string_view body) {
  StrictJson parsed = parse_json_strict(body);
  if (!parsed.duplicate_key.empty()) {
    return Error::make(ErrorCode::InvalidJson,
                       "The body is ambiguous JSON: " + duplicate_key_message(parsed) + ".");
  }
  if (!parsed.ok()) {
    return Error::make(ErrorCode::InvalidJson, "The body is not valid JSON.");
  }
  if (!parsed.value.is_object()) {
    return Error::make(ErrorCode::InvalidJson, "The body must be a JSON object.");
  }
  return std::move(parsed.value);
}

const nlohmann::json* FieldReader::present(const char* name) {
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> FieldReader::string(const char* name, bool required) {
  const nlohmann::json* value = present(name);
  if (!value) {
    if (required) problems_[prefix_ + name] = "is required";
    return std::nullopt;
  }
  if (!value->is_string()) {
    problems_[prefix_ + name] = "must be a string";
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<int> FieldReader::integer(const char* name) {
  const nlohmann::json* value = present(name);
  if (!value) return std::nullopt;
  if (!value->is_number_integer()) {
    problems_[prefix_ + name] = "must be a whole number";
    return std::nullopt;
  }
  if (value->is_number_unsigned() &&
      value->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
    problems_[prefix_ + name] = "is out of range";
    return std::nullopt;
  }
  const auto number = value->get<long long>();
  if (number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max()) {
    problems_[prefix_ + name] = "is out of range";
    return std::nullopt;
  }
  return static_cast<int>(number);
}

const nlohmann::json* FieldReader::object(const char* name) {
  const nlohmann::json* value = present(name);
  if (!value) return nullptr;
  if (!value->is_object()) {
    problems_[prefix_ + name] = "must be a JSON object";
    return nullptr;
  }
  return value;
}

void FieldReader::reject_unknown(std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object_.items()) {
    bool listed = false;
    for (std::string_view candidate : known) listed = listed || candidate == key;
    if (!listed) problems_[prefix_ + key] = "unknown field";
  }
}

void FieldReader::absorb(const FieldReader& nested) {
  problems_.insert(nested.problems_.begin(), nested.problems_.end());
}

Error FieldReader::error() const {
  Error error = Error::make(ErrorCode::ValidationError, "The request has invalid fields.");
  error.fields = problems_;
  return error;
}

std::string iso8601(UnixSeconds at) {
  const std::time_t time = static_cast<std::time_t>(at);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string iso8601_millis(UnixSeconds at) {
  std::string text = iso8601(at);
  text.insert(text.size() - 1, ".000");  // times are whole seconds
  return text;
}

std::optional<std::string> text_field(const nlohmann::json& object, const char* name,
                                      bool& bad_type, TextNumbers numbers) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    std::string text = it->get<std::string>();
    if (text.empty()) return std::nullopt;
    return text;
  }
  const bool number_allowed =
      (numbers == TextNumbers::Integers && it->is_number_integer()) ||
      (numbers == TextNumbers::NonNegativeIntegers && it->is_number_unsigned());
  if (number_allowed) return it->dump();
  bad_type = true;
  return std::nullopt;
}

}  // namespace ussd_otp
