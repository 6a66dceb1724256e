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
#include "server/ussd/dialects/table.hpp"

namespace ussd_otp {

std::unique_ptr<UssdDialect> make_arkesel_dialect(std::string_view name) {
  return make_table_dialect(
      name,
      {
          .fields = {id_field("sessionID", Fills::SessionId).echoed(),
                     required_field("userID", Fills::UserId).echoed(),
                     new_session_flag("newSession"), id_field("msisdn", Fills::Msisdn).echoed(),
                     input_field("userData"), optional_field("network", Fills::Network)},
          .reply = {"/message", {{"continueSession", true}}, {{"continueSession", false}}},
      });
}

}  // namespace ussd_otp
