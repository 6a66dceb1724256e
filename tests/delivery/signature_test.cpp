// Our webhook signature (HMAC-SHA256) and Twilio's (HMAC-SHA1) against independently computed
// values.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "delivery/signature.hpp"
#include "otp/text.hpp"

using namespace ussd_otp;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

const std::string kTwilioUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";

// Twilio's worked example as its current webhooks-security page prints it (Caller and From
// +14158675310). The brief listed +12349013030 for both, which belongs to the older page
// (docs/usage/security) whose signature is 0/KCTR6DLpKmkAf8muzZqo1nDgQ=; both are checked.
// Both values were confirmed at authoring time with:
//   printf '%s' '<url><sorted name+value pairs>' | openssl dgst -sha1 -hmac 12345 -binary | base64
Params twilio_docs_params() {
  return {{"CallSid", "CA1234567890ABCDE"},
          {"Caller", "+14158675310"},
          {"Digits", "1234"},
          {"From", "+14158675310"},
          {"To", "+18005551212"}};
}

Params twilio_older_docs_params() {
  return {{"To", "+18005551212"},
          {"CallSid", "CA1234567890ABCDE"},
          {"Digits", "1234"},
          {"From", "+12349013030"},
          {"Caller", "+12349013030"}};
}

}  // namespace

TEST_CASE("the webhook signature is v1= and the hex HMAC-SHA256 of timestamp dot body",
          "[delivery][signature]") {
  // Expected values computed at authoring time with
  //   printf '%s' '<timestamp>.<body>' | openssl dgst -sha256 -hmac '<secret>'
  CHECK(webhook_signature("whsec_test", 1700000000, R"({"to":"+233241234567"})") ==
        "v1=7f25e6d2e3e5f2f2efcb9f9fc8c8562bb313c7c0453c1866bebd93962195c7dd");
  CHECK(webhook_signature("k", 1700000000, "") ==
        "v1=5c2999a43333a6877f49c8003f235c4f6de40f85b1b7414b70bd470a8db53d97");
}

TEST_CASE("the webhook signature takes a key longer than a hash block", "[delivery][signature]") {
  // openssl dgst -sha256 -hmac "$(printf 'x%.0s' {1..100})" over "42.body"
  CHECK(webhook_signature(std::string(100, 'x'), 42, "body") ==
        "v1=37064636712339d9a8a2bd24e5e276d51652fcf9d7209e5b8e36ff54e17e5a88");
}

TEST_CASE("a webhook signature is valid within the tolerance and not beyond it",
          "[delivery][signature]") {
  const std::string body = R"({"id":"m1","status":"delivered"})";
  const std::string header = webhook_signature("s3cret", 1000, body);
  CHECK(webhook_signature_valid("s3cret", 1000, body, header, 1000));
  CHECK(webhook_signature_valid("s3cret", 1000, body, header, 1300));
  CHECK(webhook_signature_valid("s3cret", 1000, body, header, 700));
  CHECK_FALSE(webhook_signature_valid("s3cret", 1000, body, header, 1301));
  CHECK_FALSE(webhook_signature_valid("s3cret", 1000, body, header, 699));
  CHECK(webhook_signature_valid("s3cret", 1000, body, header, 1010, 10));
  CHECK_FALSE(webhook_signature_valid("s3cret", 1000, body, header, 1011, 10));
}

TEST_CASE("a webhook signature over another body, secret or timestamp is refused",
          "[delivery][signature]") {
  const std::string body = R"({"id":"m1","status":"delivered"})";
  const std::string header = webhook_signature("s3cret", 1000, body);
  CHECK_FALSE(webhook_signature_valid("s3cret", 1000, body + " ", header, 1000));
  CHECK_FALSE(webhook_signature_valid("other", 1000, body, header, 1000));
  CHECK_FALSE(webhook_signature_valid("s3cret", 1001, body, header, 1000));
  CHECK_FALSE(webhook_signature_valid("s3cret", 1000, body, header.substr(3), 1000));
  CHECK_FALSE(webhook_signature_valid("s3cret", 1000, body, "", 1000));
  CHECK_FALSE(webhook_signature_valid("s3cret", 1000, body, "v1=", 1000));
  CHECK_FALSE(
      webhook_signature_valid("s3cret", 1000, body, header.substr(0, header.size() - 1), 1000));
}

TEST_CASE("a webhook signature header may list several signatures and upper-case hex",
          "[delivery][signature]") {
  const std::string body = "{}";
  const std::string header = webhook_signature("s3cret", 1000, body);
  CHECK(webhook_signature_valid("s3cret", 1000, body, "v1=00, " + header, 1000));
  const std::string upper =
      header.substr(0, 3) + text::ascii_upper(std::string_view(header).substr(3));
  CHECK(webhook_signature_valid("s3cret", 1000, body, upper, 1000));
}

TEST_CASE("timestamps at the ends of int64 do not overflow the tolerance check",
          "[delivery][signature]") {
  const auto max = std::numeric_limits<std::int64_t>::max();
  const auto min = std::numeric_limits<std::int64_t>::min();
  const std::string header = webhook_signature("s", max, "b");
  CHECK_FALSE(webhook_signature_valid("s", max, "b", header, min));
  CHECK_FALSE(webhook_signature_valid("s", min, "b", webhook_signature("s", min, "b"), max));
  CHECK(webhook_signature_valid("s", max, "b", header, max));
}

TEST_CASE("the twilio signature matches the worked example of twilio's security docs",
          "[delivery][signature][twilio]") {
  CHECK(twilio_signature("12345", kTwilioUrl, twilio_docs_params()) ==
        "GvWf1cFY/Q7PnoempGyD5oXAezc=");
  CHECK(twilio_signature_valid("12345", kTwilioUrl, twilio_docs_params(),
                               "GvWf1cFY/Q7PnoempGyD5oXAezc="));
}

TEST_CASE("the twilio signature matches the older docs example and sorts parameters by name",
          "[delivery][signature][twilio]") {
  CHECK(twilio_signature("12345", kTwilioUrl, twilio_older_docs_params()) ==
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
}

TEST_CASE("a twilio signature over another url, token or parameter is refused",
          "[delivery][signature][twilio]") {
  const std::string good = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
  auto params = twilio_docs_params();
  CHECK_FALSE(twilio_signature_valid("12346", kTwilioUrl, params, good));
  CHECK_FALSE(
      twilio_signature_valid("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", params, good));
  CHECK_FALSE(twilio_signature_valid("12345", kTwilioUrl, params, good.substr(1)));
  CHECK_FALSE(twilio_signature_valid("12345", kTwilioUrl, params, ""));
  params[2].second = "9999";
  CHECK_FALSE(twilio_signature_valid("12345", kTwilioUrl, params, good));
}

TEST_CASE("a twilio signature is accepted with the default port added or removed",
          "[delivery][signature][twilio]") {
  const auto params = twilio_docs_params();
  const std::string with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
  // Signed over the URL without the port, checked against the URL with it...
  CHECK(twilio_signature_valid("12345", with_port, params, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
  // ...and signed with the port, checked without it.
  const std::string signed_with_port = twilio_signature("12345", with_port, params);
  CHECK(signed_with_port != "GvWf1cFY/Q7PnoempGyD5oXAezc=");
  CHECK(twilio_signature_valid("12345", kTwilioUrl, params, signed_with_port));
  const std::string plain_http = "http://example.com/dlr";
  CHECK(twilio_signature_valid("t", plain_http, {},
                               twilio_signature("t", "http://example.com:80/dlr", {})));
}
