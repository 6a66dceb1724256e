// Pistache wiring: keep-alive by default, JSON errors for every failure, request ids, drain.
#include "server/http/server.hpp"

#include <algorithm>
#include <thread>

#include <pistache/http.h>
#include <pistache/peer.h>
#include <sys/socket.h>

#include <unordered_map>
#include <variant>

#include "otp/codes.hpp"
#include "otp/text.hpp"
#include "server/http/filters.hpp"
#include "server/http/framer.hpp"
#include "server/http/logging.hpp"

namespace ussd_otp {
namespace {

using namespace Pistache;

// Pistache 0.0.5 cannot serialise raw headers (upstream #92/#967) and its CUSTOM_HEADER macro
// rejects dashes, so response headers with arbitrary names use this small typed header.
class NamedHeader final : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
  void parse(const std::string& data) override { value_ = data; }
  std::size_t hash() const override { return Http::Header::detail::hash(name_.c_str()); }

 private:
  std::string name_;
  std::string value_;
};

constexpr Http::Method kAllMethods[] = {
    Http::Method::Options, Http::Method::Get,   Http::Method::Post,
    Http::Method::Head,    Http::Method::Put,   Http::Method::Patch,
    Http::Method::Delete,  Http::Method::Trace, Http::Method::Connect,
};

// The request-target of the request being handled on this reactor thread: Pistache's request
// object has no room for it, and handlers run synchronously inside onInput on the same thread.
thread_local std::string current_raw_target;

std::string new_request_id() {
  return random_token(12);
}

// A client-supplied id is kept when it is short and printable, so it can be logged safely.
std::string request_id_from(const Http::Request& request) {
  if (auto raw = request.headers().tryGetRaw("X-Request-Id")) {
    const std::string& value = raw->value();
    const bool usable = !value.empty() && value.size() <= 128 &&
                        std::all_of(value.begin(), value.end(),
                                    [](char c) { return c > 0x20 && c < 0x7f && c != '"'; });
    if (usable) return value;
  }
  return new_request_id();
}

// Closes the connection once `sent` has been written (so the reply is not cut off).
void close_after(Async::Promise<ssize_t> sent, const std::shared_ptr<Tcp::Peer>& peer) {
  if (!peer) return;
  const int fd = peer->fd();
  sent.then([fd](ssize_t) { ::shutdown(fd, SHUT_RDWR); },
            [fd](std::exception_ptr) { ::shutdown(fd, SHUT_RDWR); });
}

bool wants_close(const Http::Request& request) {
  auto connection = request.headers().tryGet<Http::Header::Connection>();
  if (connection) return connection->control() == Http::ConnectionControl::Close;
  return request.version() == Http::Version::Http10;
}

// Replaces Rest::Router's handler: HTTP/1.1 connections stay open unless the client asks to
// close (Pistache answers "Connection: Close" to requests without the header), requests are
// framed strictly before Pistache parses them (framer.hpp: pipelining, smuggling, declared
// sizes, garbage), and transport errors get our JSON envelope instead of Pistache's text or a
// 500 carrying e.what().
class KeepAliveHandler final : public Http::Handler {
 public:
  HTTP_PROTOTYPE(KeepAliveHandler)

  KeepAliveHandler(std::shared_ptr<Rest::Router> router, FramingLimits limits)
      : router_(std::move(router)), limits_(limits) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
    if (!wants_close(request)) {
      writer.headers().remove<Http::Header::Connection>();
      writer.headers().add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
    }
    router_->route(request, std::move(writer));
  }

