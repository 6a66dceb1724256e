// Translates HTTP to dialect requests and back; security checks happen before any parsing.
#include "server/ussd/routes.hpp"

#include "menus/dial_string.hpp"
#include "server/http/filters.hpp"
#include "server/http/logging.hpp"
#include "server/http/url_encoding.hpp"

namespace ussd_otp {
namespace {

using Pistache::Http::Method;

// A refusal of a parsed callback: the reason is logged, the message answered (403 FORBIDDEN).
struct CallRefusal {
  std::string reason;
  std::string message;
};

// A check on the parsed callback (its service code, its user id): USSD's own route filters, run
// once the dialect has read the request and before the menu. The generic ones (path token,
// allow-list) run in server/http before the handler.
struct CallFilter {
  std::string name;
  std::function<std::optional<CallRefusal>(const DialectRequest&)> check;
};

struct DialectRoute {
  const UssdDialect& dialect;
  UssdGateway& gateway;
  UssdDialectConfig config;
  std::vector<CallFilter> filters;
  std::string subpath;  // "" for the menu callback
};

ApiResponse from_reply(DialectReply reply) {
  ApiResponse response;
  response.status = reply.status;
  response.body = std::move(reply.body);
  response.content_type = std::move(reply.content_type);
  return response;
}

ApiResponse forbidden(const DialectRoute& route, const HttpContext& context,
                      const CallRefusal& refusal) {
  log_event(spdlog::level::warn, "ussd.rejected",
            {{"rid", context.request_id},
             {"dialect", std::string(route.dialect.name())},
             {"ip", context.client_ip},
             {"reason", refusal.reason}});
  return ApiResponse::error(Error::make(ErrorCode::Forbidden, refusal.message));
}

// "service-code": the session must be for `ours`. Leaving the code out must not get around the
// check when a session starts; later steps of a session started with the right code may leave it
// out (some aggregators do).
CallFilter service_code_filter(std::string ours_text) {
  return {
      "service-code",
      [ours = dial_segments(ours_text)](const DialectRequest& call) -> std::optional<CallRefusal> {
        if (call.ussd.service_code.empty()) {
          if (call.ussd.phase == UssdPhase::Begin || call.ussd.phase == UssdPhase::Unknown) {
            return CallRefusal{"no service code", "A service code is required."};
          }
          return std::nullopt;
        }
        const auto theirs = dial_segments(call.ussd.service_code);
        // Their code may carry dialled extras ("*889*142*024...#"), so compare the prefix.
        if (theirs.size() < ours.size() || !std::equal(ours.begin(), ours.end(), theirs.begin())) {
          return CallRefusal{"unexpected service code " + call.ussd.service_code,
                             "Unexpected service code."};
        }
        return std::nullopt;
      }};
}

// "user-id": the aggregator account the callback names must be ours.
CallFilter user_id_filter(std::string user_id) {
  return {"user-id",
          [user_id = std::move(user_id)](const DialectRequest& call) -> std::optional<CallRefusal> {
            if (call.user_id == user_id) return std::nullopt;
            return CallRefusal{"unexpected user id", "Unexpected user id."};
          }};
}

std::vector<CallFilter> call_filters(const UssdDialectConfig& config) {
  std::vector<CallFilter> filters;
  if (!config.service_code.empty()) filters.push_back(service_code_filter(config.service_code));
  if (!config.user_id.empty()) filters.push_back(user_id_filter(config.user_id));
  return filters;
}

DialectHttpRequest to_dialect_request(const Pistache::Rest::Request& request) {
  DialectHttpRequest http;
  http.method = request.method() == Method::Get ? "GET" : "POST";
  http.body = request.body();
  for (auto it = request.query().parameters_begin(); it != request.query().parameters_end(); ++it) {
    auto value = form_decode(it->second);
    http.query.emplace_back(it->first, value ? std::move(*value) : it->second);
  }
  return http;
}

ApiResponse handle(const DialectRoute& route, const Pistache::Rest::Request& request,
                   const HttpContext& context) {
  // HEAD (answered by GET routes) must not run a step: it would count a lookup, maybe a view.
  // Only after the route's filters (path token, allow-list), so it tells nobody more than GET
  // would.
  if (request.method() == Method::Head) return ApiResponse{200, "", "application/json", {}};
  const DialectHttpRequest http = to_dialect_request(request);
  Result<DialectRequest> parsed = route.subpath.empty()
                                      ? route.dialect.parse(http)
                                      : route.dialect.parse_subpath(route.subpath, http);
  if (!parsed.ok()) return ApiResponse::error(parsed.error());
  DialectRequest& call = parsed.value();

  for (const CallFilter& filter : route.filters) {
    if (auto refusal = filter.check(call)) return forbidden(route, context, *refusal);
  }

  if (call.is_report) {
    route.gateway.record_report(
        call.ussd, call.report_status,
        call.report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return from_reply(route.dialect.render_report(call));
  }

  const std::size_t dialect_limit =
      route.config.screen_limit > 0 ? route.config.screen_limit : route.dialect.screen_limit();
  call.ussd.screen_limit = dialect_limit;
  UssdAnswer answer;
  try {
    answer = route.gateway.handle(call.ussd);
  } catch (const std::exception& e) {
    // The aggregator shows whatever we send: a polite final screen beats a bare 500.
    log_event(spdlog::level::err, "ussd.step_failed",
              {{"rid", context.request_id},
               {"dialect", std::string(route.dialect.name())},
               {"error", e.what()}});
    answer =
        UssdAnswer{route.gateway.unavailable_screen(call.ussd), true, call.ussd.session_id, ""};
  }
  return from_reply(route.dialect.render(call, answer));
}

}  // namespace

bool dialect_enabled(const UssdDialectConfig& config, bool dev_mode) {
  if (config.enabled == "true") return true;
  if (config.enabled == "false") return false;
  return dev_mode || !config.path_token.empty() || !config.allowed_ips.empty();
}

void add_ussd_routes(HttpServer& server, UssdGateway& gateway, const UssdConfig& config,
                     bool dev_mode, const std::vector<std::unique_ptr<UssdDialect>>& dialects) {
  if (dev_mode) {
    // For benchmarks and testers: whether the write-behind queue keeps up.
    server.add_route({.method = Method::Get,
                      .path = "/dev/ussd/stats",
                      .handler = [&gateway](const Pistache::Rest::Request&, HttpContext&) {
                        const UssdGateway::Stats stats = gateway.stats();
                        return ApiResponse::json(200,
                                                 {{"writesPending", stats.writes_pending},
                                                  {"writesDropped", stats.writes_dropped},
                                                  {"sessionsInMemory", stats.sessions_in_memory}});
                      }});
  }
  for (const auto& dialect : dialects) {
    const std::string name(dialect->name());
    const auto found = config.dialects.find(name);
    const UssdDialectConfig dialect_config =
        found == config.dialects.end() ? UssdDialectConfig{} : found->second;
    if (!dialect_enabled(dialect_config, dev_mode)) continue;
    if (dialect_config.path_token.empty() && dialect_config.allowed_ips.empty() && !dev_mode) {
      log_event(spdlog::level::warn, "ussd.unprotected_callback",
                {{"dialect", name},
                 {"hint", "set ussd-" + name + "-path-token or ussd-" + name + "-allowed-ips"}});
    }
    const std::string base = "/ussd/" + name + (dialect_config.path_token.empty() ? "" : "/:token");
    std::vector<RouteFilter> filters;
    if (!dialect_config.path_token.empty()) {
      filters.push_back(path_token_filter(dialect_config.path_token, "No such USSD callback."));
    }
    if (std::vector<CidrBlock> allowed = parse_cidr_list(dialect_config.allowed_ips);
        !allowed.empty()) {
      filters.push_back(allowed_ips_filter(std::move(allowed),
                                           "This address may not call the " + name + " callback.",
                                           {"ussd.rejected", "dialect", name}));
    }
    std::vector<std::string> subpaths{""};
    for (const std::string& sub : dialect->subpaths()) subpaths.push_back(sub);
    for (const std::string& sub : subpaths) {
      auto route = std::make_shared<DialectRoute>(
          DialectRoute{*dialect, gateway, dialect_config, call_filters(dialect_config), sub});
      const std::string path = sub.empty() ? base : base + "/" + sub;
      server.add_route(
          {.method = dialect->uses_get() ? Method::Get : Method::Post,
           .path = path,
           .handler = [route](const Pistache::Rest::Request& request,
                              HttpContext& context) { return handle(*route, request, context); },
           // Each dialect reads its own format (form, JSON, query), under max-body-bytes (413).
           .body = RouteBody::Any,
           .filters = filters,
           .log_path = path});  // never log the token
    }
  }
}

}  // namespace ussd_otp
