// The OTP policy. Each operation is one store transaction; errors are returned, not thrown.
#include "otp/otp_service.hpp"

#include <algorithm>
#include <utility>

#include "otp/codes.hpp"
#include "otp/gsm7.hpp"
#include "otp/message_template.hpp"
#include "otp/text.hpp"
#include "otp/webhook_events.hpp"

namespace ussd_otp {
namespace {

constexpr std::string_view kDummyOtpId = "otp_00000000000000000000000000000000";
constexpr std::size_t kSweepBatch = 500;
constexpr std::size_t kMaxSweepBatches = 20;  // bounds one sweep pass; the next pass continues

Error otp_not_found() {
  return Error::make(ErrorCode::OtpNotFound, "No OTP with this id is open for this API key.");
}

Error validation_error(std::map<std::string, std::string> fields) {
  Error error = Error::make(ErrorCode::ValidationError, "The request has invalid fields.");
  error.fields = std::move(fields);
  return error;
}

// An empty or whitespace-only pin (issue 13 bug 5): refused before any counting.
Error blank_pin_error() {
  return validation_error({{"pin", "must not be empty or blank"}});
}

// The OTP with this id if it belongs to this API key: another key's OTP is as good as unknown.
std::optional<OtpRecord> find_owned(OtpStoreTransaction& tx, std::int64_t api_key_id,
                                    std::string_view otp_id) {
  std::optional<OtpRecord> found = tx.find_otp(otp_id);
  if (found && found->api_key_id != api_key_id) return std::nullopt;
  return found;
}

// Why an OTP can no longer be verified or resent; nullopt while it is pending.
std::optional<Error> not_pending_error(OtpStatus status) {
  switch (status) {
    case OtpStatus::Verified:
    case OtpStatus::Cancelled:
      return otp_not_found();
    case OtpStatus::Expired:
      return Error::make(ErrorCode::OtpExpired, "This OTP has expired; request a new one.");
    case OtpStatus::Locked: {
      Error error = Error::make(ErrorCode::OtpLocked,
                                "Too many wrong codes; this OTP is locked. Request a new one.");
      error.attempts_remaining = 0;
      return error;
    }
    case OtpStatus::Pending:
      break;
  }
  return std::nullopt;
}

int attempts_remaining(const OtpRecord& otp) {
  return std::max(0, otp.max_attempts - otp.failed_attempts);
}

// The OTP's history: "requested" comes from created_at (not stored: one row less per request),
// then the stored events, oldest first.
std::vector<OtpEvent> history(OtpStoreTransaction& tx, const OtpRecord& otp) {
  std::vector<OtpEvent> events{{std::string(event::kRequested), otp.created_at, ""}};
  for (OtpEvent& stored : tx.events(otp.id)) events.push_back(std::move(stored));
  return events;
}

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// The validated, defaulted form of a request.
struct ValidRequest {
  PhoneNumber phone;
  std::string sender;
  std::string message_template;
  PinType pin_type;
  int pin_length;
  int expiry_amount;
  std::string expiry_unit;
  std::int64_t expiry_seconds;
  int max_attempts;
  std::string metadata_json;
  std::string code;  // the caller's code; empty: generate one
  std::string payload;
};

Result<ValidRequest> validate(const OtpRequestInput& input, const OtpPolicy& policy) {
  std::map<std::string, std::string> fields;

  std::optional<PhoneNumber> phone;
  if (input.phone.empty()) {
    fields["phone"] = "is required";
  } else {
    phone = PhoneNumber::parse(input.phone, policy.phone_rules);
  }

  std::string sender = input.sender.value_or(policy.default_sender);
  if (input.sender) {
    if (sender.empty() || sender.size() > policy.max_sender_length || !printable_ascii(sender)) {
      fields["from"] =
          "must be 1-" + std::to_string(policy.max_sender_length) + " printable ASCII characters";
    }
  }

  std::string tmpl = input.message.value_or(std::string(kDefaultMessageTemplate));
  if (auto problem = validate_message_template(tmpl, policy.max_message_length)) {
    fields["message"] = *problem;
  }

  PinType pin_type = PinType::Numeric;
  if (input.code) {
    const PinLengthRange numeric = pin_length_range(PinType::Numeric);
    const bool digits = std::all_of(input.code->begin(), input.code->end(),
                                    [](char c) { return c >= '0' && c <= '9'; });
    const auto size = static_cast<int>(input.code->size());
    if (!digits || size < numeric.min || size > numeric.max) {
      fields["code"] =
          "must be " + std::to_string(numeric.min) + "-" + std::to_string(numeric.max) + " digits";
    }
    if (input.pin_type && input.pin_type != "NUMERIC") fields["pinType"] = "must be NUMERIC";
    if (input.pin_length && *input.pin_length != size) {
      fields["pinLength"] = "must match the code's length";
    }
  } else if (input.pin_type) {
    if (auto parsed = pin_type_from_string(*input.pin_type)) {
      pin_type = *parsed;
    } else {
      fields["pinType"] = "must be NUMERIC, ALPHANUMERIC or ALPHABETIC";
    }
  }
  const PinLengthRange range = pin_length_range(pin_type);
  const int pin_length =
      input.code ? static_cast<int>(input.code->size()) : input.pin_length.value_or(range.fallback);
  if (!input.code && (pin_length < range.min || pin_length > range.max)) {
    fields["pinLength"] = "must be " + std::to_string(range.min) + "-" + std::to_string(range.max) +
                          " for " + std::string(to_string(pin_type));
  }

  const std::string unit = input.expiry_duration.value_or("minutes");
  const int amount = input.expiry_amount.value_or(
      unit == "hours" && !input.expiry_amount ? 1 : policy.default_expiry_minutes);
  std::int64_t expiry_seconds = 0;
  if (unit != "minutes" && unit != "hours") {
    fields["expiry.duration"] = "must be \"minutes\" or \"hours\"";
  } else {
    const std::int64_t minutes = unit == "hours" ? std::int64_t{amount} * 60 : amount;
    if (amount < 1 || minutes > policy.max_expiry_minutes) {
      fields["expiry.amount"] =
          "must give 1-" + std::to_string(policy.max_expiry_minutes) + " minutes in total";
    }
    expiry_seconds = minutes * 60;
  }

  const int max_attempts = input.max_attempts.value_or(policy.default_max_attempts);
  if (max_attempts < 1 || max_attempts > policy.max_max_attempts) {
    fields["maxAttempts"] = "must be 1-" + std::to_string(policy.max_max_attempts);
  }

  // What the first SMS costs, with the longest code and validity text it can carry.
  if (!fields.contains("message") && !fields.contains("pinLength") &&
      !fields.contains("expiry.amount") && !fields.contains("expiry.duration")) {
    const std::string rendered =
        render_message(tmpl, std::string(static_cast<std::size_t>(pin_length), 'W'), amount, unit);
    const SmsSegments cost = sms_segments(rendered);
    if (cost.segments > policy.max_sms_segments) {
      fields["message"] = "renders to " + std::to_string(cost.segments) + " SMS parts (" +
                          (cost.gsm7 ? "GSM-7" : "UCS-2: a character outside GSM-7") +
                          "); at most " + std::to_string(policy.max_sms_segments) + " are allowed";
    }
  }

  const std::string metadata = input.metadata_json.value_or("");
  if (metadata.size() > policy.max_metadata_bytes) {
    fields["metadata"] =
        "must be at most " + std::to_string(policy.max_metadata_bytes) + " bytes as compact JSON";
  }

  const std::string payload = input.payload.value_or("");
  if (payload.size() > policy.max_payload_bytes) {
    fields["payload"] = "must be at most " + std::to_string(policy.max_payload_bytes) + " bytes";
  }

  if (!fields.empty()) return validation_error(std::move(fields));
  if (input.sender && policy.sender_blocked(sender)) {
    return Error::make(ErrorCode::SenderBlocked,
                       "This sender name is blocked by the administrator.");
  }
  if (!phone) {
    return Error::make(ErrorCode::InvalidPhone,
                       "phone must be an international number (+233241234567, 233241234567) or a "
                       "local one (0241234567).");
  }
  if (!policy.phone_allowed(phone->e164_digits())) {
    return Error::make(ErrorCode::CountryNotAllowed,
                       "OTPs may not be sent to this country (see allowed-phone-prefixes).");
  }
  return ValidRequest{*phone,
                      sender,
                      std::move(tmpl),
                      pin_type,
                      pin_length,
                      amount,
                      unit,
                      expiry_seconds,
                      max_attempts,
                      metadata,
                      input.code.value_or(""),
                      payload};
}

// RATE_LIMIT_EXCEEDED when the phone's sends (under `api_key_id`, or every key) in the rolling
// window (now - window, now] already reach the rule's limit; Retry-After is exact: when enough
// of them have left the window for one more to fit.
std::optional<Error> phone_window_error(OtpStoreTransaction& tx,
                                        std::optional<std::int64_t> api_key_id,
                                        std::string_view phone, const RateLimitRule& rule,
                                        UnixSeconds now, std::string_view scope) {
  if (rule.limit <= 0) return std::nullopt;
  const UnixSeconds since = now - rule.window_seconds;
  const std::int64_t sent = tx.count_phone_sends(api_key_id, phone, since);
  if (sent < rule.limit) return std::nullopt;
  const std::optional<UnixSeconds> freeing =
      tx.phone_send_at(api_key_id, phone, since, sent - rule.limit);
  Error error = Error::make(ErrorCode::RateLimitExceeded,
                            "Too many requests (" + std::string(scope) + " limit).");
  error.retry_after = std::max<std::int64_t>(1, freeing.value_or(now) + rule.window_seconds - now);
  return error;
}

Error verify_attempts_exceeded(std::int64_t seconds_left) {
  Error error = Error::make(ErrorCode::VerifyAttemptsExceeded,
                            "Too many verification attempts for this phone; try again later.");
  error.retry_after = std::max<std::int64_t>(1, seconds_left);
  return error;
}

}  // namespace

bool OtpPolicy::phone_allowed(std::string_view e164_digits) const {
  if (!allowed_phone_prefixes) return e164_digits.starts_with(phone_rules.default_country_code);
  if (allowed_phone_prefixes->empty()) return true;
  return std::any_of(allowed_phone_prefixes->begin(), allowed_phone_prefixes->end(),
                     [&](const std::string& prefix) { return e164_digits.starts_with(prefix); });
}

bool OtpPolicy::sender_blocked(std::string_view sender) const {
  return std::any_of(
      blocked_senders.begin(), blocked_senders.end(),
      [&](const std::string& blocked) { return text::equals_ignoring_case(blocked, sender); });
}

OtpService::OtpService(OtpStore& store, const Clock& clock, const CodeVault& vault,
                       OtpPolicy policy)
    : store_(store),
      clock_(clock),
      vault_(vault),
      policy_(std::move(policy)),
      dummy_hash_(vault.hash(kDummyOtpId, "dummy")) {}

std::map<std::string, std::string> OtpService::field_problems(const OtpRequestInput& input) const {
  Result<ValidRequest> valid = validate(input, policy_);
  return valid ? std::map<std::string, std::string>{} : valid.error().fields;
}

std::optional<Error> OtpService::check_rate(OtpStoreTransaction& tx, std::string_view scope,
                                            std::string_view key, const RateLimitRule& rule,
                                            bool count) {
  if (rule.limit <= 0) return std::nullopt;
  const UnixSeconds now = clock_.now();
  const RateWindows windows = rate_windows(rule, now);
  const RateDecision decision =
      decide_rate(rule, now, tx.rate_count(scope, key, windows.previous_start),
                  tx.rate_count(scope, key, windows.current_start));
  if (!decision.allowed) {
    Error error = Error::make(ErrorCode::RateLimitExceeded,
                              "Too many requests (" + std::string(scope) + " limit).");
    error.retry_after = decision.retry_after;
    return error;
  }
  if (count) tx.rate_increment(scope, key, windows.current_start);
  return std::nullopt;
}

std::optional<Error> OtpService::count_phone_send(OtpStoreTransaction& tx, std::int64_t api_key_id,
                                                  std::string_view phone, UnixSeconds now) const {
  if (auto limited = phone_window_error(tx, api_key_id, phone, policy_.per_phone, now, "phone")) {
    return limited;
  }
  if (auto limited = phone_window_error(tx, std::nullopt, phone, policy_.per_phone_global, now,
                                        "phone_global")) {
    return limited;
  }
  tx.log_phone_send(api_key_id, phone, now);
  return std::nullopt;
}

std::optional<Error> OtpService::count_verify_attempt(OtpStoreTransaction& tx,
                                                      std::int64_t api_key_id,
                                                      std::string_view phone,
                                                      UnixSeconds now) const {
  const OtpPolicy::VerifyThrottle& throttle = policy_.verify_throttle;
  if (throttle.attempts <= 0) return std::nullopt;
  if (auto until = tx.verify_blocked_until(api_key_id, phone); until && *until > now) {
    return verify_attempts_exceeded(*until - now);
  }
  if (tx.count_verify_attempts(api_key_id, phone, now - throttle.window_seconds) >=
      throttle.attempts) {
    tx.block_verifies(api_key_id, phone, now + throttle.block_seconds);
    return verify_attempts_exceeded(throttle.block_seconds);
  }
  tx.log_verify_attempt(api_key_id, phone, now);
  return std::nullopt;
}

std::optional<Error> OtpService::budget_error(OtpStoreTransaction& tx, std::int64_t api_key_id,
                                              UnixSeconds now) const {
  const std::optional<SendBudget> budget = tx.find_send_budget(api_key_id);
  if (!budget) return std::nullopt;  // no budget: no need to count what is queued
  const std::int64_t queued = policy_.reserve_queued_sends ? tx.queued_sends(api_key_id) : 0;
  const BudgetCheck check = check_budget(budget, now, queued);
  switch (check.state) {
    case BudgetState::Available:
      return std::nullopt;
    case BudgetState::Disabled:
      return Error::make(ErrorCode::BudgetDisabled,
                         "This API key may not send: its send budget is zero.");
    case BudgetState::Exhausted: {
      Error error = Error::make(
          ErrorCode::BudgetExhausted,
          check.retry_after ? "This API key's daily send cap is used up; it resets at 00:00 UTC."
                            : "This API key's send balance is used up.");
      error.retry_after = check.retry_after;
      return error;
    }
  }
  return std::nullopt;
}

Result<OtpCreated> OtpService::request(const OtpRequestInput& input,
                                       const RequestContext& context) {
  Result<ValidRequest> valid = validate(input, policy_);
  // Refused before anything is stored (not even a rate counter): nothing could reach the phone.
  const DeliveryRoute route =
      valid ? delivery_route(valid->phone.e164_digits()) : DeliveryRoute::Sms;
  if (route == DeliveryRoute::None) {
    return Error::make(ErrorCode::NoDeliveryChannel,
                       "No delivery channel can carry an SMS to this number.");
  }
  Result<OtpCreated> created = store_.write([&](OtpStoreTransaction& tx) -> Result<OtpCreated> {
    const UnixSeconds now = clock_.now();
    // A replay answers before any limit: it sends nothing new.
    if (context.idempotency_key) {
      if (auto previous = tx.find_idempotency(context.api_key_id, *context.idempotency_key);
          previous && previous->created_at + policy_.idempotency_ttl_seconds > now) {
        if (previous->fingerprint != context.body_fingerprint) {
          return Error::make(ErrorCode::IdempotencyKeyReused,
                             "This Idempotency-Key was used with a different body.");
        }
        if (auto otp = tx.find_otp(previous->otp_id)) {
          return OtpCreated{otp->id,
                            otp->expires_at,
                            otp->phone,
                            true,
                            route == DeliveryRoute::Sms ? "sms" : "ussd",
                            otp->created_at};
        }
      }
    }
    const std::string key_scope_id = std::to_string(context.api_key_id);
    if (auto limited = check_rate(tx, "api_key", key_scope_id, policy_.per_api_key, true)) {
      return std::move(*limited);
    }
    if (!context.client_ip.empty()) {
      if (auto limited =
              check_rate(tx, "client_ip", context.client_ip, policy_.per_client_ip, true)) {
        return std::move(*limited);
      }
    }
    if (!valid) {
      return valid.error();
    }
    const ValidRequest& request = valid.value();
    const std::string& phone = request.phone.e164_digits();

    std::optional<OtpRecord> active = tx.find_active_otp(context.api_key_id, phone, now);
    if (active && !input.replace_active) {
      Error error = Error::make(ErrorCode::ActiveOtpExists,
                                "This phone already has an active OTP; verify, resend or cancel "
                                "it, or wait until it expires.");
      error.otp_id = active->id;
      error.retry_after = std::max<std::int64_t>(1, active->expires_at - now);
      return error;
    }
    if (auto spent = budget_error(tx, context.api_key_id, now)) {
      return std::move(*spent);
    }
    // Counted only when a code is actually created (and on each resend): the SMS-pumping guard.
    if (auto limited = count_phone_send(tx, context.api_key_id, phone, now)) {
      return std::move(*limited);
    }
    // Replaced only once the new OTP is certain, so a refused request leaves the old one usable.
    if (active) {
      active->status = OtpStatus::Cancelled;
      tx.update_otp(*active);
      tx.add_event(active->id, event::kCancelled, now, "replaced");
    }

    OtpRecord otp;
    otp.id = generate_otp_id();
    otp.api_key_id = context.api_key_id;
    otp.phone = phone;
    otp.sender = request.sender;
    otp.message_template = request.message_template;
    otp.pin_type = request.pin_type;
    otp.pin_length = request.pin_length;
    otp.expiry_amount = request.expiry_amount;
    otp.expiry_unit = request.expiry_unit;
    const std::string code =
        request.code.empty() ? generate_code(request.pin_type, request.pin_length) : request.code;
    otp.code_hash = vault_.hash(otp.id, code);
    otp.code_ciphertext = vault_.seal(otp.id, code);
    otp.status = OtpStatus::Pending;
    otp.max_attempts = request.max_attempts;
    otp.send_count = 1;
    otp.created_at = now;
    otp.expires_at = now + request.expiry_seconds;
    otp.last_sent_at = now;
    otp.metadata_json = request.metadata_json;
    otp.payload = request.payload;
    tx.insert_otp(otp);
    if (route == DeliveryRoute::Sms) {
      tx.enqueue_delivery(otp.id, "initial", now);
    }
    if (context.idempotency_key) {
      tx.save_idempotency(
          {context.api_key_id, *context.idempotency_key, context.body_fingerprint, otp.id, now});
    }
    return OtpCreated{otp.id,
                      otp.expires_at,
                      otp.phone,
                      false,
                      route == DeliveryRoute::Sms ? "sms" : "ussd",
                      otp.created_at};
  });
  // A new OTP on an SMS route was queued in the transaction (a replay queued nothing).
  if (created && !created->replayed && route == DeliveryRoute::Sms) notify_delivery_queued();
  return created;
}

Result<OtpVerified> OtpService::check_pin(OtpStoreTransaction& tx, OtpRecord& otp,
                                          std::string_view pin, UnixSeconds now,
                                          const Error& finished) const {
  // Before anything is counted: only spaces is no pin at all, like "" (issue 13 bug 5).
  if (is_blank_pin_input(pin)) return blank_pin_error();
  const std::string candidate = normalize_pin_input(pin, otp.pin_type);
  const bool correct = vault_.matches(otp.id, candidate, otp.code_hash);
  const OtpStatus status = effective_status(otp, now);
  if (status == OtpStatus::Expired && otp.status == OtpStatus::Pending) {
    otp.status = OtpStatus::Expired;
    tx.update_otp(otp);
    tx.add_event(otp.id, event::kExpired, now);
    queue_webhook_event(tx, otp, event::kExpired, now);
  }
  if (status == OtpStatus::Verified || status == OtpStatus::Cancelled) return finished;
  if (auto error = not_pending_error(status)) return std::move(*error);
  if (correct) {
    otp.status = OtpStatus::Verified;
    tx.update_otp(otp);
    tx.add_event(otp.id, event::kVerified, now);
    queue_webhook_event(tx, otp, event::kVerified, now);
    return OtpVerified{otp.id};
  }
  ++otp.failed_attempts;
  tx.add_event(otp.id, event::kVerifyFailed, now);
  if (otp.failed_attempts >= otp.max_attempts) {
    otp.status = OtpStatus::Locked;
    tx.update_otp(otp);
    tx.add_event(otp.id, event::kLocked, now);
    queue_webhook_event(tx, otp, event::kLocked, now);
    // The try that used the last attempt is still a wrong pin (Sendexa: INVALID_PIN with
    // attemptsRemaining 0); only later tries answer OTP_LOCKED.
    Error error = Error::make(ErrorCode::InvalidPin,
                              "The code is not correct; no attempts remain, request a new OTP.");
    error.attempts_remaining = 0;
    return error;
  }
  tx.update_otp(otp);
  Error error = Error::make(ErrorCode::InvalidPin, "The code is not correct.");
  error.attempts_remaining = attempts_remaining(otp);
  return error;
}

Result<OtpVerified> OtpService::verify(std::int64_t api_key_id, std::string_view otp_id,
                                       std::string_view pin) {
  // No pin at all is not an attempt: it spends nothing, not even the verify throttle.
  if (is_blank_pin_input(pin)) return blank_pin_error();
  return store_.write([&](OtpStoreTransaction& tx) -> Result<OtpVerified> {
    const UnixSeconds now = clock_.now();
    std::optional<OtpRecord> found = find_owned(tx, api_key_id, otp_id);
    if (!found) {
      // Same work as a real check, so response time does not reveal which ids exist.
      (void)vault_.matches(kDummyOtpId, normalize_pin_input(pin, PinType::Numeric), dummy_hash_);
      return otp_not_found();
    }
    if (auto throttled = count_verify_attempt(tx, api_key_id, found->phone, now)) {
      return std::move(*throttled);
    }
    return check_pin(tx, *found, pin, now, otp_not_found());
  });
}

Result<OtpVerified> OtpService::verify_latest(std::int64_t api_key_id, std::string_view phone,
                                              std::string_view pin, bool pin_was_integer) {
  std::optional<PhoneNumber> parsed = PhoneNumber::parse(phone, policy_.phone_rules);
  if (!parsed) return Error::make(ErrorCode::InvalidPhone, "phone is not a valid number.");
  if (is_blank_pin_input(pin)) return blank_pin_error();  // as in verify
  return store_.write([&](OtpStoreTransaction& tx) -> Result<OtpVerified> {
    const UnixSeconds now = clock_.now();
    // Counted before the lookup: guessing for a phone with no code is an attempt too.
    if (auto throttled = count_verify_attempt(tx, api_key_id, parsed->e164_digits(), now)) {
      return std::move(*throttled);
    }
    std::optional<OtpRecord> latest = tx.find_latest_otp(api_key_id, parsed->e164_digits());
    if (!latest) {
      return Error::make(ErrorCode::OtpNotFound,
                         "No OTP was issued for this phone under this API key.");
    }
    // Verified, or cancelled through the native API: the code was used or withdrawn, which
    // Arkesel clients see as an invalid code, not as a missing OTP.
    Error finished = Error::make(ErrorCode::OtpNotPending, "This code was already used.");
    finished.status = std::string(to_string(effective_status(*latest, now)));
    // A JSON number loses its leading zeros (054520 arrives as 54520): restore them up to the
    // code's length. A typed string is taken as typed.
    std::string padded(pin);
    if (pin_was_integer && padded.size() < static_cast<std::size_t>(latest->pin_length) &&
        std::all_of(padded.begin(), padded.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      padded.insert(0, static_cast<std::size_t>(latest->pin_length) - padded.size(), '0');
    }
    return check_pin(tx, *latest, padded, now, finished);
  });
}

Result<OtpResent> OtpService::resend(std::int64_t api_key_id, std::string_view otp_id,
                                     const RequestContext& context) {
  Result<OtpResent> resent = store_.write([&](OtpStoreTransaction& tx) -> Result<OtpResent> {
    const UnixSeconds now = clock_.now();
    // A retried resend answers what the first one did and sends nothing more.
    if (context.idempotency_key) {
      if (auto previous = tx.find_idempotency(api_key_id, *context.idempotency_key);
          previous && previous->created_at + policy_.idempotency_ttl_seconds > now) {
        if (previous->fingerprint != context.body_fingerprint) {
          return Error::make(ErrorCode::IdempotencyKeyReused,
                             "This Idempotency-Key was used with a different body.");
        }
        if (auto otp = tx.find_otp(previous->otp_id); otp && otp->api_key_id == api_key_id) {
          return OtpResent{otp->id, otp->send_count, otp->expires_at,
                           otp->last_sent_at + policy_.resend_cooldown_seconds, true};
        }
      }
    }
    std::optional<OtpRecord> found = find_owned(tx, api_key_id, otp_id);
    if (!found) {
      return otp_not_found();
    }
    OtpRecord& otp = *found;
    if (auto error = not_pending_error(effective_status(otp, now))) {
      return std::move(*error);
    }
    if (otp.send_count >= policy_.max_sends_per_otp) {
      return Error::make(ErrorCode::ResendLimitReached,
                         "This OTP was already sent " + std::to_string(otp.send_count) +
                             " times; request a new one after it expires or cancel it.");
    }
    const UnixSeconds next_allowed = otp.last_sent_at + policy_.resend_cooldown_seconds;
    if (now < next_allowed) {
      Error error = Error::make(ErrorCode::ResendCooldown, "Wait before asking for another send.");
      error.retry_after = next_allowed - now;
      return error;
    }
    if (auto spent = budget_error(tx, api_key_id, now)) {
      return std::move(*spent);
    }
    if (delivery_route(otp.phone) != DeliveryRoute::Sms) {
      return Error::make(ErrorCode::NoDeliveryChannel,
                         "No delivery channel can carry an SMS to this number.");
    }
    if (auto limited = count_phone_send(tx, api_key_id, otp.phone, now)) {
      return std::move(*limited);
    }
    // Same code, same expiry, same attempt counter: a resend is delivery, not a new OTP.
    ++otp.send_count;
    otp.last_sent_at = now;
    tx.update_otp(otp);
    tx.add_event(otp.id, event::kResent, now);
    tx.enqueue_delivery(otp.id, "resend", now);
    if (context.idempotency_key) {
      tx.save_idempotency(
          {api_key_id, *context.idempotency_key, context.body_fingerprint, otp.id, now});
    }
    return OtpResent{otp.id, otp.send_count, otp.expires_at, now + policy_.resend_cooldown_seconds};
  });
  if (resent && !resent->replayed) notify_delivery_queued();  // a replay queued nothing
  return resent;
}

Result<OtpView> OtpService::get(std::int64_t api_key_id, std::string_view otp_id) {
  return store_.read([&](OtpStoreTransaction& tx) -> Result<OtpView> {
    std::optional<OtpRecord> found = find_owned(tx, api_key_id, otp_id);
    if (!found) {
      return otp_not_found();
    }
    OtpView view;
    view.status = effective_status(*found, clock_.now());
    view.attempts_remaining = attempts_remaining(*found);
    view.events = history(tx, *found);
    view.deliveries = tx.delivery_attempts(found->id);
    view.webhooks = tx.webhook_attempts(found->id);
    view.record = std::move(*found);
    return view;
  });
}

Result<OtpView> OtpService::cancel(std::int64_t api_key_id, std::string_view otp_id) {
  return store_.write([&](OtpStoreTransaction& tx) -> Result<OtpView> {
    const UnixSeconds now = clock_.now();
    std::optional<OtpRecord> found = find_owned(tx, api_key_id, otp_id);
    if (!found) {
      return otp_not_found();
    }
    OtpRecord& otp = *found;
    const OtpStatus status = effective_status(otp, now);
    if (status == OtpStatus::Pending) {
      otp.status = OtpStatus::Cancelled;
      tx.update_otp(otp);
      tx.add_event(otp.id, event::kCancelled, now);
    } else if (status != OtpStatus::Cancelled) {  // cancelling twice is harmless
      Error error = Error::make(ErrorCode::OtpNotPending,
                                "Only a pending OTP can be cancelled; this one is " +
                                    std::string(to_string(status)) + ".");
      error.status = std::string(to_string(status));
      return error;
    }
    OtpView view;
    view.status = OtpStatus::Cancelled;
    view.attempts_remaining = attempts_remaining(otp);
    view.events = history(tx, otp);
    view.deliveries = tx.delivery_attempts(otp.id);
    view.webhooks = tx.webhook_attempts(otp.id);
    view.record = std::move(otp);
    return view;
  });
}

std::size_t OtpService::unreadable_pending_codes(std::size_t sample) {
  return store_.read([&](OtpStoreTransaction& tx) {
    const std::vector<OtpRecord> newest = tx.newest_pending_otps(clock_.now(), sample);
    return static_cast<std::size_t>(
        std::count_if(newest.begin(), newest.end(), [&](const OtpRecord& otp) {
          return !vault_.open(otp.id, otp.code_ciphertext).has_value();
        }));
  });
}

SweepReport OtpService::sweep() {
  const UnixSeconds now = clock_.now();
  // Repeats `batch` (one transaction touching at most kSweepBatch rows) until a run touches
  // fewer, at most kMaxSweepBatches times; returns the rows touched in all.
  const auto in_batches = [this](const auto& batch) {
    std::size_t total = 0;
    for (std::size_t run = 0; run < kMaxSweepBatches; ++run) {
      const std::size_t touched = store_.write(batch);
      total += touched;
      if (touched < kSweepBatch) break;
    }
    return total;
  };
  const std::size_t expired = in_batches([&](OtpStoreTransaction& tx) {
    const std::vector<std::string> ids = tx.expire_due(now, kSweepBatch);
    for (const std::string& id : ids) {
      tx.add_event(id, event::kExpired, now);
      queue_webhook_event(tx, id, event::kExpired, now);
    }
    return ids.size();
  });
  const std::size_t purged_otps = in_batches([&](OtpStoreTransaction& tx) {
    return tx.purge_otps_created_before(now - policy_.retention_seconds, kSweepBatch);
  });
  return store_.write([&](OtpStoreTransaction& tx) {
    SweepReport report{expired, purged_otps};
    report.purged_idempotency = tx.purge_idempotency_before(now - policy_.idempotency_ttl_seconds);
    const std::int64_t longest_window =
        std::max({policy_.per_api_key.window_seconds, policy_.per_client_ip.window_seconds,
                  policy_.other_rate_window_seconds});
    report.purged_rate_windows = tx.purge_rate_windows_before(now - 2 * longest_window);
    // Rows outside every window no longer count (windows are (now - window, now]).
    report.purged_phone_sends = tx.purge_phone_sends_until(
        now - std::max(policy_.per_phone.window_seconds, policy_.per_phone_global.window_seconds));
    report.purged_verify_throttle =
        tx.purge_verify_throttle(now - policy_.verify_throttle.window_seconds, now);
    return report;
  });
}

std::optional<OutgoingMessage> OtpService::render_delivery(const OtpRecord& otp,
                                                           std::string_view reason,
                                                           UnixSeconds now) const {
  if (effective_status(otp, now) != OtpStatus::Pending) return std::nullopt;
  std::optional<std::string> code = vault_.open(otp.id, otp.code_ciphertext);
  if (!code) return std::nullopt;
  const ValidityText validity = validity_left(otp.expires_at - now, otp.expiry_unit);
  return OutgoingMessage{
      otp.id,
      otp.phone,
      otp.sender,
      render_message(otp.message_template, *code, validity.amount, validity.unit),
      std::string(reason),
      now};
}

bool OtpService::charge_delivery(OtpStoreTransaction& tx, std::int64_t api_key_id,
                                 UnixSeconds now) const {
  std::optional<SendBudget> budget = tx.find_send_budget(api_key_id);
  if (!budget) return true;
  if (check_budget(budget, now).state != BudgetState::Available) return false;
  tx.save_send_budget(api_key_id, charge_send(*budget, now));
  return true;
}

void OtpService::notify_delivery_queued() const {
  if (delivery_queued_) delivery_queued_();
}

}  // namespace ussd_otp
