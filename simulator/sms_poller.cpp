#include "simulator/sms_poller.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "simulator/server_api.hpp"

namespace ussd_otp::sim {
namespace {

// A poll that takes longer than this is given up; the next tick tries again.
constexpr long kInboxTimeoutMs = 2000;

std::string string_member(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::vector<Sms> unseen_messages(const std::string& inbox_body, std::set<std::string>& seen) {
  const nlohmann::json body = nlohmann::json::parse(inbox_body, nullptr, false);
  if (!body.is_object() || !body.contains("data") || !body["data"].is_object()) return {};
  const nlohmann::json& data = body["data"];
  if (!data.contains("messages") || !data["messages"].is_array()) return {};
  std::vector<Sms> found;
  const nlohmann::json& messages = data["messages"];
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {  // the inbox is newest first
    if (!it->is_object()) continue;
    Sms sms{string_member(*it, "messageId"), string_member(*it, "from"),
            string_member(*it, "text")};
    // A server without message ids: the OTP and the time tell sends apart.
    if (sms.id.empty()) {
      sms.id = string_member(*it, "otpId") + "|" + string_member(*it, "deliveredAt") + "|" +
               string_member(*it, "reason");
    }
    if (seen.insert(sms.id).second) found.push_back(std::move(sms));
  }
  return found;
}

SmsPoller::SmsPoller(std::string base_url, std::string msisdn, std::chrono::milliseconds interval)
    : base_url_(std::move(base_url)),
      interval_(interval),
      http_(kInboxTimeoutMs),
      msisdn_(std::move(msisdn)) {
  if (pipe2(pipe_, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  std::unique_lock lock(mutex_);
  read_inbox(lock);  // the baseline: what is there already was not received by this phone
  lock.unlock();
  thread_ = std::thread([this] { run(); });
}

SmsPoller::~SmsPoller() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  close(pipe_[0]);
  close(pipe_[1]);
}

SmsPoller::Arrivals SmsPoller::take() {
  char drained[64];
  while (read(pipe_[0], drained, sizeof drained) > 0) {
  }
  const std::lock_guard lock(mutex_);
  Arrivals out = std::move(pending_);
  pending_ = Arrivals{};
  return out;
}

void SmsPoller::poke() {
  {
    const std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_all();
}

void SmsPoller::set_phone(std::string msisdn) {
  {
    const std::lock_guard lock(mutex_);
    msisdn_ = std::move(msisdn);
    seen_.clear();
    baseline_ = true;
    stopped_ = false;
    poked_ = true;
  }
  wake_.notify_all();
}

void SmsPoller::run() {
  // Signals belong to the input loop (its SignalPipe), never to this thread.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_ || poked_; });
    if (stopping_) break;
    poked_ = false;
    if (!stopped_) read_inbox(lock);
  }
}

// Called with `lock` held; releases it while the request is in flight.
void SmsPoller::read_inbox(std::unique_lock<std::mutex>& lock) {
  const std::string msisdn = msisdn_;
  lock.unlock();
  const HttpExchange reply =
      http_.send("GET", base_url_ + "/dev/inbox?phone=" + url_escape(msisdn));
  lock.lock();
  if (msisdn != msisdn_) return;  // the phone changed meanwhile: that number reads afresh
  if (!reply.ok()) {
    // Not a dev server (404), no server, or a number it refuses: nothing to show, say so once.
    stopped_ = true;
    if (noted_) return;
    noted_ = true;
    pending_.note = reply.status == 404
                        ? "SMS not shown: the server has no dev inbox (it is not in --dev mode)"
                        : "SMS not shown: GET /dev/inbox " + describe_failure(reply);
    signal();
    return;
  }
  std::vector<Sms> found = unseen_messages(reply.body, seen_);
  if (baseline_) {
    baseline_ = false;
    return;
  }
  if (found.empty()) return;
  for (Sms& sms : found) pending_.messages.push_back(std::move(sms));
  signal();
}

void SmsPoller::signal() {
  const char byte = 1;
  [[maybe_unused]] const auto written = write(pipe_[1], &byte, 1);
}

}  // namespace ussd_otp::sim
