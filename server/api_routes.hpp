// The HTTP API's routes. Handlers translate JSON to the OTP policy's calls and back; they decide
// nothing themselves.
#pragma once

#include "delivery/dev_inbox.hpp"
#include "otp/otp_service.hpp"
#include "otp/store.hpp"
#include "server/http_server.hpp"

namespace ussd_otp {

struct ApiDependencies {
  OtpService& otp;
  OtpStore& store;
  const Clock& clock;
  DevInbox* dev_inbox = nullptr;  // set only in --dev mode: enables /dev/inbox, /dev/delivery
  AdjustableClock* dev_clock = nullptr;  // set only in --dev mode: enables GET/POST /dev/clock
};

void add_api_routes(HttpServer& server, const ApiDependencies& deps);

}  // namespace ussd_otp
