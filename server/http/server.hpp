// The HTTP front: Pistache endpoint, routes with uniform error handling, keep-alive and drain.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pistache/endpoint.h>
#include <pistache/router.h>
#include <nlohmann/json.hpp>

#include "otp/clock.hpp"
#include "server/http/api_key_auth.hpp"
#include "server/http/errors.hpp"
#include "server/http/ip_limiter.hpp"

namespace ussd_otp {

// What a route handler returns; the server adds the envelope headers, request id and logging.
struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;

  static ApiResponse json(int status, const nlohmann::json& data);  // {"success":true,"data":..}
  // {"success":true,"message":"...","data":..}: Sendexa's shape where it shows a message.
  static ApiResponse json(int status, const nlohmann::json& data, std::string_view message);
  // {"success":false,"error":{"code":...}}: the name and status from kErrorTable.
  static ApiResponse error(const HttpError& error);
};

// Per-request facts the server works out before the handler runs.
struct HttpContext {
  std::string request_id;
  std::string client_ip;
  std::int64_t api_key_id = 0;  // set when the route requires an API key
  std::string api_key_prefix;
  // The request-target exactly as the client sent it (path and query, still encoded, in their
  // order): Pistache keeps only a decoded path and an unordered query map, and a signature over
  // the called URL (Twilio's) needs the original.
  std::string raw_target;
  std::string api_client_id;  // the key's public UUID, with api_key_id
};

using RouteHandler = std::function<ApiResponse(const Pistache::Rest::Request&, HttpContext&)>;
// Renders the errors raised outside the handler (401, 413, 415, 503, an exception escaping the
// handler, a filter's refusal) for routes that speak another API's dialect.
using ErrorRenderer = std::function<ApiResponse(const HttpError&, const HttpContext&)>;
// Returns the key's id and prefix, or nullopt when the request carries no valid key.
using Authenticator = std::function<std::optional<AuthenticatedKey>(std::string_view key)>;

// A named check a route lists (Drogon's filters, userver's middlewares): the server runs a
// route's filters in their order before its handler; the first error answers the request.
// server/http/filters.hpp makes the common ones (API key, path token, IP allow-list).
struct RouteFilter {
  std::string name;  // "api-key", "path-token", "allowed-ips", ...
  std::function<std::optional<HttpError>(const Pistache::Rest::Request&, HttpContext&)> check;
};

// How a route takes a body. Both kinds answer 413 PAYLOAD_TOO_LARGE over max-body-bytes, before
// anything else is checked.
enum class RouteBody {
  None,
  Json,  // Content-Type must be application/json, else 415 UNSUPPORTED_MEDIA_TYPE
  Any,   // whatever Content-Type says: the handler reads its own format (aggregators, gateways,
         // and Arkesel clients, which often send none; the handler still insists on JSON)
};

// One row of the route table; written with designated initializers, e.g.
// {.method = Method::Post, .path = "/v1/otp/verify", .handler = ..., .body = RouteBody::Json,
//  .filters = {server.api_key_filter()}}.
struct RouteSpec {
  Pistache::Http::Method method;
  std::string path;  // Pistache syntax, e.g. "/v1/otp/:id"
  RouteHandler handler;
  RouteBody body = RouteBody::None;
  std::vector<RouteFilter> filters = {};
  ErrorRenderer render_error = nullptr;  // unset: ApiResponse::error
  // Logged instead of the request's path, when that carries a secret (USSD path tokens).
  std::string log_path = {};
  // Without an API key a route is under the per-peer-IP limit
  // (rate-limit-unauthenticated-ip-per-minute) unless exempt (health probes).
  bool ip_limit_exempt = false;

  bool requires_api_key() const;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int threads = 2;
  std::size_t max_body_bytes = 16 * 1024;
  std::size_t max_header_bytes = 8 * 1024;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_timeout{10};
  std::chrono::seconds keepalive_timeout{15};
  std::string trusted_proxy_header;
  // Requests per client IP per minute on routes that need no API key; 0: no limit.
  std::int64_t unauthenticated_ip_per_minute = 0;
  const Clock* clock = nullptr;  // for that limit's windows; nullptr: the system clock
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Authenticator authenticate);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void add_route(RouteSpec route);
  // The "api-key" filter over this server's Authenticator: a valid key (see api_key_candidates
  // in filters.hpp) or 401 UNAUTHORIZED; it sets the key in the HttpContext.
  RouteFilter api_key_filter() const;
  // Binds and serves on background threads; throws std::runtime_error if the address is taken.
  void start();
  std::uint16_t port() const;
  // Stops taking new requests (they get 503 SHUTTING_DOWN), waits up to `grace` for those in
  // flight, then stops the endpoint. Returns true when nothing was still running.
  bool drain_and_stop(std::chrono::milliseconds grace);

  const std::vector<RouteSpec>& routes() const { return routes_; }
  int in_flight() const { return in_flight_.load(); }

 private:
  void dispatch(const RouteSpec& route, const Pistache::Rest::Request& request,
                Pistache::Http::ResponseWriter writer);
  std::string client_ip(const Pistache::Rest::Request& request) const;
  // The error when the request must not reach the handler (draining, too large, over the
  // unauthenticated per-IP limit, a filter's refusal, wrong content type).
  std::optional<HttpError> reject_before_handler(const RouteSpec& route,
                                                 const Pistache::Rest::Request& request,
                                                 HttpContext& context) const;

  HttpServerOptions options_;
  Authenticator authenticate_;
  std::vector<RouteSpec> routes_;
  std::shared_ptr<Pistache::Rest::Router> router_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> draining_{false};
  bool stopped_ = false;
  std::uint16_t port_ = 0;  // the bound port, kept after stop for messages
  SystemClock system_clock_;
  std::unique_ptr<IpLimiter> unauthenticated_limiter_;
};

// Writes `response` with the request id; used by the server and its transport-level errors.
Pistache::Async::Promise<ssize_t> send_response(Pistache::Http::ResponseWriter& writer,
                                                const ApiResponse& response,
                                                std::string_view request_id);

}  // namespace ussd_otp
