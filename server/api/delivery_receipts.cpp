// Translates a delivery-report request into a ReceiptRequest, and the sender's report back.
#include "server/api/delivery_receipts.hpp"

#include <cctype>
#include <memory>

#include "otp/text.hpp"
#include "server/http/filters.hpp"
#include "server/http/logging.hpp"
#include "server/http/url_encoding.hpp"

namespace ussd_otp {
namespace {

using Pistache::Http::Method;

struct ReceiptRoute {
  std::string provider;
  const SmsProvider& parser;
  SmsSender& sender;
  SmsProviderConfig config;
  std::string public_url;
};

// The URL the gateway called, as it saw it: Twilio signs exactly that, query order included.
std::string called_url(const ReceiptRoute& route, const Pistache::Rest::Request& request,
                       const HttpContext& context) {
  std::string base = route.public_url;
  if (base.empty()) {
    base = "http://";
    if (auto host = request.headers().tryGet<Pistache::Http::Header::Host>()) {
      base += host->host();
      const std::string port = host->port().toString();
      if (!port.empty() && port != "80" && port != "0") base += ":" + port;
    }
  }
  if (!context.raw_target.empty()) return base + context.raw_target;
  std::string url = base + request.resource();
  const std::string query = request.query().as_str();
  if (!query.empty()) url += (query.front() == '?' ? "" : "?") + query;
  return url;
}

ReceiptRequest to_receipt_request(const ReceiptRoute& route, const Pistache::Rest::Request& request,
                                  const HttpContext& context) {
  ReceiptRequest receipt;
  receipt.method = request.method() == Method::Get ? "GET" : "POST";
  receipt.url = called_url(route, request, context);
  receipt.body = request.body();
  for (auto it = request.query().parameters_begin(); it != request.query().parameters_end(); ++it) {
    auto value = form_decode(it->second);
    receipt.query.emplace_back(it->first, value ? std::move(*value) : it->second);
  }
  for (const auto& [name, raw] : request.headers().rawList()) {
    receipt.headers[text::ascii_lower(name)] = raw.value();
  }
  if (auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>()) {
    receipt.content_type = type->mime().toString();
    receipt.headers["content-type"] = receipt.content_type;
  }
  return receipt;
}

ApiResponse handle(const ReceiptRoute& route, const Pistache::Rest::Request& request,
                   const HttpContext& context) {
  if (request.method() == Method::Head) return ApiResponse{200, "", "application/json", {}};
  Result<std::vector<Receipt>> parsed =
      route.parser.parse_receipt(to_receipt_request(route, request, context));
  if (!parsed) {
    log_event(spdlog::level::warn, "delivery.receipt_rejected",
              {{"rid", context.request_id},
               {"provider", route.provider},
               {"ip", context.client_ip},
               {"reason", parsed.error().message}});
    return ApiResponse::error(parsed.error());
  }
  const ReceiptReport report = route.sender.apply_receipts(route.provider, parsed.value());
  log_event(spdlog::level::info, "delivery.receipt",
            {{"rid", context.request_id},
             {"provider", route.provider},
             {"matched", report.matched},
             {"unmatched", report.unmatched}});
  return ApiResponse::json(200, {{"matched", report.matched}, {"unmatched", report.unmatched}});
}

}  // namespace

void add_delivery_routes(HttpServer& server, SmsSender& sender, const DeliveryConfig& config,
                         bool dev_mode) {
  for (const auto& [name, provider_config] : config.providers) {
    const SmsProvider* provider = sender.provider(name);
    if (provider == nullptr || !provider->accepts_receipts()) continue;
    const bool signed_by_gateway = name == "twilio" || name == "webhook";
    if (!dev_mode && !signed_by_gateway && provider_config.receipt_path_token.empty() &&
        provider_config.receipt_allowed_ips.empty()) {
      log_event(spdlog::level::warn, "delivery.receipts_disabled",
                {{"provider", name},
                 {"hint", "set sms-" + name + "-receipt-path-token or sms-" + name +
                              "-receipt-allowed-ips to accept its delivery reports"}});
      continue;
    }
    auto route = std::make_shared<ReceiptRoute>(
        ReceiptRoute{name, *provider, sender, provider_config, config.public_url});
    const std::string path =
        "/delivery/" + name + (provider_config.receipt_path_token.empty() ? "" : "/:token");
    std::vector<RouteFilter> filters;
    if (!provider_config.receipt_path_token.empty()) {
      filters.push_back(
          path_token_filter(provider_config.receipt_path_token, "No such delivery-report URL."));
    }
    if (std::vector<CidrBlock> allowed = parse_cidr_list(provider_config.receipt_allowed_ips);
        !allowed.empty()) {
      filters.push_back(allowed_ips_filter(
          std::move(allowed), "This address may not post " + name + " delivery reports.",
          {"delivery.receipt_rejected", "provider", name}));
    }
    // Gateways differ (Arkesel calls with GET, the others POST): both are accepted everywhere.
    for (Method method : {Method::Post, Method::Get}) {
      server.add_route(
          {.method = method,
           .path = path,
           .handler = [route](const Pistache::Rest::Request& request,
                              HttpContext& context) { return handle(*route, request, context); },
           // POST: each gateway posts its own format, under the max-body-bytes check.
           .body = method == Method::Post ? RouteBody::Any : RouteBody::None,
           .filters = filters,
           .log_path = path});  // never log the token
    }
  }
}

}  // namespace ussd_otp
