// Nalo Solutions (Ghana): JSON {USERID, MSISDN, USERDATA, MSGTYPE, NETWORK, SESSIONID} in, JSON
// {USERID, MSISDN, MSG, MSGTYPE} out. MSGTYPE flips meaning: in the request true = a new
// session, in the reply true = continue (expect input) and false = end.
//
// Unverified in the reference (shared/reference/ussd-aggregators.md §4, §7.5), parsed defensively:
// - The field tables come from a third-party SDK, not Nalo's own doc.
// - USERDATA on the first request is undocumented: it may be the dial string ("*920*142#") or
//   empty. It is passed on as the Begin input; the gateway takes pre-filled digits from it only
//   when it looks like a dial string. It may also be absent or null: read as "".
// - The 120-character MSG limit (screen_limit) is the SDK's reading of the Nalo doc.
// - No service code is sent (ussd-nalo-service-code has nothing to compare); USERID is
//   compared with ussd-nalo-user-id.
// - No timeout or release notification is documented: sessions end by our final screen or idle.
// - MSGTYPE may arrive as "true"/"false", and ids/MSISDN as numbers; both are accepted.
#include <map>

#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {
namespace {

class NaloDialect final : public UssdDialect {
 public:
  std::string_view name() const override { return "nalo"; }
  std::size_t screen_limit() const override { return 120; }

  Result<DialectRequest> parse(const DialectHttpRequest& http) const override {
    auto body = dialect_json::object_body(http.body);
    if (!body.ok()) return body.error();
    const nlohmann::json& json = body.value();
    std::map<std::string, std::string> problems;
    DialectRequest request;
    UssdRequest& ussd = request.ussd;
    ussd.dialect = std::string(name());
    request.user_id = dialect_json::required_string(json, "USERID", problems);
    ussd.msisdn = dialect_json::required_string(json, "MSISDN", problems);
    ussd.input = dialect_json::optional_string(json, "USERDATA", problems, kMaxUssdInput);
    const bool is_new = dialect_json::required_bool(json, "MSGTYPE", problems);
    ussd.network = dialect_json::optional_string(json, "NETWORK", problems);
    ussd.session_id = dialect_json::required_string(json, "SESSIONID", problems);
    dialect_json::require_non_empty(problems, "SESSIONID", ussd.session_id);
    dialect_json::require_non_empty(problems, "MSISDN", ussd.msisdn);
    if (!problems.empty()) return dialect_json::validation_error(name(), std::move(problems));
    ussd.phase = is_new ? UssdPhase::Begin : UssdPhase::Continue;
    request.echo = {{"USERID", request.user_id}, {"MSISDN", ussd.msisdn}};
    return request;
  }

  DialectReply render(const DialectRequest& request, const UssdAnswer& answer) const override {
    nlohmann::json reply = request.echo;
    reply["MSG"] = answer.text;
    reply["MSGTYPE"] = !answer.end;  // reply side: true = continue
    return dialect_json::json_reply(reply);
  }
};

}  // namespace

std::unique_ptr<UssdDialect> make_nalo_dialect() {
  return std::make_unique<NaloDialect>();
}

}  // namespace ussd_otp
