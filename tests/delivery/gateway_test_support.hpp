// What the adapter tests share: building a provider, reading a request back (headers, a form
// body decoded by libcurl rather than by the code under test), and canned answers.
#pragma once

#include <curl/curl.h>

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "delivery/provider.hpp"

namespace ussd_otp::testing {

inline std::unique_ptr<SmsProvider> provider(const ProviderSettings& settings) {
  auto made = make_provider(settings);
  REQUIRE(made != nullptr);
  return made;
}

inline std::optional<std::string> request_header(const OutboundRequest& request,
                                                 std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [key, value] : request.headers) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < key.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(key[i])) !=
          std::tolower(static_cast<unsigned char>(name[i])))
        same = false;
    }
    if (same) {
      REQUIRE_FALSE(found.has_value());  // each header once
      found = value;
    }
  }
  return found;
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

inline std::vector<std::pair<std::string, std::string>> form_fields(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> fields;
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

inline ReceiptRequest form_post(std::string body) {
  ReceiptRequest request;
  request.method = "POST";
  request.url = "https://otp.example.com/delivery/test";
  request.content_type = "application/x-www-form-urlencoded";
  request.body = std::move(body);
  return request;
}

inline ReceiptRequest json_post(std::string body) {
  ReceiptRequest request;
  request.method = "POST";
  request.url = "https://otp.example.com/delivery/test";
  request.content_type = "application/json";
  request.body = std::move(body);
  return request;
}

inline SmsMessage otp_message() {
  SmsMessage message;
  message.phone = "233241234567";
  message.text = "Your code is 482913 & expires in 5 min. +/=?";
  message.reference = "att_01HX";
  return message;
}

}  // namespace ussd_otp::testing
