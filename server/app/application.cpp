// Wiring: builds every component from the Config, in dependency order, and tears them down.
#include "server/app/application.hpp"

#include <filesystem>
#include <stdexcept>

#include "server/api/arkesel_api.hpp"
#include "server/api/delivery_receipts.hpp"
#include "server/api/getotp_api.hpp"
#include "server/api/native_api.hpp"
#include "server/api/user_verify_api.hpp"
#include "server/http/logging.hpp"

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
  ServerKey key = ServerKey::load_or_create(file);
  // Whether codes were lost to a new key is decided from the stored codes once the store is open
  // (Application's constructor), not from which files existed: `keys create` before the first
  // `serve` creates the database without issuing a single code.
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

std::unique_ptr<SmsSender> make_sms_sender(const Config& config, OtpStore& store, OtpService& otp,
                                           const Clock& clock, DeliveryChannel* dev_inbox) {
  const DeliveryConfig& d = config.delivery;
  std::string routes_text = d.routes;
  if (routes_text.empty()) {
    if (!config.dev || dev_inbox == nullptr) return nullptr;
    routes_text = "*=dev-inbox";  // dev mode with no gateway: every code lands in the inbox
  }
  RouteTable routes;
  try {
    routes = RouteTable::parse(routes_text);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("sms-routes: ") + e.what());
  }
  std::map<std::string, std::unique_ptr<SmsProvider>, std::less<>> providers;
  std::map<std::string, TransferTimeouts, std::less<>> timeouts;
  std::map<std::string, DeliveryChannel*, std::less<>> local;
  SmsSenderSettings settings;
  for (const std::string& name : routes.providers()) {
    if (name == "dev-inbox") {
      if (!config.dev || dev_inbox == nullptr) {
        throw ConfigError("sms-routes: dev-inbox is only available with --dev");
      }
      local.emplace(name, dev_inbox);
      continue;
    }
    const auto known = std::find(provider_names().begin(), provider_names().end(), name);
    if (known == provider_names().end()) {
      std::string list;
      for (const std::string& n : provider_names()) list += (list.empty() ? "" : ", ") + n;
      throw ConfigError("sms-routes: unknown provider \"" + name + "\" (known: " + list +
                        (config.dev ? ", dev-inbox" : "") + ")");
    }
    SmsProviderConfig provider_config;
    if (auto found = d.providers.find(name); found != d.providers.end()) {
      provider_config = found->second;
    }
    ProviderSettings provider_settings = provider_config.settings;
    provider_settings.name = name;
    if (provider_settings.sender.empty()) provider_settings.sender = config.policy.default_sender;
    // Hubtel and Twilio refuse a message without From: with no sender anywhere, every OTP sent
    // without `from` would fail at the gateway, so refuse to start instead.
    if ((name == "hubtel" || name == "twilio") && provider_settings.sender.empty()) {
      throw ConfigError("sms-" + name + "-sender: required (or set default-sender): " + name +
                        " refuses a message without a sender");
    }
    if (name == "twilio" && !d.public_url.empty()) {
      // Twilio refuses a StatusCallback whose hostname holds an underscore (error 21609), so
      // every send would fail: refuse to start instead.
      const std::size_t start = d.public_url.find("://") + 3;
      const std::string host =
          d.public_url.substr(start, d.public_url.find_first_of("/:?#", start) - start);
      if (host.find('_') != std::string::npos) {
        throw ConfigError("delivery-public-url: the hostname \"" + host +
                          "\" has an underscore, which Twilio refuses in a StatusCallback "
                          "(error 21609); use a hostname without '_'");
      }
    }
    if (!d.public_url.empty()) {
      provider_settings.receipt_url =
          d.public_url + "/delivery/" + name +
          (provider_config.receipt_path_token.empty() ? ""
                                                      : "/" + provider_config.receipt_path_token);
    }
    try {
      std::unique_ptr<SmsProvider> provider = make_provider(provider_settings);
      if (!provider) throw ConfigError("sms-routes: provider \"" + name + "\" is not available");
      providers.emplace(name, std::move(provider));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(e.what());
    }
    timeouts.emplace(
        name, TransferTimeouts{provider_settings.connect_timeout, provider_settings.total_timeout});
    if (provider_settings.total_timeout.count() >= d.lease_seconds * 1000LL) {
      throw ConfigError("delivery-lease-seconds: must be longer than sms-" + name +
                        "-timeout-ms, or a slow answer could be sent twice");
    }
    if (!provider_config.approved_senders.empty()) {
      std::vector<std::string> senders = provider_config.approved_senders;
      senders.push_back(provider_settings.sender);
      settings.approved_senders.emplace(name, std::move(senders));
    }
  }
  settings.planner.receipt_window_seconds = d.receipt_window_seconds;
  settings.planner.unknown_hold_seconds = d.unknown_hold_seconds;
  settings.planner.max_attempts = config.policy.max_delivery_attempts;
  settings.planner.retry_base_seconds = d.retry_base_seconds;
  settings.planner.retry_max_seconds = d.retry_max_seconds;
  settings.breaker.failures = d.breaker_failures;
  settings.breaker.window_seconds = d.breaker_window_seconds;
  settings.breaker.cooldown_seconds = d.breaker_cooldown_seconds;
  settings.breaker.account_pause_seconds = d.account_pause_seconds;
  settings.lease_seconds = d.lease_seconds;
  settings.max_in_flight = static_cast<std::size_t>(d.max_in_flight);
  settings.claim_batch = std::min<std::size_t>(256, settings.max_in_flight);
  settings.status_polls_per_minute = d.status_polls_per_minute;
  DeliveryLogger logger = [](int level, std::string_view event, const nlohmann::json& fields) {
    log_event(static_cast<spdlog::level::level_enum>(level), event, fields);
  };
  return std::make_unique<SmsSender>(store, otp, clock, std::move(routes), std::move(providers),
                                     std::move(timeouts), std::move(local), settings,
                                     std::move(logger));
}

