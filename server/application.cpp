// Wiring: builds every component from the Config, in dependency order, and tears them down.
#include "server/application.hpp"

#include <filesystem>
#include <stdexcept>

#include "server/api_routes.hpp"
#include "server/arkesel_api.hpp"
#include "server/logging.hpp"

namespace ussd_otp {
namespace {

std::pair<std::string, std::uint16_t> split_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw ConfigError("listen: must be HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port_text = listen.substr(colon + 1);
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(port_text, &used);
    if (used != port_text.size()) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535 || host.empty()) {
    throw ConfigError("listen: must be HOST:PORT with a port from 0 to 65535 (got \"" + listen +
                      "\")");
  }
  return {host, static_cast<std::uint16_t>(port)};
}

}  // namespace

BackgroundLoop::BackgroundLoop(std::string name, std::chrono::milliseconds interval,
                               std::function<void()> work)
    : name_(std::move(name)), interval_(interval), work_(std::move(work)) {
  thread_ = std::thread([this] { run(); });
}

BackgroundLoop::~BackgroundLoop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void BackgroundLoop::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_one();
}

void BackgroundLoop::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return poked_ || stopping_; });
    if (stopping_) break;
    poked_ = false;
    lock.unlock();
    try {
      work_();
    } catch (const std::exception& e) {
      // A failing pass (e.g. database locked) is retried on the next tick.
      log_event(spdlog::level::err, "background.failed", {{"loop", name_}, {"error", e.what()}});
    }
    lock.lock();
  }
}

ServerKey load_server_key(const Config& config) {
  if (!config.server_key.empty()) {
    if (auto key = ServerKey::from_hex(config.server_key)) return *key;
    throw ConfigError("server-key: must be 64 hex characters (32 bytes)");
  }
  const std::filesystem::path file = config.effective_server_key_file();
  std::error_code ignored;
  const bool key_existed = std::filesystem::exists(file, ignored);
  const bool database_existed = std::filesystem::exists(config.db, ignored);
  ServerKey key = ServerKey::load_or_create(file);
  if (!key_existed && database_existed) {
    log_event(spdlog::level::warn, "server_key.generated_for_existing_database",
              {{"file", file.string()},
               {"message",
                "a new server key was generated, but the database already existed: "
                "codes issued under the old key can no longer be verified"}});
  }
  const auto permissions = std::filesystem::status(file, ignored).permissions();
  using std::filesystem::perms;
  if ((permissions & (perms::group_all | perms::others_all)) != perms::none) {
    log_event(spdlog::level::warn, "server_key.permissions",
              {{"file", file.string()}, {"message", "readable by others: chmod 600 it"}});
  }
  return key;
}

UssdGatewaySettings ussd_gateway_settings(const Config& config) {
  UssdGatewaySettings s;
  s.service_codes = config.ussd.service_codes;
  s.default_language = config.ussd.default_language;
  s.language_by_service_code = config.ussd.language_by_service_code;
  s.language_by_prefix = config.ussd.language_by_prefix;
  s.lookup_limit = RateLimitRule{config.ussd.lookups_per_window, config.ussd.lookup_window_seconds};
  s.session_idle_seconds = config.ussd.session_idle_seconds;
  s.session_retention_seconds = std::int64_t{config.ussd.session_retention_hours} * 3600;
  s.write_behind_interval = std::chrono::milliseconds(config.ussd.write_behind_ms);
  s.write_behind_max_pending = config.ussd.write_queue_limit;
  s.menu.service_code = config.ussd.service_codes.front();
  s.menu.example_number = config.ussd.example_number;
  s.menu.phone_rules = config.policy.phone_rules;
  s.menu.max_invalid_entries = config.ussd.max_invalid_entries;
  s.menu.screen_limit = config.ussd.screen_limit;
  return s;
}

