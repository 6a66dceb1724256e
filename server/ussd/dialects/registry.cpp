// The one place dialects are registered: add a line to USSD_OTP_DIALECTS for a new one
// (server/ussd/dialects/<name>.cpp defines make_<name>_dialect(name); the name is the route).
#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {

#define USSD_OTP_DIALECTS(X) \
  X(africastalking)          \
  X(arkesel)                 \
  X(hubtel)                  \
  X(nalo)                    \
  X(emergent)                \
  X(crossswitch)             \
  X(beem)                    \
  X(southpawsl)              \
  X(moolre)                  \
  X(hollatags)

#define USSD_OTP_DECLARE(name) \
  std::unique_ptr<UssdDialect> make_##name##_dialect(std::string_view route_name);
USSD_OTP_DIALECTS(USSD_OTP_DECLARE)
#undef USSD_OTP_DECLARE

std::vector<std::unique_ptr<UssdDialect>> all_dialects() {
  std::vector<std::unique_ptr<UssdDialect>> dialects;
#define USSD_OTP_MAKE(name) dialects.push_back(make_##name##_dialect(#name));
  USSD_OTP_DIALECTS(USSD_OTP_MAKE)
#undef USSD_OTP_MAKE
  return dialects;
}

std::vector<std::string> dialect_names() {
  std::vector<std::string> names;
  for (const auto& dialect : all_dialects()) names.emplace_back(dialect->name());
  return names;
}

}  // namespace ussd_otp
