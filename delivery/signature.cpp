// HMAC signatures: ours on outgoing webhooks (HMAC-SHA256, libsodium) and Twilio's on the
// receipts it posts (HMAC-SHA1, OpenSSL: libsodium has no SHA-1).
#include "delivery/signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

#include "otp/crypto.hpp"
#include "otp/text.hpp"

namespace ussd_otp {
namespace {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  ensure_sodium_initialized();
  // The _init/_update/_final API takes keys of any length (the one-shot wants exactly 32 bytes).
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  sodium_memzero(&state, sizeof state);
  return std::string(hex, crypto_auth_hmacsha256_BYTES * 2);
}

// Same length and same bytes, in time that depends on the length only.
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64(const unsigned char* bytes, std::size_t size) {
  const std::size_t length = sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL);
  std::string out(length, '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(length - 1);  // drop the terminating NUL
  return out;
}

// The URL with the default port added when it has none, or its port removed when it has one,
// as Twilio's own validators try both (twilio-python's add_port/remove_port). Empty when the URL
// has no scheme we know.
std::string url_port_variant(std::string_view url) {
  std::string_view scheme;
  std::string_view default_port;
  if (url.substr(0, 8) == "https://") {
    scheme = "https://";
    default_port = "443";
  } else if (url.substr(0, 7) == "http://") {
    scheme = "http://";
    default_port = "80";
  } else {
    return {};
  }
  const std::string_view rest = url.substr(scheme.size());
  const std::size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view tail = rest.substr(authority_end);
  const std::size_t at = authority.rfind('@');
  const std::size_t host_start = at == std::string_view::npos ? 0 : at + 1;
  const std::size_t bracket = authority.rfind(']');  // IPv6 literal: its colons are not a port
  const std::size_t colon = authority.rfind(':');
  const bool has_port = colon != std::string_view::npos && colon >= host_start &&
                        (bracket == std::string_view::npos || colon > bracket);
  std::string out(scheme);
  if (has_port) {
    out.append(authority.substr(0, colon));
  } else {
    out.append(authority);
    out.push_back(':');
    out.append(default_port);
  }
  out.append(tail);
  return out;
}

}  // namespace

std::string webhook_signature(std::string_view secret, std::int64_t timestamp,
                              std::string_view body) {
  std::string signed_text = std::to_string(timestamp);
  signed_text.push_back('.');
  signed_text.append(body);
  return "v1=" + hmac_sha256_hex(secret, signed_text);
}

bool webhook_signature_valid(std::string_view secret, std::int64_t timestamp, std::string_view body,
                             std::string_view signature_header, std::int64_t now,
                             std::int64_t tolerance_seconds) {
  // Subtraction in unsigned space cannot overflow; a timestamp of any size is just far off.
  const std::uint64_t distance =
      timestamp > now ? static_cast<std::uint64_t>(timestamp) - static_cast<std::uint64_t>(now)
                      : static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(timestamp);
  if (tolerance_seconds < 0 || distance > static_cast<std::uint64_t>(tolerance_seconds))
    return false;
  const std::string expected = webhook_signature(secret, timestamp, body);
  // A header may carry several signatures ("v1=a, v1=b") while a secret is being rotated.
  bool valid = false;
  std::size_t start = 0;
  while (start <= signature_header.size()) {
    const std::size_t comma = signature_header.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? signature_header.size() : comma;
    const std::string candidate = text::ascii_lower(
        text::trim(signature_header.substr(start, end - start), text::kWhitespace));
    if (constant_time_equal(candidate, expected)) valid = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return valid;
}

std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             std::vector<std::pair<std::string, std::string>> params) {
  // Sorted by name; equal names (repeated parameters) by value, as twilio-node does.
  std::sort(params.begin(), params.end());
  std::string data(url);
  for (const auto& [name, value] : params) {
    data.append(name);
    data.append(value);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_size);
  return base64(mac, mac_size);
}

bool twilio_signature_valid(std::string_view auth_token, std::string_view url,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            std::string_view signature) {
  const std::string given(text::trim(signature, text::kWhitespace));
  if (given.empty()) return false;
  bool valid = constant_time_equal(twilio_signature(auth_token, url, params), given);
  const std::string variant = url_port_variant(url);
  if (!variant.empty() && constant_time_equal(twilio_signature(auth_token, variant, params), given))
    valid = true;
  return valid;
}

}  // namespace ussd_otp
