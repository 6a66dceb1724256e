// Entry point of ussd-otp-server; everything else lives in the server library.
#include "server/app/cli.hpp"

int main(int argc, char** argv) {
  return ussd_otp::run_cli(argc, argv);
}
