// Hubtel (Ghana) Programmable Services: JSON {Type, Message, ServiceCode, Operator, ClientState,
// Mobile, SessionId, Sequence, Platform} in, JSON {SessionId, Type, Message, Label, DataType,
// FieldType, ClientState?} out, with Type "response" (continue) or "release" (end).
//
// Unverified in the reference (shared/reference/ussd-aggregators.md §3, §7.4), parsed defensively:
// - Type casing varies between doc revisions ("Initiation", "initiation"): compared
//   case-insensitively. Initiation -> Begin, Response -> Continue, Release -> Released,
//   Timeout -> TimedOut (which of the last two is still sent is unknown; both are accepted).
//   Anything else (AddToCart, HijackSession) is a 400 naming Type.
// - Sequence is an int in one official sample and a string in another: both are accepted (and
//   otherwise unused); any other type is a 400.
// - ServiceCode is sometimes spelled serviceCode, and comes without '*'/'#' ("713"); both
//   spellings are read and the gateway tolerates the bare form. Absent on app channels.
// - On Initiation, Message is the whole dial string ("*889*142*0241234567#"): the gateway takes
//   pre-filled digits from it. On app channels it is "" and the ServiceCode is used instead.
// - Replies use the current lower-case types; ClientState is echoed back when one was sent (we
//   keep the menu state server-side, so we never need to set our own).
// - Release/Timeout requests get a "release" body with an empty Message: nobody sees it.
#include <map>

#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {
namespace {

constexpr std::size_t kMaxClientState = 256;  // legacy docs: 100; leave room

std::optional<UssdPhase> phase_of(const std::string& type) {
  const std::string t = dialect_json::ascii_lower(type);
  if (t == "initiation") return UssdPhase::Begin;
  if (t == "response") return UssdPhase::Continue;
  if (t == "release") return UssdPhase::Released;
  if (t == "timeout") return UssdPhase::TimedOut;
  return std::nullopt;
}

class HubtelDialect final : public UssdDialect {
 public:
  std::string_view name() const override { return "hubtel"; }

  Result<DialectRequest> parse(const DialectHttpRequest& http) const override {
    auto body = dialect_json::object_body(http.body);
    if (!body.ok()) return body.error();
    const nlohmann::json& json = body.value();
    std::map<std::string, std::string> problems;
    DialectRequest request;
    UssdRequest& ussd = request.ussd;
    ussd.dialect = std::string(name());
    const std::string type = dialect_json::required_string(json, "Type", problems, 32);
    ussd.session_id = dialect_json::required_string(json, "SessionId", problems);
    ussd.msisdn = dialect_json::required_string(json, "Mobile", problems);
    ussd.input = dialect_json::optional_string(json, "Message", problems, kMaxUssdInput);
    ussd.service_code = dialect_json::optional_string(json, "ServiceCode", problems);
    if (ussd.service_code.empty()) {
      ussd.service_code = dialect_json::optional_string(json, "serviceCode", problems);
    }
    ussd.network = dialect_json::optional_string(json, "Operator", problems);
    const std::string client_state =
        dialect_json::optional_string(json, "ClientState", problems, kMaxClientState);
    (void)dialect_json::optional_string(json, "Sequence", problems, 32);
    dialect_json::require_non_empty(problems, "SessionId", ussd.session_id);
    dialect_json::require_non_empty(problems, "Mobile", ussd.msisdn);
    const std::optional<UssdPhase> phase = phase_of(type);
    if (!phase && !problems.contains("Type")) {
      problems["Type"] = "must be Initiation, Response, Release or Timeout";
    }
    if (!problems.empty()) return dialect_json::validation_error(name(), std::move(problems));
    ussd.phase = *phase;
    request.echo = {{"SessionId", ussd.session_id}};
    if (!client_state.empty()) request.echo["ClientState"] = client_state;
    return request;
  }

  DialectReply render(const DialectRequest& request, const UssdAnswer& answer) const override {
    nlohmann::json reply = request.echo;
    reply["Type"] = answer.end ? "release" : "response";
    reply["Message"] = answer.text;
    reply["Label"] = "ussd-otp";
    reply["DataType"] = answer.end ? "display" : "input";
    reply["FieldType"] = "text";
    return dialect_json::json_reply(reply);
  }
};

}  // namespace

std::unique_ptr<UssdDialect> make_hubtel_dialect() {
  return std::make_unique<HubtelDialect>();
}

}  // namespace ussd_otp
