// Translates HTTP to dialect requests and back; security checks happen before any parsing.
#include "server/ussd/routes.hpp"

#include <sodium.h>

#include "menus/dial_string.hpp"
#include "server/http/cidr.hpp"
#include "server/http/logging.hpp"
#include "server/http/url_encoding.hpp"

namespace ussd_otp {
namespace {

using Pistache::Http::Method;

struct DialectRoute {
  const UssdDialect& dialect;
  UssdGateway& gateway;
  UssdDialectConfig config;
  std::vector<CidrBlock> allowed;
  std::string subpath;  // "" for the menu callback
};

ApiResponse from_reply(DialectReply reply) {
  ApiResponse response;
  response.status = reply.status;
  response.body = std::move(reply.body);
  response.content_type = std::move(reply.content_type);
  return response;
}

bool token_matches(const std::string& expected, const std::string& given) {
  return expected.size() == given.size() &&
         sodium_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

ApiResponse forbidden(const DialectRoute& route, const HttpContext& context, std::string_view why,
                      std::string message) {
  log_event(spdlog::level::warn, "ussd.rejected",
            {{"rid", context.request_id},
             {"dialect", std::string(route.dialect.name())},
             {"ip", context.client_ip},
             {"reason", std::string(why)}});
  return ApiResponse::error(Error::make(ErrorCode::Forbidden, std::move(message)));
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
  if (!route.config.path_token.empty() &&
      !token_matches(route.config.path_token, request.param(":token").as<std::string>())) {
    return ApiResponse::error(Error::make(ErrorCode::NotFound, "No such USSD callback."));
  }
  if (!route.allowed.empty() &&
      std::none_of(route.allowed.begin(), route.allowed.end(),
                   [&](const CidrBlock& block) { return block.contains(context.client_ip); })) {
    return forbidden(
        route, context, "source address not allowed",
        "This address may not call the " + std::string(route.dialect.name()) + " callback.");
  }

  // HEAD (answered by GET routes) must not run a step: it would count a lookup, maybe a view.
  // Only after the checks above, so it tells nobody more than GET would.
  if (request.method() == Method::Head) return ApiResponse{200, "", "application/json", {}};
  const DialectHttpRequest http = to_dialect_request(request);
  Result<DialectRequest> parsed = route.subpath.empty()
                                      ? route.dialect.parse(http)
                                      : route.dialect.parse_subpath(route.subpath, http);
  if (!parsed.ok()) return ApiResponse::error(parsed.error());
  DialectRequest& call = parsed.value();

  if (!route.config.service_code.empty()) {
    // Leaving the code out must not get around the check when a session starts; later steps
    // of a session started with the right code may leave it out (some aggregators do).
    if (call.ussd.service_code.empty()) {
      if (call.ussd.phase == UssdPhase::Begin || call.ussd.phase == UssdPhase::Unknown) {
        return forbidden(route, context, "no service code", "A service code is required.");
      }
    } else {
      const auto ours = dial_segments(route.config.service_code);
      const auto theirs = dial_segments(call.ussd.service_code);
      // Their code may carry dialled extras ("*889*142*024...#"), so compare the prefix.
      if (theirs.size() < ours.size() || !std::equal(ours.begin(), ours.end(), theirs.begin())) {
        return forbidden(route, context, "unexpected service code " + call.ussd.service_code,
                         "Unexpected service code.");
      }
    }
  }
  if (!route.config.user_id.empty() && call.user_id != route.config.user_id) {
    return forbidden(route, context, "unexpected user id", "Unexpected user id.");
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
    server.add_route({Method::Get, "/dev/ussd/stats", false, false,
                      [&gateway](const Pistache::Rest::Request&, HttpContext&) {
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
    std::vector<std::string> subpaths{""};
    for (const std::string& sub : dialect->subpaths()) subpaths.push_back(sub);
    for (const std::string& sub : subpaths) {
      auto route = std::make_shared<DialectRoute>(DialectRoute{
          *dialect, gateway, dialect_config, parse_cidr_list(dialect_config.allowed_ips), sub});
      const std::string path = sub.empty() ? base : base + "/" + sub;
      RouteSpec spec{dialect->uses_get() ? Method::Get : Method::Post, path, false,
                     /*requires_json_body=*/true,  // for the max-body-bytes check (413)
                     [route](const Pistache::Rest::Request& request, HttpContext& context) {
                       return handle(*route, request, context);
                     }};
      spec.any_content_type = true;  // each dialect reads its own format (form, JSON, query)
      spec.log_path = path;          // never log the token
      server.add_route(std::move(spec));
    }
  }
}

}  // namespace ussd_otp
