// IP allow-lists: "52.50.116.54/32", "10.0.0.0/8", "2001:db8::/32", or a bare address.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ussd_otp {

class CidrBlock {
 public:
  static std::optional<CidrBlock> parse(std::string_view text);
  bool contains(std::string_view address) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  bool v6_ = false;
  std::array<unsigned char, 16> network_{};
  int prefix_bits_ = 0;
};

// A plain IPv4 ("203.0.113.7") or IPv6 ("2001:db8::1") address, as inet_pton reads them.
bool is_ip_address(std::string_view text);

// Comma- or space-separated blocks; throws std::invalid_argument naming the bad one.
std::vector<CidrBlock> parse_cidr_list(std::string_view text);

}  // namespace ussd_otp