Application::Application(Config config, std::shared_ptr<AdjustableClock> clock)
    : config_(std::move(config)),
      clock_(clock ? std::move(clock) : std::make_shared<OffsetClock>()) {
  ensure_sodium_initialized();
  // The key first: it can tell whether it is new while the database file already existed.
  vault_ = std::make_unique<CodeVault>(load_server_key(config_));
  store_ = std::make_unique<SqliteStore>(
      SqliteOptions{config_.db, config_.sqlite_synchronous, config_.sqlite_busy_timeout_ms});
  OtpPolicy policy = config_.policy;
  policy.other_rate_window_seconds = config_.ussd.lookup_window_seconds;  // same counter table
  policy.reserve_queued_sends = config_.dev;  // the dev inbox is the only delivery channel yet
  otp_ = std::make_unique<OtpService>(*store_, *clock_, *vault_, policy);
  if (config_.dev) dev_inbox_ = std::make_unique<DevInbox>();

  auto [host, port] = split_listen(config_.listen);
  HttpServerOptions options;
  options.host = host;
  options.port = port;
  options.threads = config_.threads;
  options.max_body_bytes = config_.max_body_bytes;
  options.max_header_bytes = config_.max_header_bytes;
  options.header_timeout = std::chrono::seconds(config_.header_timeout_seconds);
  options.body_timeout = std::chrono::seconds(config_.body_timeout_seconds);
  options.keepalive_timeout = std::chrono::seconds(config_.keepalive_timeout_seconds);
  options.trusted_proxy_header = config_.trusted_proxy_header;
  authenticator_ = std::make_unique<ApiKeyAuthenticator>(
      *store_, *clock_, std::chrono::seconds(config_.api_key_cache_seconds));
  ApiKeyAuthenticator& authenticator = *authenticator_;
  http_ = std::make_unique<HttpServer>(
      options, [&authenticator](std::string_view key) { return authenticator.authenticate(key); });
  add_api_routes(*http_, ApiDependencies{*otp_, *store_, *clock_, dev_inbox_.get(),
                                         config_.dev ? clock_.get() : nullptr});
  add_arkesel_routes(*http_, ArkeselDependencies{*otp_, /*voice_delivery=*/false,
                                                 /*sms_delivery=*/dev_inbox_ != nullptr});

  try {
    ussd_ = std::make_unique<UssdGateway>(*store_, *clock_, *vault_, MessageCatalog::builtin(),
                                          ussd_gateway_settings(config_));
  } catch (const CatalogError& e) {
    // A language the settings name but no catalog ships: a configuration mistake (exit 2).
    throw ConfigError(std::string("ussd-default-language / ussd-languages-*: ") + e.what());
  }
  dialects_ = all_dialects();
  add_ussd_routes(*http_, *ussd_, config_.ussd, config_.dev, dialects_);
}

Application::~Application() {
  stop();
}

void Application::start() {
  // Background loops first, so the delivery hook is in place before any request can run.
  if (dev_inbox_) {
    DevInbox& inbox = *dev_inbox_;
    OtpService& otp = *otp_;
    dispatcher_ =
        std::make_unique<BackgroundLoop>("dispatcher", std::chrono::seconds(1), [&otp, &inbox] {
          while (otp.dispatch_due(inbox, 200).delivered == 200) {
          }
        });
    BackgroundLoop& loop = *dispatcher_;
    otp_->on_delivery_queued([&loop] { loop.poke(); });
  } else {
    log_event(spdlog::level::warn, "delivery.none",
              {{"message",
                "no delivery channel configured: codes stay in the outbox and are "
                "reachable over USSD only (dev mode uses the dev inbox)"}});
  }
  OtpService& otp = *otp_;
  UssdGateway& ussd = *ussd_;
  sweeper_ = std::make_unique<BackgroundLoop>(
      "sweeper", std::chrono::seconds(config_.sweep_interval_seconds), [&otp, &ussd] {
        // Separately: a failing OTP sweep (database locked) must not keep USSD memory growing.
        std::size_t sessions = 0;
        try {
          sessions = ussd.sweep(1000);
        } catch (const std::exception& e) {
          log_event(spdlog::level::err, "ussd.sweep_failed", {{"error", e.what()}});
        }
        const SweepReport report = otp.sweep();
        if (report.expired + report.purged_otps + sessions > 0) {
          log_event(spdlog::level::info, "sweep",
                    {{"expired", report.expired},
                     {"purged", report.purged_otps},
                     {"ussd_sessions", sessions}});
        }
      });
  http_->start();
  log_event(spdlog::level::info, "server.started",
            {{"url", base_url()}, {"db", config_.db.string()}, {"dev", config_.dev}});
}

bool Application::stop() {
  if (stopped_) return true;
  stopped_ = true;
  const bool drained = http_->drain_and_stop(std::chrono::seconds(config_.shutdown_grace_seconds));
  otp_->on_delivery_queued(nullptr);
  dispatcher_.reset();
  sweeper_.reset();
  ussd_.reset();   // commits its queued writes (write-behind) while the database is open
  store_.reset();  // closes the database cleanly (WAL checkpoint)
  log_event(drained ? spdlog::level::info : spdlog::level::warn, "server.stopped",
            {{"drained", drained}});
  return drained;
}

std::string Application::base_url() const {
  auto [host, port] = split_listen(config_.listen);
  const bool ipv6 = host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(http_->port());
}

}  // namespace ussd_otp
