// Reading JSON request bodies: parse errors and wrongly typed fields become API errors.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "otp/clock.hpp"
#include "otp/errors.hpp"

namespace ussd_otp {

// The body as a JSON object, or INVALID_JSON (also for a key repeated at any depth, named in the
// message).
Result<nlohmann::json> parse_json_object(std::string_view body);

// Typed access to an object's fields that records a problem per field instead of throwing.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, std::string prefix = "")
      : object_(object), prefix_(std::move(prefix)) {}

  std::optional<std::string> string(const char* name, bool required = false);
  std::optional<int> integer(const char* name);
  const nlohmann::json* object(const char* name);
  // Records "unknown field" for every key not in `known` (typos must not be silently ignored).
  void reject_unknown(std::initializer_list<std::string_view> known);
  // Merges problems found by a nested reader.
  void absorb(const FieldReader& nested);

  bool ok() const { return problems_.empty(); }
  const std::map<std::string, std::string>& problems() const { return problems_; }
  Error error() const;  // VALIDATION_ERROR with the per-field map

 private:
  const nlohmann::json* present(const char* name);
  const nlohmann::json& object_;
  std::string prefix_;
  std::map<std::string, std::string> problems_;
};

// Which JSON numbers a text field takes besides strings (written out as text).
enum class TextNumbers { None, Integers, NonNegativeIntegers };

// The compatible APIs' lenient text fields: a string as given, a number written out where
// `numbers` allows it. nullopt when absent, null or ""; `bad_type` is set for any other type.
std::optional<std::string> text_field(const nlohmann::json& object, const char* name,
                                      bool& bad_type, TextNumbers numbers = TextNumbers::None);

// "2026-11-21T23:46:05Z"
std::string iso8601(UnixSeconds at);
// "2026-11-21T23:46:05.000Z": with milliseconds, as Sendexa writes them (the /v1/otp/* answers).
std::string iso8601_millis(UnixSeconds at);

}  // namespace ussd_otp
