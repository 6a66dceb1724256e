// A small blocking HTTP client (libcurl) for black-box tests; keeps one connection alive.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ussd_otp::testing {

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(std::string base_url);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `headers` are full lines, e.g. "Authorization: Bearer x". A body is sent when non-null.
  HttpResponse request(const std::string& method, const std::string& path,
                       const std::string* body = nullptr,
                       const std::vector<std::string>& headers = {});
  HttpResponse get(const std::string& path, const std::vector<std::string>& headers = {});
  HttpResponse post_json(const std::string& path, const nlohmann::json& body,
                         const std::vector<std::string>& headers = {});
  HttpResponse post_raw(const std::string& path, const std::string& body,
                        const std::vector<std::string>& headers);

  // Number of TCP connections curl opened so far (keep-alive check).
  long connections_opened() const { return connections_opened_; }

 private:
  std::string base_url_;
  void* curl_;
  long connections_opened_ = 0;
};

}  // namespace ussd_otp::testing
