// The settings table and the layering of file, environment and flags.
#include "server/app/config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "delivery/routing.hpp"
#include "menus/dial_string.hpp"
#include "otp/text.hpp"
#include "server/http/cidr.hpp"
#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {
namespace {

template <class Int>
Int parse_int(const std::string& name, const std::string& text, Int min, Int max) {
  Int value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < min || value > max) {
    throw ConfigError(name + ": must be a whole number from " + std::to_string(min) + " to " +
                      std::to_string(max) + " (got \"" + text + "\")");
  }
  return value;
}

bool parse_bool(const std::string& name, const std::string& text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off" || text.empty()) return false;
  throw ConfigError(name + ": must be true or false (got \"" + text + "\")");
}

std::string one_of(const std::string& name, const std::string& text,
                   std::initializer_list<const char*> allowed) {
  for (const char* candidate : allowed) {
    if (text == candidate) return text;
  }
  std::string list;
  for (const char* candidate : allowed) list += (list.empty() ? "" : ", ") + std::string(candidate);
  throw ConfigError(name + ": must be one of " + list + " (got \"" + text + "\")");
}

// "a, b,c" -> {"a", "b", "c"}; empty items are dropped.
std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string item(text::trim(std::string_view(text).substr(start, comma - start)));
    if (!item.empty()) items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

template <class Int>
Setting int_setting(std::string name, std::string help, Int Config::*member, Int min, Int max) {
  const Config defaults;  // not Config{}: that trips an internal error in GCC 12
  const std::string default_value = std::to_string(defaults.*member);
  return {name, std::move(help), default_value, false,
          [name, member, min, max](Config& config, const std::string& text) {
            config.*member = parse_int<Int>(name, text, min, max);
          }};
}

// A whole-number setting kept in Config as given: one row of a table of them.
struct ConfigInt {
  const char* name;
  const char* help;
  std::variant<int Config::*, std::size_t Config::*, std::int64_t Config::*> member;
  std::int64_t min;
  std::int64_t max;
};

void add_int_settings(std::vector<Setting>& s, std::initializer_list<ConfigInt> rows) {
  for (const ConfigInt& row : rows) {
    s.push_back(std::visit(
        [&](auto member) {
          using Int = std::remove_reference_t<decltype(std::declval<Config&>().*member)>;
          return int_setting<Int>(row.name, row.help, member, static_cast<Int>(row.min),
                                  static_cast<Int>(row.max));
        },
        row.member));
  }
}

// A whole-number setting kept in one section of Config (delivery, webhooks).
template <class Section>
Setting section_int(Section Config::*section, std::string name, std::string help, int def, int min,
                    int max, int Section::*member) {
  return {name, std::move(help), std::to_string(def), false,
          [section, name, min, max, member](Config& c, const std::string& v) {
            (c.*section).*member = parse_int<int>(name, v, min, max);
          }};
}

template <class Int, class Apply>
Setting policy_int(std::string name, std::string help, Int default_value, Int min, Int max,
                   Apply apply) {
  return {name, std::move(help), std::to_string(default_value), false,
          [name, min, max, apply](Config& config, const std::string& text) {
            apply(config.policy, parse_int<Int>(name, text, min, max));
          }};
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    std::string_view item =
        text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

bool is_language_tag(std::string_view s) {
  return s.size() >= 2 && s.size() <= 8 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

// "*889*143#=fr, 225=fr" style maps.
std::map<std::string, std::string> parse_language_map(const std::string& name,
                                                      const std::string& text,
                                                      bool keys_are_codes) {
  std::map<std::string, std::string> out;
  for (const std::string& item : split_list(text)) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) throw ConfigError(name + ": \"" + item + "\" is not KEY=LANGUAGE");
    std::string key = item.substr(0, eq);
    const std::string language = item.substr(eq + 1);
    if (!is_language_tag(language)) {
      throw ConfigError(name + ": \"" + language + "\" is not a language code like en or fr");
    }
    if (keys_are_codes) {
      if (dial_segments(key).empty())
        throw ConfigError(name + ": \"" + key + "\" is not a service code");
      key = canonical_service_code(key);
    } else if (key.empty() || key.size() > 4 ||
               !std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw ConfigError(name + ": \"" + key + "\" is not a country calling code");
    }
    out[key] = language;
  }
  return out;
}

bool is_digits_and_stars(std::string_view code) {
  const auto segments = dial_segments(code);
  return !segments.empty() && code.size() <= 32 &&
         std::all_of(segments.begin(), segments.end(), [](const std::string& s) {
           return !s.empty() &&
                  std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
         });
}

