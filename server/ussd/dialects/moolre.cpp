// Moolre (Ghana): JSON {sessionid, new, msisdn, network, message, extension, data} in, JSON
// {sessionid, message, reply} out (reply: true = continue, false = end). Codes are issued as
// *203*<extension>#; digits dialled after it ("*203*109*11005#") arrive separately in `data`.
//
// Unverified in the reference (shared/reference/ussd-aggregators.md §5.1, §7.6), parsed
// defensively:
// - The response fields: the doc's JSON samples were not captured. We send `message` and `reply`
//   (both in the doc's parameter table) and echo `sessionid`.
// - network and extension are ints in the doc; strings are accepted too.
// - The msisdn format is not shown (assumed 233...; the gateway normalises any form).
// - `message` on the first request is undocumented. When `data` carries pre-filled digits, they
//   are used and `message` is ignored on Begin (so a forwarded dial string cannot add them twice);
//   otherwise a `message` that looks like a dial string ("*203*109*0241234567#") is split here.
// - `data` is split on '*' ("0241234567" or "1*0241234567") into pre-filled answers.
// - The service code is rebuilt as *203*<extension># when an extension is sent, so
//   ussd-moolre-service-code can be set to e.g. *203*109#; without one it stays empty.
// - No timeout or end notification is documented: sessions end by our final screen or idle.
#include <map>

#include "menus/dial_string.hpp"
#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {
namespace {

constexpr std::string_view kMoolrePrefix = "*203*";

// "11005", "1*0241234567" (or with a stray leading '*' / trailing '#') -> its segments.
std::vector<std::string> split_data(std::string_view data) {
  return dial_segments(data);
}

class MoolreDialect final : public UssdDialect {
 public:
  std::string_view name() const override { return "moolre"; }

  Result<DialectRequest> parse(const DialectHttpRequest& http) const override {
    auto body = dialect_json::object_body(http.body);
    if (!body.ok()) return body.error();
    const nlohmann::json& json = body.value();
    std::map<std::string, std::string> problems;
    DialectRequest request;
    UssdRequest& ussd = request.ussd;
    ussd.dialect = std::string(name());
    ussd.session_id = dialect_json::required_string(json, "sessionid", problems);
    const bool is_new = dialect_json::required_bool(json, "new", problems);
    ussd.msisdn = dialect_json::required_string(json, "msisdn", problems);
    ussd.network = dialect_json::optional_string(json, "network", problems);
    ussd.input = dialect_json::optional_string(json, "message", problems, kMaxUssdInput);
    const std::string extension = dialect_json::optional_string(json, "extension", problems, 32);
    const std::string data = dialect_json::optional_string(json, "data", problems, kMaxUssdInput);
    dialect_json::require_non_empty(problems, "sessionid", ussd.session_id);
    dialect_json::require_non_empty(problems, "msisdn", ussd.msisdn);
    if (!problems.empty()) return dialect_json::validation_error(name(), std::move(problems));
    ussd.phase = is_new ? UssdPhase::Begin : UssdPhase::Continue;
    if (!extension.empty()) ussd.service_code = std::string(kMoolrePrefix) + extension + "#";
    if (is_new) {
      ussd.prefilled = split_data(data);
      if (ussd.prefilled.empty() && !extension.empty() && looks_like_dial_string(ussd.input)) {
        // A forwarded "*203*109*0241234567#": take the extras after our own code here, since
        // *203*<extension># is usually not one of ussd-service-codes.
        const auto typed = dial_segments(ussd.input);
        if (typed.size() > 2 && typed[0] == "203" && typed[1] == extension) {
          ussd.prefilled.assign(typed.begin() + 2, typed.end());
        }
      }
      if (!ussd.prefilled.empty()) ussd.input.clear();
    }
    request.echo = {{"sessionid", ussd.session_id}};
    return request;
  }

  DialectReply render(const DialectRequest& request, const UssdAnswer& answer) const override {
    nlohmann::json reply = request.echo;
    reply["message"] = answer.text;
    reply["reply"] = !answer.end;
    return dialect_json::json_reply(reply);
  }
};

}  // namespace

std::unique_ptr<UssdDialect> make_moolre_dialect() {
  return std::make_unique<MoolreDialect>();
}

}  // namespace ussd_otp
