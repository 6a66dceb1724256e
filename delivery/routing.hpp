// Which providers may carry an SMS to a number, in order: chains by destination prefix.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ussd_otp {

struct RouteRule {
  std::string prefix;  // digits of the E.164 number; "" is the default chain ("*")
  std::vector<std::string> chain;
};

class RouteTable {
 public:
  RouteTable() = default;
  explicit RouteTable(std::vector<RouteRule> rules);

  // "233=arkesel,africastalking; 234=africastalking; *=twilio". Throws std::invalid_argument
  // naming the bad part. An empty text is an empty table (no SMS routes).
  static RouteTable parse(std::string_view text);

  // The chain of the longest prefix matching `phone`, else the default chain; empty when no
  // rule covers the number.
  const std::vector<std::string>& chain_for(std::string_view phone) const;
  const std::vector<RouteRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }
  // Every provider named by some chain, each once, in first-mention order.
  std::vector<std::string> providers() const;

 private:
  std::vector<RouteRule> rules_;  // longest prefix first; the default (if any) last
};

}  // namespace ussd_otp
