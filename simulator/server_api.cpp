#include "simulator/server_api.hpp"

#include "simulator/json_text.hpp"
#include "simulator/terminal_text.hpp"

#include <nlohmann/json.hpp>

namespace ussd_otp::sim {

HttpExchange ServerApi::send(const std::string& method, const std::string& path,
                             const std::string& body, bool with_key) {
  std::vector<std::string> headers;
  if (with_key) headers.push_back("Authorization: Bearer " + api_key_);
  const std::string content_type = method == "POST" ? "application/json" : "";
  const std::string url = base_url_ + path;
  const HttpExchange reply = http_.send(method, url, content_type, body, headers);
  if (observer_) observer_(url, WireRequest{method, "", "", content_type, body}, reply);
  return reply;
}

HttpExchange ServerApi::request_otp(const std::string& phone, const std::string& from) {
  nlohmann::json body{{"phone", phone}};
  if (!from.empty()) body["from"] = from;
  return send("POST", "/v1/otp/request", json_text(body), true);
}

HttpExchange ServerApi::verify_otp(const std::string& id, const std::string& pin) {
  return send("POST", "/v1/otp/verify", json_text({{"id", id}, {"pin", pin}}), true);
}

HttpExchange ServerApi::inbox(const std::string& phone) {
  return send("GET", "/dev/inbox?phone=" + url_escape(phone));
}

HttpExchange ServerApi::advance_clock(std::int64_t seconds) {
  return send("POST", "/dev/clock", json_text({{"advanceSeconds", seconds}}), false);
}

HttpExchange ServerApi::clock() {
  return send("GET", "/dev/clock");
}

namespace {

// A string member, or "" when it is missing or not a string (a server may send anything).
std::string string_field(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string error_code(const HttpExchange& exchange) {
  const nlohmann::json body = nlohmann::json::parse(exchange.body, nullptr, false);
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return "";
  return string_field(body["error"], "code");
}

std::string describe_failure(const HttpExchange& exchange) {
  if (!exchange.transport_error.empty()) return "no reply: " + exchange.transport_error;
  if (exchange.oversized) return "the reply is over " + std::to_string(kMaxReplyBytes) + " bytes";
  std::string text = "HTTP " + std::to_string(exchange.status);
  const nlohmann::json body = nlohmann::json::parse(exchange.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const nlohmann::json& error = body["error"];
    text += " " + printable(string_field(error, "code"), 60) + ": " +
            printable(string_field(error, "message"));
    if (error.contains("fields")) text += " " + printable(json_text(error["fields"]));
  } else if (!exchange.body.empty()) {
    text += ": " + printable(exchange.body);
  }
  return text;
}

}  // namespace ussd_otp::sim
