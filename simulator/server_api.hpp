// The app side of a whole flow: request and verify codes (/v1/otp), read the dev inbox and move
// the dev clock (/dev/*), as a backend and a tester would.
#pragma once

#include <cstdint>
#include <string>

#include "simulator/http_connection.hpp"
#include "simulator/ussd_phone.hpp"

namespace ussd_otp::sim {

class ServerApi {
 public:
  // `observer` sees every call as it went over the wire (--transcript).
  ServerApi(HttpConnection& http, std::string base_url, std::string api_key,
            WireObserver observer = nullptr)
      : http_(http),
        base_url_(std::move(base_url)),
        api_key_(std::move(api_key)),
        observer_(std::move(observer)) {}

  // POST /v1/otp/request {"phone", "from"?}; needs the API key.
  HttpExchange request_otp(const std::string& phone, const std::string& from = "");
  // POST /v1/otp/verify {"id", "pin"}
  HttpExchange verify_otp(const std::string& id, const std::string& pin);
  // GET /dev/inbox?phone=  (dev mode only)
  HttpExchange inbox(const std::string& phone);
  // POST /dev/clock {"advanceSeconds"} (dev mode only); GET /dev/clock with 0... see clock().
  HttpExchange advance_clock(std::int64_t seconds);
  HttpExchange clock();

  bool has_api_key() const { return !api_key_.empty(); }

 private:
  HttpExchange send(const std::string& method, const std::string& path,
                    const std::string& body = "", bool with_key = false);
  HttpConnection& http_;
  std::string base_url_;
  std::string api_key_;
  WireObserver observer_;
};

// A one-line account of a failed call: "HTTP 401 UNAUTHORIZED: Missing API key." or the
// transport error.
std::string describe_failure(const HttpExchange& exchange);

// The error code of a JSON error reply ("ACTIVE_OTP_EXISTS"), or "".
std::string error_code(const HttpExchange& exchange);

}  // namespace ussd_otp::sim
