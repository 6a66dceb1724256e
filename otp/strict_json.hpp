// Parsing JSON from the outside world so that one text has one meaning: a repeated key fails.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ussd_otp {

struct StrictJson {
  nlohmann::json value;       // discarded unless ok()
  std::string duplicate_key;  // the first repeated key, as a dotted path ("expiry.amount")

  bool ok() const { return !value.is_discarded(); }
  bool syntax_error() const { return value.is_discarded() && duplicate_key.empty(); }
};

// Parses `text` like nlohmann::json::parse (no exceptions), but an object that repeats a key,
// at any depth, is refused: with "last one wins", whatever checked the first value (a proxy, a
// WAF, a signature over a re-serialised body) saw a different request than the one we act on.
StrictJson parse_json_strict(std::string_view text);

// `duplicate key "phone"`, for error messages.
std::string duplicate_key_message(const StrictJson& parsed);

}  // namespace ussd_otp
