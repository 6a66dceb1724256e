// Route handlers for /healthz, /readyz, /v1/otp/* and (dev mode) /dev/inbox, /dev/delivery and
// /dev/clock.
#include "server/api/native_api.hpp"

#include "otp/codes.hpp"
#include "otp/crypto.hpp"
#include "server/http/cidr.hpp"
#include "server/http/json_body.hpp"
#include "server/http/logging.hpp"
#include "server/http/url_encoding.hpp"

namespace ussd_otp {
namespace {

using nlohmann::json;
using Pistache::Http::Method;
using Pistache::Rest::Request;

// Every timestamp /v1/otp/* answers carries milliseconds, as Sendexa's do.
json created_json(const OtpCreated& created) {
  return {{"id", created.id},
          {"expiresAt", iso8601_millis(created.expires_at)},
          {"phone", created.phone},
          {"delivery", created.delivery}};
}

// Every attempt to hand the SMS to a gateway, with its outcome and receipt (never the text).
json deliveries_json(const std::vector<DeliveryAttempt>& attempts) {
  json list = json::array();
  for (const DeliveryAttempt& a : attempts) {
    json item = {{"provider", a.provider},
                 {"reason", a.reason},
                 {"outcome", a.outcome},
                 {"startedAt", iso8601_millis(a.started_at)}};
    if (a.finished_at != 0) item["finishedAt"] = iso8601_millis(a.finished_at);
    if (!a.gateway_message_id.empty()) item["messageId"] = a.gateway_message_id;
    if (!a.error.empty()) item["error"] = a.error;
    if (!a.gateway_status.empty()) item["gatewayStatus"] = a.gateway_status;
    if (a.http_status != 0) item["httpStatus"] = a.http_status;
    if (a.finished_at != 0) item["latencyMs"] = a.latency_ms;
    if (!a.cost.empty()) item["cost"] = a.cost;
    if (!a.receipt.empty()) {
      item["receipt"] = {
          {"state", a.receipt}, {"status", a.receipt_status}, {"at", iso8601_millis(a.receipt_at)}};
    }
    list.push_back(std::move(item));
  }
  return list;
}

// Every POST of an app webhook for this OTP, with the app's answer.
json webhooks_json(const std::vector<WebhookAttempt>& attempts) {
  json list = json::array();
  for (const WebhookAttempt& a : attempts) {
    json item = {{"event", a.event}, {"attemptedAt", iso8601_millis(a.at)}};
    item["httpStatus"] = a.http_status == 0 ? json(nullptr) : json(a.http_status);
    if (!a.error.empty()) item["error"] = a.error;
    item["latencyMs"] = a.latency_ms;
    list.push_back(std::move(item));
  }
  return list;
}

json view_json(const OtpView& view) {
  const OtpRecord& otp = view.record;
  json events = json::array();
  for (const OtpEvent& e : view.events) {
    json item = {{"type", e.type}, {"at", iso8601_millis(e.at)}};
    if (!e.detail.empty()) item["detail"] = e.detail;
    events.push_back(std::move(item));
  }
  json body = {
      {"id", otp.id},
      {"status", to_string(view.status)},
      {"phone", otp.phone},
      {"from", otp.sender},
      {"pinType", to_string(otp.pin_type)},
      {"pinLength", otp.pin_length},
      {"createdAt", iso8601_millis(otp.created_at)},
      {"expiresAt", iso8601_millis(otp.expires_at)},
      {"attemptsRemaining", view.attempts_remaining},
      {"maxAttempts", otp.max_attempts},
      {"sendCount", otp.send_count},
      {"events", std::move(events)},
      {"deliveries", deliveries_json(view.deliveries)},
      {"webhooks", webhooks_json(view.webhooks)},
      {"metadata", otp.metadata_json.empty() ? json(nullptr) : json::parse(otp.metadata_json)}};
  return body;
}

ApiResponse handle_request(OtpService& otp, const Request& request, HttpContext& context,
                           bool count_peer_ip) {
  Result<OtpRequestBody> parsed = parse_otp_request_body(request.body());
  if (!parsed) return ApiResponse::error(parsed.error());
  const json& body = parsed->json;
  const OtpRequestInput& input = parsed->input;
  if (parsed->problems) {
    // Report every problem at once: typing problems here plus the policy's range checks.
    Error error = *parsed->problems;
    for (auto& [field, problem] : otp.field_problems(input)) {
      if (!(field == "phone" && input.phone.empty())) error.fields.emplace(field, problem);
    }
    return ApiResponse::error(error);
  }

  RequestContext request_context;
  request_context.api_key_id = context.api_key_id;
  // The per-IP limit counts the end user's address when the caller names it; a backend's own
  // address only when the operator asks (rate-limit-ip-count-peer): it speaks for many users.
  request_context.client_ip = parsed->end_user_ip.value_or(count_peer_ip ? context.client_ip : "");
  if (auto bad = apply_idempotency_key(idempotency_header(request), "", body, request_context)) {
    return ApiResponse::error(*bad);
  }
  Result<OtpCreated> created = otp.request(input, request_context);
  if (!created) return ApiResponse::error(created.error());
  ApiResponse response = ApiResponse::json(201, created_json(created.value()));
  if (created->replayed) response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

ApiResponse handle_verify(OtpService& otp, const Request& request, HttpContext& context) {
  Result<OtpVerifyBody> parsed = parse_otp_verify_body(request.body());
  if (!parsed) return ApiResponse::error(parsed.error());
  Result<OtpVerified> verified = otp.verify(context.api_key_id, parsed->id, parsed->pin);
  if (!verified) return ApiResponse::error(verified.error());
  // Sendexa's success shape exactly: a top-level message, then {"verified": true} (the caller
  // already has the id it sent).
  return ApiResponse::json(200, {{"verified", true}}, "OTP verified successfully");
}

ApiResponse handle_resend(OtpService& otp, const Request& request, HttpContext& context) {
  Result<std::string> id = parse_otp_id_body(request.body());
  if (!id) return ApiResponse::error(id.error());
  RequestContext request_context;
  request_context.api_key_id = context.api_key_id;
  request_context.client_ip = context.client_ip;
  if (auto bad = apply_idempotency_key(idempotency_header(request), "resend",
                                       json{{"id", id.value()}}, request_context)) {
    return ApiResponse::error(*bad);
  }
  Result<OtpResent> resent = otp.resend(context.api_key_id, id.value(), request_context);
  if (!resent) return ApiResponse::error(resent.error());
  ApiResponse response =
      ApiResponse::json(200, {{"id", resent->id},
                              {"sendCount", resent->send_count},
                              {"expiresAt", iso8601_millis(resent->expires_at)},
                              {"nextResendAt", iso8601_millis(resent->next_resend_at)}});
  if (resent->replayed) response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

ApiResponse handle_get(OtpService& otp, const Request& request, HttpContext& context) {
  Result<OtpView> view = otp.get(context.api_key_id, request.param(":id").as<std::string>());
  if (!view) return ApiResponse::error(view.error());
  return ApiResponse::json(200, view_json(view.value()));
}

ApiResponse handle_cancel(OtpService& otp, const Request& request, HttpContext& context) {
  Result<OtpView> view = otp.cancel(context.api_key_id, request.param(":id").as<std::string>());
  if (!view) return ApiResponse::error(view.error());
  return ApiResponse::json(200, view_json(view.value()));
}

ApiResponse handle_inbox(const DevInbox& inbox, const OtpPolicy& policy, const Clock& clock,
                         const Request& request) {
  std::optional<std::string> raw_phone = request.query().get("phone");
  if (!raw_phone) {
    Error error = Error::make(ErrorCode::ValidationError, "The request has invalid fields.");
    error.fields["phone"] = "is required (query parameter)";
    return ApiResponse::error(error);
  }
  // Pistache hands query values over still encoded ("%2B233..." for "+233...").
  std::optional<std::string> decoded = form_decode(*raw_phone);
  std::optional<PhoneNumber> phone =
      decoded ? PhoneNumber::parse(*decoded, policy.phone_rules) : std::nullopt;
  if (!phone) {
    return ApiResponse::error(Error::make(ErrorCode::InvalidPhone, "phone is not a valid number."));
  }
  json messages = json::array();
  // The server's clock, so a delayed message lands when POST /dev/clock moves past its delay.
  for (const InboxMessage& message : inbox.messages_for(phone->e164_digits(), clock.now())) {
    messages.push_back({{"messageId", message.message_id},
                        {"otpId", message.otp_id},
                        {"from", message.sender},
                        {"text", message.text},
                        {"reason", message.reason},
                        {"sentAt", iso8601(message.at)},
                        {"deliveredAt", iso8601(message.visible_at)}});
  }
  return ApiResponse::json(200, {{"phone", phone->e164_digits()}, {"messages", messages}});
}

json rule_json(const std::string& phone, DeliveryMode mode, int delay_seconds) {
  return {{"phone", phone},
          {"mode", to_string(mode)},
          {"delaySeconds", mode == DeliveryMode::Delay ? json(delay_seconds) : json(nullptr)}};
}

ApiResponse handle_delivery_rule(DevInbox& inbox, const OtpPolicy& policy, const Request& request) {
  Result<json> parsed = parse_json_object(request.body());
  if (!parsed) return ApiResponse::error(parsed.error());
  FieldReader fields(parsed.value());
  fields.reject_unknown({"phone", "mode", "delaySeconds"});
  const std::optional<std::string> raw_phone = fields.string("phone", true);
  const std::optional<std::string> mode_name = fields.string("mode", true);
  const std::optional<int> delay = fields.integer("delaySeconds");
  Error error = fields.error();
  // A plain value, not an optional: GCC 12 at -O3 warns (falsely) about reading one here.
  DeliveryMode mode = DeliveryMode::Normal;
  bool mode_known = false;
  if (mode_name) {
    if (const auto named = delivery_mode_from_string(*mode_name)) {
      mode = *named;
      mode_known = true;
    } else {
      error.fields["mode"] = "must be normal, drop or delay";
    }
  }
  const json& body = parsed.value();
  const bool delay_given = body.contains("delaySeconds") && !body["delaySeconds"].is_null();
  if (mode_known && mode == DeliveryMode::Delay && !delay_given) {
    error.fields["delaySeconds"] = "is required with mode delay";
  } else if (mode_known && mode == DeliveryMode::Delay && delay &&
             (*delay < 1 || *delay > kMaxDeliveryDelaySeconds)) {
    error.fields["delaySeconds"] = "must be from 1 to " + std::to_string(kMaxDeliveryDelaySeconds);
  } else if (mode_known && mode != DeliveryMode::Delay && delay_given) {
    error.fields["delaySeconds"] = "is only allowed with mode delay";
  }
  if (!error.fields.empty()) return ApiResponse::error(error);
  const std::optional<PhoneNumber> phone = PhoneNumber::parse(*raw_phone, policy.phone_rules);
  if (!phone) {
    return ApiResponse::error(Error::make(ErrorCode::InvalidPhone, "phone is not a valid number."));
  }
  const int delay_seconds = mode == DeliveryMode::Delay ? delay.value_or(0) : 0;
  const std::string digits = phone->e164_digits();
  inbox.set_rule(digits, mode, delay_seconds);
  log_event(spdlog::level::info, "dev.delivery_rule",
            {{"phone", digits}, {"mode", to_string(mode)}, {"delay_seconds", delay_seconds}});
  return ApiResponse::json(200, rule_json(digits, mode, delay_seconds));
}

json rules_json(const DevInbox& inbox) {
  json rules = json::array();
  for (const DeliveryRule& rule : inbox.rules()) {
    json item = rule_json(rule.phone, rule.mode, rule.delay_seconds);
    item["dropped"] = rule.dropped;
    rules.push_back(std::move(item));
  }
  return {{"rules", std::move(rules)}};
}

// The largest single step of the dev clock: a year covers every expiry, window and retention.
constexpr int kMaxClockAdvanceSeconds = 366 * 24 * 3600;

json clock_json(const AdjustableClock& clock) {
  const UnixSeconds now = clock.now();
  return {{"now", iso8601(now)}, {"unix", now}, {"advancedSeconds", clock.advanced_seconds()}};
}

ApiResponse handle_clock_advance(AdjustableClock& clock, const Request& request) {
  Result<json> parsed = parse_json_object(request.body());
  if (!parsed) return ApiResponse::error(parsed.error());
  FieldReader fields(parsed.value());
  fields.reject_unknown({"advanceSeconds"});
  const std::optional<int> seconds = fields.integer("advanceSeconds");
  if (!fields.ok()) return ApiResponse::error(fields.error());
  if (!seconds || *seconds < 0 || *seconds > kMaxClockAdvanceSeconds) {
    Error error =
        Error::make(ErrorCode::ValidationError, "advanceSeconds must be a whole number from 0 to " +
                                                    std::to_string(kMaxClockAdvanceSeconds) +
                                                    " (the clock only moves forward).");
    error.fields["advanceSeconds"] = seconds ? "is out of range" : "is required";
    return ApiResponse::error(error);
  }
  clock.advance(*seconds);
  return ApiResponse::json(200, clock_json(clock));
}

}  // namespace

Result<OtpRequestBody> parse_otp_request_body(std::string_view text) {
  Result<json> parsed = parse_json_object(text);
  if (!parsed) return parsed.error();
  OtpRequestBody out;
  out.json = std::move(parsed.value());
  const json& body = out.json;

  FieldReader fields(body);
  fields.reject_unknown({"phone", "from", "message", "pinLength", "pinType", "expiry",
                         "maxAttempts", "metadata", "clientIp"});
  OtpRequestInput& input = out.input;
  input.phone = fields.string("phone", true).value_or("");
  input.sender = fields.string("from");
  input.message = fields.string("message");
  input.pin_length = fields.integer("pinLength");
  input.pin_type = fields.string("pinType");
  input.max_attempts = fields.integer("maxAttempts");
  if (const json* expiry = fields.object("expiry")) {
    FieldReader nested(*expiry, "expiry.");
    nested.reject_unknown({"amount", "duration"});
    input.expiry_amount = nested.integer("amount");
    input.expiry_duration = nested.string("duration");
    fields.absorb(nested);
  }
  if (const json* metadata = fields.object("metadata")) input.metadata_json = metadata->dump();
  // The end user's address, for the per-IP limit: `clientIp`, else `metadata.ip` (which stays in
  // the metadata as given). Both are checked when both are present; `clientIp` wins.
  std::map<std::string, std::string> ip_problems;
  auto ip_from = [&](const json& holder, const std::string& key,
                     const std::string& name) -> std::optional<std::string> {
    const auto found = holder.find(key);
    if (found == holder.end()) return std::nullopt;
    if (found->is_string() && is_ip_address(found->get<std::string>())) {
      return found->get<std::string>();
    }
    ip_problems[name] = "must be an IPv4 or IPv6 address, e.g. \"203.0.113.7\"";
    return std::nullopt;
  };
  std::optional<std::string> metadata_ip;
  if (const auto metadata = body.find("metadata"); metadata != body.end() && metadata->is_object())
    metadata_ip = ip_from(*metadata, "ip", "metadata.ip");
  std::optional<std::string> client_ip = ip_from(body, "clientIp", "clientIp");
  out.end_user_ip = client_ip ? client_ip : metadata_ip;
  if (!fields.ok()) out.problems = fields.error();
  if (!ip_problems.empty()) {
    if (!out.problems) {
      out.problems = Error::make(ErrorCode::ValidationError, "The request has invalid fields.");
    }
    out.problems->fields.merge(ip_problems);
  }
  return out;
}

std::optional<std::string> idempotency_header(const Request& request) {
  if (auto key = request.headers().tryGetRaw("Idempotency-Key")) return key->value();
  return std::nullopt;
}

std::optional<Error> apply_idempotency_key(const std::optional<std::string>& header,
                                           std::string_view route, const json& body,
                                           RequestContext& context) {
  if (!header) return std::nullopt;
  if (header->empty() || header->size() > 255) {
    Error error = Error::make(ErrorCode::ValidationError, "The request has invalid fields.");
    error.fields["Idempotency-Key"] = "must be 1-255 characters";
    return error;
  }
  context.idempotency_key = *header;
  // json::dump sorts keys, so the text is canonical. /v1/otp/request's fingerprint stays the
  // bare body, as stored before other routes took the header; the others are prefixed.
  context.body_fingerprint =
      fingerprint(route.empty() ? body.dump() : std::string(route) + " " + body.dump());
  return std::nullopt;
}

Result<OtpVerifyBody> parse_otp_verify_body(std::string_view text) {
  Result<json> parsed = parse_json_object(text);
  if (!parsed) return parsed.error();
  FieldReader fields(parsed.value());
  fields.reject_unknown({"id", "pin"});
  std::optional<std::string> id = fields.string("id", true);
  std::optional<std::string> pin = fields.string("pin", true);
  Error error = fields.error();
  // Only spaces is no pin, like "" (issue 13 bug 5): refused before any attempt is spent.
  if (pin && (is_blank_pin_input(*pin) || pin->size() > 64)) {
    error.fields["pin"] = "must be 1-64 characters, not only spaces";
  }
  if (!error.fields.empty()) return error;
  return OtpVerifyBody{*id, *pin};
}

Result<std::string> parse_otp_id_body(std::string_view text) {
  Result<json> parsed = parse_json_object(text);
  if (!parsed) return parsed.error();
  FieldReader fields(parsed.value());
  fields.reject_unknown({"id"});
  std::optional<std::string> id = fields.string("id", true);
  if (!fields.ok()) return fields.error();
  return *id;
}

namespace {

// A dev resource: GET shows its state, POST (a JSON body) changes it.
void add_dev_resource(HttpServer& server, const std::string& path,
                      std::function<nlohmann::json()> show,
                      std::function<ApiResponse(const Request&)> change) {
  server.add_route({.method = Method::Get,
                    .path = path,
                    .handler = [show = std::move(show)](const Request&, HttpContext&) {
                      return ApiResponse::json(200, show());
                    }});
  server.add_route({.method = Method::Post,
                    .path = path,
                    .handler = [change = std::move(change)](const Request& r,
                                                            HttpContext&) { return change(r); },
                    .body = RouteBody::Json});
}

}  // namespace

void add_api_routes(HttpServer& server, const ApiDependencies& deps) {
  OtpService& otp = deps.otp;
  OtpStore& store = deps.store;

  const RouteFilter api_key = server.api_key_filter();
  // Probes are never rate limited: a load balancer polling them must not take the server out.
  server.add_route({.method = Method::Get,
                    .path = "/healthz",
                    .handler =
                        [](const Request&, HttpContext&) {
                          return ApiResponse::json(200, {{"status", "ok"}});
                        },
                    .ip_limit_exempt = true});
  server.add_route({.method = Method::Get,
                    .path = "/readyz",
                    .handler =
                        [&store](const Request&, HttpContext&) {
                          if (store.writable())
                            return ApiResponse::json(200, {{"status", "ready"}});
                          Error error = Error::make(ErrorCode::ServiceUnavailable,
                                                    "The database is not writable.");
                          error.retry_after = 1;
                          return ApiResponse::error(error);
                        },
                    .ip_limit_exempt = true});
  server.add_route({.method = Method::Post,
                    .path = "/v1/otp/request",
                    .handler =
                        [&otp, count_peer = deps.count_peer_ip](const Request& r, HttpContext& c) {
                          return handle_request(otp, r, c, count_peer);
                        },
                    .body = RouteBody::Json,
                    .filters = {api_key}});
  // The other /v1/otp/* rows: each needs only the OTP service.
  struct OtpRoute {
    Method method;
    const char* path;
    ApiResponse (*handle)(OtpService&, const Request&, HttpContext&);
    RouteBody body;
  };
  static constexpr OtpRoute kOtpRoutes[] = {
      {Method::Post, "/v1/otp/verify", handle_verify, RouteBody::Json},
      {Method::Post, "/v1/otp/resend", handle_resend, RouteBody::Json},
      {Method::Get, "/v1/otp/:id", handle_get, RouteBody::None},
      {Method::Post, "/v1/otp/:id/cancel", handle_cancel, RouteBody::None},
  };
  for (const OtpRoute& row : kOtpRoutes) {
    server.add_route(
        {.method = row.method,
         .path = row.path,
         .handler = [&otp, handle = row.handle](const Request& r,
                                                HttpContext& c) { return handle(otp, r, c); },
         .body = row.body,
         .filters = {api_key}});
  }
  if (deps.dev_inbox) {
    DevInbox& inbox = *deps.dev_inbox;
    const Clock& clock = deps.clock;
    server.add_route({.method = Method::Get,
                      .path = "/dev/inbox",
                      .handler = [&inbox, &otp, &clock](const Request& r, HttpContext&) {
                        return handle_inbox(inbox, otp.policy(), clock, r);
                      }});
    add_dev_resource(
        server, "/dev/delivery", [&inbox] { return rules_json(inbox); },
        [&inbox, &otp](const Request& r) { return handle_delivery_rule(inbox, otp.policy(), r); });
  }
  if (deps.dev_clock) {
    AdjustableClock& clock = *deps.dev_clock;
    add_dev_resource(
        server, "/dev/clock", [&clock] { return clock_json(clock); },
        [&clock](const Request& r) { return handle_clock_advance(clock, r); });
  }
}

}  // namespace ussd_otp
