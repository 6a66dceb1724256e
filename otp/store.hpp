// The storage interface the OTP policy is written against, so a second backend can come later.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "otp/send_budget.hpp"
#include "otp/types.hpp"
#include "otp/ussd_session.hpp"

namespace ussd_otp {

// Operations available inside one transaction. All of them throw on storage failure
// (disk full, database locked past the busy timeout); expected outcomes are return values.
class OtpStoreTransaction {
 public:
  virtual ~OtpStoreTransaction() = default;

  virtual std::optional<OtpRecord> find_otp(std::string_view id) = 0;
  // The pending, unexpired OTP for this phone under this API key, if any (newest first).
  virtual std::optional<OtpRecord> find_active_otp(std::int64_t api_key_id, std::string_view phone,
                                                   UnixSeconds now) = 0;
  // Every pending, unexpired OTP for this phone, any API key, newest first (USSD lookup).
  virtual std::vector<OtpRecord> active_otps_for_phone(std::string_view phone, UnixSeconds now) = 0;
  // Pending, unexpired OTPs of any phone and key, newest first, at most `limit` (the startup
  // check that the server key still opens the codes).
  virtual std::vector<OtpRecord> newest_pending_otps(UnixSeconds now, std::size_t limit) = 0;
  // The newest OTP for this phone under this API key, whatever its status (Arkesel verify).
  virtual std::optional<OtpRecord> find_latest_otp(std::int64_t api_key_id,
                                                   std::string_view phone) = 0;
  virtual void insert_otp(const OtpRecord& otp) = 0;
  // Writes the mutable fields: status, failed_attempts, send_count, last_sent_at.
  virtual void update_otp(const OtpRecord& otp) = 0;

  virtual void add_event(std::string_view otp_id, std::string_view type, UnixSeconds at,
                         std::string_view detail = {}) = 0;
  virtual std::vector<OtpEvent> events(std::string_view otp_id) = 0;  // oldest first

  virtual void enqueue_delivery(std::string_view otp_id, std::string_view reason,
                                UnixSeconds at) = 0;
  // Oldest first, at most `limit`, only those due (next_attempt_at <= now) and not leased.
  virtual std::vector<PendingDelivery> due_deliveries(UnixSeconds now, std::size_t limit) = 0;
  // Like due_deliveries, and leases each returned row until `lease_until`: no other claim sees
  // it before then, so a sender that dies mid-send leaves it to be claimed again later.
  virtual std::vector<PendingDelivery> claim_deliveries(UnixSeconds now, UnixSeconds lease_until,
                                                        std::size_t limit) = 0;
  virtual std::optional<PendingDelivery> find_delivery(std::int64_t delivery_id) = 0;
  virtual void complete_delivery(std::int64_t delivery_id) = 0;  // removes it from the outbox
  // Puts a completed delivery back in the outbox under its old id (its attempts keep pointing
  // at it), unleased; nothing happens when the row is still there.
  virtual void reopen_delivery(const PendingDelivery& delivery) = 0;
  virtual void retry_delivery_later(std::int64_t delivery_id, UnixSeconds next_attempt_at) = 0;
  // Writes state, next_attempt_at, attempts and receipt_failover_used, and releases the lease.
  virtual void reschedule_delivery(const PendingDelivery& delivery) = 0;

  // Delivery attempts. insert returns the new id; finish writes the outcome columns.
  virtual std::int64_t insert_delivery_attempt(const DeliveryAttempt& attempt) = 0;
  virtual void finish_delivery_attempt(const DeliveryAttempt& attempt) = 0;
  virtual void record_delivery_receipt(std::int64_t attempt_id, std::string_view receipt,
                                       std::string_view receipt_status, UnixSeconds at) = 0;
  virtual std::vector<DeliveryAttempt> delivery_attempts(std::string_view otp_id) = 0;  // by id
  virtual std::vector<DeliveryAttempt> delivery_attempts_for_outbox(std::int64_t outbox_id) = 0;
  virtual std::optional<DeliveryAttempt> find_delivery_attempt(
      std::string_view provider, std::string_view gateway_message_id) = 0;
  // Accepted attempts of `provider` started at or after `since` whose receipt is not final and
  // that were polled fewer than `max_polls` times (for gateways that are polled): never-polled
  // first, oldest first, then the least recently polled.
  virtual std::vector<DeliveryAttempt> attempts_awaiting_receipt(std::string_view provider,
                                                                 UnixSeconds since, int max_polls,
                                                                 std::size_t limit) = 0;
  // Counts one status poll of the attempt.
  virtual void count_delivery_poll(std::int64_t attempt_id) = 0;