void add_ussd_settings(std::vector<Setting>& s) {
  const UssdConfig u;
  s.push_back({"ussd-service-codes",
               "USSD codes this server answers, comma-separated; the first is shown on screens",
               "*889*142#", false, [](Config& c, const std::string& v) {
                 std::vector<std::string> codes;
                 for (const std::string& code : split_list(v)) {
                   if (!is_digits_and_stars(code)) {
                     throw ConfigError("ussd-service-codes: \"" + code +
                                       "\" is not a service code like *889*142#");
                   }
                   codes.push_back(canonical_service_code(code));
                 }
                 if (codes.empty()) throw ConfigError("ussd-service-codes: give at least one code");
                 c.ussd.service_codes = std::move(codes);
               }});
  s.push_back({"ussd-default-language", "language of USSD screens unless a rule below matches",
               u.default_language, false, [](Config& c, const std::string& v) {
                 if (!is_language_tag(v)) {
                   throw ConfigError("ussd-default-language: \"" + v + "\" is not a language code");
                 }
                 c.ussd.default_language = v;
               }});
  s.push_back({"ussd-languages-by-service-code",
               "per service code language, e.g. \"*889*143#=fr\" (checked first)", "", false,
               [](Config& c, const std::string& v) {
                 c.ussd.language_by_service_code =
                     parse_language_map("ussd-languages-by-service-code", v, true);
               }});
  s.push_back({"ussd-languages-by-country",
               "per country calling code language for the dialer, e.g. \"225=fr,221=fr\"", "",
               false, [](Config& c, const std::string& v) {
                 c.ussd.language_by_prefix =
                     parse_language_map("ussd-languages-by-country", v, false);
               }});
  auto ussd_int = [&s](std::string name, std::string help, long long def, long long min,
                       long long max, std::function<void(UssdConfig&, long long)> set) {
    s.push_back({name, std::move(help), std::to_string(def), false,
                 [name, min, max, set](Config& c, const std::string& v) {
                   set(c.ussd, parse_int<long long>(name, v, min, max));
                 }});
  };
  ussd_int("ussd-lookups-per-window", "number lookups per dialer per window (0: no limit)",
           u.lookups_per_window, 0, 1000,
           [](UssdConfig& c, long long v) { c.lookups_per_window = v; });
  ussd_int("ussd-lookup-window-seconds", "the window of ussd-lookups-per-window",
           u.lookup_window_seconds, 10, 86400,
           [](UssdConfig& c, long long v) { c.lookup_window_seconds = v; });
  ussd_int("ussd-session-idle-seconds", "a USSD session ends after this long without a step",
           u.session_idle_seconds, 10, 3600,
           [](UssdConfig& c, long long v) { c.session_idle_seconds = static_cast<int>(v); });
  ussd_int("ussd-session-retention-hours", "ended USSD sessions are deleted after this",
           u.session_retention_hours, 1, 24 * 90,
           [](UssdConfig& c, long long v) { c.session_retention_hours = static_cast<int>(v); });
  ussd_int("ussd-max-invalid-entries", "invalid answers before the menu ends the session",
           u.max_invalid_entries, 1, 10,
           [](UssdConfig& c, long long v) { c.max_invalid_entries = static_cast<int>(v); });
  // 120 at least: a unit test proves every shipped screen fits 120 at the longest values.
  ussd_int("ussd-screen-limit", "characters per USSD screen (GSM-7), all dialects",
           static_cast<long long>(u.screen_limit), 120, 182,
           [](UssdConfig& c, long long v) { c.screen_limit = static_cast<std::size_t>(v); });
  ussd_int("ussd-write-behind-ms",
           "session rows, lookup counters and view events are committed this often, in batches",
           u.write_behind_ms, 1, 1000,
           [](UssdConfig& c, long long v) { c.write_behind_ms = static_cast<int>(v); });
  ussd_int("ussd-write-queue-limit",
           "writes waiting for their batch at most; beyond it a step writes itself (0: always)",
           static_cast<long long>(u.write_queue_limit), 0, 10'000'000,
           [](UssdConfig& c, long long v) { c.write_queue_limit = static_cast<std::size_t>(v); });
  s.push_back({"ussd-example-number", "the number shown in the menu's re-prompt", u.example_number,
               false, [](Config& c, const std::string& v) {
                 if (v.empty() || v.size() > 20 || !std::all_of(v.begin(), v.end(), [](char ch) {
                       return ch >= '0' && ch <= '9';
                     })) {
                   throw ConfigError("ussd-example-number: digits only, at most 20");
                 }
                 c.ussd.example_number = v;
               }});

  for (const std::string& dialect : dialect_names()) {
    const std::string prefix = "ussd-" + dialect + "-";
    auto field = [&s, &prefix, &dialect](
                     std::string suffix, std::string help, std::string def,
                     std::function<void(UssdDialectConfig&, const std::string&)> set) {
      const std::string name = prefix + suffix;
      s.push_back(
          {name, help, def, false,
           [dialect, set](Config& c, const std::string& v) { set(c.ussd.dialects[dialect], v); },
           "ussd-<dialect>-" + suffix});
    };
    field("enabled", "auto, true or false: answer /ussd/" + dialect, "auto",
          [prefix](UssdDialectConfig& d, const std::string& v) {
            d.enabled = one_of(prefix + "enabled", v, {"auto", "true", "false"});
          });
    field("path-token", "secret path segment: callbacks go to /ussd/" + dialect + "/TOKEN", "",
          [prefix](UssdDialectConfig& d, const std::string& v) {
            const bool ok =
                v.empty() ||
                (v.size() >= 16 && v.size() <= 128 && std::all_of(v.begin(), v.end(), [](char ch) {
                   return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
                 }));
            if (!ok) throw ConfigError(prefix + "path-token: 16-128 letters, digits, '-' or '_'");
            d.path_token = v;
          });
    field("allowed-ips", "source addresses allowed (CIDRs, comma-separated; empty: any)", "",
          [prefix](UssdDialectConfig& d, const std::string& v) {
            try {
              (void)parse_cidr_list(v);
            } catch (const std::invalid_argument& e) {
              throw ConfigError(prefix + "allowed-ips: " + e.what());
            }
            d.allowed_ips = v;
          });
    field("service-code", "the service code this aggregator must send (empty: any of ours)", "",
          [prefix](UssdDialectConfig& d, const std::string& v) {
            if (!v.empty() && dial_segments(v).empty()) {
              throw ConfigError(prefix + "service-code: not a service code");
            }
            d.service_code = v;
          });
    field("user-id", "the account id this aggregator must send (empty: any)", "",
          [](UssdDialectConfig& d, const std::string& v) { d.user_id = v; });
    field("screen-limit", "characters per screen for this aggregator (0: its own default)", "0",
          [prefix](UssdDialectConfig& d, const std::string& v) {
            d.screen_limit = parse_int<std::size_t>(prefix + "screen-limit", v, 0, 182);
            if (d.screen_limit != 0 && d.screen_limit < 120) {
              throw ConfigError(prefix + "screen-limit: 0 or 120-182");
            }
          });
  }
}

