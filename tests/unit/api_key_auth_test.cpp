// The API keys inside `Authorization: Basic` credentials (Sendexa's and GetOTP's forms), decoded
// without HTTP. The server tries each candidate in order; only a real key authenticates.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "server/http/api_key_auth.hpp"

using ussd_otp::basic_auth_key_candidates;
using Keys = std::vector<std::string>;

TEST_CASE("Basic credentials: KEY, KEY:, :KEY and ANYTHING:KEY all carry the key", "[auth]") {
  // base64("uok_abc"), base64("uok_abc:"), base64("user:uok_abc"), base64(":uok_abc")
  CHECK(basic_auth_key_candidates("dW9rX2FiYw==") == Keys{"uok_abc"});
  CHECK(basic_auth_key_candidates("dW9rX2FiYzo=") == Keys{"uok_abc"});
  CHECK(basic_auth_key_candidates("dXNlcjp1b2tfYWJj") == Keys{"user", "uok_abc"});
  CHECK(basic_auth_key_candidates("OnVva19hYmM=") == Keys{"uok_abc"});
  // Padding may be left off.
  CHECK(basic_auth_key_candidates("dW9rX2FiYw") == Keys{"uok_abc"});
  // KEY:secret (GetOTP's key as the user name) tries the user first; only the first colon
  // splits (RFC 7617), so a password may hold colons.
  CHECK(basic_auth_key_candidates("dW9rX2FiYzp3cm9uZw==") == Keys{"uok_abc", "wrong"});
  CHECK(basic_auth_key_candidates("dTphOmI=") == Keys{"u", "a:b"});
}

TEST_CASE("Basic credentials: invalid base64 or nothing usable gives no key", "[auth]") {
  CHECK(basic_auth_key_candidates("").empty());
  CHECK(basic_auth_key_candidates("Og==").empty());  // ":"
  CHECK(basic_auth_key_candidates("!!not-base64").empty());
  CHECK(basic_auth_key_candidates("dW9rX2FiYw====").empty());        // too much padding
  CHECK(basic_auth_key_candidates("dW9r_2FiYw==").empty());          // URL-safe alphabet
  CHECK(basic_auth_key_candidates(std::string(1500, 'A')).empty());  // longer than any key
}
