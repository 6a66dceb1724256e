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
#include "server/ussd/dialects/table.hpp"

namespace ussd_otp {

constexpr std::size_t kMaxClientState = 256;  // legacy docs: 100; leave room

std::unique_ptr<UssdDialect> make_hubtel_dialect(std::string_view name) {
  const nlohmann::json fixed = {{"Label", "ussd-otp"}, {"FieldType", "text"}};
  nlohmann::json more = fixed, done = fixed;
  more.update({{"Type", "response"}, {"DataType", "input"}});
  done.update({{"Type", "release"}, {"DataType", "display"}});
  return make_table_dialect(
      name,
      {
          .fields =
              {phase_field("Type"), id_field("SessionId", Fills::SessionId).echoed(),
               id_field("Mobile", Fills::Msisdn), input_field("Message"),
               // Also spelled serviceCode: the second is read only when the first is absent.
               optional_field("ServiceCode", Fills::ServiceCode),
               optional_field("serviceCode", Fills::ServiceCode),
               optional_field("Operator", Fills::Network),
               optional_field("ClientState").limited_to(kMaxClientState).echoed(Echo::IfNotEmpty),
               optional_field("Sequence").limited_to(32)},
          .phases = kHubtelTypes,
          .reply = {"/Message", more, done},
      });
}

}  // namespace ussd_otp
