// Arkesel (Ghana): JSON {sessionID, userID, newSession, msisdn, userData, network} in, JSON
// {sessionID, userID, msisdn, message, continueSession} out. userData is the latest input only.
//
// Unverified in the reference (shared/reference/ussd-aggregators.md §2), parsed defensively:
// - userData on the first request: Arkesel's samples ignore it, one third-party test sends the
//   whole dial string ("*928*1#"). We pass it on as the Begin input; the gateway takes pre-filled
//   digits from it only when it looks like a dial string, and ignores anything else.
// - userData may be null or absent (the samples declare it optional): read as "".
// - No service code is sent, so ussd-arkesel-service-code has nothing to compare; userID is
//   compared with ussd-arkesel-user-id instead.
// - No timeout or end notification is documented: sessions end by our final screen or go idle.
// - newSession may arrive as "true"/"false", and ids/msisdn as numbers; both are accepted.
#include <map>

#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {
namespace {

class ArkeselDialect final : public UssdDialect {
 public:
  std::string_view name() const override { return "arkesel"; }

  Result<DialectRequest> parse(const DialectHttpRequest& http) const override {
    auto body = dialect_json::object_body(http.body);
    if (!body.ok()) return body.error();
    const nlohmann::json& json = body.value();
    std::map<std::string, std::string> problems;
    DialectRequest request;
    UssdRequest& ussd = request.ussd;
    ussd.dialect = std::string(name());
    ussd.session_id = dialect_json::required_string(json, "sessionID", problems);
    request.user_id = dialect_json::required_string(json, "userID", problems);
    const bool is_new = dialect_json::required_bool(json, "newSession", problems);
    ussd.msisdn = dialect_json::required_string(json, "msisdn", problems);
    ussd.input = dialect_json::optional_string(json, "userData", problems, kMaxUssdInput);
    ussd.network = dialect_json::optional_string(json, "network", problems);
    dialect_json::require_non_empty(problems, "sessionID", ussd.session_id);
    dialect_json::require_non_empty(problems, "msisdn", ussd.msisdn);
    if (!problems.empty()) return dialect_json::validation_error(name(), std::move(problems));
    ussd.phase = is_new ? UssdPhase::Begin : UssdPhase::Continue;
    request.echo = {
        {"sessionID", ussd.session_id}, {"userID", request.user_id}, {"msisdn", ussd.msisdn}};
    return request;
  }

  DialectReply render(const DialectRequest& request, const UssdAnswer& answer) const override {
    nlohmann::json reply = request.echo;
    reply["message"] = answer.text;
    reply["continueSession"] = !answer.end;
    return dialect_json::json_reply(reply);
  }
};

}  // namespace

std::unique_ptr<UssdDialect> make_arkesel_dialect() {
  return std::make_unique<ArkeselDialect>();
}

}  // namespace ussd_otp