WebhookSenderSettings webhook_sender_settings(const Config& config) {
  WebhookSenderSettings s;
  s.timeout = std::chrono::milliseconds(config.webhooks.timeout_ms);
  s.max_attempts = config.webhooks.max_attempts;
  s.retry_base_seconds = config.webhooks.retry_base_seconds;
  s.retry_max_seconds = config.webhooks.retry_max_seconds;
  return s;
}

SqliteOptions sqlite_options(const Config& config) {
  SqliteOptions options;
  options.path = config.db;
  options.synchronous = config.sqlite_synchronous;
  options.busy_timeout_ms = config.sqlite_busy_timeout_ms;
  options.cache_mib = config.sqlite_cache_mib;
  options.mmap_mib = config.sqlite_mmap_mib;
  return options;
}

Application::Application(Config config, std::shared_ptr<AdjustableClock> clock)
    : config_(std::move(config)),
      clock_(clock ? std::move(clock) : std::make_shared<OffsetClock>()) {
  ensure_sodium_initialized();
  vault_ = std::make_unique<CodeVault>(load_server_key(config_));
  store_ = std::make_unique<SqliteStore>(sqlite_options(config_));
  OtpPolicy policy = config_.policy;
  policy.other_rate_window_seconds = config_.ussd.lookup_window_seconds;  // same counter table
  if (config_.dev) dev_inbox_ = std::make_unique<DevInbox>();
  // Queued sends count against budgets only when a sender drains the queue.
  policy.reserve_queued_sends = !config_.delivery.routes.empty() || config_.dev;
  otp_ = std::make_unique<OtpService>(*store_, *clock_, *vault_, policy);
  if (const std::size_t unreadable = otp_->unreadable_pending_codes(); unreadable > 0) {
    log_event(spdlog::level::warn, "server_key.cannot_open_codes",
              {{"unreadable_of_newest_pending", unreadable},
               {"message",
                "pending codes were sealed under another server key: they can no longer be "
                "verified or shown on USSD (was the server key replaced?)"}});
  }
  sms_sender_ = make_sms_sender(config_, *store_, *otp_, *clock_, dev_inbox_.get());
  webhook_sender_ = std::make_unique<WebhookSender>(
      *store_, *clock_, *vault_, webhook_sender_settings(config_),
      [](int level, std::string_view event, const nlohmann::json& fields) {
        log_event(static_cast<spdlog::level::level_enum>(level), event, fields);
      });
  {
    SmsSender* sender = sms_sender_.get();
    const bool ussd_only = config_.delivery.ussd_only;
    otp_->set_delivery_router([sender, ussd_only](std::string_view phone) {
      if (sender != nullptr && sender->covers(phone)) return DeliveryRoute::Sms;
      return ussd_only ? DeliveryRoute::UssdOnly : DeliveryRoute::None;
    });
  }

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
  options.unauthenticated_ip_per_minute = config_.rate_limit_unauthenticated_ip_per_minute;
  options.clock = clock_.get();
  authenticator_ = std::make_unique<ApiKeyAuthenticator>(
      *store_, *clock_, std::chrono::seconds(config_.api_key_cache_seconds));
  ApiKeyAuthenticator& authenticator = *authenticator_;
  http_ = std::make_unique<HttpServer>(
      options, [&authenticator](std::string_view key) { return authenticator.authenticate(key); });
  add_api_routes(*http_, ApiDependencies{*otp_, *store_, *clock_, dev_inbox_.get(),
                                         config_.dev ? clock_.get() : nullptr,
                                         config_.rate_limit_ip_count_peer});
  add_arkesel_routes(*http_, ArkeselDependencies{*otp_, /*voice_delivery=*/false,
                                                 config_.rate_limit_ip_count_peer});
  add_getotp_routes(*http_,
                    GetOtpDependencies{*otp_, *store_, *clock_, config_.rate_limit_ip_count_peer});
  add_user_verify_routes(*http_, UserVerifyDependencies{*otp_, *store_});
  if (sms_sender_) add_delivery_routes(*http_, *sms_sender_, config_.delivery, config_.dev);

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
  if (sms_sender_) {
    SmsSender& sender = *sms_sender_;
    otp_->on_delivery_queued([&sender] { sender.poke(); });
    sender.start();  // also resumes every delivery left pending by an earlier run
  } else {
    log_event(
        spdlog::level::warn, "delivery.none",
        {{"message", config_.delivery.ussd_only
                         ? "no SMS route configured: codes are readable over USSD only"
                         : "no SMS route configured (sms-routes): OTP requests are refused with "
                           "NO_DELIVERY_CHANNEL; set delivery-ussd-only for USSD-only delivery"}});
  }
  webhook_sender_->start();  // also resumes every webhook left pending by an earlier run
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
  if (sms_sender_) sms_sender_->stop();
  sweeper_.reset();
  ussd_.reset();            // commits its queued writes (write-behind) while the database is open
  webhook_sender_->stop();  // after the write-behind: its view events may queue webhooks
  store_.reset();           // closes the database cleanly (WAL checkpoint)
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
