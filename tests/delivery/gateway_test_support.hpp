// What the adapter tests share: building a provider, reading a request back (headers, a form
// body decoded by libcurl rather than by the code under test), and canned answers.
#pragma once

#include <curl/curl.h>

#include <catch2/catch.hpp>

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "delivery/provider.hpp"
#include "otp/text.hpp"

namespace ussd_otp::testing {

// Values for some string settings of a provider, by member.
using SettingValues = std::vector<std::pair<std::string ProviderSettings::*, std::string>>;

// `settings` with each of `values` set.
inline ProviderSettings with_settings(ProviderSettings settings, const SettingValues& values) {
  for (const auto& [member, value] : values) settings.*member = value;
  return settings;
}

// Settings for the adapter called `name` with each of `values` set.
inline ProviderSettings settings_of(std::string name, const SettingValues& values) {
  ProviderSettings settings;
  settings.name = std::move(name);
  return with_settings(std::move(settings), values);
}

inline std::unique_ptr<SmsProvider> provider(const ProviderSettings& settings) {
  auto made = make_provider(settings);
  REQUIRE(made != nullptr);
  return made;
}

inline std::optional<std::string> request_header(const OutboundRequest& request,
                                                 std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [key, value] : request.headers) {
    if (text::equals_ignoring_case(key, name)) {
      REQUIRE_FALSE(found.has_value());  // each header once
      found = value;
    }
  }
  return found;
}

// Each of `expected` (name: value) is among the request's headers, once, under any case.
inline void check_headers(const OutboundRequest& request,
                          const std::vector<std::pair<std::string, std::string>>& expected) {
  for (const auto& [name, value] : expected) {
    INFO(name);
    CHECK(request_header(request, name) == value);
  }
}

// Independent of sms_wire: splits on '&' and '=' and decodes each side with libcurl.
inline std::string curl_decode(const std::string& text) {
  std::string plus_as_space = text;
  for (char& c : plus_as_space) {
    if (c == '+') c = ' ';
  }
  int length = 0;
  char* decoded = curl_easy_unescape(nullptr, plus_as_space.c_str(),
                                     static_cast<int>(plus_as_space.size()), &length);
  REQUIRE(decoded != nullptr);
  std::string out(decoded, static_cast<std::size_t>(length));
  curl_free(decoded);
  return out;
}

using FormFields = std::vector<std::pair<std::string, std::string>>;

inline FormFields form_fields(const std::string& body) {
  FormFields fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    const std::size_t amp = std::min(body.find('&', start), body.size());
    const std::string part = body.substr(start, amp - start);
    const std::size_t eq = part.find('=');
    REQUIRE(eq != std::string::npos);
    fields.emplace_back(curl_decode(part.substr(0, eq)), curl_decode(part.substr(eq + 1)));
    start = amp + 1;
  }
  return fields;
}