  // App webhooks. enqueue_webhook inserts only when the key has a webhook URL (checked in the
  // INSERT itself) and returns whether it did.
  virtual bool enqueue_webhook(std::int64_t api_key_id, std::string_view otp_id,
                               std::string_view event, std::string_view payload,
                               UnixSeconds at) = 0;
  // Due (next_attempt_at <= now) and unleased rows, oldest first, with their key's webhook.
  virtual std::vector<PendingWebhook> due_webhooks(UnixSeconds now, std::size_t limit) = 0;
  // Like due_webhooks, and leases each row until `lease_until` and counts the attempt.
  virtual std::vector<PendingWebhook> claim_webhooks(UnixSeconds now, UnixSeconds lease_until,
                                                     std::size_t limit) = 0;
  virtual void complete_webhook(std::int64_t webhook_id) = 0;  // removes it from the outbox
  // Releases the lease; the row is due again at `next_attempt_at`.
  virtual void retry_webhook_later(std::int64_t webhook_id, UnixSeconds next_attempt_at) = 0;
  virtual void insert_webhook_attempt(const WebhookAttempt& attempt) = 0;
  virtual std::vector<WebhookAttempt> webhook_attempts(std::string_view otp_id) = 0;  // by id

  // Fixed-window counters; the policy combines two windows into a sliding estimate.
  virtual std::int64_t rate_count(std::string_view scope, std::string_view key,
                                  UnixSeconds window_start) = 0;
  virtual void rate_increment(std::string_view scope, std::string_view key,
                              UnixSeconds window_start) = 0;
  struct RateWindowCount {
    std::string key;
    UnixSeconds window_start = 0;
    std::int64_t count = 0;
  };
  // Every counter of `scope` whose window started at or after `since` (to warm a cache).
  virtual std::vector<RateWindowCount> rate_counts_since(std::string_view scope,
                                                         UnixSeconds since) = 0;

  // The exact per-phone send log (every SMS send of an OTP, first and resends). Counts are over
  // sends strictly after `since`; `api_key_id` nullopt counts the phone's sends under every key.
  virtual void log_phone_send(std::int64_t api_key_id, std::string_view phone, UnixSeconds at) = 0;
  virtual std::int64_t count_phone_sends(std::optional<std::int64_t> api_key_id,
                                         std::string_view phone, UnixSeconds since) = 0;
  // The time of the send `index` places after the oldest one counted as above (0: the oldest),
  // nullopt when there are not that many: when a full window frees its next slot.
  virtual std::optional<UnixSeconds> phone_send_at(std::optional<std::int64_t> api_key_id,
                                                   std::string_view phone, UnixSeconds since,
                                                   std::int64_t index) = 0;

  // The verify attempt throttle, per (API key, phone): every attempt's time, and a block's end.
  virtual void log_verify_attempt(std::int64_t api_key_id, std::string_view phone,
                                  UnixSeconds at) = 0;
  virtual std::int64_t count_verify_attempts(std::int64_t api_key_id, std::string_view phone,
                                             UnixSeconds since) = 0;  // attempts after `since`
  // When the phone's block ends (possibly in the past), nullopt when it was never blocked.
  virtual std::optional<UnixSeconds> verify_blocked_until(std::int64_t api_key_id,
                                                          std::string_view phone) = 0;
  virtual void block_verifies(std::int64_t api_key_id, std::string_view phone,
                              UnixSeconds until) = 0;  // insert or replace

  // nullopt: the key has no budget (it may send without limit).
  virtual std::optional<SendBudget> find_send_budget(std::int64_t api_key_id) = 0;
  virtual void save_send_budget(std::int64_t api_key_id, const SendBudget& budget) = 0;
  // Sends of this key's pending OTPs still in the outbox (queued, not yet charged).
  virtual std::int64_t queued_sends(std::int64_t api_key_id) = 0;

  virtual std::optional<IdempotencyRecord> find_idempotency(std::int64_t api_key_id,
                                                            std::string_view key) = 0;
  // Replaces any record with the same (api_key_id, key), e.g. one past its time to live.
  virtual void save_idempotency(const IdempotencyRecord& record) = 0;

  // USSD sessions, keyed by (dialect, id).
  virtual std::optional<UssdSession> find_ussd_session(std::string_view dialect,
                                                       std::string_view id) = 0;
  virtual void save_ussd_session(const UssdSession& session) = 0;  // insert or replace

