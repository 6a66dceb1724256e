// The USSD screens' wording: one JSON data file per language (menus/catalog/*.json), built in.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ussd_otp {

enum class MessageId : std::size_t {
  EnterNumber,
  InvalidNumber,
  TooManyInvalid,
  CodeFromSender,
  Code,
  NoActiveCode,
  ChooseSender,
  InvalidChoice,
  NavigationHint,
  RateLimited,
  Unavailable,
  SessionExpired,
  UnnamedSender,
  InvalidMsisdn,
};
inline constexpr std::size_t kMessageCount = 14;

// The JSON key of each message, e.g. "enter_number".
std::string_view message_key(MessageId id);

// Values a screen may be rendered with. Unused ones are ignored by each message.
struct MessageValues {
  std::string service_code;
  std::string example;
  std::string sender;
  std::string code;
  std::string phone;
  long long minutes = 0;
  // The same wait for a reader: "5 min", "1 h", "22 h 40 min" (see format_time_left).
  std::string time_left;
};

// A wait as a feature-phone screen shows it, rounded up to the minute: "1 min" (for anything
// under a minute), "59 min", "1 h", "22 h 40 min". Long expiries would otherwise read "1360 min".
std::string format_time_left(long long seconds);

class CatalogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One language's messages, checked when loaded: every key present, only known placeholders.
class Messages {
 public:
  // Throws CatalogError naming the language and key at fault.
  static Messages from_json(std::string_view json_text);

  const std::string& language() const { return language_; }
  const std::string& text(MessageId id) const { return texts_[static_cast<std::size_t>(id)]; }
  // The message with its {placeholders} filled in.
  std::string render(MessageId id, const MessageValues& values) const;

 private:
  std::string language_;
  std::array<std::string, kMessageCount> texts_;
};

class MessageCatalog {
 public:
  // The languages shipped in menus/catalog/, embedded at build time.
  static MessageCatalog builtin();
  // Adds or replaces a language.
  void add(Messages messages);
  bool has(std::string_view language) const;
  // Throws CatalogError when the language is missing (configuration is checked at startup).
  const Messages& language(std::string_view language) const;
  std::vector<std::string> languages() const;

 private:
  std::map<std::string, Messages, std::less<>> by_language_;
};

}  // namespace ussd_otp
