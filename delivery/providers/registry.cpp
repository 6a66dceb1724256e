// The SMS gateway adapters by name: make_provider and provider_names.
#include <functional>
#include <string_view>

#include "delivery/providers/wire.hpp"

namespace ussd_otp {
namespace {

struct ProviderEntry {
  std::string_view name;
  std::function<std::unique_ptr<SmsProvider>(const ProviderSettings&)> make;
};

const std::vector<ProviderEntry>& provider_table() {
  static const std::vector<ProviderEntry> table = {
      {"africastalking", make_africastalking_provider},
      {"arkesel", make_arkesel_provider},
      {"hubtel", make_hubtel_provider},
      {"twilio", make_twilio_provider},
      {"webhook", [](const ProviderSettings& settings) { return make_webhook_provider(settings); }},
  };
  return table;
}

}  // namespace

std::unique_ptr<SmsProvider> make_provider(const ProviderSettings& settings) {
  for (const auto& entry : provider_table()) {
    if (entry.name == settings.name) return entry.make(settings);
  }
  return nullptr;
}

const std::vector<std::string>& provider_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& entry : provider_table()) out.emplace_back(entry.name);
    return out;
  }();
  return names;
}

}  // namespace ussd_otp
