// The phone in a terminal: readline for dial strings, answers and `:` commands, a framed screen
// after each reply, and a per-screen timeout that drops the session as a network would.
#pragma once

#include <string>

#include "simulator/ussd_phone.hpp"

namespace ussd_otp::sim {

struct InteractiveOptions {
  PhoneSettings phone;
  std::string api_key;  // for :otp
  int screen_timeout_seconds = 30;
  std::size_t width = 24;   // characters inside the frame
  std::string record_path;  // --record: write the session as a replayable script
  bool transcript = false;  // print each request and reply as sent
  bool show_sms = true;     // poll the dev inbox and draw arriving SMS (--no-sms turns it off)
};

// Runs until :quit, :q with no session open, or end of input; returns the exit status.
int run_interactive(const InteractiveOptions& options);

}  // namespace ussd_otp::sim
