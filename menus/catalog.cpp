// Loads and checks message catalogs; renders screens with fmt's named arguments.
#include "menus/catalog.hpp"

#include <fmt/args.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ussd_otp {

const std::vector<std::string_view>& builtin_catalog_files();  // catalog_data.cpp (generated)

namespace {

constexpr std::array<std::string_view, kMessageCount> kKeys{
    "enter_number",   "invalid_number",  "too_many_invalid", "code_from_sender", "code",
    "no_active_code", "choose_sender",   "invalid_choice",   "navigation_hint",  "rate_limited",
    "unavailable",    "session_expired", "unnamed_sender",   "invalid_msisdn",
};

std::string format_message(const std::string& text, const MessageValues& v) {
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  args.push_back(fmt::arg("service_code", v.service_code));
  args.push_back(fmt::arg("example", v.example));
  args.push_back(fmt::arg("sender", v.sender));
  args.push_back(fmt::arg("code", v.code));
  args.push_back(fmt::arg("phone", v.phone));
  args.push_back(fmt::arg("minutes", v.minutes));
  args.push_back(fmt::arg("time_left", v.time_left));
  return fmt::vformat(text, args);
}

}  // namespace

std::string format_time_left(long long seconds) {
  const long long minutes = seconds <= 60 ? 1 : (seconds + 59) / 60;
  if (minutes < 60) return fmt::format("{} min", minutes);
  const long long hours = minutes / 60;
  const long long rest = minutes % 60;
  return rest == 0 ? fmt::format("{} h", hours) : fmt::format("{} h {} min", hours, rest);
}

std::string_view message_key(MessageId id) {
  return kKeys[static_cast<std::size_t>(id)];
}

Messages Messages::from_json(std::string_view json_text) {
  const auto doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) throw CatalogError("message catalog is not a JSON object");
  const auto lang = doc.find("language");
  if (lang == doc.end() || !lang->is_string() || lang->get<std::string>().empty()) {
    throw CatalogError("message catalog has no \"language\"");
  }
  Messages m;
  m.language_ = lang->get<std::string>();
  for (std::size_t i = 0; i < kMessageCount; ++i) {
    const std::string key(kKeys[i]);
    const auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) {
      throw CatalogError("message catalog \"" + m.language_ + "\" lacks the text \"" + key + "\"");
    }
    m.texts_[i] = it->get<std::string>();
    try {
      (void)format_message(m.texts_[i], MessageValues{});  // unknown placeholders throw here
    } catch (const fmt::format_error& e) {
      throw CatalogError("message catalog \"" + m.language_ + "\", \"" + key + "\": " + e.what());
    }
  }
  return m;
}

std::string Messages::render(MessageId id, const MessageValues& values) const {
  return format_message(text(id), values);
}

MessageCatalog MessageCatalog::builtin() {
  MessageCatalog catalog;
  for (const std::string_view file : builtin_catalog_files())
    catalog.add(Messages::from_json(file));
  return catalog;
}

void MessageCatalog::add(Messages messages) {
  std::string key = messages.language();
  by_language_.insert_or_assign(std::move(key), std::move(messages));
}

bool MessageCatalog::has(std::string_view language) const {
  return by_language_.find(language) != by_language_.end();
}

const Messages& MessageCatalog::language(std::string_view language) const {
  const auto it = by_language_.find(language);
  if (it == by_language_.end()) {
    throw CatalogError("no message catalog for language \"" + std::string(language) + "\"");
  }
  return it->second;
}

std::vector<std::string> MessageCatalog::languages() const {
  std::vector<std::string> out;
  for (const auto& [name, messages] : by_language_) out.push_back(name);
  return out;
}

}  // namespace ussd_otp
