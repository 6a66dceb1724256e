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
#include "server/ussd/dialects/table.hpp"

namespace ussd_otp {

std::unique_ptr<UssdDialect> make_nalo_dialect(std::string_view name) {
  return make_table_dialect(
      name, {
                .fields = {required_field("USERID", Fills::UserId).echoed(),
                           id_field("MSISDN", Fills::Msisdn).echoed(), input_field("USERDATA"),
                           new_session_flag("MSGTYPE"), optional_field("NETWORK", Fills::Network),
                           id_field("SESSIONID", Fills::SessionId)},
                // Reply side: MSGTYPE true = continue (expect input), false = end.
                .reply = {"/MSG", {{"MSGTYPE", true}}, {{"MSGTYPE", false}}},
                .screen_limit = 120,
            });
}

}  // namespace ussd_otp