bool is_token(const std::string& v) {
  return v.size() >= 16 && v.size() <= 128 && std::all_of(v.begin(), v.end(), [](char ch) {
           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
         });
}

void add_delivery_settings(std::vector<Setting>& s) {
  const DeliveryConfig d;
  s.push_back({"sms-routes",
               "provider chains by destination prefix, e.g. \"233=arkesel,africastalking; "
               "*=twilio\" (empty: none; --dev then uses the dev inbox)",
               "", false, [](Config& c, const std::string& v) {
                 try {
                   (void)RouteTable::parse(v);
                 } catch (const std::invalid_argument& e) {
                   throw ConfigError(std::string("sms-routes: ") + e.what());
                 }
                 c.delivery.routes = v;
               }});
  s.push_back({"delivery-ussd-only",
               "numbers no SMS route covers still get a code, readable on the USSD menu only "
               "(answers say \"delivery\": \"ussd\"); false: refused with NO_DELIVERY_CHANNEL",
               "false", true, [](Config& c, const std::string& v) {
                 c.delivery.ussd_only = parse_bool("delivery-ussd-only", v);
               }});
  s.push_back({"delivery-public-url",
               "the base URL gateways reach this server at (https://otp.example.com), for the "
               "receipt URL sent with each message (Arkesel, Twilio) and Twilio signatures",
               "", false, [](Config& c, const std::string& v) {
                 if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
                   throw ConfigError("delivery-public-url: must start with http:// or https://");
                 }
                 std::string url = v;
                 while (!url.empty() && url.back() == '/') url.pop_back();
                 c.delivery.public_url = url;
               }});
  auto delivery_int = [&s](std::string name, std::string help, int def, int min, int max,
                           int DeliveryConfig::*member) {
    s.push_back(
        section_int(&Config::delivery, std::move(name), std::move(help), def, min, max, member));
  };
  delivery_int("delivery-receipt-window-seconds",
               "an accepted SMS not confirmed delivered within this is sent once more through the "
               "next provider in its chain (0: never; polled providers: counted from the first "
               "poll)",
               d.receipt_window_seconds, 0, 3600, &DeliveryConfig::receipt_window_seconds);
  delivery_int("delivery-unknown-hold-seconds",
               "after an unknown outcome (a timeout once the request was sent) its provider is "
               "not used again for this delivery this long; at least 5, whatever the receipt "
               "window",
               d.unknown_hold_seconds, 5, 3600, &DeliveryConfig::unknown_hold_seconds);
  delivery_int("delivery-breaker-failures",
               "failures within the breaker window that make a provider skipped",
               d.breaker_failures, 1, 1000, &DeliveryConfig::breaker_failures);
  delivery_int("delivery-breaker-window-seconds", "the rolling window of delivery-breaker-failures",
               d.breaker_window_seconds, 1, 3600, &DeliveryConfig::breaker_window_seconds);
  delivery_int("delivery-breaker-cooldown-seconds",
               "an open breaker skips its provider this long, then one probe decides",
               d.breaker_cooldown_seconds, 1, 3600, &DeliveryConfig::breaker_cooldown_seconds);
  delivery_int("delivery-account-pause-seconds",
               "an account-level error (auth, balance, sender id) pauses its provider this long",
               d.account_pause_seconds, 1, 86400, &DeliveryConfig::account_pause_seconds);
  delivery_int("delivery-retry-base-seconds",
               "first retry delay after a transient failure (then doubling, with full jitter)",
               d.retry_base_seconds, 1, 3600, &DeliveryConfig::retry_base_seconds);
  delivery_int("delivery-retry-max-seconds", "the longest retry delay", d.retry_max_seconds, 1,
               86400, &DeliveryConfig::retry_max_seconds);
  delivery_int("delivery-lease-seconds",
               "a claimed outbox row is held this long; a sender that dies leaves it to be "
               "claimed again after it (keep above every provider's timeout)",
               d.lease_seconds, 2, 3600, &DeliveryConfig::lease_seconds);
  delivery_int("delivery-max-in-flight", "gateway requests in flight at once, all providers",
               d.max_in_flight, 1, 10000, &DeliveryConfig::max_in_flight);
  delivery_int("delivery-status-polls-per-minute",
               "status polls of gateways without push receipts (Hubtel), all messages together "
               "(0: never poll; Hubtel allows 5 requests/min)",
               d.status_polls_per_minute, 0, 6000, &DeliveryConfig::status_polls_per_minute);
  const WebhookConfig w;
  auto webhook_int = [&s](std::string name, std::string help, int def, int min, int max,
                          int WebhookConfig::*member) {
    s.push_back(
        section_int(&Config::webhooks, std::move(name), std::move(help), def, min, max, member));
  };
  webhook_int("webhook-timeout-ms",
              "how long one app webhook POST may take, connecting included, before it counts as "
              "failed and is retried",
              w.timeout_ms, 100, 60000, &WebhookConfig::timeout_ms);
  webhook_int("webhook-max-attempts",
              "attempts per app webhook event before it is dropped (and logged)", w.max_attempts, 1,
              100, &WebhookConfig::max_attempts);
  webhook_int("webhook-retry-base-seconds",
              "first retry delay after a failed app webhook (then doubling, with jitter)",
              w.retry_base_seconds, 1, 3600, &WebhookConfig::retry_base_seconds);
  webhook_int("webhook-retry-max-seconds", "the longest app webhook retry delay",
              w.retry_max_seconds, 1, 86400, &WebhookConfig::retry_max_seconds);
  s.push_back(policy_int<int>("max-delivery-attempts",
                              "attempts per delivery, all providers together, before it fails",
                              OtpPolicy{}.max_delivery_attempts, 1, 20,
                              [](OtpPolicy& p, int v) { p.max_delivery_attempts = v; }));

  for (const std::string& provider : provider_names()) {
    const std::string prefix = "sms-" + provider + "-";
    auto field = [&s, &prefix, &provider](
                     std::string suffix, std::string help, std::string def,
                     std::function<void(SmsProviderConfig&, const std::string&)> set) {
      s.push_back({prefix + suffix, std::move(help), std::move(def), false,
                   [provider, set](Config& c, const std::string& v) {
                     SmsProviderConfig& p = c.delivery.providers[provider];
                     p.settings.name = provider;
                     set(p, v);
                   },
                   "sms-<provider>-" + suffix});
    };
    auto text = [&field](std::string suffix, std::string help,
                         std::string ProviderSettings::*member) {
      field(std::move(suffix), std::move(help), "",
            [member](SmsProviderConfig& p, const std::string& v) { p.settings.*member = v; });
    };
    field("base-url", "the gateway's API base URL (empty: its public default)", "",
          [prefix](SmsProviderConfig& p, const std::string& v) {
            if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
              throw ConfigError(prefix + "base-url: must start with http:// or https://");
            }
            p.settings.base_url = v;
          });
    text("sender", "the sender id (or From number) messages go out under",
         &ProviderSettings::sender);
    field("senders",
          "other approved sender ids a request's from may pick (comma-separated); any other "
          "from goes out under the sender above",
          "",
          [](SmsProviderConfig& p, const std::string& v) { p.approved_senders = comma_list(v); });
    text("username", "account user name (africastalking)", &ProviderSettings::username);
    text("api-key", "API key (africastalking, arkesel)", &ProviderSettings::api_key);
    text("client-id", "client id (hubtel)", &ProviderSettings::client_id);
    text("client-secret", "client secret (hubtel)", &ProviderSettings::client_secret);
    text("account-sid", "account SID (twilio)", &ProviderSettings::account_sid);
    text("auth-token", "auth token (twilio; also checks X-Twilio-Signature)",
         &ProviderSettings::auth_token);
    text("secret", "HMAC-SHA256 signing secret (webhook)", &ProviderSettings::secret);
    field("url", "the endpoint messages are POSTed to (webhook)", "",
          [prefix](SmsProviderConfig& p, const std::string& v) {
            if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
              throw ConfigError(prefix + "url: must start with http:// or https://");
            }
            p.settings.url = v;
          });
    field("connect-timeout-ms", "connect timeout of each request to this gateway", "3000",
          [prefix](SmsProviderConfig& p, const std::string& v) {
            p.settings.connect_timeout = std::chrono::milliseconds(
                parse_int<int>(prefix + "connect-timeout-ms", v, 50, 60000));
          });
    field("timeout-ms", "total timeout of each request to this gateway", "10000",
          [prefix](SmsProviderConfig& p, const std::string& v) {
            p.settings.total_timeout =
                std::chrono::milliseconds(parse_int<int>(prefix + "timeout-ms", v, 100, 120000));
          });
    field("receipt-path-token",
          "secret path segment: delivery reports go to /delivery/" + provider + "/TOKEN", "",
          [prefix](SmsProviderConfig& p, const std::string& v) {
            if (!v.empty() && !is_token(v)) {
              throw ConfigError(prefix + "receipt-path-token: 16-128 letters, digits, '-' or '_'");
            }
            p.receipt_path_token = v;
          });
    field("receipt-allowed-ips",
          "source addresses allowed to post delivery reports (CIDRs; empty: any)", "",
          [prefix](SmsProviderConfig& p, const std::string& v) {
            try {
              (void)parse_cidr_list(v);
            } catch (const std::invalid_argument& e) {
              throw ConfigError(prefix + "receipt-allowed-ips: " + e.what());
            }
            p.receipt_allowed_ips = v;
          });
  }
}

