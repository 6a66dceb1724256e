// Emergent (Ghana, interpayafrica.com): Hubtel-like JSON callbacks. Request `Type`
// (Initiation/Response/Release/Timeout), `Message`, `Mobile`, `SessionId`, `USERID`, `Operator`;
// reply {"Message", "Type": "Response", "MaskNextRoute": true} or {"Message", "Type": "Release"}.
// Cross-Switch speaks the same shape (server/ussd/dialects/crossswitch.cpp calls
// make_emergent_dialect with its own name).
//
// Unverified (the only public mapping is the npm package ussd-builder 1.3.2, see
// ../shared/reference/ussd-aggregators.md section 8), so parsing is defensive:
// - `Type` is compared case-insensitively (Hubtel's own docs use both cases). Release and
//   Timeout are Hubtel's end notifications; whether Emergent sends them is unknown, and they get
//   a Release reply with an empty Message. Any other Type is a 400 naming `Type`.
// - `USERID`: ussd-builder maps it to the service code; its name says account id. We keep it as
//   the user id (so `ussd-<name>-user-id` can pin whatever value the aggregator sends) and take
//   the service code from `ServiceCode` (Hubtel's name) when present, else, on Initiation, from
//   the dial string in `Message`.
// - `Message` on Initiation is the dial string ("*889*142#", or "*889*142*0241234567#" with the
//   number pre-filled; the gateway extracts it). It is required only on Response (an answer).
// - No SessionId is echoed: ussd-builder's replies carry none. MaskNextRoute is sent on
//   Response only, as ussd-builder does.
#include "menus/dial_string.hpp"
#include "server/ussd/dialects/table.hpp"

namespace ussd_otp {
namespace {

// Without a ServiceCode, the dial string of an Initiation names the code.
void code_from_dial_string(const FieldValues&, DialectRequest& request, FieldProblems&) {
  UssdRequest& ussd = request.ussd;
  if (ussd.phase == UssdPhase::Begin && ussd.service_code.empty() &&
      looks_like_dial_string(ussd.input)) {
    ussd.service_code = ussd.input;
  }
}

}  // namespace

// Also the Cross-Switch dialect, under its own route name.
std::unique_ptr<UssdDialect> make_emergent_dialect(std::string_view name) {
  return make_table_dialect(name, {
                                      .fields = {id_field("SessionId", Fills::SessionId),
                                                 id_field("Mobile", Fills::Msisdn),
                                                 optional_field("Operator", Fills::Network),
                                                 optional_field("ServiceCode", Fills::ServiceCode),
                                                 optional_field("USERID", Fills::UserId),
                                                 phase_field("Type"), input_field("Message")},
                                      .phases = kHubtelTypes,
                                      .input_required_on_continue = "is required on a Response",
                                      .reply = {"/Message",
                                                {{"Type", "Response"}, {"MaskNextRoute", true}},
                                                {{"Type", "Release"}}},
                                      .adjust = code_from_dial_string,
                                  });
}

}  // namespace ussd_otp
