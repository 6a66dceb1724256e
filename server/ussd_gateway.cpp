// Sessions, lookups and reveals around the pure menu; one write transaction per step.
#include "server/ussd_gateway.hpp"

#include <algorithm>

#include "menus/dial_string.hpp"
#include "otp/types.hpp"

namespace ussd_otp {
namespace {

constexpr std::string_view kLookupScope = "ussd_lookup";

// The menu's view of codes, inside the step's transaction.
class TransactionCodes final : public SubscriberCodes {
 public:
  TransactionCodes(OtpStoreTransaction& tx, const CodeVault& vault, const RateLimitRule& limit,
                   UnixSeconds now)
      : tx_(tx), vault_(vault), limit_(limit), now_(now) {}

  std::optional<std::int64_t> charge_lookup(const PhoneNumber& dialer) override {
    if (limit_.limit <= 0) return std::nullopt;
    const RateWindows windows = rate_windows(limit_, now_);
    const std::string& key = dialer.e164_digits();
    const RateDecision decision =
        decide_rate(limit_, now_, tx_.rate_count(kLookupScope, key, windows.previous_start),
                    tx_.rate_count(kLookupScope, key, windows.current_start));
    if (!decision.allowed) return decision.retry_after;
    tx_.rate_increment(kLookupScope, key, windows.current_start);
    return std::nullopt;
  }

  std::vector<ActiveCodeSummary> active_codes(const PhoneNumber& owner) override {
    std::vector<ActiveCodeSummary> out;
    for (const OtpRecord& otp : tx_.active_otps_for_phone(owner.e164_digits(), now_)) {
      out.push_back({otp.id, otp.sender, otp.expires_at});
    }
    return out;
  }

  std::optional<RevealedCode> reveal(const PhoneNumber& owner, std::string_view otp_id) override {
    const auto otp = tx_.find_otp(otp_id);
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
  const RateLimitRule& limit_;
  UnixSeconds now_;
};

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
      settings_(std::move(settings)) {
  // Fail at startup, not on a subscriber's screen.
  (void)catalog_.language(settings_.default_language);
  for (const auto& [code, language] : settings_.language_by_service_code) {
    (void)catalog_.language(language);
  }
  for (const auto& [prefix, language] : settings_.language_by_prefix) {
    (void)catalog_.language(language);
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

UssdAnswer UssdGateway::handle(const UssdRequest& request) {
  const UnixSeconds now = clock_.now();
  const auto dialer = PhoneNumber::parse(request.msisdn, settings_.menu.phone_rules);

  // Which of our codes was dialled, and what was typed after it. Aggregators put the extra
  // digits in different places: the forwarded dial string, the service code, or the path.
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
  auto match = match_service_code(settings_.service_codes, dialled);
  if (!match) match = DialMatch{canonical_service_code(settings_.service_codes.front()), {}};
  match->prefilled.insert(match->prefilled.begin(), request.prefilled.begin(),
                          request.prefilled.end());

  MenuSettings menu = settings_.menu;
  menu.service_code = match->service_code;
  if (request.screen_limit > 0)
    menu.screen_limit = std::min(menu.screen_limit, request.screen_limit);
  const std::string language =
      language_for(match->service_code, dialer ? dialer->e164_digits() : "");
  const Messages& messages = catalog_.language(language);

  UssdAnswer answer;
  store_.write([&](OtpStoreTransaction& tx) {
    auto existing = tx.find_ussd_session(request.dialect, request.session_id);
    const bool open = existing && !existing->ended_at &&
                      existing->last_seen_at + settings_.session_idle_seconds > now;
    UssdSession session = existing.value_or(UssdSession{});
    if (!existing) {
      session.dialect = request.dialect;
      session.id = request.session_id;
      session.created_at = now;
    }
    session.msisdn = dialer ? dialer->e164_digits() : request.msisdn;
    session.service_code = match->service_code;
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
      tx.save_ussd_session(session);
      answer = ended("", session);
      return;
    }
    if (!dialer) {
      // The aggregator vouches for the MSISDN; without a valid one there is no trust anchor.
      session.ended_at = now;
      session.end_reason = ussd_end::kMenu;
      tx.save_ussd_session(session);
      answer = ended(final_screen(messages, menu, MessageId::Unavailable), session);
      return;
    }

    TransactionCodes codes(tx, vault_, settings_.lookup_limit, now);
    const MenuContext ctx{messages, menu, codes, *dialer, now};
    std::optional<MenuReply> reply;
    const auto state = open ? MenuState::decode(session.state) : std::nullopt;
    const bool path_restarts = request.path && request.path->empty();
    if (request.phase == UssdPhase::Begin ||
        (request.phase == UssdPhase::Unknown && (!existing || path_restarts))) {
      // A new session (or, for path dialects, one whose row is gone, e.g. after a restart:
      // replaying the whole path rebuilds the state).
      reply = begin_menu(ctx, match->prefilled);
      session.created_at = existing && open ? session.created_at : now;
    } else if (state && request.phase == UssdPhase::Unknown && request.path) {
      const std::string input = request.path->empty() ? "" : request.path->back();
      reply = continue_menu(ctx, *state, input);
    } else if (state) {
      reply = continue_menu(ctx, *state, request.input);
    } else {
      session.ended_at = session.ended_at.value_or(now);
      if (session.end_reason.empty()) session.end_reason = ussd_end::kIdle;
      tx.save_ussd_session(session);
      answer = ended(final_screen(messages, menu, MessageId::SessionExpired), session);
      return;
    }

    if (reply->revealed_otp_id) {
      tx.add_event(*reply->revealed_otp_id, event::kUssdViewed, now,
                   request.dialect + " session " + request.session_id);
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
    tx.save_ussd_session(session);
    answer = UssdAnswer{std::move(reply->text), reply->end, session.id, language};
  });
  return answer;
}

void UssdGateway::record_report(const UssdRequest& request, std::string_view status,
                                std::string_view report_json) {
  const UnixSeconds now = clock_.now();
  const auto msisdn = PhoneNumber::parse(request.msisdn, settings_.menu.phone_rules);
  store_.write([&](OtpStoreTransaction& tx) {
    UssdSession session =
        tx.find_ussd_session(request.dialect, request.session_id).value_or(UssdSession{});
    if (session.id.empty()) {
      session.dialect = request.dialect;
      session.id = request.session_id;
      session.created_at = now;
      session.msisdn = msisdn ? msisdn->e164_digits() : request.msisdn;
      session.service_code = canonical_service_code(request.service_code);
      session.network = request.network;
    }
    session.last_seen_at = now;
    if (!session.ended_at) {
      session.ended_at = now;
      session.end_reason = status;
    }
    session.state.clear();
    session.report = std::string(report_json);
    tx.save_ussd_session(session);
  });
}

std::size_t UssdGateway::sweep(std::size_t limit) {
  const UnixSeconds now = clock_.now();
  std::size_t touched = 0;
  store_.write([&](OtpStoreTransaction& tx) {
    touched += tx.end_idle_ussd_sessions(now - settings_.session_idle_seconds, now, limit);
    touched += tx.purge_ussd_sessions_before(now - settings_.session_retention_seconds, limit);
  });
  return touched;
}

}  // namespace ussd_otp
