// curl_easy_unescape does the %XX work; it accepts a null handle since curl 7.82.
#include "server/url_encoding.hpp"

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

}  // namespace ussd_otp
