// make_provider and provider_names, and the shared wire helpers the adapters lean on.
#include "delivery/providers/wire.hpp"
#include "gateway_test_support.hpp"
#include "support/provider_settings.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;
namespace wire = ussd_otp::sms_wire;

TEST_CASE("provider names are the five adapters in documentation order", "[delivery][registry]") {
  CHECK(provider_names() ==
        std::vector<std::string>{"africastalking", "arkesel", "hubtel", "twilio", "webhook"});
}

TEST_CASE("every provider name makes a provider of that name", "[delivery][registry]") {
  for (const auto& name : provider_names()) {
    const auto made = make_provider(settings_for_any_provider(name));
    REQUIRE(made != nullptr);
    CHECK(made->name() == name);
  }
}

TEST_CASE("every adapter's send is a POST to its documented URL with its documented headers",
          "[delivery][registry]") {
  struct Send {
    ProviderSettings settings;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  const std::vector<Send> sends = {
      {at_settings(),
       "https://api.africastalking.com/version1/messaging",
       {{"apiKey", "atsk_0123456789abcdef"},
        {"Accept", "application/json"},
        {"Content-Type", "application/x-www-form-urlencoded"}}},
      {arkesel_settings(),
       "https://sms.arkesel.com/api/v2/sms/send",
       {{"api-key", "ark_test_key"},
        {"Content-Type", "application/json"},
        {"Accept", "application/json"}}},
      // printf 'abcdefg:hijklmn' | base64
      {hubtel_settings(),
       "https://sms.hubtel.com/v1/messages/send",
       {{"Authorization", "Basic YWJjZGVmZzpoaWprbG1u"}, {"Content-Type", "application/json"}}},
      // printf '<sid>:<token>' | base64 -w0
      {twilio_settings(),
       "https://api.twilio.com/2010-04-01/Accounts/" + kTwilioSid + "/Messages.json",
       {{"Authorization",
         "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjp0b2tfMDEyMzQ1Njc4OWFiY2RlZg=="},
        {"Content-Type", "application/x-www-form-urlencoded"}}},
      {webhook_settings(),
       "https://sms.operator.example/send",
       {{"Content-Type", "application/json"}, {"X-Ussd-Otp-Timestamp", "1700000000"}}},
  };
  for (const Send& send : sends) {
    INFO(send.settings.name);
    const OutboundRequest request = built_send(send.settings);
    CHECK(request.method == "POST");
    CHECK(request.url == send.url);
    check_headers(request, send.headers);
  }
}

TEST_CASE("every adapter joins its base url, with trailing slashes or not, to its send path",
          "[delivery][registry]") {
  const std::vector<std::tuple<ProviderSettings, std::string, std::string>> bases = {
      {at_settings(), "http://127.0.0.1:8081/at/", "http://127.0.0.1:8081/at/version1/messaging"},
      {arkesel_settings(), "http://127.0.0.1:9000//", "http://127.0.0.1:9000/api/v2/sms/send"},
      // The other Hubtel host in use: both are accepted.
      {hubtel_settings(), "https://smsc.hubtel.com/", "https://smsc.hubtel.com/v1/messages/send"},
      {twilio_settings(), "http://127.0.0.1:7000/",
       "http://127.0.0.1:7000/2010-04-01/Accounts/" + kTwilioSid + "/Messages.json"},
  };
  for (const auto& [settings, base_url, url] : bases) {
    INFO(settings.name << " at " << base_url);
    CHECK(built_send(with_settings(settings, {{&ProviderSettings::base_url, base_url}})).url ==
          url);
  }
}

TEST_CASE("an unknown provider name gives no provider", "[delivery][registry]") {
  ProviderSettings settings;
  settings.name = "infobip";
  CHECK(make_provider(settings) == nullptr);
  settings.name = "";
  CHECK(make_provider(settings) == nullptr);
  settings.name = "Twilio";
  CHECK(make_provider(settings) == nullptr);
}

TEST_CASE("a missing setting throws invalid_argument naming it as the operator types it",
          "[delivery][registry]") {
  ProviderSettings settings;
  settings.name = "twilio";
  settings.auth_token = "t";
  CHECK_THROWS_AS(make_provider(settings), std::invalid_argument);
  CHECK_THROWS_WITH(make_provider(settings), "sms-twilio-account-sid is required");
}

TEST_CASE("form encoding escapes everything but unreserved characters", "[delivery][wire]") {
  CHECK(wire::percent_encode("aZ09-._~") == "aZ09-._~");
  CHECK(wire::percent_encode("+ &=%/\xc3\xa9") == "%2B%20%26%3D%25%2F%C3%A9");
  CHECK(wire::form_encode({{"to", "+233"}, {"m e", "a&b"}}) == "to=%2B233&m%20e=a%26b");
  CHECK(wire::form_encode({}) == "");
}

TEST_CASE("form decoding reads plus as space and rejects broken escapes", "[delivery][wire]") {
  CHECK(wire::form_decode("a+b%2Bc%20d") == "a b+c d");
  CHECK(wire::form_decode("%e9%C3") == std::string("\xe9\xc3"));
  CHECK_FALSE(wire::form_decode("%").has_value());
  CHECK_FALSE(wire::form_decode("%4").has_value());
  CHECK_FALSE(wire::form_decode("%4g").has_value());
  CHECK_FALSE(wire::form_decode("ab%").has_value());
  const auto form = wire::parse_form("a=1&&b&c=x%2By&=v&d=e=f");
  REQUIRE(form.has_value());
  CHECK(*form == wire::Fields{{"a", "1"}, {"b", ""}, {"c", "x+y"}, {"", "v"}, {"d", "e=f"}});
  CHECK_FALSE(wire::parse_form("a=%zz").has_value());
  CHECK(wire::parse_form("")->empty());
}

TEST_CASE("integers are read from numbers and digit strings that fit", "[delivery][wire]") {
  const auto value = [](const char* text) {
    const auto json = nlohmann::json::parse(text, nullptr, false);
    return wire::integer_value(&json);
  };
  CHECK(value("101") == 101);
  CHECK(value("\"405\"") == 405);
  CHECK(value("-3") == -3);
  CHECK(value("12.0") == 12);
  CHECK_FALSE(value("12.5").has_value());
  CHECK_FALSE(value("18446744073709551615").has_value());
  CHECK_FALSE(value("1e300").has_value());
  CHECK_FALSE(value("\"12a\"").has_value());
  CHECK_FALSE(value("\"\"").has_value());
  CHECK_FALSE(value("null").has_value());
  CHECK_FALSE(value("[1]").has_value());
  CHECK_FALSE(wire::integer_value(nullptr).has_value());
}

TEST_CASE("http statuses alone map to outcome classes", "[delivery][wire]") {
  check_groups<SendOutcome, long>({{SendOutcome::Accepted, {200}},
                                   {SendOutcome::AccountLevel, {401, 402, 403, 301}},
                                   {SendOutcome::Transient, {408, 429, 599}},
                                   {SendOutcome::Permanent, {400, 404}},
                                   {SendOutcome::Unknown, {0, 700}}},
                                  [&](long status, SendOutcome outcome) {
                                    CHECK(wire::outcome_for_http_status(status) == outcome);
                                  });
}

TEST_CASE("basic auth is the original base64 of user colon password", "[delivery][wire]") {
  // printf 'Aladdin:open sesame' | base64 (RFC 7617's example)
  CHECK(wire::basic_auth("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(wire::basic_auth("", "") == "Basic Og==");
}

TEST_CASE("phones are given with and without the plus exactly once", "[delivery][wire]") {
  CHECK(wire::plus_e164("233241234567") == "+233241234567");
  CHECK(wire::plus_e164("+233241234567") == "+233241234567");
  CHECK(wire::digits_e164("+233241234567") == "233241234567");
}
