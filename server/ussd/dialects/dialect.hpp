// An aggregator's callback wire format: its request -> UssdRequest, an UssdAnswer -> its reply.
// HTTP-free so each dialect is unit-tested on bytes; server/ussd/routes.cpp does the HTTP. Most
// dialects are a table (table.hpp) rather than code.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "otp/errors.hpp"
#include "server/ussd/gateway.hpp"

namespace ussd_otp {

// The parts of an HTTP request a dialect may read.
struct DialectHttpRequest {
  std::string_view method;  // "GET" or "POST"
  std::string_view content_type;
  std::string_view body;
  std::vector<std::pair<std::string, std::string>> query;  // decoded query parameters
};

struct DialectReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// A parsed callback: what the gateway needs, plus what the reply must echo.
struct DialectRequest {
  UssdRequest ussd;
  std::string user_id;  // the aggregator's id for our account (Arkesel userID, Nalo USERID), if any
  nlohmann::json echo = nlohmann::json::object();  // fields the reply repeats
  // An end-of-session notification rather than a menu step (Africa's Talking's events URL).
  bool is_report = false;
  std::string report_status;
  nlohmann::json report = nlohmann::json::object();
};

class UssdDialect {
 public:
  virtual ~UssdDialect() = default;
  virtual std::string_view name() const = 0;  // the path segment: /ussd/<name>
  virtual bool uses_get() const { return false; }
  // The aggregator's own screen limit, when lower than the usual 160 characters.
  virtual std::size_t screen_limit() const { return 160; }
  // Extra fixed sub-paths (e.g. "events"); a request there is parsed by parse_subpath.
  virtual std::vector<std::string> subpaths() const { return {}; }

  // A 400-worthy problem comes back as an Error naming the field (VALIDATION_ERROR,
  // INVALID_JSON); anything else is a DialectRequest.
  virtual Result<DialectRequest> parse(const DialectHttpRequest& request) const = 0;
  virtual Result<DialectRequest> parse_subpath(std::string_view /*subpath*/,
                                               const DialectHttpRequest& request) const {
    return parse(request);
  }
  // The reply for `answer`. For Released/TimedOut requests `answer.text` is empty.
  virtual DialectReply render(const DialectRequest& request, const UssdAnswer& answer) const = 0;
  // The reply to a report (parse_subpath); most aggregators ignore the body.
  virtual DialectReply render_report(const DialectRequest& /*request*/) const {
    return DialectReply{200, "text/plain", "OK"};
  }
};

// Every dialect the server speaks, in registration order (server/ussd/dialects/registry.cpp).
std::vector<std::unique_ptr<UssdDialect>> all_dialects();
std::vector<std::string> dialect_names();

// Field limits every dialect applies (docs/ussd.md): ids and numbers, and the user's input.
inline constexpr std::size_t kMaxUssdField = 256;
inline constexpr std::size_t kMaxUssdInput = 1024;

}  // namespace ussd_otp
