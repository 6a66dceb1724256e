// The API key inside `Authorization: Basic` credentials (Sendexa's form), decoded without HTTP.
#include <catch2/catch.hpp>

#include "server/api_key_auth.hpp"

using ussd_otp::api_key_from_basic_credentials;

TEST_CASE("Basic credentials: KEY, KEY: and ANYTHING:KEY all give the key", "[auth]") {
  // base64("uok_abc"), base64("uok_abc:"), base64("user:uok_abc"), base64(":uok_abc")
  CHECK(api_key_from_basic_credentials("dW9rX2FiYw==") == "uok_abc");
  CHECK(api_key_from_basic_credentials("dW9rX2FiYzo=") == "uok_abc");
  CHECK(api_key_from_basic_credentials("dXNlcjp1b2tfYWJj") == "uok_abc");
  CHECK(api_key_from_basic_credentials("OnVva19hYmM=") == "uok_abc");
  // Padding may be left off.
  CHECK(api_key_from_basic_credentials("dW9rX2FiYw") == "uok_abc");
  // The password wins over the user name; only the first colon splits (RFC 7617).
  CHECK(api_key_from_basic_credentials("dW9rX2FiYzp3cm9uZw==") == "wrong");  // uok_abc:wrong
  CHECK(api_key_from_basic_credentials("dTphOmI=") == "a:b");                // u:a:b
}

TEST_CASE("Basic credentials: invalid base64 or nothing usable gives no key", "[auth]") {
  CHECK_FALSE(api_key_from_basic_credentials(""));
  CHECK_FALSE(api_key_from_basic_credentials("Og=="));  // ":"
  CHECK_FALSE(api_key_from_basic_credentials("!!not-base64"));
  CHECK_FALSE(api_key_from_basic_credentials("dW9rX2FiYw===="));       // too much padding
  CHECK_FALSE(api_key_from_basic_credentials("dW9r_2FiYw=="));         // URL-safe alphabet
  CHECK_FALSE(api_key_from_basic_credentials(std::string(600, 'A')));  // longer than any key
}
