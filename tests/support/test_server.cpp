#include "support/test_server.hpp"

#include <chrono>
#include <regex>
#include <stdexcept>
#include <thread>

#include "otp/crypto.hpp"
#include "server/http/logging.hpp"

namespace ussd_otp::testing {

TestServer::TestServer(const std::function<void(Config&)>& adjust)
    : clock_(std::make_shared<ManualClock>()) {
  configure_logging(LogFormat::Text, "warn");
  config_.listen = "127.0.0.1:0";
  config_.db = dir_.file("ussd-otp.db");
  config_.dev = true;
  config_.threads = 2;
  config_.shutdown_grace_seconds = 5;
  config_.policy.per_api_key.limit = 0;
  config_.policy.per_client_ip.limit = 0;
  config_.policy.per_phone.limit = 0;
  // Off unless a test sets them: many tests send to and verify one phone far more often.
  config_.policy.per_phone_global.limit = 0;
  config_.policy.verify_throttle.attempts = 0;
  if (adjust) adjust(config_);
  app_ = std::make_unique<Application>(config_, clock_);
  api_key_ = create_api_key("test");
  app_->start();
}

TestServer::~TestServer() {
  app_->stop();
}

void TestServer::restart() {
  app_->stop();
  app_.reset();
  app_ = std::make_unique<Application>(config_, clock_);
  app_->start();
}

std::string TestServer::create_api_key(const std::string& name) {
  NewApiKey key = generate_api_key();
  if (!app_->store().create_api_key(name, key.prefix, key.hash, clock_->now())) {
    throw std::runtime_error("duplicate key name");
  }
  return key.key;
}

std::string TestServer::wait_for_message(const std::string& phone, std::size_t at_least) {
  for (int i = 0; i < 1000; ++i) {  // 5 s: a loaded CI machine drains a long outbox slowly
    auto messages = app_->dev_inbox()->messages_for(phone, clock_->now());
    if (messages.size() >= at_least) return messages.front().text;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("no message arrived for " + phone);
}

std::string code_in(const std::string& message) {
  static const std::regex code_pattern("code is ([0-9A-Z]+)");
  std::smatch match;
  if (!std::regex_search(message, match, code_pattern)) {
    throw std::runtime_error("no code in message: " + message);
  }
  return match[1];
}

}  // namespace ussd_otp::testing