  // Housekeeping. Each works on at most `limit` rows and returns what it touched.
  // Marks pending OTPs with expires_at <= now as expired; returns their ids.
  virtual std::vector<std::string> expire_due(UnixSeconds now, std::size_t limit) = 0;
  // Deletes OTPs created before `cutoff` with their events and outbox rows; returns the count.
  virtual std::size_t purge_otps_created_before(UnixSeconds cutoff, std::size_t limit) = 0;
  virtual std::size_t purge_idempotency_before(UnixSeconds cutoff) = 0;
  virtual std::size_t purge_rate_windows_before(UnixSeconds cutoff) = 0;
  // Deletes send log rows with sent_at <= cutoff; returns the count.
  virtual std::size_t purge_phone_sends_until(UnixSeconds cutoff) = 0;
  // Deletes verify attempts at or before `attempt_cutoff` and blocks that ended at or before
  // `now`; returns the rows deleted.
  virtual std::size_t purge_verify_throttle(UnixSeconds attempt_cutoff, UnixSeconds now) = 0;
  // Ends open USSD sessions last seen before `idle_cutoff` (reason "idle"); returns the count.
  virtual std::size_t end_idle_ussd_sessions(UnixSeconds idle_cutoff, UnixSeconds now,
                                             std::size_t limit) = 0;
  // Deletes USSD sessions last seen before `cutoff`; returns the count.
  virtual std::size_t purge_ussd_sessions_before(UnixSeconds cutoff, std::size_t limit) = 0;
};

// Work handed to a backend: one transaction's worth of store operations.
using TransactionWork = std::function<void(OtpStoreTransaction&)>;

// Calls `run` with a type-erased callable (taking `Args`, returning nothing) that runs `work`, and
// returns what `work` returned: how a transaction's result travels through a backend's
// non-template hook. Should `run` call it more than once (a retried transaction), the last
// call's result wins.
template <typename... Args, typename Work, typename Run>
auto call_returning(Work& work, const Run& run) {
  using Result = std::remove_cvref_t<std::invoke_result_t<Work&, Args...>>;
  if constexpr (std::is_void_v<Result>) {
    run([&work](Args... args) { work(std::forward<Args>(args)...); });
  } else {
    std::optional<Result> result;
    run([&work, &result](Args... args) { result.emplace(work(std::forward<Args>(args)...)); });
    return std::move(*result);
  }
}

class OtpStore {
 public:
  virtual ~OtpStore() = default;

  // Runs `work` in one write transaction and returns what it returns (nothing, for a void
  // `work`): committed if it returns, rolled back if it throws (and the exception is rethrown).
  // Transactions are serialised.
  template <typename Work>
  auto write(Work&& work) {
    return call_returning<OtpStoreTransaction&>(
        work, [this](const TransactionWork& erased) { run_write(erased); });
  }
  // Runs `work` with a consistent read-only view and returns what it returns. Writing inside it
  // is a programming error.
  template <typename Work>
  auto read(Work&& work) {
    return call_returning<OtpStoreTransaction&>(
        work, [this](const TransactionWork& erased) { run_read(erased); });
  }
  // True when a write transaction can be opened and committed right now (readiness probe).
  virtual bool writable() = 0;

 protected:
  // What a backend implements: run `work` in one write (read-only) transaction as above. The
  // result travels outside the backend (call_returning), so a backend needs no templates.
  virtual void run_write(const TransactionWork& work) = 0;
  virtual void run_read(const TransactionWork& work) = 0;
};

class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;
  // Returns the new id, or nullopt when a key with that name (revoked or not) already exists.
  virtual std::optional<std::int64_t> create_api_key(std::string_view name, std::string_view prefix,
                                                     const Bytes& hash, UnixSeconds now) = 0;
  // Only keys that are not revoked.
  virtual std::optional<ApiKeyRecord> find_api_key_by_hash(const Bytes& hash) = 0;
  virtual std::optional<ApiKeyRecord> find_api_key_by_name(std::string_view name) = 0;
  // Only keys that are not revoked; `client_id` is the key's public UUID.
  virtual std::optional<ApiKeyRecord> find_api_key_by_client_id(std::string_view client_id) = 0;
  virtual std::vector<ApiKeyRecord> list_api_keys() = 0;  // oldest first, revoked included
  // False when no unrevoked key has that name.
  virtual bool revoke_api_key(std::string_view name, UnixSeconds now) = 0;
  // Deletes the key row entirely (used by dev mode to replace its key). False if absent.
  virtual bool delete_api_key(std::string_view name) = 0;
  virtual void touch_api_key(std::int64_t id, UnixSeconds now) = 0;
  // Sets (or, with an empty url, removes) the key's app webhook. False when no key has that id.
  virtual bool set_api_key_webhook(std::int64_t id, std::string_view url,
                                   const Bytes& sealed_secret) = 0;
};

// Stored SMS templates, each owned by one API key (another key's template is as good as absent).
class TemplateStore {
 public:
  virtual ~TemplateStore() = default;
  virtual void create_template(const MessageTemplateRecord& record) = 0;
  virtual std::optional<MessageTemplateRecord> find_template(std::int64_t api_key_id,
                                                             std::string_view id) = 0;
  virtual std::vector<MessageTemplateRecord> list_templates(std::int64_t api_key_id) = 0;
  // False when this key has no template with that id.
  virtual bool delete_template(std::int64_t api_key_id, std::string_view id) = 0;
};

}  // namespace ussd_otp
