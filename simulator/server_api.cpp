#include "simulator/server_api.hpp"

#include <nlohmann/json.hpp>

namespace ussd_otp::sim {

HttpExchange ServerApi::post_json(const std::string& path, const std::string& body, bool with_key) {
  std::vector<std::string> headers;
  if (with_key) headers.push_back("Authorization: Bearer " + api_key_);
  return http_.send("POST", base_url_ + path, "application/json", body, headers);
}

HttpExchange ServerApi::request_otp(const std::string& phone, const std::string& from) {
  nlohmann::json body{{"phone", phone}};
  if (!from.empty()) body["from"] = from;
  return post_json("/v1/otp/request", body.dump(), true);
}

HttpExchange ServerApi::verify_otp(const std::string& id, const std::string& pin) {
  return post_json("/v1/otp/verify", nlohmann::json{{"id", id}, {"pin", pin}}.dump(), true);
}

HttpExchange ServerApi::inbox(const std::string& phone) {
  return http_.send("GET", base_url_ + "/dev/inbox?phone=" + url_escape(phone));
}

HttpExchange ServerApi::advance_clock(std::int64_t seconds) {
  return post_json("/dev/clock", nlohmann::json{{"advanceSeconds", seconds}}.dump(), false);
}

HttpExchange ServerApi::clock() {
  return http_.send("GET", base_url_ + "/dev/clock");
}

std::string describe_failure(const HttpExchange& exchange) {
  if (!exchange.transport_error.empty()) return "no reply: " + exchange.transport_error;
  std::string text = "HTTP " + std::to_string(exchange.status);
  const nlohmann::json body = nlohmann::json::parse(exchange.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const nlohmann::json& error = body["error"];
    text += " " + error.value("code", std::string()) + ": " + error.value("message", std::string());
    if (error.contains("fields")) text += " " + error["fields"].dump();
  } else if (!exchange.body.empty()) {
    text += ": " + exchange.body;
  }
  return text;
}

}  // namespace ussd_otp::sim
