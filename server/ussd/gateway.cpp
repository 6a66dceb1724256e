// Sessions, lookups and reveals around the pure menu; one write transaction per step.
#include "server/ussd/gateway.hpp"

#include <algorithm>

#include "menus/dial_string.hpp"
#include "otp/types.hpp"
#include "otp/webhook_events.hpp"
#include "server/http/logging.hpp"

namespace ussd_otp {
namespace {

constexpr std::string_view kLookupScope = "ussd_lookup";

// The menu's view of codes: reads inside the step's read transaction, the lookup limit in memory,
// and whatever must be written collected for the write-behind queue.
class StepCodes final : public SubscriberCodes {
 public:
  StepCodes(OtpStoreTransaction& tx, const CodeVault& vault, LookupLimiter& limiter,
            const RateLimitRule& limit, std::vector<WriteBehind::Write>& writes, UnixSeconds now)
      : tx_(tx), vault_(vault), limiter_(limiter), limit_(limit), writes_(writes), now_(now) {}

  std::optional<std::int64_t> charge_lookup(const PhoneNumber& dialer) override {
    if (limit_.limit <= 0) return std::nullopt;
    const std::string key = dialer.e164_digits();
    const auto counted = limiter_.charge(key, limit_, now_);
    if (!counted.allowed) return counted.retry_after;
    // Persisted so a restart keeps counting; memory is what this process decides by.
    writes_.push_back([key, window = counted.window_start](OtpStoreTransaction& tx) {
      tx.rate_increment(kLookupScope, key, window);
    });
    return std::nullopt;
  }

  std::vector<ActiveCodeSummary> active_codes(const PhoneNumber& owner) override {
    seen_ = tx_.active_otps_for_phone(owner.e164_digits(), now_);
    std::vector<ActiveCodeSummary> out;
    for (const OtpRecord& otp : seen_) out.push_back({otp.id, otp.sender, otp.expires_at});
    return out;
  }

  std::optional<RevealedCode> reveal(const PhoneNumber& owner, std::string_view otp_id) override {
    // Usually one just listed, in this same read transaction; else (a later step) read it.
    const auto listed = std::find_if(seen_.begin(), seen_.end(),
                                     [&](const OtpRecord& otp) { return otp.id == otp_id; });
    const auto otp =
        listed != seen_.end() ? std::optional<OtpRecord>(*listed) : tx_.find_otp(otp_id);
    if (!otp || otp->phone != owner.e164_digits() ||
        effective_status(*otp, now_) != OtpStatus::Pending) {
      return std::nullopt;
    }
    auto code = vault_.open(otp->id, otp->code_ciphertext);
    if (!code) return std::nullopt;  // sealed under another server key: nothing to show
    return RevealedCode{otp->id, otp->sender, std::move(*code), otp->expires_at};
  }

