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
#include "server/ussd/dialects/table.hpp"

namespace ussd_otp {

std::unique_ptr<UssdDialect> make_beem_dialect(std::string_view name) {
  return make_table_dialect(
      name,
      {
          .fields =
              {id_field("session_id", Fills::SessionId).echoed(),
               id_field("msisdn", Fills::Msisdn).echoed(),
               optional_field("serviceCode", Fills::ServiceCode),
               optional_field("operator", Fills::Network).echoed(), phase_field("command"),
               object_field("payload"),
               required_field("payload.request_id").echoed(Echo::AsSent, "/payload/request_id"),
               // On initiate only a dial string counts (the gateway ignores anything else).
               input_field("payload.response")},
          .phases = {{"initiate", UssdPhase::Begin},
                     {"continue", UssdPhase::Continue},
                     {"terminate", UssdPhase::Released},
                     {"timeout", UssdPhase::TimedOut}},
          .input_required_on_continue = "is required on continue",
          .reply = {"/payload/request", {{"command", "continue"}}, {{"command", "terminate"}}},
      });
}

}  // namespace ussd_otp
