// Parses and answers `sms-routes`.
#include "delivery/routing.hpp"

#include <algorithm>
#include <stdexcept>

#include "otp/text.hpp"

namespace ussd_otp {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(separator, start);
    parts.push_back(
        text::trim(text.substr(start, at == std::string_view::npos ? text.npos : at - start)));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

bool is_provider_name(std::string_view name) {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

}  // namespace

RouteTable::RouteTable(std::vector<RouteRule> rules) : rules_(std::move(rules)) {
  std::stable_sort(rules_.begin(), rules_.end(), [](const RouteRule& a, const RouteRule& b) {
    return a.prefix.size() > b.prefix.size();
  });
}

RouteTable RouteTable::parse(std::string_view text) {
  std::vector<RouteRule> rules;
  if (text::trim(text).empty()) return RouteTable{};
  for (std::string_view item : split(text, ';')) {
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw std::invalid_argument("\"" + std::string(item) + "\" is not PREFIX=PROVIDER,...");
    }
    std::string prefix(text::trim(item.substr(0, eq)));
    if (prefix == "*") {
      prefix.clear();
    } else if (prefix.empty() || prefix.size() > 8 || prefix[0] == '0' ||
               !std::all_of(prefix.begin(), prefix.end(),
                            [](char c) { return c >= '0' && c <= '9'; })) {
      throw std::invalid_argument("\"" + prefix +
                                  "\" is not a destination prefix (1-8 digits of the E.164 "
                                  "number, or * for every other number)");
    }
    RouteRule rule{prefix, {}};
    for (std::string_view name : split(item.substr(eq + 1), ',')) {
      if (!is_provider_name(name)) {
        throw std::invalid_argument("\"" + std::string(name) + "\" is not a provider name");
      }
      if (std::find(rule.chain.begin(), rule.chain.end(), name) != rule.chain.end()) {
        throw std::invalid_argument("provider \"" + std::string(name) +
                                    "\" is twice in the chain of " +
                                    (prefix.empty() ? "*" : prefix));
      }
      rule.chain.emplace_back(name);
    }
    for (const RouteRule& other : rules) {
      if (other.prefix == rule.prefix) {
        throw std::invalid_argument("prefix " + (prefix.empty() ? "*" : prefix) +
                                    " has two chains");
      }
    }
    rules.push_back(std::move(rule));
  }
  return RouteTable(std::move(rules));
}

const std::vector<std::string>& RouteTable::chain_for(std::string_view phone) const {
  static const std::vector<std::string> kNone;
  for (const RouteRule& rule : rules_) {
    if (phone.substr(0, rule.prefix.size()) == rule.prefix) return rule.chain;
  }
  return kNone;
}

std::vector<std::string> RouteTable::providers() const {
  std::vector<std::string> names;
  for (const RouteRule& rule : rules_) {
    for (const std::string& name : rule.chain) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

}  // namespace ussd_otp
