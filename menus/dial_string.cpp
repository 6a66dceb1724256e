// Splitting and matching dial strings.
#include "menus/dial_string.hpp"

#include <algorithm>

#include "otp/text.hpp"

namespace ussd_otp {

std::vector<std::string> dial_segments(std::string_view dialled) {
  std::string_view s = text::trim(dialled);
  if (!s.empty() && s.front() == '*') s.remove_prefix(1);
  if (!s.empty() && s.back() == '#') s.remove_suffix(1);
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t star = s.find('*', start);
    out.emplace_back(s.substr(start, star == std::string_view::npos ? s.npos : star - start));
    if (star == std::string_view::npos) break;
    start = star + 1;
  }
  return out;
}

std::string canonical_service_code(std::string_view code) {
  std::string out = "*";
  const auto segments = dial_segments(code);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '*';
    out += segments[i];
  }
  return out + "#";
}

bool looks_like_dial_string(std::string_view text) {
  text = text::trim(text);
  return !text.empty() && (text.front() == '*' || text.back() == '#');
}

std::optional<DialMatch> match_service_code(std::span<const std::string> service_codes,
                                            std::string_view dialled) {
  const auto typed = dial_segments(dialled);
  std::optional<DialMatch> best;
  std::size_t best_length = 0;
  for (const std::string& code : service_codes) {
    const auto ours = dial_segments(code);
    if (ours.empty() || ours.size() > typed.size() || ours.size() <= best_length) continue;
    if (!std::equal(ours.begin(), ours.end(), typed.begin())) continue;
    best_length = ours.size();
    best = DialMatch{canonical_service_code(code), {typed.begin() + ours.size(), typed.end()}};
  }
  return best;
}

}  // namespace ussd_otp
