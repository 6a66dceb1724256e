// The one place where components are wired together: store, crypto, policy, delivery, HTTP.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "delivery/dev_inbox.hpp"
#include "delivery/sms_sender.hpp"
#include "delivery/webhook_sender.hpp"
#include "otp/clock.hpp"
#include "otp/crypto.hpp"
#include "otp/otp_service.hpp"
#include "server/app/config.hpp"
#include "server/http/api_key_auth.hpp"
#include "server/http/server.hpp"
#include "server/ussd/gateway.hpp"
#include "server/ussd/routes.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace ussd_otp {

// Runs `work` every `interval` (and whenever poked) on its own thread until destroyed.
class BackgroundLoop {
 public:
  BackgroundLoop(std::string name, std::chrono::milliseconds interval, std::function<void()> work);
  ~BackgroundLoop();
  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;
  void poke();

 private:
  void run();
  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void()> work_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool poked_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

// The gateway's settings, from the server configuration.
UssdGatewaySettings ussd_gateway_settings(const Config& config);

class Application {
 public:
  // `clock` may be injected (tests); otherwise the system clock, offset by `POST /dev/clock` in
  // dev mode. Outside dev mode nothing moves it.
  explicit Application(Config config, std::shared_ptr<AdjustableClock> clock = nullptr);
  ~Application();

  void start();  // binds the HTTP port and starts the background loops
  // Graceful stop: drain HTTP, stop loops, close the database. Returns false if requests were
  // still running when the grace period ended.
  bool stop();

  std::uint16_t port() const { return http_->port(); }
  std::string base_url() const;
  SqliteStore& store() { return *store_; }
  OtpService& otp() { return *otp_; }
  const CodeVault& vault() const { return *vault_; }
  HttpServer& http() { return *http_; }
  DevInbox* dev_inbox() { return dev_inbox_.get(); }
  UssdGateway& ussd() { return *ussd_; }
  SmsSender* sms_sender() { return sms_sender_.get(); }
  WebhookSender& webhook_sender() { return *webhook_sender_; }
  const Config& config() const { return config_; }

 private:
  Config config_;
  std::shared_ptr<AdjustableClock> clock_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<CodeVault> vault_;
  std::unique_ptr<OtpService> otp_;
  std::unique_ptr<ApiKeyAuthenticator> authenticator_;
  std::unique_ptr<DevInbox> dev_inbox_;
  std::unique_ptr<UssdGateway> ussd_;
  std::vector<std::unique_ptr<UssdDialect>> dialects_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<SmsSender> sms_sender_;  // nullptr: no SMS route (USSD-only or nothing)
  std::unique_ptr<WebhookSender> webhook_sender_;
  std::unique_ptr<BackgroundLoop> sweeper_;
  bool stopped_ = false;
};

// The SMS sender for `config` (routes, providers, breakers), or nullptr when no route is
// configured and dev mode is off. Throws ConfigError for an unknown provider or a missing
// credential. `dev_inbox` is the "dev-inbox" channel (dev mode only).
std::unique_ptr<SmsSender> make_sms_sender(const Config& config, OtpStore& store, OtpService& otp,
                                           const Clock& clock, DeliveryChannel* dev_inbox);

// The database options (path, durability, memory limits), from the server configuration.
SqliteOptions sqlite_options(const Config& config);

// The app webhook sender's settings, from the server configuration.
WebhookSenderSettings webhook_sender_settings(const Config& config);

// Loads the server key from config (hex) or the key file (created if missing).
ServerKey load_server_key(const Config& config);

}  // namespace ussd_otp
