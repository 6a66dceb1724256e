// The real server (the same Application main() runs) on an ephemeral loopback port, for tests.
#pragma once

#include <memory>
#include <string>

#include "otp/clock.hpp"
#include "server/app/application.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace ussd_otp::testing {

class TestServer {
 public:
  // Dev mode, a manual clock, generous limits unless `adjust` changes them.
  explicit TestServer(const std::function<void(Config&)>& adjust = nullptr);
  ~TestServer();

  // Starts a new Application on the same database and key (a "restart").
  void restart();

  std::string url() const { return app_->base_url(); }
  Application& app() { return *app_; }
  ManualClock& clock() { return *clock_; }
  const std::string& api_key() const { return api_key_; }
  std::string auth() const { return "Authorization: Bearer " + api_key_; }
  std::string create_api_key(const std::string& name);
  std::filesystem::path db_path() const { return config_.db; }
  HttpClient client() const { return HttpClient(url()); }
  // Commits the USSD gateway's write-behind queue: session rows, counters and view events are
  // written just after the answer, so tests that read the database wait for them with this.
  void flush_writes() const { app_->ussd().flush(); }

  // Polls the dev inbox until a message for `phone` arrives; returns the newest's text.
  std::string wait_for_message(const std::string& phone, std::size_t at_least = 1);

 private:
  TempDir dir_;
  Config config_;
  std::shared_ptr<ManualClock> clock_;
  std::unique_ptr<Application> app_;
  std::string api_key_;
};

// A server and a client of it, for TEST_CASE_METHOD.
struct ServerWithClient {
  TestServer server;
  HttpClient client = server.client();
};

// A numeric code that is surely not `code`.
inline std::string wrong_pin_for(const std::string& code) {
  return code == "000000" ? "111111" : "000000";
}

// The digits of the first run of `length` code characters in a message like "Your code is 123456".
std::string code_in(const std::string& message);

}  // namespace ussd_otp::testing
