// Beem (Tanzania, docs.beem.africa/ussd): JSON callbacks {session_id, msisdn, serviceCode,
// operator, command, payload: {request_id, response}}; reply {msisdn, operator, session_id,
// command: "continue"|"terminate", payload: {request_id, request: <screen>}}.
//
// Unverified (the only public mapping is ussd-builder 1.3.2, ../shared/reference/
// ussd-aggregators.md section 8; Beem's own page was not captured), so parsing is defensive:
// - `command` is compared case-insensitively. "initiate" begins a session, "continue" is an
//   answer. "terminate" (the word Beem uses for the end in replies) and "timeout" are taken as
//   end notifications and get a terminate reply with an empty request. Anything else is a 400
//   naming `command`.
// - `payload.request_id` is echoed exactly as sent (ussd-builder's README shows a number, so a
//   number stays a number). `payload.response` is the latest answer; on initiate it is ignored by
//   ussd-builder, and we use it only if it is a dial string ("*150*00*0241234567#"), else the
//   digits pre-filled in `serviceCode` (the gateway extracts either).
// - `msisdn` is echoed as sent (no '+': ussd-builder's README example adds one, an artefact of its
//   Africa's Talking mapping), as are `operator` and `session_id` (ussd-builder's continue reply
//   forgets session_id; we always send it).
// - Beem has no account-id field, so `ussd-beem-user-id` cannot be used.
#include <map>

#include "menus/dial_string.hpp"
#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {
namespace {

class BeemDialect final : public UssdDialect {
 public:
  std::string_view name() const override { return "beem"; }

  Result<DialectRequest> parse(const DialectHttpRequest& http) const override {
    auto body = dialect_json::object_body(http.body);
    if (!body.ok()) return body.error();
    const nlohmann::json& json = body.value();
    std::map<std::string, std::string> problems;
    DialectRequest request;
    UssdRequest& ussd = request.ussd;
    ussd.dialect = "beem";
    ussd.session_id = dialect_json::required_string(json, "session_id", problems, kMaxUssdField);
    ussd.msisdn = dialect_json::required_string(json, "msisdn", problems, kMaxUssdField);
    ussd.service_code = dialect_json::optional_string(json, "serviceCode", problems, kMaxUssdField);
    ussd.network = dialect_json::optional_string(json, "operator", problems, kMaxUssdField);
    const std::string command = dialect_json::required_string(json, "command", problems, 32);

    std::string response;
    bool has_response = false;
    nlohmann::json request_id;
    const auto payload = json.find("payload");
    if (payload == json.end() || payload->is_null()) {
      problems["payload"] = "is required";
    } else if (!payload->is_object()) {
      problems["payload"] = "must be an object";
    } else {
      std::map<std::string, std::string> inner;
      dialect_json::required_string(*payload, "request_id", inner, kMaxUssdField);
      if (inner.empty()) request_id = (*payload)["request_id"];  // as sent: string or number
      has_response = payload->contains("response") && !(*payload)["response"].is_null();
      response = dialect_json::optional_string(*payload, "response", inner, kMaxUssdInput);
      for (auto& [field, problem] : inner) problems["payload." + field] = std::move(problem);
    }

    const std::string kind = dialect_json::ascii_lower(command);
    if (kind == "initiate") {
      ussd.phase = UssdPhase::Begin;
      if (looks_like_dial_string(response)) ussd.input = response;
    } else if (kind == "continue") {
      ussd.phase = UssdPhase::Continue;
      ussd.input = response;
      if (!has_response && !problems.contains("payload")) {
        problems.emplace("payload.response", "is required on continue");
      }
    } else if (kind == "terminate") {
      ussd.phase = UssdPhase::Released;
    } else if (kind == "timeout") {
      ussd.phase = UssdPhase::TimedOut;
    } else if (!problems.contains("command")) {
      problems["command"] = "must be initiate, continue, terminate or timeout";
    }
    dialect_json::require_non_empty(problems, "session_id", ussd.session_id);
    dialect_json::require_non_empty(problems, "msisdn", ussd.msisdn);
    if (!problems.empty()) return dialect_json::validation_error(name(), std::move(problems));

    request.echo = {{"msisdn", ussd.msisdn},
                    {"operator", ussd.network},
                    {"session_id", ussd.session_id},
                    {"request_id", std::move(request_id)}};
    return request;
  }

  DialectReply render(const DialectRequest& request, const UssdAnswer& answer) const override {
    const nlohmann::json& echo = request.echo;
    return dialect_json::json_reply(
        {{"msisdn", echo.value("msisdn", "")},
         {"operator", echo.value("operator", "")},
         {"session_id", echo.value("session_id", "")},
         {"command", answer.end ? "terminate" : "continue"},
         {"payload",
          {{"request_id", echo.value("request_id", nlohmann::json())}, {"request", answer.text}}}});
  }
};

}  // namespace

std::unique_ptr<UssdDialect> make_beem_dialect() {
  return std::make_unique<BeemDialect>();
}

}  // namespace ussd_otp
