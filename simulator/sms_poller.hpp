// The phone's SMS side: a thread that reads the dev inbox (GET /dev/inbox) for the number the
// simulator plays, about once a second on its own connection, and hands new messages to the
// input loop through a pipe it can poll next to stdin, so typing never waits for the server.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "simulator/http_connection.hpp"

namespace ussd_otp::sim {

struct Sms {
  std::string id;  // the inbox's messageId
  std::string from;
  std::string text;  // as the server sent it: escape it before printing
};

// The messages in a GET /dev/inbox reply whose ids are not in `seen`, oldest first; their ids are
// added to `seen`. A reply that is not an inbox yields nothing. Pure.
std::vector<Sms> unseen_messages(const std::string& inbox_body, std::set<std::string>& seen);

class SmsPoller {
 public:
  // Reads the inbox once before returning, so only messages that arrive later are reported.
  SmsPoller(std::string base_url, std::string msisdn,
            std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~SmsPoller();
  SmsPoller(const SmsPoller&) = delete;
  SmsPoller& operator=(const SmsPoller&) = delete;

  // Readable when take() has something.
  int fd() const { return pipe_[0]; }

  struct Arrivals {
    std::vector<Sms> messages;
    std::string note;  // why polling stopped, once
  };
  Arrivals take();

  void poke();  // read the inbox now rather than at the next tick
  // Plays another number: its inbox so far counts as read. Resumes polling if it had stopped.
  void set_phone(std::string msisdn);

 private:
  void run();
  void read_inbox(std::unique_lock<std::mutex>& lock);
  void signal();

  std::string base_url_;
  std::chrono::milliseconds interval_;
  HttpConnection http_;  // used by one thread at a time: the constructor, then run()
  int pipe_[2]{-1, -1};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string msisdn_;
  std::set<std::string> seen_;
  bool baseline_ = true;  // the next read only marks messages as seen
  bool poked_ = false;
  bool stopped_ = false;  // 404, no reply: no more reads until set_phone()
  bool stopping_ = false;
  bool noted_ = false;  // the note is given once, however often polling stops
  Arrivals pending_;
  std::thread thread_;
};

}  // namespace ussd_otp::sim