std::vector<Setting> build_settings() {
  const OtpPolicy p;
  using I64 = std::int64_t;
  std::vector<Setting> s;
  s.push_back({"listen", "HOST:PORT to listen on (port 0 picks a free port)", "127.0.0.1:8080",
               false, [](Config& c, const std::string& v) {
                 if (v.rfind(':') == std::string::npos)
                   throw ConfigError("listen: must be HOST:PORT");
                 c.listen = v;
               }});
  s.push_back({"db", "SQLite database file (created with its directory)", "var/ussd-otp.db", false,
               [](Config& c, const std::string& v) {
                 if (v.empty()) throw ConfigError("db: must not be empty");
                 c.db = v;
               }});
  s.push_back({"dev", "development mode: dev inbox at /dev/inbox, dev API key printed", "false",
               true, [](Config& c, const std::string& v) { c.dev = parse_bool("dev", v); }});
  s.push_back({"log-format", "text or json (one JSON object per line)", "text", false,
               [](Config& c, const std::string& v) {
                 c.log_format = one_of("log-format", v, {"text", "json"});
               }});
  s.push_back(
      {"log-level", "trace, debug, info, warn, error or off", "info", false,
       [](Config& c, const std::string& v) {
         c.log_level = one_of("log-level", v, {"trace", "debug", "info", "warn", "error", "off"});
       }});
  s.push_back({"server-key", "server secret as 64 hex characters (else read from server-key-file)",
               "", false, [](Config& c, const std::string& v) { c.server_key = v; }});
  s.push_back({"server-key-file",
               "file holding the server secret; created (mode 0600) if missing. Default: "
               "server.key next to the database",
               "", false, [](Config& c, const std::string& v) { c.server_key_file = v; }});
  add_int_settings(
      s, {
             {"threads",
              "HTTP worker threads. Handlers wait on the database, and the writes of waiting "
              "requests are committed together, so more threads than cores raise throughput",
              &Config::threads, 1, 256},
             {"max-body-bytes", "largest request body accepted (else 413 PAYLOAD_TOO_LARGE)",
              &Config::max_body_bytes, 256, 1 << 20},
             {"max-header-bytes", "room for the request line and headers on top of the body",
              &Config::max_header_bytes, 1024, 1 << 16},
             {"header-timeout-seconds", "time a client has to send the request headers (else 408)",
              &Config::header_timeout_seconds, 1, 300},
             {"body-timeout-seconds", "time a client has to send the request body (else 408)",
              &Config::body_timeout_seconds, 1, 300},
             {"keepalive-timeout-seconds", "idle keep-alive connections are closed after this",
              &Config::keepalive_timeout_seconds, 1, 3600},
             {"shutdown-grace-seconds",
              "on SIGINT/SIGTERM, how long in-flight requests may take to finish",
              &Config::shutdown_grace_seconds, 0, 600},
         });
  s.push_back({"trusted-proxy-header",
               "header carrying the client IP when behind a proxy (e.g. X-Forwarded-For); the "
               "right-most address in it (the one the proxy added) is used. Empty: the TCP peer "
               "address",
               "", false, [](Config& c, const std::string& v) { c.trusted_proxy_header = v; }});
  s.push_back({"sqlite-synchronous",
               "NORMAL (survives a process crash) or FULL (also survives power loss)", "NORMAL",
               false, [](Config& c, const std::string& v) {
                 c.sqlite_synchronous = one_of("sqlite-synchronous", v, {"NORMAL", "FULL"});
               }});
  add_int_settings(
      s, {
             {"sqlite-busy-timeout-ms", "how long a write waits for another process's lock",
              &Config::sqlite_busy_timeout_ms, 0, 60000},
             {"sqlite-cache-mib", "page cache per database connection (there are 5), MiB",
              &Config::sqlite_cache_mib, 1, 1024},
             // Up to 2047: SQLite's default build caps the map just under 2 GiB and would
             // silently clamp.
             {"sqlite-mmap-mib",
              "database file read through a memory map of up to this many MiB per connection "
              "(0: off)",
              &Config::sqlite_mmap_mib, 0, 2047},
             {"sweep-interval-seconds", "how often expired OTPs are marked and old records deleted",
              &Config::sweep_interval_seconds, 1, 3600},
             {"api-key-cache-seconds",
              "how long a valid API key is trusted before it is checked again (a revocation takes "
              "effect within this time; 0: every request)",
              &Config::api_key_cache_seconds, 0, 3600},
         });
  s.push_back(
      {"default-country-code", "country calling code for local numbers (0XXXXXXXXX)",
       p.phone_rules.default_country_code, false, [](Config& c, const std::string& v) {
         if (v.empty() || v.size() > 3 || v[0] == '0' ||
             !std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
           throw ConfigError("default-country-code: must be 1-3 digits, not starting with 0");
         }
         c.policy.phone_rules.default_country_code = v;
       }});
  s.push_back(policy_int<int>(
      "national-number-length", "digits after the default country code (0: any 4-14)",
      p.phone_rules.national_number_length, 0, 14,
      [](OtpPolicy& o, int v) { o.phone_rules.national_number_length = v; }));
  s.push_back(policy_int<int>("default-expiry-minutes", "expiry when a request gives none",
                              p.default_expiry_minutes, 1, 1440,
                              [](OtpPolicy& o, int v) { o.default_expiry_minutes = v; }));
  s.push_back(policy_int<int>(
      "default-max-attempts", "wrong pins allowed when a request gives none",
      p.default_max_attempts, 1, 10, [](OtpPolicy& o, int v) { o.default_max_attempts = v; }));
  s.push_back(policy_int<I64>("resend-cooldown-seconds", "minimum time between two sends of an OTP",
                              p.resend_cooldown_seconds, 0, 3600,
                              [](OtpPolicy& o, I64 v) { o.resend_cooldown_seconds = v; }));
  s.push_back(policy_int<int>("max-sends-per-otp", "sends per OTP, the first one included",
                              p.max_sends_per_otp, 1, 20,
                              [](OtpPolicy& o, int v) { o.max_sends_per_otp = v; }));
  s.push_back(policy_int<I64>(
      "rate-limit-phone-per-hour",
      "SMS sends (new codes and resends) to one phone number per API key in any rolling hour "
      "(0: no limit)",
      p.per_phone.limit, 0, 1'000'000, [](OtpPolicy& o, I64 v) { o.per_phone.limit = v; }));
  s.push_back(policy_int<I64>("rate-limit-phone-global-per-hour",
                              "SMS sends to one phone number across all API keys in any rolling "
                              "hour, the SMS-pumping ceiling (0: no limit)",
                              p.per_phone_global.limit, 0, 1'000'000,
                              [](OtpPolicy& o, I64 v) { o.per_phone_global.limit = v; }));
  s.push_back(policy_int<I64>(
      "verify-attempts-per-phone",
      "verify attempts (right or wrong) for one phone per API key within "
      "verify-attempts-window-seconds; one more blocks that phone's verifies (0: no throttle)",
      p.verify_throttle.attempts, 0, 1'000'000,
      [](OtpPolicy& o, I64 v) { o.verify_throttle.attempts = v; }));
  s.push_back(policy_int<I64>("verify-attempts-window-seconds",
                              "the rolling window verify-attempts-per-phone counts over",
                              p.verify_throttle.window_seconds, 1, 86'400,
                              [](OtpPolicy& o, I64 v) { o.verify_throttle.window_seconds = v; }));
  s.push_back(policy_int<I64>("verify-block-seconds",
                              "how long a phone's verifies stay refused once it made too many",
                              p.verify_throttle.block_seconds, 1, 86'400,
                              [](OtpPolicy& o, I64 v) { o.verify_throttle.block_seconds = v; }));
  s.push_back(policy_int<I64>(
      "rate-limit-api-key-per-minute", "OTP requests per API key per minute (0: no limit)",
      p.per_api_key.limit, 0, 100'000'000, [](OtpPolicy& o, I64 v) { o.per_api_key.limit = v; }));
  s.push_back(policy_int<I64>("rate-limit-ip-per-minute",
                              "OTP requests per client IP per minute (0: no limit)",
                              p.per_client_ip.limit, 0, 100'000'000,
                              [](OtpPolicy& o, I64 v) { o.per_client_ip.limit = v; }));
  s.push_back({"rate-limit-ip-count-peer",
               "count the connecting address under rate-limit-ip-per-minute when a request names "
               "no end-user IP (clientIp or metadata.ip)",
               "false", true, [](Config& c, const std::string& v) {
                 c.rate_limit_ip_count_peer = parse_bool("rate-limit-ip-count-peer", v);
               }});
  s.push_back(int_setting<I64>(
      "rate-limit-unauthenticated-ip-per-minute",
      "requests per client IP per minute on routes without an API key (USSD callbacks, delivery "
      "receipts; not /healthz, /readyz), counted in memory (0: no limit)",
      &Config::rate_limit_unauthenticated_ip_per_minute, 0, 100'000'000));
  s.push_back(policy_int<I64>("idempotency-ttl-hours", "how long an Idempotency-Key is remembered",
                              p.idempotency_ttl_seconds / 3600, 1, 24 * 30,
                              [](OtpPolicy& o, I64 v) { o.idempotency_ttl_seconds = v * 3600; }));
  s.push_back(policy_int<I64>("retention-days", "OTPs and their events are deleted after this",
                              p.retention_seconds / 86400, 1, 3650,
                              [](OtpPolicy& o, I64 v) { o.retention_seconds = v * 86400; }));
  s.push_back(policy_int<std::size_t>(
      "max-metadata-bytes", "largest `metadata` object (compact JSON)", p.max_metadata_bytes, 0,
      65536, [](OtpPolicy& o, std::size_t v) { o.max_metadata_bytes = v; }));
  s.push_back(policy_int<std::size_t>(
      "max-payload-bytes", "largest GetOTP `payload` string, returned in webhooks",
      p.max_payload_bytes, 0, 65536, [](OtpPolicy& o, std::size_t v) { o.max_payload_bytes = v; }));
  s.push_back(policy_int<std::size_t>(
      "max-message-length", "longest `message` template, characters", p.max_message_length, 16,
      2000, [](OtpPolicy& o, std::size_t v) { o.max_message_length = v; }));
  s.push_back({"allowed-phone-prefixes",
               "comma-separated digit prefixes of the numbers OTPs may be sent to (e.g. "
               "\"233,234\"), or \"any\"; empty: the default country code only",
               "", false, [](Config& c, const std::string& v) {
                 if (v.empty()) {
                   c.policy.allowed_phone_prefixes.reset();
                   return;
                 }
                 if (v == "any") {
                   c.policy.allowed_phone_prefixes = std::vector<std::string>{};
                   return;
                 }
                 std::vector<std::string> prefixes = comma_list(v);
                 for (const std::string& prefix : prefixes) {
                   if (prefix.size() > 6 || prefix[0] == '0' || !text::all_digits(prefix)) {
                     throw ConfigError(
                         "allowed-phone-prefixes: each prefix must be 1-6 digits, "
                         "not starting with 0, or the word any (got \"" +
                         prefix + "\")");
                   }
                 }
                 if (prefixes.empty()) throw ConfigError("allowed-phone-prefixes: no prefix given");
                 c.policy.allowed_phone_prefixes = std::move(prefixes);
               }});
  s.push_back({"default-sender",
               "sender id an OTP takes when the request names none (from / sender_id), at most "
               "11 printable ASCII characters; empty: each gateway's own sms-<provider>-sender",
               "", false, [](Config& c, const std::string& v) {
                 const bool printable = std::all_of(
                     v.begin(), v.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; });
                 if (v.size() > c.policy.max_sender_length || !printable) {
                   throw ConfigError("default-sender: must be at most " +
                                     std::to_string(c.policy.max_sender_length) +
                                     " printable ASCII characters");
                 }
                 c.policy.default_sender = v;
               }});
  s.push_back(policy_int<std::size_t>(
      "max-sms-segments",
      "most SMS parts one rendered message may cost (GSM-7: 160 characters in one, 153 per "
      "part; UCS-2: 70 and 67)",
      p.max_sms_segments, 1, 10, [](OtpPolicy& o, std::size_t v) { o.max_sms_segments = v; }));
  s.push_back({"blocked-sender-ids",
               "comma-separated sender names (from / sender_id) refused, case-insensitively", "",
               false,
               [](Config& c, const std::string& v) { c.policy.blocked_senders = comma_list(v); }});
  add_ussd_settings(s);
  add_delivery_settings(s);
  return s;
}

