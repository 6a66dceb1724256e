// Which API keys an `Authorization: Basic` credential yields (basic_auth_key_candidates).
#include <catch2/catch.hpp>

#include <sodium.h>

#include <string>
#include <vector>

#include "server/api_key_auth.hpp"

namespace ussd_otp {
namespace {

std::string base64(const std::string& text, int variant = sodium_base64_VARIANT_ORIGINAL) {
  std::string out(sodium_base64_ENCODED_LEN(text.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()),
                    text.size(), variant);
  out.resize(out.size() - 1);
  return out;
}

using Keys = std::vector<std::string>;

}  // namespace

TEST_CASE("Basic credentials give the key alone, or either side of the colon", "[auth]") {
  CHECK(basic_auth_key_candidates(base64("uok_abc")) == Keys{"uok_abc"});
  CHECK(basic_auth_key_candidates(base64("uok_abc:")) == Keys{"uok_abc"});
  CHECK(basic_auth_key_candidates(base64(":uok_abc")) == Keys{"uok_abc"});
  CHECK(basic_auth_key_candidates(base64("user:uok_abc")) == Keys{"user", "uok_abc"});
  // Only the first colon splits: a password may hold colons.
  CHECK(basic_auth_key_candidates(base64("a:b:c")) == Keys{"a", "b:c"});
  // Padding may be left off.
  CHECK(basic_auth_key_candidates(base64("uok_ab", sodium_base64_VARIANT_ORIGINAL_NO_PADDING)) ==
        Keys{"uok_ab"});
}

TEST_CASE("Basic credentials that are not base64 or hold nothing give no key", "[auth]") {
  CHECK(basic_auth_key_candidates("").empty());
  CHECK(basic_auth_key_candidates("%%%").empty());
  CHECK(basic_auth_key_candidates(base64(":")).empty());
  CHECK(basic_auth_key_candidates(std::string(2000, 'A')).empty());  // over the bound
}

}  // namespace ussd_otp
