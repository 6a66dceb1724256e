// Cross-Switch (Ghana): the Emergent wire shape (server/ussd/dialects/emergent.cpp has the parser,
// the reply and the notes on what is unverified), served at /ussd/crossswitch.
//
// Unverified: the only public mapping is ussd-builder 1.3.2 (../shared/reference/
// ussd-aggregators.md section 8), whose `cross-switch` provider reads and writes exactly what its
// `emergent` provider does. An intermediate ussd-builder revision mapped `cross-switch` to the
// SouthPawsl shape instead; 1.3.2 went back to the Emergent one, which we follow. If Cross-Switch
// turns out to send SouthPawsl-style bodies, those get a 400 naming `SessionId`, `Mobile` and
// `Type`, which the logs make obvious.
#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {

std::unique_ptr<UssdDialect> make_emergent_dialect(std::string_view name);

std::unique_ptr<UssdDialect> make_crossswitch_dialect(std::string_view name) {
  return make_emergent_dialect(name);
}

}  // namespace ussd_otp
