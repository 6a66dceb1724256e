// SouthPawsl (Ghana, ussd.southpawsl.com): JSON callbacks {sessionId, menuId, msisdn, ussdString,
// inputOption, network, ussdParameters, ...}; reply {message, state: "CONTINUE"|"END", menuId,
// ussdString, option, ussdParameter}.
//
// Unverified (the only public mapping is ussd-builder 1.3.2, ../shared/reference/
// ussd-aggregators.md section 8; SouthPawsl publishes no spec), so parsing is defensive:
// - `ussdString` is the service code; a request whose `inputOption` equals it begins a session
//   (ussd-builder's rule). We also begin when `inputOption` is a dial string that extends
//   `ussdString` ("*889*142*0241234567#" for "*889*142#"): the number pre-filled, which the
//   gateway extracts. Anything else is an answer, taken from `inputOption`.
// - There is no end/timeout notification in the mapping, so none is handled.
// - The reply echoes `menuId` and `ussdString` as sent, `option` (the answer we got; "" on the
//   first request) and `ussdParameters` under the name `ussdParameter` (singular, as
//   ussd-builder's code and a public Laravel integration both send it; its .d.ts says plural).
//   `ussdParameters` may be any JSON (an array per ussd-builder's types, possibly a string); it
//   is echoed verbatim and capped at 1024 characters.
// - `menuId` (ussd-builder's "userId") is the user id, so `ussd-southpawsl-user-id` can pin it.
#include <algorithm>

#include "menus/dial_string.hpp"
#include "server/ussd/dialects/table.hpp"

namespace ussd_otp {
namespace {

// "*889*142*0241234567#" extends "*889*142#"; "*889*142#" extends itself.
bool extends_code(std::string_view dialled, std::string_view code) {
  if (!looks_like_dial_string(dialled)) return false;
  const auto typed = dial_segments(dialled);
  const auto ours = dial_segments(code);
  return !ours.empty() && ours.size() <= typed.size() &&
         std::equal(ours.begin(), ours.end(), typed.begin());
}

// No phase field: the input repeating the service code begins a session. The reply echoes
// menuId and ussdParameters as sent, and the answer we got as `option`.
void phase_and_echo(const FieldValues& values, DialectRequest& request, FieldProblems&) {
  UssdRequest& ussd = request.ussd;
  const bool begins =
      ussd.input == ussd.service_code || extends_code(ussd.input, ussd.service_code);
  ussd.phase = begins ? UssdPhase::Begin : UssdPhase::Continue;
  const FieldValue& parameters = values["ussdParameters"];
  request.echo = {
      {"menuId", values["menuId"].sent.value_or("")},
      {"ussdString", ussd.service_code},
      {"option", begins ? "" : ussd.input},
      {"ussdParameter", parameters.present ? *parameters.sent : nlohmann::json::array()}};
}

}  // namespace

std::unique_ptr<UssdDialect> make_southpawsl_dialect(std::string_view name) {
  return make_table_dialect(
      name,
      {
          .fields = {id_field("sessionId", Fills::SessionId), id_field("msisdn", Fills::Msisdn),
                     required_field("ussdString", Fills::ServiceCode),
                     optional_field("network", Fills::Network),
                     optional_field("menuId", Fills::UserId),
                     input_field("inputOption", Presence::Required), json_field("ussdParameters")},
          .reply = {"/message", {{"state", "CONTINUE"}}, {{"state", "END"}}},
          .adjust = phase_and_echo,
      });
}

}  // namespace ussd_otp
