// curl_easy_unescape does the %XX work; it accepts a null handle since curl 7.82.
#include "server/http/url_encoding.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

namespace ussd_otp {

std::optional<std::string> form_decode(std::string_view encoded) {
  std::string plus_as_space(encoded);
  std::replace(plus_as_space.begin(), plus_as_space.end(), '+', ' ');
  int length = 0;
  std::unique_ptr<char, decltype(&curl_free)> decoded(
      curl_easy_unescape(nullptr, plus_as_space.data(), static_cast<int>(plus_as_space.size()),
                         &length),
      &curl_free);
  if (!decoded) return std::nullopt;
  return std::string(decoded.get(), static_cast<std::size_t>(length));
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(
    std::string_view encoded) {
  std::vector<std::pair<std::string, std::string>> fields;
  while (!encoded.empty()) {
    const std::size_t amp = encoded.find('&');
    const std::string_view pair = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view{} : encoded.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    auto value = form_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return fields;
}

}  // namespace ussd_otp