 private:
  OtpStoreTransaction& tx_;
  const CodeVault& vault_;
  LookupLimiter& limiter_;
  const RateLimitRule& limit_;
  std::vector<WriteBehind::Write>& writes_;
  UnixSeconds now_;
  std::vector<OtpRecord> seen_;
};

std::string session_key(std::string_view dialect, std::string_view id) {
  std::string key(dialect);
  key += '\n';  // dialect names never contain one
  key += id;
  return key;
}

WriteBehind::Options write_behind_options(const UssdGatewaySettings& settings) {
  WriteBehind::Options options;
  options.interval = settings.write_behind_interval;
  options.max_pending = settings.write_behind_max_pending;
  return options;
}

UssdAnswer ended(std::string text, const UssdSession& session) {
  return UssdAnswer{std::move(text), true, session.id, session.language};
}

}  // namespace

UssdGateway::UssdGateway(OtpStore& store, const Clock& clock, const CodeVault& vault,
                         MessageCatalog catalog, UssdGatewaySettings settings)
    : store_(store),
      clock_(clock),
      vault_(vault),
      catalog_(std::move(catalog)),
      settings_(std::move(settings)),
      writer_(store, write_behind_options(settings_),
              [](const std::string& what, std::size_t dropped) {
                log_event(dropped > 0 ? spdlog::level::err : spdlog::level::warn,
                          "ussd.write_behind_failed", {{"error", what}, {"dropped", dropped}});
              }) {
  // Fail at startup, not on a subscriber's screen.
  (void)catalog_.language(settings_.default_language);
  for (const auto& [code, language] : settings_.language_by_service_code) {
    (void)catalog_.language(language);
  }
  for (const auto& [prefix, language] : settings_.language_by_prefix) {
    (void)catalog_.language(language);
  }
  // Lookups counted before a restart still count.
  const UnixSeconds now = clock_.now();
  const RateLimitRule& rule = settings_.lookup_limit;
  if (rule.limit > 0) {
    store_.read([&](OtpStoreTransaction& tx) {
      for (const auto& row :
           tx.rate_counts_since(kLookupScope, rate_windows(rule, now).previous_start)) {
        limiter_.warm(row.key, rule, now, row.window_start, row.count);
      }
    });
  }
}

std::string UssdGateway::language_for(std::string_view canonical_service_code,
                                      std::string_view msisdn_digits) const {
  if (const auto it = settings_.language_by_service_code.find(std::string(canonical_service_code));
      it != settings_.language_by_service_code.end()) {
    return it->second;
  }
  // The longest matching country prefix wins ("1" vs "1876").
  std::string best = settings_.default_language;
  std::size_t best_length = 0;
  for (const auto& [prefix, language] : settings_.language_by_prefix) {
    if (prefix.size() > best_length && msisdn_digits.starts_with(prefix)) {
      best = language;
      best_length = prefix.size();
    }
  }
  return best;
}

std::string UssdGateway::unavailable_screen(const UssdRequest& request) const {
  const auto msisdn = PhoneNumber::parse(request.msisdn, settings_.menu.phone_rules);
  const std::string language = language_for(canonical_service_code(request.service_code),
                                            msisdn ? msisdn->e164_digits() : "");
  return final_screen(catalog_.language(language), settings_.menu, MessageId::Unavailable);
}

DialMatch dialled_match(const UssdRequest& request, std::span<const std::string> service_codes) {
  // Aggregators put the extra digits in different places: the forwarded dial string, the
  // service code, or the path.
  std::string dialled = request.service_code;
  if (request.phase == UssdPhase::Begin && looks_like_dial_string(request.input)) {
    dialled = request.input;
  }
  if (request.path) {
    dialled = canonical_service_code(dialled);
    dialled.pop_back();  // the '#': the path's segments follow the code's
    for (const std::string& segment : *request.path) dialled += "*" + segment;
    dialled += "#";
  }
  auto match = match_service_code(service_codes, dialled);
  if (!match) match = DialMatch{canonical_service_code(service_codes.front()), {}};
  match->prefilled.insert(match->prefilled.begin(), request.prefilled.begin(),
                          request.prefilled.end());
  return std::move(*match);
}

UssdAnswer UssdGateway::handle(const UssdRequest& request) {
  const UnixSeconds now = clock_.now();
  const auto dialer = PhoneNumber::parse(request.msisdn, settings_.menu.phone_rules);

  const DialMatch match = dialled_match(request, settings_.service_codes);

  MenuSettings menu = settings_.menu;
  menu.service_code = match.service_code;
  if (request.screen_limit > 0)
    menu.screen_limit = std::min(menu.screen_limit, request.screen_limit);
  const std::string language =
      language_for(match.service_code, dialer ? dialer->e164_digits() : "");
  const Messages& messages = catalog_.language(language);

  const std::string key = session_key(request.dialect, request.session_id);
  // One step of a session at a time (an aggregator's retry may overlap the original): from
  // reading its state to queueing its row, so memory and the database agree on the order.
  std::lock_guard step_lock(step_lock_for(key));
  const SessionCache::Entry cached = sessions_.find(key);
  std::optional<UssdSession> existing;
  if (cached) existing = *cached;
  std::vector<WriteBehind::Write> writes;
  struct Step {
    UssdAnswer answer;
    UssdSession session;  // as it stands after this step
    bool unreadable_msisdn = false;
  };
  // Reads only: every write of the step is queued for the write-behind batch (see below).
  Step step = store_.read([&](OtpStoreTransaction& tx) -> Step {
    // Not in memory: another process answered before, or this one restarted.
    if (!existing) existing = tx.find_ussd_session(request.dialect, request.session_id);
    const bool open = existing && !existing->ended_at &&
                      existing->last_seen_at + settings_.session_idle_seconds > now;
    UssdSession session = existing.value_or(UssdSession{});
    if (!existing) {
      session.dialect = request.dialect;
      session.id = request.session_id;
      session.created_at = now;
    }
    session.msisdn = dialer ? dialer->e164_digits() : request.msisdn;
    session.service_code = match.service_code;
    session.language = language;
    if (!request.network.empty()) session.network = request.network;
    session.last_seen_at = now;
    ++session.steps;

    if (request.phase == UssdPhase::Released || request.phase == UssdPhase::TimedOut) {
      if (!session.ended_at) {
        session.ended_at = now;
        session.end_reason =
            request.phase == UssdPhase::Released ? ussd_end::kReleased : ussd_end::kTimedOut;
      }
      session.state.clear();
      return Step{ended("", session), std::move(session)};
    }
    if (!dialer) {
      // The aggregator vouches for the MSISDN; without a valid one there is no trust anchor. Its
      // own outcome and screen: "Service unavailable" here would read as an outage to monitoring
      // (and to the subscriber), when it is one aggregator's or one subscriber's data.
      session.ended_at = now;
      session.end_reason = ussd_end::kInvalidMsisdn;
      session.state.clear();
      return Step{ended(final_screen(messages, menu, MessageId::InvalidMsisdn), session),
                  std::move(session), true};
    }

    StepCodes codes(tx, vault_, limiter_, settings_.lookup_limit, writes, now);
    const MenuContext ctx{messages, menu, codes, *dialer, now};
    std::optional<MenuReply> reply;
    const auto state = open ? MenuState::decode(session.state) : std::nullopt;
    const bool path_restarts = request.path && request.path->empty();
    if (request.phase == UssdPhase::Begin ||
        (request.phase == UssdPhase::Unknown && (!existing || path_restarts))) {
      // A new session (or, for path dialects, one whose row is gone, e.g. after a restart:
      // replaying the whole path rebuilds the state).
      reply = begin_menu(ctx, match.prefilled);
      session.created_at = existing && open ? session.created_at : now;
    } else if (state && request.phase == UssdPhase::Unknown && request.path) {
      const std::string input = request.path->empty() ? "" : request.path->back();
      reply = continue_menu(ctx, *state, input);
    } else if (state) {
      reply = continue_menu(ctx, *state, request.input);
    } else {
      session.ended_at = session.ended_at.value_or(now);
      if (session.end_reason.empty()) session.end_reason = ussd_end::kIdle;
      return Step{ended(final_screen(messages, menu, MessageId::SessionExpired), session),
                  std::move(session)};
    }

    if (reply->revealed_otp_id) {
      writes.push_back(
          [otp_id = *reply->revealed_otp_id, now, dialect = request.dialect,
           detail = request.dialect + " session " + request.session_id](OtpStoreTransaction& tx) {
            tx.add_event(otp_id, event::kUssdViewed, now, detail);
            WebhookEventDetails viewed;
            viewed.channel = "ussd:" + dialect;
            queue_webhook_event(tx, otp_id, event::kUssdViewed, now, viewed);
          });
    }
    session.tries = reply->next.invalid_entries;
    if (reply->end) {
      session.ended_at = now;
      session.end_reason = ussd_end::kMenu;
      session.state.clear();
    } else {
      session.ended_at.reset();
      session.end_reason.clear();
      session.state = reply->next.encode();
    }
    return Step{UssdAnswer{std::move(reply->text), reply->end, session.id, language},
                std::move(session)};
  });

  if (step.unreadable_msisdn) {
    // A ussd.* event like ussd.rejected and ussd.step_failed, so it can be counted apart from
    // failures; with what was sent, cut short (the reason to look is usually its format).
    log_event(spdlog::level::warn, "ussd.invalid_msisdn",
              {{"dialect", request.dialect},
               {"session", request.session_id},
               {"msisdn", request.msisdn.substr(0, 32)},
               {"outcome", ussd_end::kInvalidMsisdn}});
  }
  // Memory answers the session's next step; the database gets it within one write-behind batch.
  auto stored = std::make_shared<const UssdSession>(std::move(step.session));
  writes.push_back([stored](OtpStoreTransaction& tx) { tx.save_ussd_session(*stored); });
  write_later(std::move(writes));  // first: if it must write now and fails, memory stays as it was
  sessions_.put(key, stored);
  return step.answer;
}

std::mutex& UssdGateway::step_lock_for(const std::string& key) {
  return step_locks_[std::hash<std::string>{}(key) % step_locks_.size()];
}

void UssdGateway::write_later(std::vector<WriteBehind::Write> writes) {
  if (writer_.enqueue(writes)) return;
  // The queue is full (the database has been unwritable for a while): write now, so a failure
  // reaches this request as the polite "unavailable" screen instead of losing the writes.
  store_.write([&](OtpStoreTransaction& tx) {
    for (const auto& write : writes) write(tx);
  });
}

void UssdGateway::flush() {
  writer_.flush();
}

UssdGateway::Stats UssdGateway::stats() const {
  return Stats{writer_.pending(), writer_.dropped(), sessions_.size()};
}

void UssdGateway::record_report(const UssdRequest& request, std::string_view status,
                                std::string_view report_json) {
  const UnixSeconds now = clock_.now();
  const auto msisdn = PhoneNumber::parse(request.msisdn, settings_.menu.phone_rules);
  const std::string key = session_key(request.dialect, request.session_id);
  std::lock_guard step_lock(step_lock_for(key));
  // The session is over: a late step must find it ended.
  if (const SessionCache::Entry cached = sessions_.find(key)) {
    auto ended = std::make_shared<UssdSession>(*cached);
    if (!ended->ended_at) {
      ended->ended_at = now;
      ended->end_reason = std::string(status);
    }
    ended->state.clear();
    sessions_.put(key, std::move(ended));
  }
  // Queued behind the session's own rows (one queue, in order), so it lands on its last step
  // without waiting for the database here.
  UssdSession fresh;
  fresh.dialect = request.dialect;
  fresh.id = request.session_id;
  fresh.created_at = now;
  fresh.msisdn = msisdn ? msisdn->e164_digits() : request.msisdn;
  fresh.service_code = canonical_service_code(request.service_code);
  fresh.network = request.network;
  std::vector<WriteBehind::Write> writes;
  writes.push_back([fresh, now, status = std::string(status),
                    report = std::string(report_json)](OtpStoreTransaction& tx) {
    UssdSession session = tx.find_ussd_session(fresh.dialect, fresh.id).value_or(fresh);
    session.last_seen_at = now;
    if (!session.ended_at) {
      session.ended_at = now;
      session.end_reason = status;
    }
    session.state.clear();
    session.report = report;
    tx.save_ussd_session(session);
  });
  write_later(std::move(writes));
}

std::size_t UssdGateway::sweep(std::size_t limit) {
  const UnixSeconds now = clock_.now();
  // Written first, so memory may forget what the database now holds. While the database cannot
  // be written, memory is all there is: keep it, and do not hold the sweeper forever.
  if (!writer_.flush_for(std::chrono::seconds(5))) return 0;
  sessions_.evict(now - settings_.session_idle_seconds, now - 2);
  limiter_.evict_before(now - 2 * settings_.lookup_limit.window_seconds);
  return store_.write([&](OtpStoreTransaction& tx) {
    const std::size_t ended_idle =
        tx.end_idle_ussd_sessions(now - settings_.session_idle_seconds, now, limit);
    return ended_idle +
           tx.purge_ussd_sessions_before(now - settings_.session_retention_seconds, limit);
  });
}

}  // namespace ussd_otp