std::string json_scalar_text(const std::string& key, const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer()) return value.dump();
  throw ConfigError("config file: \"" + key + "\" must be a string, number or boolean");
}

}  // namespace

const std::vector<Setting>& all_settings() {
  static const std::vector<Setting> settings = build_settings();
  return settings;
}

std::string env_var_name(const std::string& setting_name) {
  std::string name = "USSD_OTP_";
  for (char c : setting_name) name += c == '-' ? '_' : text::ascii_upper(c);
  return name;
}

std::filesystem::path Config::effective_server_key_file() const {
  if (!server_key_file.empty()) return server_key_file;
  return db.parent_path() / "server.key";
}

Config resolve_config(const std::map<std::string, std::string>& flags,
                      const std::function<std::optional<std::string>(const std::string&)>& getenv,
                      const std::optional<std::filesystem::path>& config_file) {
  Config config;
  std::map<std::string, const Setting*> by_name;
  for (const Setting& setting : all_settings()) {
    by_name[setting.name] = &setting;
    std::string underscored = setting.name;
    std::replace(underscored.begin(), underscored.end(), '-', '_');
    by_name[underscored] = &setting;
  }

  if (config_file) {
    std::ifstream in(*config_file);
    if (!in) throw ConfigError("config file " + config_file->string() + ": cannot be read");
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw ConfigError("config file " + config_file->string() + ": not valid JSON (" + e.what() +
                        ")");
    }
    if (!doc.is_object()) throw ConfigError("config file: must hold a JSON object");
    for (const auto& [key, value] : doc.items()) {
      auto found = by_name.find(key);
      if (found == by_name.end()) throw ConfigError("config file: unknown setting \"" + key + "\"");
      found->second->apply(config, json_scalar_text(key, value));
    }
  }
  for (const Setting& setting : all_settings()) {
    if (auto value = getenv(env_var_name(setting.name))) setting.apply(config, *value);
  }
  for (const auto& [name, value] : flags) {
    auto found = by_name.find(name);
    if (found == by_name.end()) throw ConfigError("unknown option --" + name);
    found->second->apply(config, value);
  }
  return config;
}

}  // namespace ussd_otp
