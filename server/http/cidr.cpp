// Address parsing is inet_pton's; IPv4-mapped IPv6 peers ("::ffff:1.2.3.4") match IPv4 blocks.
#include "server/http/cidr.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <stdexcept>

namespace ussd_otp {
namespace {

struct Address {
  bool v6 = false;
  std::array<unsigned char, 16> bytes{};
};

std::optional<Address> parse_address(std::string_view text) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(std::begin(kMapped), std::end(kMapped), a.bytes.begin())) {
      std::copy(a.bytes.begin() + 12, a.bytes.end(), a.bytes.begin());
      std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
      return a;
    }
    a.v6 = true;
    return a;
  }
  return std::nullopt;
}

bool prefix_equal(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b,
                  int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[i] != b[i]) return false;
  }
  if (bits == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFF << (8 - bits));
  return (a[i] & mask) == (b[i] & mask);
}

}  // namespace

bool is_ip_address(std::string_view text) {
  // inet_pton stops at a NUL; the longest textual IPv6 address is 45 characters.
  if (text.empty() || text.size() > 45 || text.find('\0') != std::string_view::npos) return false;
  const std::string s(text);
  std::array<unsigned char, 16> bytes{};
  return inet_pton(AF_INET, s.c_str(), bytes.data()) == 1 ||
         inet_pton(AF_INET6, s.c_str(), bytes.data()) == 1;
}

std::optional<CidrBlock> CidrBlock::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  const auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  CidrBlock block;
  block.text_ = std::string(text);
  block.v6_ = address->v6;
  block.network_ = address->bytes;
  const int max_bits = address->v6 ? 128 : 32;
  block.prefix_bits_ = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    const auto [end, ec] =
        std::from_chars(bits.data(), bits.data() + bits.size(), block.prefix_bits_);
    if (ec != std::errc() || end != bits.data() + bits.size() || bits.empty() ||
        block.prefix_bits_ < 0 || block.prefix_bits_ > max_bits) {
      return std::nullopt;
    }
  }
  return block;
}

bool CidrBlock::contains(std::string_view address) const {
  const auto parsed = parse_address(address);
  return parsed && parsed->v6 == v6_ && prefix_equal(parsed->bytes, network_, prefix_bits_);
}

std::vector<CidrBlock> parse_cidr_list(std::string_view text) {
  std::vector<CidrBlock> blocks;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find_first_of(", ", start);
    const std::string_view item =
        text.substr(start, end == std::string_view::npos ? text.npos : end - start);
    if (!item.empty()) {
      auto block = CidrBlock::parse(item);
      if (!block)
        throw std::invalid_argument("not an IP address or CIDR block: " + std::string(item));
      blocks.push_back(std::move(*block));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return blocks;
}

}  // namespace ussd_otp
