// HollaTags (Nigeria, docs.hollatags.com/ussd/inbound): GET /ussd/hollatags?session_msisdn=...&
// session_operation=begin|continue|end&session_msg=...&session_id=...&session_from=...&
// session_type=...&session_mno=...; reply JSON {session_operation, session_type, session_id,
// session_msg} with "continue"/1 to ask for input and "end"/4 to finish.
//
// Official docs, but a few points are unverified, so parsing is defensive:
// - What `session_msg` holds on `begin` (empty, or the dial string). A dial string there is
//   passed to the gateway, which extracts a pre-filled number; otherwise the digits after the
//   code in `session_from` ("*889*142*0241234567#") are used.
// - `session_operation` is compared case-insensitively; "end" is the only end notification
//   documented, so it is taken as the user releasing the session and answered with an "end"
//   body (empty message). Anything else is a 400 naming `session_operation`.
// - The docs type `session_id` and `session_msisdn` as integers; they are kept as text (the
//   reply echoes `session_id` as the string the sample shows). `session_type` on the request is
//   only checked to be one of 1-4 when present.
// - `session_msisdn` may arrive with a '+' decoded as a space by a proxy; a leading space is
//   taken back to '+'. HollaTags has no account-id field, so `ussd-hollatags-user-id` is unused.
#include "server/ussd/dialects/table.hpp"

namespace ussd_otp {

std::unique_ptr<UssdDialect> make_hollatags_dialect(std::string_view name) {
  return make_table_dialect(
      name,
      {
          .format = WireFormat::Query,
          .fields = {id_field("session_id", Fills::SessionId).echoed(),
                     id_field("session_msisdn", Fills::Msisdn),
                     optional_field("session_from", Fills::ServiceCode),
                     optional_field("session_mno", Fills::Network),
                     phase_field("session_operation", Presence::NonEmpty),
                     // On begin only a dial string counts (the gateway ignores anything else).
                     input_field("session_msg"),
                     optional_field("session_type").limited_to(8).allowed({"1", "2", "3", "4"})},
          .phases = {{"begin", UssdPhase::Begin},
                     {"continue", UssdPhase::Continue},
                     {"end", UssdPhase::Released}},
          .input_required_on_continue = "is required on continue",
          .reply = {"/session_msg",
                    {{"session_operation", "continue"}, {"session_type", 1}},
                    {{"session_operation", "end"}, {"session_type", 4}}},
      });
}

}  // namespace ussd_otp
