// Command-line parsing (CLI11), signal handling and the key-management commands.
#include "server/app/cli.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>

#include "otp/codes.hpp"
#include "otp/text.hpp"
#include "otp/webhook_events.hpp"
#include "server/api/getotp_api.hpp"
#include "server/app/application.hpp"
#include "server/http/json_body.hpp"
#include "server/http/logging.hpp"

namespace ussd_otp {
namespace {

// Options every subcommand shares: the settings table, each also read from the environment.
struct SettingOptions {
  std::map<std::string, std::string> values;
  std::map<std::string, CLI::Option*> options;
  std::map<std::string, bool> flags;  // settings that take no value (--dev, ...)
  std::string config_file;
};

void add_setting_options(CLI::App& command, SettingOptions& holder, bool all) {
  command.add_option("--config", holder.config_file,
                     "JSON file of settings (keys as below, e.g. {\"listen\": \"0.0.0.0:8080\"}); "
                     "env USSD_OTP_CONFIG");
  for (const Setting& setting : all_settings()) {
    // Key commands open the database, and seal webhook secrets with the server key.
    if (!all && setting.name != "db" && setting.name != "log-level" &&
        setting.name != "server-key" && setting.name != "server-key-file") {
      continue;
    }
    const std::string help =
        setting.help + " [env " + env_var_name(setting.name) + "]" +
        (setting.default_value.empty() ? "" : " (default " + setting.default_value + ")");
    if (setting.is_flag) {
      holder.options[setting.name] =
          command.add_flag("--" + setting.name, holder.flags[setting.name], help);
    } else {
      holder.options[setting.name] =
          command.add_option("--" + setting.name, holder.values[setting.name], help);
    }
  }
}

Config resolve(const SettingOptions& holder) {
  std::map<std::string, std::string> given;
  for (const auto& [name, option] : holder.options) {
    if (option->count() == 0) continue;
    const auto flag = holder.flags.find(name);
    given[name] =
        flag != holder.flags.end() ? (flag->second ? "true" : "false") : holder.values.at(name);
  }
  std::optional<std::filesystem::path> file;
  if (!holder.config_file.empty()) {
    file = holder.config_file;
  } else if (const char* env = std::getenv("USSD_OTP_CONFIG"); env && *env) {
    file = env;
  }
  return resolve_config(
      given,
      [](const std::string& name) -> std::optional<std::string> {
        if (const char* value = std::getenv(name.c_str())) return std::string(value);
        return std::nullopt;
      },
      file);
}

// Dev mode prints a usable API key on every start; the key file keeps it stable across runs.
std::string ensure_dev_api_key(SqliteStore& store, const Config& config) {
  const std::filesystem::path file = config.db.parent_path() / "dev-api-key";
  {
    std::ifstream in(file);
    std::string saved;
    if (in >> saved && store.find_api_key_by_hash(hash_api_key(saved))) return saved;
  }
  store.delete_api_key("dev");
  NewApiKey key = generate_api_key();
  if (!store.create_api_key("dev", key.prefix, key.hash, SystemClock().now())) {
    throw std::runtime_error("could not create the dev API key");
  }
  std::filesystem::remove(file);
  const int fd = ::open(file.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
  if (fd >= 0) {
    const std::string line = key.key + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!written) throw std::runtime_error("could not write " + file.string());
  }
  return key.key;
}

int serve(const Config& config) {
  configure_logging(config.log_format == "json" ? LogFormat::Json : LogFormat::Text,
                    config.log_level);
  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Application app(config);
  std::string dev_key;
  if (config.dev) dev_key = ensure_dev_api_key(app.store(), config);
  app.start();
  std::cout << "ussd-otp-server listening on " << app.base_url() << std::endl;
  if (config.dev) {
    std::cout << "dev mode: dev inbox at " << app.base_url() << "/dev/inbox?phone=...\n"
              << "dev API key: " << dev_key << std::endl;
  }
  int received = 0;
  sigwait(&stop_signals, &received);
  log_event(spdlog::level::info, "server.stopping",
            {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  return app.stop() ? 0 : 1;
}

std::string format_time(std::optional<UnixSeconds> at) {
  return at ? iso8601(*at) : "-";
}

// Budget options as typed ("" when not given); throws ConfigError on a bad value.
BudgetChange budget_change(const std::string& daily_sends, const std::string& budget) {
  BudgetChange change;
  auto parse = [](const char* option, const std::string& text) {
    std::optional<SendLimit> limit = parse_send_limit(text);
    if (!limit) {
      throw ConfigError(std::string(option) +
                        ": must be a whole number from 0 to 10^12, or unlimited (got \"" + text +
                        "\")");
    }
    return *limit;
  };
  if (!daily_sends.empty()) change.daily_limit = parse("--daily-sends", daily_sends);
  if (!budget.empty()) change.balance = parse("--budget", budget);
  return change;
}

std::string format_limit(const std::optional<std::int64_t>& limit) {
  return limit ? std::to_string(*limit) : "unlimited";
}

// "3/100 today, 97 left" style summary for `keys list`.
std::string format_budget(const std::optional<SendBudget>& budget, UnixSeconds now) {
  if (!budget) return "unlimited";
  const std::int64_t today = budget->day == now / 86400 ? budget->sent_today : 0;
  std::string text = "daily " + std::to_string(today) + "/" + format_limit(budget->daily_limit);
  text += ", balance " + format_limit(budget->balance);
  return text;
}

// Checks --url / --webhook-url; throws ConfigError (exit 2) for anything but an http(s) URL.
void check_webhook_url(const char* option, const std::string& url) {
  if (auto problem = webhook_url_problem(url)) {
    throw ConfigError(std::string(option) + ": " + *problem + " (got \"" + url + "\")");
  }
}

// Generates, seals and stores a webhook secret for this key; returns the secret.
std::string set_webhook(SqliteStore& store, const Config& config, std::int64_t key_id,
                        const std::string& url) {
  std::optional<std::string> secret =
      install_webhook(store, CodeVault(load_server_key(config)), key_id, url);
  if (!secret) throw std::runtime_error("the key disappeared while its webhook was set");
  return *secret;
}

constexpr const char* kSecretNotice =
    "Store this webhook secret now: it is shown only once. Check the X-Ussd-Otp-Signature "
    "header of each webhook with it (docs/webhooks.md).\n";

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"ussd-otp-server: one-time passwords over HTTP, readable over USSD"};
  app.require_subcommand(1);
  SettingOptions serve_options, keys_options, templates_options;

  CLI::App* serve_command = app.add_subcommand("serve", "run the HTTP server");
  add_setting_options(*serve_command, serve_options, true);

  CLI::App* keys = app.add_subcommand("keys", "manage API keys");
  add_setting_options(*keys, keys_options, false);
  keys->require_subcommand(1);
  std::string name;
  std::string daily_sends;
  std::string budget;
  const std::string daily_help =
      "sends per UTC day (a number, 0 disables sending, or unlimited); default unlimited";
  const std::string budget_help =
      "remaining balance of sends (a number, 0 disables sending, or unlimited); default unlimited";
  CLI::App* create = keys->add_subcommand("create", "create a key and print it once");
  create->add_option("--name", name, "a unique name for the key")->required();
  create->add_option("--daily-sends", daily_sends, daily_help);
  create->add_option("--budget", budget, budget_help);
  std::string webhook_url;
  create->add_option("--webhook-url", webhook_url,
                     "http(s) URL that gets this key's OTP events (prints a signing secret once)");
  create->fallthrough();  // --db and --config may follow the subcommand
  keys->add_subcommand("list", "list keys: name, prefix, created, last used, revoked")
      ->fallthrough();
  CLI::App* revoke = keys->add_subcommand("revoke", "revoke a key by name");
  revoke->add_option("name", name, "the key's name")->required();
  revoke->fallthrough();
  CLI::App* set_budget =
      keys->add_subcommand("set-budget", "change a key's daily cap and/or remaining balance");
  set_budget->add_option("name", name, "the key's name")->required();
  set_budget->add_option("--daily-sends", daily_sends, daily_help);
  set_budget->add_option("--budget", budget, budget_help);
  set_budget->fallthrough();
  CLI::App* set_webhook_command = keys->add_subcommand(
      "set-webhook", "set a key's webhook URL (prints a new signing secret once) or --clear it");
  set_webhook_command->add_option("name", name, "the key's name")->required();
  CLI::Option* url_option =
      set_webhook_command->add_option("--url", webhook_url, "http(s) URL; \"\" removes it");
  bool clear_webhook = false;
  CLI::Option* clear_option =
      set_webhook_command->add_flag("--clear", clear_webhook, "remove the key's webhook");
  url_option->excludes(clear_option);
  set_webhook_command->fallthrough();

  CLI::App* templates = app.add_subcommand(
      "templates", "manage an API key's stored SMS templates (GetOTP's `template` UUIDs)");
  add_setting_options(*templates, templates_options, false);
  templates->require_subcommand(1);
  std::string key_name;
  std::string template_text;
  std::string template_id;
  CLI::App* template_create =
      templates->add_subcommand("create", "store a template (must contain {code}); prints its id");
  template_create->add_option("--key", key_name, "the API key's name")->required();
  template_create->add_option("--text", template_text, "the SMS text, with {code}")->required();
  std::string chosen_template_id;
  template_create->add_option("--id", chosen_template_id,
                              "a UUID to store it under (e.g. the one your GetOTP code already "
                              "sends); default: a new random one");
  template_create->fallthrough();
  CLI::App* template_list = templates->add_subcommand("list", "list a key's templates");
  template_list->add_option("--key", key_name, "the API key's name")->required();
  template_list->fallthrough();
  CLI::App* template_delete = templates->add_subcommand("delete", "delete a template by id");
  template_delete->add_option("id", template_id, "the template's UUID")->required();
  template_delete->add_option("--key", key_name, "the API key's name")->required();
  template_delete->fallthrough();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*serve_command) return serve(resolve(serve_options));

