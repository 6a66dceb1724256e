// The ussd-otp-server command line: `serve` and `keys create|list|revoke`.
#pragma once

namespace ussd_otp {

int run_cli(int argc, char** argv);

}  // namespace ussd_otp
