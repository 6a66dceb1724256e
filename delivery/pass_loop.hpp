// The background thread of a sender (SMS deliveries, app webhooks): one pass after another
// until stopped. A pass that throws (database locked, disk full) is reported and tried again
// after a pause; the rows' leases keep them safe meanwhile.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <thread>

namespace ussd_otp {

class PassLoop {
 public:
  struct Steps {
    std::function<void()> pass;                         // one pass; may wait inside for work
    std::function<void()> wake;                         // cuts a pass's wait short (stop)
    std::function<void(const std::exception&)> failed;  // a pass threw
    std::chrono::milliseconds pause{200};               // before the pass after a failed one
  };

  PassLoop() = default;
  ~PassLoop() { stop(); }
  PassLoop(const PassLoop&) = delete;
  PassLoop& operator=(const PassLoop&) = delete;

  // Starts the thread; nothing when it runs already.
  void start(Steps steps);
  // Ends the thread after the pass under way: wakes it and waits for it.
  void stop();

 private:
  Steps steps_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ussd_otp