    const Config config = resolve(*templates ? templates_options : keys_options);
    configure_logging(LogFormat::Text, config.log_level);
    ensure_sodium_initialized();
    SqliteStore store(sqlite_options(config));
    const UnixSeconds now = SystemClock().now();
    if (*templates) {
      std::optional<ApiKeyRecord> key = store.find_api_key_by_name(key_name);
      if (!key || key->revoked_at) {
        std::cerr << "error: no active key named \"" << key_name << "\"\n";
        return 1;
      }
      if (*template_create) {
        if (auto problem =
                getotp_template_problem(template_text, config.policy.max_message_length)) {
          std::cerr << "error: --text " << *problem << "\n";
          return 1;
        }
        std::string id = chosen_template_id.empty() ? generate_uuid() : chosen_template_id;
        if (!is_uuid(id)) {
          std::cerr << "error: --id must be a UUID (8-4-4-4-12 hex digits)\n";
          return 1;
        }
        // Requests name templates in any case; they are stored in lower case.
        id = text::ascii_lower(id);
        try {
          store.create_template({id, key->id, template_text, now});
        } catch (const std::exception&) {
          // The id is the table's primary key: another template (of any key) has it.
          std::cerr << "error: a template with id " << id << " already exists\n";
          return 1;
        }
        std::cout << id << "\n";
        return 0;
      }
      if (*template_delete) {
        if (!store.delete_template(key->id, template_id)) {
          std::cerr << "error: key \"" << key_name << "\" has no template " << template_id << "\n";
          return 1;
        }
        std::cout << "deleted " << template_id << "\n";
        return 0;
      }
      std::printf("%-36s %-21s %s\n", "ID", "CREATED", "TEXT");
      for (const MessageTemplateRecord& t : store.list_templates(key->id)) {
        std::printf("%-36s %-21s %s\n", t.id.c_str(), format_time(t.created_at).c_str(),
                    t.text.c_str());
      }
      return 0;
    }
    if (*create) {
      const BudgetChange change = budget_change(daily_sends, budget);  // checked before creating
      if (!webhook_url.empty()) check_webhook_url("--webhook-url", webhook_url);
      NewApiKey key = generate_api_key();
      std::optional<std::int64_t> id = store.create_api_key(name, key.prefix, key.hash, now);
      if (!id) {
        std::cerr << "error: a key named \"" << name << "\" already exists\n";
        return 1;
      }
      if (change.daily_limit || change.balance) update_send_budget(store, *id, change, now);
      std::cout << key.key << "\n";
      std::cerr << "Store this key now: it is shown only once (only its hash is kept).\n";
      if (auto created = store.find_api_key_by_name(name)) {
        // Public (not a secret): GetOTP's account_id, /otp/verify's client_id.
        std::cerr << "client id: " << created->client_id << "\n";
      }
      if (!webhook_url.empty()) {
        std::cout << set_webhook(store, config, *id, webhook_url) << "\n";
        std::cerr << kSecretNotice;
      }
      return 0;
    }
    if (*revoke) {
      if (!store.revoke_api_key(name, SystemClock().now())) {
        std::cerr << "error: no active key named \"" << name << "\"\n";
        return 1;
      }
      std::cout << "revoked " << name << "\n";
      return 0;
    }
    if (*set_budget) {
      const BudgetChange change = budget_change(daily_sends, budget);
      if (!change.daily_limit && !change.balance) {
        throw ConfigError("set-budget: give --daily-sends and/or --budget");
      }
      std::optional<ApiKeyRecord> key = store.find_api_key_by_name(name);
      if (!key || key->revoked_at) {
        std::cerr << "error: no active key named \"" << name << "\"\n";
        return 1;
      }
      const SendBudget updated = update_send_budget(store, key->id, change, now);
      std::cout << name << ": " << format_budget(updated, now) << "\n";
      return 0;
    }
    if (*set_webhook_command) {
      if (url_option->count() == 0 && !clear_webhook) {
        throw ConfigError("set-webhook: give --url URL or --clear");
      }
      if (!clear_webhook && !webhook_url.empty()) check_webhook_url("--url", webhook_url);
      std::optional<ApiKeyRecord> key = store.find_api_key_by_name(name);
      if (!key || key->revoked_at) {
        std::cerr << "error: no active key named \"" << name << "\"\n";
        return 1;
      }
      if (clear_webhook || webhook_url.empty()) {
        store.set_api_key_webhook(key->id, "", {});
        std::cout << name << ": webhook removed\n";
        return 0;
      }
      std::cout << set_webhook(store, config, key->id, webhook_url) << "\n";
      std::cerr << name << ": webhook set to " << webhook_url << "\n" << kSecretNotice;
      return 0;
    }
    std::printf("%-24s %-14s %-36s %-21s %-21s %-21s %-34s %s\n", "NAME", "PREFIX", "CLIENT ID",
                "CREATED", "LAST USED", "REVOKED", "BUDGET", "WEBHOOK");
    for (const ApiKeyRecord& key : store.list_api_keys()) {
      std::printf("%-24s %-14s %-36s %-21s %-21s %-21s %-34s %s\n", key.name.c_str(),
                  key.prefix.c_str(), key.client_id.c_str(), format_time(key.created_at).c_str(),
                  format_time(key.last_used_at).c_str(), format_time(key.revoked_at).c_str(),
                  format_budget(read_send_budget(store, key.id), now).c_str(),
                  key.webhook_url.empty() ? "-" : key.webhook_url.c_str());
    }
    return 0;
  } catch (const ConfigError& e) {
    std::cerr << "configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ussd_otp