  void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    connections_.erase(peer.get());
    router_->disconnectPeer(peer);
  }

  // Mirrors Http::Handler::onInput (private in 0.0.5), fed one framed request at a time.
  void onInput(const char* buffer, size_t length, const std::shared_ptr<Tcp::Peer>& peer) override {
    auto found = connections_.find(peer.get());
    if (found == connections_.end()) {
      found = connections_.emplace(peer.get(), Connection{RequestFramer(limits_)}).first;
    }
    Connection& connection = found->second;
    // After a rejected request, or a request that asked to close, the rest of the stream is not
    // read: it may be the unread part of a body, and the connection is closing.
    if (connection.closing) return;
    connection.framer.append(std::string_view(buffer, length));
    auto parser = getParser(peer);
    auto& request = parser->request;
    auto fail = [&](AnyErrorCode code, std::string message) {
      connection.closing = true;
      connection.framer = RequestFramer(limits_);  // frees what was buffered
      Http::ResponseWriter writer(request.version(), transport(), this, peer);
      writer.headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
      const std::string request_id = new_request_id();
      log_event(spdlog::level::warn, "http.rejected",
                {{"rid", request_id}, {"code", error_name(code)}, {"reason", message}});
      close_after(send_response(writer, ApiResponse::error(HttpError(code, std::move(message))),
                                request_id),
                  peer);
      parser->reset();
    };
    for (;;) {
      FrameResult next = connection.framer.next();
      if (std::holds_alternative<NeedMoreBytes>(next)) {
        // A request has started: Pistache's header timeout counts from now (its clock is the
        // parser's reset time), not from the last request on this connection.
        if (connection.framer.has_partial_request() && !connection.timing_request) {
          connection.timing_request = true;
          parser->reset();
          peer->setIdle(false);
        }
        return;
      }
      if (const auto* error = std::get_if<FramingError>(&next)) {
        return fail(error->status == 413 ? AnyErrorCode(TransportCode::PayloadTooLarge)
                                         : AnyErrorCode(ErrorCode::MalformedRequest),
                    error->reason);
      }
      const FramedRequest& framed = std::get<FramedRequest>(next);
      connection.timing_request = false;
      try {
        parser->reset();
        if (!parser->feed(framed.message.data(), framed.message.size()) ||
            parser->parse() != Http::Private::State::Done) {
          return fail(ErrorCode::MalformedRequest, "Malformed HTTP request.");
        }
        Http::ResponseWriter writer(request.version(), transport(), this, peer);
        request.copyAddress(peer->address());
        peer->setIdle(false);
        current_raw_target = framed.target;
        onRequest(request, std::move(writer));
        current_raw_target.clear();
        parser->reset();
        // Pistache 0.0.5 queues writes by file descriptor and drains the queue only after this
        // read. If the client hangs up in the meantime, the descriptor is closed, can be reused
        // by the next connection, and the queued answer would reach that stranger. We are on
        // the queue's own (reactor) thread, so writing it out now is safe.
        transport()->flush();
      } catch (const std::bad_alloc&) {
        return fail(TransportCode::PayloadTooLarge,
                    "The request is larger than the server accepts.");
      } catch (const Http::HttpError& e) {
        return fail(e.code() == static_cast<int>(Http::Code::Request_Entity_Too_Large)
                        ? AnyErrorCode(TransportCode::PayloadTooLarge)
                        : AnyErrorCode(ErrorCode::MalformedRequest),
                    "Malformed HTTP request: " + e.reason());
      } catch (const std::exception&) {
        return fail(ErrorCode::MalformedRequest, "Malformed HTTP request.");
      }
      if (framed.close_after) {
        connection.closing = true;
        connection.framer = RequestFramer(limits_);
        return;
      }
    }
  }

 private:
  struct Connection {
    RequestFramer framer;
    bool timing_request = false;  // the parser's clock was reset for the request in progress
    bool closing = false;
  };

  std::shared_ptr<Rest::Router> router_;
  FramingLimits limits_;
  // Each reactor thread has its own handler clone, and a connection stays on one thread, so
  // this needs no lock.
  std::unordered_map<const Tcp::Peer*, Connection> connections_;
};

std::string allow_list(const std::vector<RouteSpec>& routes, const std::string& path) {
  std::string allow;
  for (const RouteSpec& route : routes) {
    if (route.path != path) continue;
    if (!allow.empty()) allow += ", ";
    allow += Http::methodString(route.method);
  }
  return allow;
}

bool is_json_content_type(const Http::Request& request) {
  auto type = request.headers().tryGet<Http::Header::ContentType>();
  return type && type->mime() == MIME(Application, Json);
}

}  // namespace

ApiResponse ApiResponse::json(int status, const nlohmann::json& data) {
  // Written by hand so "success" comes first (nlohmann::json sorts keys).
  return {status,
          R"({"success":true,"data":)" +
              data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "}",
          "application/json",
          {}};
}

ApiResponse ApiResponse::json(int status, const nlohmann::json& data, std::string_view message) {
  return {status,
          R"({"success":true,"message":)" + nlohmann::json(message).dump() + R"(,"data":)" +
              data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "}",
          "application/json",
          {}};
}

