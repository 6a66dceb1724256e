// See pass_loop.hpp.
#include "delivery/pass_loop.hpp"

namespace ussd_otp {

void PassLoop::start(Steps steps) {
  if (thread_.joinable()) return;
  steps_ = std::move(steps);
  stopping_ = false;
  thread_ = std::thread([this] {
    while (!stopping_) {
      try {
        steps_.pass();
      } catch (const std::exception& e) {
        steps_.failed(e);
        std::this_thread::sleep_for(steps_.pause);
      }
    }
  });
}

void PassLoop::stop() {
  stopping_ = true;
  if (steps_.wake) steps_.wake();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ussd_otp