inline OutboundResponse answer(long status, std::string body) {
  OutboundResponse response;
  response.result = TransferResult::Completed;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// How the adapter made from `settings` classes a completed answer.
inline SendResult judge_answer(const ProviderSettings& settings, long status, std::string body) {
  return provider(settings)->parse_send(answer(status, std::move(body)));
}

inline OutboundResponse incomplete(TransferResult result) {
  OutboundResponse response;
  response.result = result;
  response.transport_error = "Connection reset by peer";
  return response;
}

// Bodies no parser may throw on or crash over.
inline std::vector<std::string> garbage_bodies() {
  return {"",
          "not json",
          "{",
          "[]",
          "null",
          "42",
          "\"text\"",
          "{\"status\":[1,2]}",
          "{\"status\":{\"a\":1},\"data\":\"x\",\"SMSMessageData\":5}",
          "{\"SMSMessageData\":{\"Recipients\":{\"statusCode\":101}}}",
          "{\"SMSMessageData\":{\"Recipients\":[null,1]}}",
          "{\"SMSMessageData\":{\"Recipients\":[{\"statusCode\":1e400}]}}",
          "{\"SMSMessageData\":{\"Recipients\":[{\"statusCode\":99999999999999999999999}]}}",
          "{\"SMSMessageData\":{\"Recipients\":[{\"statusCode\":-1.5,\"messageId\":[]}]}}",
          "{\"status\":\"success\",\"data\":[null,{\"id\":{}},{\"invalid numbers\":\"x\"}]}",
          "{\"status\":1e308,\"code\":-9223372036854775809,\"sid\":null}",
          "{\"code\":18446744073709551615,\"status\":\"0\",\"messageId\":true}",
          "{\"data\":{\"status\":7}}",
          std::string("{\"sid\":\"\xff\xfe\"}"),
          std::string("\x00\x01\x02", 3),
          std::string(100000, '['),
          "<html><body>502 Bad Gateway</body></html>"};
}

// A report POSTed to our receipt URL with `body` as `content_type`.
inline ReceiptRequest posted(std::string content_type, std::string body) {
  ReceiptRequest request;
  request.method = "POST";
  request.url = "https://otp.example.com/delivery/test";
  request.content_type = std::move(content_type);
  request.body = std::move(body);
  return request;
}

inline ReceiptRequest form_post(std::string body) {
  return posted("application/x-www-form-urlencoded", std::move(body));
}

inline ReceiptRequest json_post(std::string body) {
  return posted("application/json", std::move(body));
}

// Garbage bodies in each of `shapes` (form_post, json_post, a signed report...) never throw.
inline void check_garbage_reports(
    const SmsProvider& gateway,
    const std::vector<std::function<ReceiptRequest(const std::string&)>>& shapes) {
  for (const auto& body : garbage_bodies()) {
    for (const auto& shape : shapes) CHECK_NOTHROW(gateway.parse_receipt(shape(body)));
  }
}

// One answer of a gateway and the class it must be given.
struct AnswerCase {
  long status;
  std::string body;
  SendOutcome outcome;
};

inline void check_answer_classes(const SmsProvider& gateway, const std::vector<AnswerCase>& cases) {
  for (const auto& [status, body, outcome] : cases) {
    INFO("HTTP " << status << ": " << body);
    const SendResult result = gateway.parse_send(answer(status, body));
    CHECK(result.outcome == outcome);
  }
}

// Garbage under each of `statuses` never throws; a transfer that failed before the request left
// is transient, one that may have reached the gateway is unknown (it may have been sent).
inline void check_garbage_and_incomplete_answers(const SmsProvider& gateway,
                                                 std::initializer_list<long> statuses) {
  for (const auto& body : garbage_bodies()) {
    for (const long status : statuses) CHECK_NOTHROW(gateway.parse_send(answer(status, body)));
  }
  CHECK(gateway.parse_send(incomplete(TransferResult::FailedBeforeSend)).outcome ==
        SendOutcome::Transient);
  for (const TransferResult after :
       {TransferResult::TimedOutAfterSend, TransferResult::FailedAfterSend}) {
    CHECK(gateway.parse_send(incomplete(after)).outcome == SendOutcome::Unknown);
  }
}

// A report `gateway` (which takes reports) must read: its receipts.
inline std::vector<Receipt> receipts_of(const SmsProvider& gateway, const ReceiptRequest& request) {
  REQUIRE(gateway.accepts_receipts());
  auto receipts = gateway.parse_receipt(request);
  REQUIRE(receipts.ok());
  return receipts.value();
}

// Calls `check(value, expected)` for each value of each group {expected, {value, ...}}: tables
// of what a gateway may say, grouped by the class each must get.
template <class Expected, class Value, class Check>
void check_groups(const std::vector<std::pair<Expected, std::vector<Value>>>& groups, Check check) {
  for (const auto& [expected, values] : groups) {
    for (const Value& value : values) {
      INFO(value);
      check(value, expected);
    }
  }
}

// Each status, answered with an empty body, gets the class of its group.
inline void check_status_classes(
    const SmsProvider& gateway,
    const std::vector<std::pair<SendOutcome, std::vector<long>>>& groups) {
  check_groups(groups, [&](long status, SendOutcome outcome) {
    CHECK(gateway.parse_send(answer(status, "")).outcome == outcome);
  });
}

// `request` is read by `gateway` as a receipt for `message_id` in `state` (the first, if more).
inline void check_read(const SmsProvider& gateway, const ReceiptRequest& request,
                       const std::string& message_id, ReceiptState state) {
  const std::vector<Receipt> receipts = receipts_of(gateway, request);
  REQUIRE_FALSE(receipts.empty());
  CHECK(receipts[0].message_id == message_id);
  CHECK(receipts[0].state == state);
}

using ReceiptStates = std::vector<std::pair<ReceiptState, std::vector<std::string>>>;

// For each status of `states`, `read(status)` (a report or poll answer carrying that status)
// gives one receipt for `message_id` with the status as sent and its state; `also` checks more.
inline void check_receipt_states(
    const ReceiptStates& states,
    const std::function<std::vector<Receipt>(const std::string&)>& read,
    const std::string& message_id, const std::function<void(const Receipt&)>& also = nullptr) {
  check_groups(states, [&](const std::string& status, ReceiptState state) {
    const std::vector<Receipt> receipts = read(status);
    REQUIRE(receipts.size() == 1);
    CHECK(receipts[0].message_id == message_id);
    CHECK(receipts[0].status == status);
    CHECK(receipts[0].state == state);
    if (also) also(receipts[0]);
  });
}

// Each setting of `required`, cleared from otherwise `complete` settings, makes make_provider
// throw invalid_argument with the message naming it as the operator types it.
inline void check_required_settings(const ProviderSettings& complete,
                                    const SettingValues& required) {
  for (const auto& [field, message] : required) {
    ProviderSettings settings = complete;
    (settings.*field).clear();
    CHECK_THROWS_AS(make_provider(settings), std::invalid_argument);
    CHECK_THROWS_WITH(make_provider(settings), message);
  }
}

inline SmsMessage otp_message() {
  SmsMessage message;
  message.phone = "233241234567";
  message.text = "Your code is 482913 & expires in 5 min. +/=?";
  message.reference = "att_01HX";
  return message;
}

// The send the adapter made from `settings` builds for otp_message() at 1700000000.
inline OutboundRequest built_send(const ProviderSettings& settings) {
  return provider(settings)->build_send(otp_message(), 1700000000);
}

// The settings each adapter's tests use.
inline const std::string kTwilioSid = "AC0123456789abcdef0123456789abcdef";
inline const std::string kTwilioToken = "tok_0123456789abcdef";

inline ProviderSettings at_settings() {
  return settings_of("africastalking", {{&ProviderSettings::username, "sandbox"},
                                        {&ProviderSettings::api_key, "atsk_0123456789abcdef"}});
}

inline ProviderSettings arkesel_settings() {
  return settings_of("arkesel", {{&ProviderSettings::sender, "ACME"},
                                 {&ProviderSettings::api_key, "ark_test_key"}});
}

inline ProviderSettings hubtel_settings() {
  return settings_of("hubtel", {{&ProviderSettings::sender, "ACME"},
                                {&ProviderSettings::client_id, "abcdefg"},
                                {&ProviderSettings::client_secret, "hijklmn"}});
}

inline ProviderSettings twilio_settings() {
  return settings_of("twilio", {{&ProviderSettings::sender, "+15005550006"},
                                {&ProviderSettings::account_sid, kTwilioSid},
                                {&ProviderSettings::auth_token, kTwilioToken}});
}

inline ProviderSettings webhook_settings() {
  return settings_of("webhook", {{&ProviderSettings::sender, "ACME"},
                                 {&ProviderSettings::secret, "whsec_test"},
                                 {&ProviderSettings::url, "https://sms.operator.example/send"}});
}

}  // namespace ussd_otp::testing