ApiResponse ApiResponse::error(const HttpError& http_error) {
  // The policy's extras (fields, attempts, OTP id and status); a transport refusal has none.
  static const Error kNoExtras;
  const Error* policy = http_error.policy_error();
  const Error& extras = policy ? *policy : kNoExtras;
  const std::optional<std::int64_t>& retry_after = http_error.retry_after();
  nlohmann::json detail = {{"code", http_error.name()}, {"message", http_error.message()}};
  if (!extras.fields.empty()) detail["fields"] = extras.fields;
  if (extras.attempts_remaining) detail["attemptsRemaining"] = *extras.attempts_remaining;
  if (retry_after) detail["retryAfter"] = *retry_after;
  // Sendexa's "show the remaining countdown": the active OTP's seconds left, by name.
  if (http_error.is(ErrorCode::ActiveOtpExists) && retry_after) {
    detail["expiresIn"] = *retry_after;
  }
  if (extras.otp_id) detail["id"] = *extras.otp_id;
  if (extras.status) detail["status"] = *extras.status;
  // Sendexa documents the fields ("use retryAfter from the response", "check attemptsRemaining")
  // but not where they sit, so the code, message and numbers are also repeated at the top level:
  // clients reading either `error.retryAfter` or `retryAfter` find them.
  nlohmann::json top_level = nlohmann::json::object();
  for (const char* name : {"code", "message", "attemptsRemaining", "retryAfter", "expiresIn"}) {
    if (auto found = detail.find(name); found != detail.end()) top_level[name] = *found;
  }
  std::string body = R"({"success":false,"error":)" +
                     detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (const auto& [name, value] : top_level.items()) {
    body += "," + nlohmann::json(name).dump() + ":" +
            value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  body += "}";
  ApiResponse response{http_error.status(), std::move(body), "application/json", {}};
  if (retry_after) response.headers.emplace_back("Retry-After", std::to_string(*retry_after));
  return response;
}

Async::Promise<ssize_t> send_response(Http::ResponseWriter& writer, const ApiResponse& response,
                                      std::string_view request_id) {
  auto& headers = writer.headers();
  headers.add(std::make_shared<NamedHeader>("X-Request-Id", std::string(request_id)));
  headers.add(std::make_shared<NamedHeader>("Cache-Control", "no-store"));
  for (const auto& [name, value] : response.headers) {
    if (name == "Allow") continue;  // typed below: Pistache serialises only typed headers
    headers.add(std::make_shared<NamedHeader>(name, value));
  }
  auto mime = Http::Mime::MediaType::fromString(response.content_type);
  return writer.send(static_cast<Http::Code>(response.status), response.body, mime);
}

HttpServer::HttpServer(HttpServerOptions options, Authenticator authenticate)
    : options_(std::move(options)),
      authenticate_(std::move(authenticate)),
      router_(std::make_shared<Rest::Router>()) {
  if (options_.unauthenticated_ip_per_minute > 0) {
    unauthenticated_limiter_ =
        std::make_unique<IpLimiter>(RateLimitRule{options_.unauthenticated_ip_per_minute, 60});
  }
}

HttpServer::~HttpServer() {
  if (endpoint_ && !stopped_) endpoint_->shutdown();
}

bool RouteSpec::requires_api_key() const {
  return std::any_of(filters.begin(), filters.end(),
                     [](const RouteFilter& filter) { return filter.authenticates; });
}

void HttpServer::add_route(RouteSpec route) {
  routes_.push_back(std::move(route));
}

RouteFilter HttpServer::api_key_filter() const {
  return ussd_otp::api_key_filter(authenticate_);
}

std::string HttpServer::client_ip(const Rest::Request& request) const {
  if (!options_.trusted_proxy_header.empty()) {
    if (auto raw = request.headers().tryGetRaw(options_.trusted_proxy_header)) {
      // The right-most entry is the one our proxy appended; anything left of it came from the
      // client and can be forged.
      const std::string& value = raw->value();
      const auto comma = value.rfind(',');
      std::string last(text::trim(comma == std::string::npos
                                      ? std::string_view(value)
                                      : std::string_view(value).substr(comma + 1)));
      if (!last.empty() && last.size() <= 64) return last;
    }
  }
  return request.address().host();
}

std::optional<HttpError> HttpServer::reject_before_handler(const RouteSpec& route,
                                                           const Rest::Request& request,
                                                           HttpContext& context) const {
  if (draining_.load()) {
    return HttpError(TransportCode::ShuttingDown, "The server is shutting down; retry shortly.", 1);
  }
  if (route.body != RouteBody::None && request.body().size() > options_.max_body_bytes) {
    return HttpError(
        TransportCode::PayloadTooLarge,
        "The body is larger than " + std::to_string(options_.max_body_bytes) + " bytes.");
  }
  if (!route.requires_api_key() && !route.ip_limit_exempt && unauthenticated_limiter_) {
    const Clock& clock = options_.clock ? *options_.clock : system_clock_;
    if (auto wait = unauthenticated_limiter_->admit(context.client_ip, clock.now())) {
      Error error = Error::make(ErrorCode::RateLimitExceeded,
                                "Too many requests from this address (unauthenticated_ip limit).");
      error.retry_after = *wait;
      return error;
    }
  }
  for (const RouteFilter& filter : route.filters) {
    if (std::optional<HttpError> refused = filter.check(request, context)) return refused;
  }
  if (route.body == RouteBody::Json && !is_json_content_type(request)) {
    return HttpError(TransportCode::UnsupportedMediaType,
                     "Send the body as Content-Type: application/json.");
  }
  return std::nullopt;
}

void HttpServer::dispatch(const RouteSpec& route, const Rest::Request& request,
                          Http::ResponseWriter writer) {
  const auto started = std::chrono::steady_clock::now();
  in_flight_.fetch_add(1);
  HttpContext context{request_id_from(request), client_ip(request), 0, "", current_raw_target, ""};
  ApiResponse response;
  try {
    if (std::optional<HttpError> rejected = reject_before_handler(route, request, context)) {
      response = route.render_error ? route.render_error(*rejected, context)
                                    : ApiResponse::error(*rejected);
    } else {
      response = route.handler(request, context);
    }
  } catch (const std::exception& e) {
    // Storage failures (locked past busy_timeout, disk full) are worth a retry; say so.
    log_event(spdlog::level::err, "http.handler_failed",
              {{"rid", context.request_id},
               {"path", route.log_path.empty() ? request.resource() : route.log_path},
               {"error", e.what()}});
    Error error =
        Error::make(ErrorCode::ServiceUnavailable,
                    "The server could not complete the request; retry shortly. Request id: " +
                        context.request_id);
    error.retry_after = 1;
    response = route.render_error ? route.render_error(error, context) : ApiResponse::error(error);
  }
  if (response.status == 405) {
    std::vector<Http::Method> allowed;
    for (const RouteSpec& other : routes_) {
      if (other.path == route.path) allowed.push_back(other.method);
    }
    writer.headers().add<Http::Header::Allow>(allowed);
  }
  // A HEAD reply carries the GET reply's status and headers, never a body.
  if (request.method() == Http::Method::Head) response.body.clear();
  const bool close = draining_.load() || wants_close(request);
  if (close) {
    writer.headers().remove<Http::Header::Connection>();
    writer.headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
  }
  try {
    std::shared_ptr<Tcp::Peer> peer = close ? writer.peer() : nullptr;
    auto sent = send_response(writer, response, context.request_id);
    if (close) close_after(std::move(sent), peer);
  } catch (const std::exception& e) {
    // The client may be gone; that must not escape the handler or skip the in-flight count.
    log_event(spdlog::level::warn, "http.send_failed",
              {{"rid", context.request_id}, {"error", e.what()}});
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  in_flight_.fetch_sub(1);
  const auto level = response.status >= 500 ? spdlog::level::warn : spdlog::level::info;
  if (!spdlog::should_log(level)) return;  // skip building the fields when nobody reads them
  log_event(level, "http.request",
            {{"rid", context.request_id},
             {"method", Http::methodString(request.method())},
             {"path", route.log_path.empty() ? request.resource() : route.log_path},
             {"status", response.status},
             {"us", micros},
             {"key", context.api_key_prefix},
             {"ip", context.client_ip}});
}

void HttpServer::start() {
  // Every method gets a route on every path: unknown methods answer our JSON 405 (Pistache's
  // own is plain text), and no request ever inserts into the router's method map while other
  // threads read it (a data race in this Pistache snapshot).
  std::vector<std::string> paths;
  for (const RouteSpec& route : routes_) {
    if (std::find(paths.begin(), paths.end(), route.path) == paths.end())
      paths.push_back(route.path);
  }
  for (const std::string& path : paths) {
    for (Http::Method method : kAllMethods) {
      auto match = std::find_if(routes_.begin(), routes_.end(), [&](const RouteSpec& route) {
        return route.path == path && route.method == method;
      });
      if (match == routes_.end() && method == Http::Method::Head) {
        // HEAD is answered by the GET route (without the body), as probes expect.
        match = std::find_if(routes_.begin(), routes_.end(), [&](const RouteSpec& route) {
          return route.path == path && route.method == Http::Method::Get;
        });
      }
      if (match != routes_.end()) {
        const RouteSpec* spec = &*match;
        router_->addRoute(method, path,
                          [this, spec](const Rest::Request& request, Http::ResponseWriter writer) {
                            dispatch(*spec, request, std::move(writer));
                            return Rest::Route::Result::Ok;
                          });
        continue;
      }
      const std::string allow = allow_list(routes_, path);
      router_->addRoute(
          method, path,
          [this, path, allow](const Rest::Request& request, Http::ResponseWriter writer) {
            const RouteSpec not_allowed{.method = request.method(),
                                        .path = path,
                                        .handler =
                                            [allow](const Rest::Request&, HttpContext&) {
                                              return ApiResponse::error(HttpError(
                                                  TransportCode::MethodNotAllowed,
                                                  "This path accepts only: " + allow + "."));
                                            },
                                        .log_path = path};
            dispatch(not_allowed, request, std::move(writer));
            return Rest::Route::Result::Ok;
          });
    }
  }
  router_->addNotFoundHandler([this](const Rest::Request& request, Http::ResponseWriter writer) {
    RouteSpec not_found{.method = request.method(),
                        .path = "",
                        .handler = [](const Rest::Request& req, HttpContext&) {
                          return ApiResponse::error(Error::make(
                              ErrorCode::NotFound, "No route for " + req.resource() + "."));
                        }};
    // A mistyped USSD callback URL may still hold its secret path token: log only its start.
    const std::string& path = request.resource();
    if (path.rfind("/ussd/", 0) == 0) {
      const std::size_t cut = path.find('/', 6);
      not_found.log_path = (cut == std::string::npos ? path : path.substr(0, cut)) + "/...";
    }
    dispatch(not_found, request, std::move(writer));
    return Rest::Route::Result::Ok;
  });

  endpoint_ = std::make_unique<Http::Endpoint>(Address(options_.host, Port(options_.port)));
  auto endpoint_options =
      Http::Endpoint::options()
          .threads(options_.threads)
          .flags(Tcp::Options::ReuseAddr)
          // Room for the Content-Length line a chunked body is re-framed with.
          .maxRequestSize(options_.max_body_bytes + options_.max_header_bytes + 64)
          .headerTimeout(options_.header_timeout)
          .bodyTimeout(options_.body_timeout)
          .keepaliveTimeout(options_.keepalive_timeout);
  endpoint_->init(endpoint_options);
  // The transport's body limit is the documented body plus header room: a body just over
  // max-body-bytes still reaches its route, which answers 413 in that API's own shape.
  endpoint_->setHandler(std::make_shared<KeepAliveHandler>(
      router_, FramingLimits{options_.max_header_bytes,
                             options_.max_body_bytes + options_.max_header_bytes}));
  try {
    endpoint_->serveThreaded();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + ": " + e.what());
  }
  port_ = static_cast<std::uint16_t>(endpoint_->getPort());
}

std::uint16_t HttpServer::port() const {
  return port_;
}

bool HttpServer::drain_and_stop(std::chrono::milliseconds grace) {
  if (!endpoint_ || stopped_) return true;
  draining_ = true;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const bool drained = in_flight_.load() == 0;
  // Let the last responses leave the socket buffers before the reactor stops.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  endpoint_->shutdown();
  // Destroying the endpoint waits for handlers still running (past the grace period), so
  // nothing they use is torn down under them.
  endpoint_.reset();
  stopped_ = true;
  return drained;
}

}  // namespace ussd_otp
