// SqliteStore: OTPs, events, outbox, rate counters, idempotency and API keys in one SQLite file.
#include "storage/sqlite_store.hpp"
#include "otp/text.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <limits>
#include <stdexcept>
#include <utility>

#include "otp/codes.hpp"
#include "storage/migrations.hpp"

namespace ussd_otp {
namespace {

std::string normalise_synchronous(std::string_view requested) {
  std::string upper = text::ascii_upper(requested);
  if (upper == "OFF" || upper == "NORMAL" || upper == "FULL") return upper;
  throw std::invalid_argument("sqlite synchronous must be OFF, NORMAL or FULL, not '" +
                              std::string(requested) + "'");
}

// --- binding and reading helpers ---------------------------------------------------------------

void bind_text(SQLite::Statement& s, int index, std::string_view text) {
  s.bind(index, std::string(text));  // SQLiteCpp copies (SQLITE_TRANSIENT)
}

// An empty vector has no data pointer, and SQLite binds a null pointer as NULL; a one-byte
// dummy keeps it a zero-length BLOB so the NOT NULL columns accept it.
void bind_blob(SQLite::Statement& s, int index, const Bytes& bytes) {
  static constexpr std::uint8_t kNothing = 0;
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::length_error("blob too large for SQLite");
  }
  s.bind(index, bytes.empty() ? &kNothing : bytes.data(), static_cast<int>(bytes.size()));
}

void bind_optional_int64(SQLite::Statement& s, int index,
                         const std::optional<std::int64_t>& value) {
  if (value) {
    s.bind(index, *value);
  } else {
    s.bind(index);  // NULL
  }
}

std::int64_t as_limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(
      limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
}

std::string text_at(const SQLite::Statement& s, int index) {
  return s.getColumn(index).getString();
}

std::int64_t int64_at(const SQLite::Statement& s, int index) {
  return s.getColumn(index).getInt64();
}

int int_at(const SQLite::Statement& s, int index) {
  return s.getColumn(index).getInt();
}

Bytes blob_at(const SQLite::Statement& s, int index) {
  const SQLite::Column column = s.getColumn(index);
  // getBlob before getBytes: SQLite's documented order for a correct size.
  const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
  const int size = column.getBytes();
  if (data == nullptr || size <= 0) return {};
  return Bytes(data, data + size);
}

std::optional<std::int64_t> optional_int64_at(const SQLite::Statement& s, int index) {
  if (s.isColumnNull(index)) return std::nullopt;
  return int64_at(s, index);
}

// --- OTP rows
// -------------------------------------------------------------------------------------

// Column order shared by every SELECT and the INSERT; read_otp and bind_otp depend on it.
const std::string kOtpColumns =
    "id, api_key_id, phone, sender, message_template, pin_type, pin_length, expiry_amount, "
    "expiry_unit, code_hash, code_ciphertext, status, max_attempts, failed_attempts, send_count, "
    "created_at, expires_at, last_sent_at, metadata, payload";

const std::string kSelectOtp = "SELECT " + kOtpColumns + " FROM otps ";
const std::string kFindOtp = kSelectOtp + "WHERE id = ?";
const std::string kFindActiveOtp =
    kSelectOtp +
    // The literal 'pending' lets SQLite use the partial index otps_active_by_phone.
    "WHERE api_key_id = ?1 AND phone = ?2 AND status = 'pending' AND expires_at > ?3 "
    "ORDER BY created_at DESC, rowid DESC LIMIT 1";
const std::string kActiveOtpsForPhone =
    kSelectOtp +
    "WHERE phone = ?1 AND status = 'pending' AND expires_at > ?2 "
    "ORDER BY created_at DESC, rowid DESC";
const std::string kNewestPendingOtps = kSelectOtp +
                                       "WHERE status = 'pending' AND expires_at > ?1 "
                                       "ORDER BY created_at DESC, rowid DESC LIMIT ?2";
const std::string kFindLatestOtp = kSelectOtp +
                                   "WHERE api_key_id = ?1 AND phone = ?2 "
                                   "ORDER BY created_at DESC, rowid DESC LIMIT 1";
const std::string kInsertOtp =
    "INSERT INTO otps (" + kOtpColumns +
    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

void bind_otp(SQLite::Statement& s, const OtpRecord& otp) {
  bind_text(s, 1, otp.id);
  s.bind(2, otp.api_key_id);
  bind_text(s, 3, otp.phone);
  bind_text(s, 4, otp.sender);
  bind_text(s, 5, otp.message_template);
  bind_text(s, 6, to_string(otp.pin_type));
  s.bind(7, otp.pin_length);
  s.bind(8, otp.expiry_amount);
  bind_text(s, 9, otp.expiry_unit);
  bind_blob(s, 10, otp.code_hash);
  bind_blob(s, 11, otp.code_ciphertext);
  bind_text(s, 12, to_string(otp.status));
  s.bind(13, otp.max_attempts);
  s.bind(14, otp.failed_attempts);
  s.bind(15, otp.send_count);
  s.bind(16, otp.created_at);
  s.bind(17, otp.expires_at);
  s.bind(18, otp.last_sent_at);
  bind_text(s, 19, otp.metadata_json);
  bind_text(s, 20, otp.payload);
}

OtpRecord read_otp(const SQLite::Statement& s) {
  OtpRecord otp;
  otp.id = text_at(s, 0);
  otp.api_key_id = int64_at(s, 1);
  otp.phone = text_at(s, 2);
  otp.sender = text_at(s, 3);
  otp.message_template = text_at(s, 4);
  const std::string pin_type = text_at(s, 5);
  const auto parsed_pin_type = pin_type_from_string(pin_type);
  // An unknown name means the file was written by something else; refuse to guess.
  if (!parsed_pin_type) throw std::runtime_error("otp " + otp.id + ": bad pin_type " + pin_type);
  otp.pin_type = *parsed_pin_type;
  otp.pin_length = int_at(s, 6);
  otp.expiry_amount = int_at(s, 7);
  otp.expiry_unit = text_at(s, 8);
  otp.code_hash = blob_at(s, 9);
  otp.code_ciphertext = blob_at(s, 10);
  const std::string status = text_at(s, 11);
  const auto parsed_status = otp_status_from_string(status);
  if (!parsed_status) throw std::runtime_error("otp " + otp.id + ": bad status " + status);
  otp.status = *parsed_status;
  otp.max_attempts = int_at(s, 12);
  otp.failed_attempts = int_at(s, 13);
  otp.send_count = int_at(s, 14);
  otp.created_at = int64_at(s, 15);
  otp.expires_at = int64_at(s, 16);
  otp.last_sent_at = int64_at(s, 17);
  otp.metadata_json = text_at(s, 18);
  otp.payload = text_at(s, 19);
  return otp;
}

// --- API key rows
// ---------------------------------------------------------------------------------

constexpr std::string_view kApiKeyColumns =
    "SELECT id, name, prefix, hash, created_at, last_used_at, revoked_at, webhook_url, "
    "webhook_secret, client_id FROM api_keys ";
const std::string kFindApiKeyByHash =
    std::string(kApiKeyColumns) + "WHERE hash = ? AND revoked_at IS NULL";
const std::string kFindApiKeyByName = std::string(kApiKeyColumns) + "WHERE name = ?";
const std::string kFindApiKeyByClientId =
    std::string(kApiKeyColumns) + "WHERE client_id = ? AND revoked_at IS NULL";
const std::string kListApiKeys = std::string(kApiKeyColumns) + "ORDER BY created_at, id";

ApiKeyRecord read_api_key(const SQLite::Statement& s) {
  ApiKeyRecord key;
  key.id = int64_at(s, 0);
  key.name = text_at(s, 1);
  key.prefix = text_at(s, 2);
  key.hash = blob_at(s, 3);
  key.created_at = int64_at(s, 4);
  key.last_used_at = optional_int64_at(s, 5);
  key.revoked_at = optional_int64_at(s, 6);
  if (!s.isColumnNull(7)) key.webhook_url = text_at(s, 7);
  key.webhook_secret = blob_at(s, 8);
  if (!s.isColumnNull(9)) key.client_id = text_at(s, 9);
  return key;
}

const char* synchronous_name(int level) {
  switch (level) {
    case 0:
      return "OFF";
    case 1:
      return "NORMAL";
    case 2:
      return "FULL";
    case 3:
      return "EXTRA";
    default:
      return "UNKNOWN";
  }
}

}  // namespace

// A cached statement checked out for one use: clean on the way in, reset on the way out so a
// half-stepped SELECT never pins a read snapshot after the caller is done with it.
class SqliteStore::StatementLease {
 public:
  explicit StatementLease(SQLite::Statement& statement) : statement_(statement) {
    statement_.tryReset();  // discards a stale error from the previous use, if any
    statement_.clearBindings();
  }
  ~StatementLease() { statement_.tryReset(); }
  StatementLease(const StatementLease&) = delete;
  StatementLease& operator=(const StatementLease&) = delete;

  SQLite::Statement& operator*() const { return statement_; }
  SQLite::Statement* operator->() const { return &statement_; }

 private:
  SQLite::Statement& statement_;
};

namespace {

// Lets the statement cache be searched with a string_view, without building a std::string.
// The store whose callback this thread is running, if any: a read() or key lookup from inside a
// write() would not see that write's own uncommitted rows, so nesting is refused outright.
thread_local const void* t_store_in_callback = nullptr;

struct SqlHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
};

}  // namespace

// One SQLite connection with its prepared statements, used by one thread at a time.
struct SqliteStore::Connection {
  mutable std::mutex mutex;
  // The thread holding `mutex`, to turn accidental nesting into an error, not a deadlock.
  std::atomic<std::thread::id> owner{};
  // Declared before the cache so statements are finalised before the connection closes.
  std::unique_ptr<SQLite::Database> db;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>, SqlHash, std::equal_to<>>
      statements;

  // Prepared once per SQL text, reused for the life of the connection.
  StatementLease statement(std::string_view sql) {
    auto found = statements.find(sql);
    if (found == statements.end()) {
      auto prepared = std::make_unique<SQLite::Statement>(*db, std::string(sql));
      found = statements.emplace(std::string(sql), std::move(prepared)).first;
    }
    return StatementLease(*found->second);
  }

  // Locks; throws std::logic_error when this thread already holds the lock.
  std::unique_lock<std::mutex> lock() {
    // std::mutex is not recursive: re-locking from the owning thread would deadlock forever.
    if (owner.load() == std::this_thread::get_id()) {
      throw std::logic_error(
          "SqliteStore: nested transaction (store used inside its own callback)");
    }
    return std::unique_lock(mutex);
  }

  bool in_transaction() const { return sqlite3_get_autocommit(db->getHandle()) == 0; }
};

// A write() waiting for the group commit.
struct SqliteStore::PendingWrite {
  const TransactionWork* work;
  std::exception_ptr error;
  bool done = false;
};

constexpr std::string_view kOutboxColumns =
    "id, otp_id, reason, created_at, attempts, state, next_attempt_at, lease_until, "
    "receipt_failover_used";

PendingDelivery read_delivery(SQLite::Statement& s) {
  PendingDelivery d;
  d.id = int64_at(s, 0);
  d.otp_id = text_at(s, 1);
  d.reason = text_at(s, 2);
  d.created_at = int64_at(s, 3);
  d.attempts = int_at(s, 4);
  d.state = text_at(s, 5);
  d.next_attempt_at = int64_at(s, 6);
  d.lease_until = int64_at(s, 7);
  d.receipt_failover_used = int_at(s, 8) != 0;
  return d;
}

constexpr std::string_view kAttemptColumns =
    "id, outbox_id, otp_id, provider, reason, outcome, gateway_message_id, error, "
    "gateway_status, cost, http_status, latency_ms, started_at, finished_at, receipt, "
    "receipt_status, receipt_at, polls";

DeliveryAttempt read_attempt(SQLite::Statement& s) {
  DeliveryAttempt a;
  a.id = int64_at(s, 0);
  a.outbox_id = int64_at(s, 1);
  a.otp_id = text_at(s, 2);
  a.provider = text_at(s, 3);
  a.reason = text_at(s, 4);
  a.outcome = text_at(s, 5);
  a.gateway_message_id = text_at(s, 6);
  a.error = text_at(s, 7);
  a.gateway_status = text_at(s, 8);
  a.cost = text_at(s, 9);
  a.http_status = int_at(s, 10);
  a.latency_ms = int64_at(s, 11);
  a.started_at = int64_at(s, 12);
  a.finished_at = int64_at(s, 13);
  a.receipt = text_at(s, 14);
  a.receipt_status = text_at(s, 15);
  a.receipt_at = int64_at(s, 16);
  a.polls = int_at(s, 17);
  return a;
}

// The webhook row with its key's webhook (LEFT JOIN: a deleted key reads as no webhook).
constexpr std::string_view kSelectWebhooks =
    "SELECT w.id, w.api_key_id, w.otp_id, w.event, w.payload, w.created_at, w.next_attempt_at, "
    "w.attempts, w.lease_until, k.webhook_url, k.webhook_secret, k.revoked_at "
    "FROM webhook_outbox w LEFT JOIN api_keys k ON k.id = w.api_key_id ";

PendingWebhook read_webhook(SQLite::Statement& s) {
  PendingWebhook w;
  w.id = int64_at(s, 0);
  w.api_key_id = int64_at(s, 1);
  w.otp_id = text_at(s, 2);
  w.event = text_at(s, 3);
  w.payload = text_at(s, 4);
  w.created_at = int64_at(s, 5);
  w.next_attempt_at = int64_at(s, 6);
  w.attempts = int_at(s, 7);
  w.lease_until = int64_at(s, 8);
  if (!s.isColumnNull(9)) w.url = text_at(s, 9);
  w.sealed_secret = blob_at(s, 10);
  w.key_revoked = !s.isColumnNull(11);
  return w;
}

// The OtpStoreTransaction handed to write()/read() callbacks; valid only inside the callback.
class SqliteStore::Transaction final : public OtpStoreTransaction {
 public:
  Transaction(Connection& connection, bool writable)
      : connection_(connection), writable_(writable) {}

  std::optional<OtpRecord> find_otp(std::string_view id) override {
    auto s = connection_.statement(kFindOtp);
    bind_text(*s, 1, id);
    if (!s->executeStep()) return std::nullopt;
    return read_otp(*s);
  }

  std::optional<OtpRecord> find_active_otp(std::int64_t api_key_id, std::string_view phone,
                                           UnixSeconds now) override {
    auto s = connection_.statement(kFindActiveOtp);
    s->bind(1, api_key_id);
    bind_text(*s, 2, phone);
    s->bind(3, now);
    if (!s->executeStep()) return std::nullopt;
    return read_otp(*s);
  }

  std::vector<OtpRecord> active_otps_for_phone(std::string_view phone, UnixSeconds now) override {
    auto s = connection_.statement(kActiveOtpsForPhone);
    bind_text(*s, 1, phone);
    s->bind(2, now);
    std::vector<OtpRecord> result;
    while (s->executeStep()) result.push_back(read_otp(*s));
    return result;
  }

  std::vector<OtpRecord> newest_pending_otps(UnixSeconds now, std::size_t limit) override {
    auto s = connection_.statement(kNewestPendingOtps);
    s->bind(1, now);
    s->bind(2, static_cast<std::int64_t>(limit));
    std::vector<OtpRecord> result;
    while (s->executeStep()) result.push_back(read_otp(*s));
    return result;
  }

  std::optional<OtpRecord> find_latest_otp(std::int64_t api_key_id,
                                           std::string_view phone) override {
    auto s = connection_.statement(kFindLatestOtp);
    s->bind(1, api_key_id);
    bind_text(*s, 2, phone);
    if (!s->executeStep()) return std::nullopt;
    return read_otp(*s);
  }

  void insert_otp(const OtpRecord& otp) override {
    require_writable("insert_otp");
    auto s = connection_.statement(kInsertOtp);
    bind_otp(*s, otp);
    s->exec();
  }

  void update_otp(const OtpRecord& otp) override {
    require_writable("update_otp");
    auto s = connection_.statement(
        "UPDATE otps SET status = ?, failed_attempts = ?, send_count = ?, last_sent_at = ? "
        "WHERE id = ?");
    bind_text(*s, 1, to_string(otp.status));
    s->bind(2, otp.failed_attempts);
    s->bind(3, otp.send_count);
    s->bind(4, otp.last_sent_at);
    bind_text(*s, 5, otp.id);
    // Updating an OTP that is not there is a caller bug; silently doing nothing would hide it.
    if (s->exec() == 0) throw std::runtime_error("update_otp: no otp with id " + otp.id);
  }

  void add_event(std::string_view otp_id, std::string_view type, UnixSeconds at,
                 std::string_view detail) override {
    require_writable("add_event");
    auto s = connection_.statement(
        "INSERT INTO otp_events (otp_id, type, at, detail) VALUES (?, ?, ?, ?)");
    bind_text(*s, 1, otp_id);
    bind_text(*s, 2, type);
    s->bind(3, at);
    bind_text(*s, 4, detail);
    s->exec();
  }

  std::vector<OtpEvent> events(std::string_view otp_id) override {
    auto s = connection_.statement(
        "SELECT type, at, detail FROM otp_events WHERE otp_id = ? ORDER BY at, id");
    bind_text(*s, 1, otp_id);
    std::vector<OtpEvent> result;
    while (s->executeStep()) {
      result.push_back(OtpEvent{text_at(*s, 0), int64_at(*s, 1), text_at(*s, 2)});
    }
    return result;
  }

  void enqueue_delivery(std::string_view otp_id, std::string_view reason, UnixSeconds at) override {
    require_writable("enqueue_delivery");
    auto s = connection_.statement(
        "INSERT INTO outbox (otp_id, reason, created_at, next_attempt_at, attempts) "
        "VALUES (?, ?, ?, ?, 0)");
    bind_text(*s, 1, otp_id);
    bind_text(*s, 2, reason);
    s->bind(3, at);
    s->bind(4, at);
    s->exec();
  }

  std::vector<PendingDelivery> due_deliveries(UnixSeconds now, std::size_t limit) override {
    // "Oldest" is by creation, so a delivery that was retried keeps its place in line.
    auto s = connection_.statement("SELECT " + std::string(kOutboxColumns) +
                                   " FROM outbox WHERE next_attempt_at <= ?1 AND lease_until <= ?1 "
                                   "ORDER BY created_at, id LIMIT ?2");
    s->bind(1, now);
    s->bind(2, as_limit(limit));
    std::vector<PendingDelivery> result;
    while (s->executeStep()) result.push_back(read_delivery(*s));
    return result;
  }

  std::vector<PendingDelivery> claim_deliveries(UnixSeconds now, UnixSeconds lease_until,
                                                std::size_t limit) override {
    require_writable("claim_deliveries");
    // One writer at a time (SQLite), so select-then-update cannot hand a row to two claims.
    std::vector<PendingDelivery> rows = due_deliveries(now, limit);
    auto s = connection_.statement("UPDATE outbox SET lease_until = ? WHERE id = ?");
    for (PendingDelivery& row : rows) {
      s->reset();
      s->bind(1, lease_until);
      s->bind(2, row.id);
      s->exec();
      row.lease_until = lease_until;
    }
    return rows;
  }

  std::optional<PendingDelivery> find_delivery(std::int64_t delivery_id) override {
    auto s = connection_.statement("SELECT " + std::string(kOutboxColumns) +
                                   " FROM outbox WHERE id = ?");
    s->bind(1, delivery_id);
    if (!s->executeStep()) return std::nullopt;
    return read_delivery(*s);
  }

  void reschedule_delivery(const PendingDelivery& delivery) override {
    require_writable("reschedule_delivery");
    auto s = connection_.statement(
        "UPDATE outbox SET state = ?, next_attempt_at = ?, attempts = ?, "
        "receipt_failover_used = ?, lease_until = 0 WHERE id = ?");
    bind_text(*s, 1, delivery.state);
    s->bind(2, delivery.next_attempt_at);
    s->bind(3, delivery.attempts);
    s->bind(4, delivery.receipt_failover_used ? 1 : 0);
    s->bind(5, delivery.id);
    s->exec();
  }

  std::int64_t insert_delivery_attempt(const DeliveryAttempt& a) override {
    require_writable("insert_delivery_attempt");
    auto s = connection_.statement(
        "INSERT INTO delivery_attempts (outbox_id, otp_id, provider, reason, outcome, "
        "gateway_message_id, error, gateway_status, cost, http_status, latency_ms, started_at, "
        "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s->bind(1, a.outbox_id);
    bind_text(*s, 2, a.otp_id);
    bind_text(*s, 3, a.provider);
    bind_text(*s, 4, a.reason);
    bind_text(*s, 5, a.outcome);
    bind_text(*s, 6, a.gateway_message_id);
    bind_text(*s, 7, a.error);
    bind_text(*s, 8, a.gateway_status);
    bind_text(*s, 9, a.cost);
    s->bind(10, a.http_status);
    s->bind(11, a.latency_ms);
    s->bind(12, a.started_at);
    s->bind(13, a.finished_at);
    s->exec();
    return connection_.db->getLastInsertRowid();
  }

  void finish_delivery_attempt(const DeliveryAttempt& a) override {
    require_writable("finish_delivery_attempt");
    auto s = connection_.statement(
        "UPDATE delivery_attempts SET outcome = ?, gateway_message_id = ?, error = ?, "
        "gateway_status = ?, cost = ?, http_status = ?, latency_ms = ?, finished_at = ? "
        "WHERE id = ?");
    bind_text(*s, 1, a.outcome);
    bind_text(*s, 2, a.gateway_message_id);
    bind_text(*s, 3, a.error);
    bind_text(*s, 4, a.gateway_status);
    bind_text(*s, 5, a.cost);
    s->bind(6, a.http_status);
    s->bind(7, a.latency_ms);
    s->bind(8, a.finished_at);
    s->bind(9, a.id);
    s->exec();
  }

  void record_delivery_receipt(std::int64_t attempt_id, std::string_view receipt,
                               std::string_view receipt_status, UnixSeconds at) override {
    require_writable("record_delivery_receipt");
    auto s = connection_.statement(
        "UPDATE delivery_attempts SET receipt = ?, receipt_status = ?, receipt_at = ? "
        "WHERE id = ?");
    bind_text(*s, 1, receipt);
    bind_text(*s, 2, receipt_status);
    s->bind(3, at);
    s->bind(4, attempt_id);
    s->exec();
  }

  std::vector<DeliveryAttempt> delivery_attempts(std::string_view otp_id) override {
    auto s = connection_.statement("SELECT " + std::string(kAttemptColumns) +
                                   " FROM delivery_attempts WHERE otp_id = ? ORDER BY id");
    bind_text(*s, 1, otp_id);
    std::vector<DeliveryAttempt> rows;
    while (s->executeStep()) rows.push_back(read_attempt(*s));
    return rows;
  }

  std::vector<DeliveryAttempt> delivery_attempts_for_outbox(std::int64_t outbox_id) override {
    auto s = connection_.statement("SELECT " + std::string(kAttemptColumns) +
                                   " FROM delivery_attempts WHERE outbox_id = ? ORDER BY id");
    s->bind(1, outbox_id);
    std::vector<DeliveryAttempt> rows;
    while (s->executeStep()) rows.push_back(read_attempt(*s));
    return rows;
  }

  std::optional<DeliveryAttempt> find_delivery_attempt(
      std::string_view provider, std::string_view gateway_message_id) override {
    if (gateway_message_id.empty()) return std::nullopt;
    auto s = connection_.statement(
        "SELECT " + std::string(kAttemptColumns) +
        " FROM delivery_attempts WHERE provider = ? AND gateway_message_id = ? "
        "AND gateway_message_id <> '' ORDER BY id DESC LIMIT 1");  // the <> lets the partial index
                                                                   // serve
    bind_text(*s, 1, provider);
    bind_text(*s, 2, gateway_message_id);
    if (!s->executeStep()) return std::nullopt;
    return read_attempt(*s);
  }

  std::vector<DeliveryAttempt> attempts_awaiting_receipt(std::string_view provider,
                                                         UnixSeconds since, int max_polls,
                                                         std::size_t limit) override {
    auto s = connection_.statement(
        "SELECT " + std::string(kAttemptColumns) +
        " FROM delivery_attempts WHERE provider = ? AND gateway_message_id <> '' "
        "AND outcome = 'accepted' AND receipt IN ('', 'pending') AND started_at >= ? "
        "AND polls < ? ORDER BY receipt_at, id LIMIT ?");
    bind_text(*s, 1, provider);
    s->bind(2, since);
    s->bind(3, max_polls);
    s->bind(4, as_limit(limit));
    std::vector<DeliveryAttempt> rows;
    while (s->executeStep()) rows.push_back(read_attempt(*s));
    return rows;
  }

  void count_delivery_poll(std::int64_t attempt_id) override {
    require_writable("count_delivery_poll");
    auto s = connection_.statement("UPDATE delivery_attempts SET polls = polls + 1 WHERE id = ?");
    s->bind(1, attempt_id);
    s->exec();
  }

  void complete_delivery(std::int64_t delivery_id) override {
    require_writable("complete_delivery");
    auto s = connection_.statement("DELETE FROM outbox WHERE id = ?");
    s->bind(1, delivery_id);
    s->exec();
  }

  void reopen_delivery(const PendingDelivery& delivery) override {
    require_writable("reopen_delivery");
    auto s = connection_.statement(
        "INSERT OR IGNORE INTO outbox (id, otp_id, reason, created_at, next_attempt_at, attempts, "
        "state, lease_until, receipt_failover_used) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)");
    s->bind(1, delivery.id);
    bind_text(*s, 2, delivery.otp_id);
    bind_text(*s, 3, delivery.reason);
    s->bind(4, delivery.created_at);
    s->bind(5, delivery.next_attempt_at);
    s->bind(6, delivery.attempts);
    bind_text(*s, 7, delivery.state);
    s->bind(8, delivery.receipt_failover_used ? 1 : 0);
    s->exec();
  }

  void retry_delivery_later(std::int64_t delivery_id, UnixSeconds next_attempt_at) override {
    require_writable("retry_delivery_later");
    auto s = connection_.statement(
        "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?");
    s->bind(1, next_attempt_at);
    s->bind(2, delivery_id);
    s->exec();
  }

  bool enqueue_webhook(std::int64_t api_key_id, std::string_view otp_id, std::string_view event,
                       std::string_view payload, UnixSeconds at) override {
    require_writable("enqueue_webhook");
    // The subselect makes events of keys without a webhook a primary-key lookup and nothing more.
    auto s = connection_.statement(
        "INSERT INTO webhook_outbox (api_key_id, otp_id, event, payload, created_at, "
        "next_attempt_at) SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE EXISTS (SELECT 1 FROM api_keys "
        "WHERE id = ?1 AND webhook_url IS NOT NULL AND webhook_url <> '')");
    s->bind(1, api_key_id);
    bind_text(*s, 2, otp_id);
    bind_text(*s, 3, event);
    bind_text(*s, 4, payload);
    s->bind(5, at);
    return s->exec() > 0;
  }

  std::vector<PendingWebhook> due_webhooks(UnixSeconds now, std::size_t limit) override {
    auto s = connection_.statement(std::string(kSelectWebhooks) +
                                   "WHERE w.next_attempt_at <= ?1 AND w.lease_until <= ?1 "
                                   "ORDER BY w.next_attempt_at, w.id LIMIT ?2");
    s->bind(1, now);
    s->bind(2, as_limit(limit));
    std::vector<PendingWebhook> rows;
    while (s->executeStep()) rows.push_back(read_webhook(*s));
    return rows;
  }

  std::vector<PendingWebhook> claim_webhooks(UnixSeconds now, UnixSeconds lease_until,
                                             std::size_t limit) override {
    require_writable("claim_webhooks");
    std::vector<PendingWebhook> rows = due_webhooks(now, limit);
    auto s = connection_.statement(
        "UPDATE webhook_outbox SET lease_until = ?, attempts = attempts + 1 WHERE id = ?");
    for (const PendingWebhook& row : rows) {
      s->reset();
      s->bind(1, lease_until);
      s->bind(2, row.id);
      s->exec();
    }
    return rows;
  }

  void complete_webhook(std::int64_t webhook_id) override {
    require_writable("complete_webhook");
    auto s = connection_.statement("DELETE FROM webhook_outbox WHERE id = ?");
    s->bind(1, webhook_id);
    s->exec();
  }

  void retry_webhook_later(std::int64_t webhook_id, UnixSeconds next_attempt_at) override {
    require_writable("retry_webhook_later");
    auto s = connection_.statement(
        "UPDATE webhook_outbox SET next_attempt_at = ?, lease_until = 0 WHERE id = ?");
    s->bind(1, next_attempt_at);
    s->bind(2, webhook_id);
    s->exec();
  }

  void insert_webhook_attempt(const WebhookAttempt& a) override {
    require_writable("insert_webhook_attempt");
    auto s = connection_.statement(
        "INSERT INTO webhook_attempts (webhook_id, otp_id, event, http_status, error, latency_ms, "
        "at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s->bind(1, a.webhook_id);
    bind_text(*s, 2, a.otp_id);
    bind_text(*s, 3, a.event);
    s->bind(4, a.http_status);
    bind_text(*s, 5, a.error);
    s->bind(6, a.latency_ms);
    s->bind(7, a.at);
    s->exec();
  }

  std::vector<WebhookAttempt> webhook_attempts(std::string_view otp_id) override {
    auto s = connection_.statement(
        "SELECT id, webhook_id, otp_id, event, http_status, error, latency_ms, at "
        "FROM webhook_attempts WHERE otp_id = ? ORDER BY id");
    bind_text(*s, 1, otp_id);
    std::vector<WebhookAttempt> rows;
    while (s->executeStep()) {
      rows.push_back(WebhookAttempt{int64_at(*s, 0), int64_at(*s, 1), text_at(*s, 2),
                                    text_at(*s, 3), int_at(*s, 4), text_at(*s, 5), int64_at(*s, 6),
                                    int64_at(*s, 7)});
    }
    return rows;
  }

  std::int64_t rate_count(std::string_view scope, std::string_view key,
                          UnixSeconds window_start) override {
    auto s = connection_.statement(
        "SELECT count FROM rate_counters WHERE scope = ? AND key = ? AND window_start = ?");
    bind_text(*s, 1, scope);
    bind_text(*s, 2, key);
    s->bind(3, window_start);
    return s->executeStep() ? int64_at(*s, 0) : 0;
  }

  void rate_increment(std::string_view scope, std::string_view key,
                      UnixSeconds window_start) override {
    require_writable("rate_increment");
    auto s = connection_.statement(
        "INSERT INTO rate_counters (scope, key, window_start, count) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (scope, key, window_start) DO UPDATE SET count = count + 1");
    bind_text(*s, 1, scope);
    bind_text(*s, 2, key);
    s->bind(3, window_start);
    s->exec();
  }

  void log_phone_send(std::int64_t api_key_id, std::string_view phone, UnixSeconds at) override {
    require_writable("log_phone_send");
    auto s = connection_.statement(
        "INSERT INTO phone_sends (api_key_id, phone, sent_at) VALUES (?, ?, ?)");
    s->bind(1, api_key_id);
    bind_text(*s, 2, phone);
    s->bind(3, at);
    s->exec();
  }

  std::int64_t count_phone_sends(std::optional<std::int64_t> api_key_id, std::string_view phone,
                                 UnixSeconds since) override {
    // `? IS NULL OR` lets one statement serve both the per-key and the all-keys count.
    auto s = connection_.statement(
        "SELECT COUNT(*) FROM phone_sends WHERE phone = ?1 AND (?2 IS NULL OR api_key_id = ?2) "
        "AND sent_at > ?3");
    bind_phone_key(*s, api_key_id, phone);
    s->bind(3, since);
    s->executeStep();
    return int64_at(*s, 0);
  }

  std::optional<UnixSeconds> phone_send_at(std::optional<std::int64_t> api_key_id,
                                           std::string_view phone, UnixSeconds since,
                                           std::int64_t index) override {
    auto s = connection_.statement(
        "SELECT sent_at FROM phone_sends WHERE phone = ?1 AND (?2 IS NULL OR api_key_id = ?2) "
        "AND sent_at > ?3 ORDER BY sent_at LIMIT 1 OFFSET ?4");
    bind_phone_key(*s, api_key_id, phone);
    s->bind(3, since);
    s->bind(4, std::max<std::int64_t>(0, index));
    if (!s->executeStep()) return std::nullopt;
    return int64_at(*s, 0);
  }

  void log_verify_attempt(std::int64_t api_key_id, std::string_view phone,
                          UnixSeconds at) override {
    require_writable("log_verify_attempt");
    auto s = connection_.statement(
        "INSERT INTO verify_attempts (api_key_id, phone, at) VALUES (?, ?, ?)");
    s->bind(1, api_key_id);
    bind_text(*s, 2, phone);
    s->bind(3, at);
    s->exec();
  }

  std::int64_t count_verify_attempts(std::int64_t api_key_id, std::string_view phone,
                                     UnixSeconds since) override {
    auto s = connection_.statement(
        "SELECT COUNT(*) FROM verify_attempts WHERE api_key_id = ? AND phone = ? AND at > ?");
    s->bind(1, api_key_id);
    bind_text(*s, 2, phone);
    s->bind(3, since);
    s->executeStep();
    return int64_at(*s, 0);
  }

  std::optional<UnixSeconds> verify_blocked_until(std::int64_t api_key_id,
                                                  std::string_view phone) override {
    auto s =
        connection_.statement("SELECT until FROM verify_blocks WHERE api_key_id = ? AND phone = ?");
    s->bind(1, api_key_id);
    bind_text(*s, 2, phone);
    if (!s->executeStep()) return std::nullopt;
    return int64_at(*s, 0);
  }

  void block_verifies(std::int64_t api_key_id, std::string_view phone, UnixSeconds until) override {
    require_writable("block_verifies");
    auto s = connection_.statement(
        "INSERT INTO verify_blocks (api_key_id, phone, until) VALUES (?, ?, ?) "
        "ON CONFLICT (api_key_id, phone) DO UPDATE SET until = excluded.until");
    s->bind(1, api_key_id);
    bind_text(*s, 2, phone);
    s->bind(3, until);
    s->exec();
  }

  std::optional<SendBudget> find_send_budget(std::int64_t api_key_id) override {
    auto s = connection_.statement(
        "SELECT daily_limit, balance, balance_granted, day, sent_today, sent_total "
        "FROM send_budgets WHERE api_key_id = ?");
    s->bind(1, api_key_id);
    if (!s->executeStep()) return std::nullopt;
    return SendBudget{optional_int64_at(*s, 0), optional_int64_at(*s, 1), int64_at(*s, 2),
                      int64_at(*s, 3),          int64_at(*s, 4),          int64_at(*s, 5)};
  }

  void save_send_budget(std::int64_t api_key_id, const SendBudget& budget) override {
    require_writable("save_send_budget");
    auto s = connection_.statement(
        "INSERT INTO send_budgets (api_key_id, daily_limit, balance, balance_granted, day, "
        "sent_today, sent_total) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (api_key_id) DO UPDATE SET daily_limit = ?2, balance = ?3, "
        "balance_granted = ?4, day = ?5, sent_today = ?6, sent_total = ?7");
    s->bind(1, api_key_id);
    bind_optional_int64(*s, 2, budget.daily_limit);
    bind_optional_int64(*s, 3, budget.balance);
    s->bind(4, budget.balance_granted);
    s->bind(5, budget.day);
    s->bind(6, budget.sent_today);
    s->bind(7, budget.sent_total);
    s->exec();
  }

  std::optional<IdempotencyRecord> find_idempotency(std::int64_t api_key_id,
                                                    std::string_view key) override {
    auto s = connection_.statement(
        "SELECT fingerprint, otp_id, created_at FROM idempotency "
        "WHERE api_key_id = ? AND key = ?");
    s->bind(1, api_key_id);
    bind_text(*s, 2, key);
    if (!s->executeStep()) return std::nullopt;
    return IdempotencyRecord{api_key_id, std::string(key), text_at(*s, 0), text_at(*s, 1),
                             int64_at(*s, 2)};
  }

  void save_idempotency(const IdempotencyRecord& record) override {
    require_writable("save_idempotency");
    // Replaces a record with the same (api_key_id, key): the policy saves only when no live
    // record exists, so what gets replaced is one past its time to live (not yet swept).
    auto s = connection_.statement(
        "INSERT INTO idempotency (api_key_id, key, fingerprint, otp_id, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (api_key_id, key) DO UPDATE SET "
        "fingerprint = excluded.fingerprint, otp_id = excluded.otp_id, "
        "created_at = excluded.created_at");
    s->bind(1, record.api_key_id);
    bind_text(*s, 2, record.key);
    bind_text(*s, 3, record.fingerprint);
    bind_text(*s, 4, record.otp_id);
    s->bind(5, record.created_at);
    s->exec();
  }

  std::vector<std::string> expire_due(UnixSeconds now, std::size_t limit) override {
    require_writable("expire_due");
    auto s = connection_.statement(
        "UPDATE otps SET status = 'expired' WHERE id IN ("
        "SELECT id FROM otps WHERE status = 'pending' AND expires_at <= ?1 "
        "ORDER BY expires_at LIMIT ?2) RETURNING id");
    s->bind(1, now);
    s->bind(2, as_limit(limit));
    std::vector<std::string> ids;
    while (s->executeStep()) ids.push_back(text_at(*s, 0));
    return ids;
  }

  std::size_t purge_otps_created_before(UnixSeconds cutoff, std::size_t limit) override {
    require_writable("purge_otps_created_before");
    // Events and outbox rows go with their OTP through ON DELETE CASCADE (foreign_keys=ON).
    auto s = connection_.statement(
        "DELETE FROM otps WHERE id IN ("
        "SELECT id FROM otps WHERE created_at < ? ORDER BY created_at LIMIT ?)");
    s->bind(1, cutoff);
    s->bind(2, as_limit(limit));
    return static_cast<std::size_t>(s->exec());
  }

  std::size_t purge_idempotency_before(UnixSeconds cutoff) override {
    require_writable("purge_idempotency_before");
    auto s = connection_.statement("DELETE FROM idempotency WHERE created_at < ?");
    s->bind(1, cutoff);
    return static_cast<std::size_t>(s->exec());
  }

  std::int64_t queued_sends(std::int64_t api_key_id) override {
    // CROSS JOIN keeps the outbox (small: only what is not delivered yet) as the outer loop.
    auto s = connection_.statement(
        "SELECT COUNT(*) FROM outbox CROSS JOIN otps ON otps.id = outbox.otp_id "
        "WHERE otps.api_key_id = ? AND otps.status = 'pending'");
    s->bind(1, api_key_id);
    s->executeStep();
    return int64_at(*s, 0);
  }

  std::vector<RateWindowCount> rate_counts_since(std::string_view scope,
                                                 UnixSeconds since) override {
    auto s = connection_.statement(
        "SELECT key, window_start, count FROM rate_counters WHERE scope = ? AND window_start >= ?");
    bind_text(*s, 1, scope);
    s->bind(2, since);
    std::vector<RateWindowCount> rows;
    while (s->executeStep()) rows.push_back({text_at(*s, 0), int64_at(*s, 1), int64_at(*s, 2)});
    return rows;
  }

  std::optional<UssdSession> find_ussd_session(std::string_view dialect,
                                               std::string_view id) override {
    auto s = connection_.statement(
        "SELECT dialect, id, msisdn, service_code, language, network, state, tries, steps, "
        "created_at, last_seen_at, ended_at, end_reason, report FROM ussd_sessions "
        "WHERE dialect = ? AND id = ?");
    bind_text(*s, 1, dialect);
    bind_text(*s, 2, id);
    if (!s->executeStep()) return std::nullopt;
    UssdSession session;
    session.dialect = text_at(*s, 0);
    session.id = text_at(*s, 1);
    session.msisdn = text_at(*s, 2);
    session.service_code = text_at(*s, 3);
    session.language = text_at(*s, 4);
    session.network = text_at(*s, 5);
    session.state = text_at(*s, 6);
    session.tries = int_at(*s, 7);
    session.steps = int_at(*s, 8);
    session.created_at = int64_at(*s, 9);
    session.last_seen_at = int64_at(*s, 10);
    session.ended_at = optional_int64_at(*s, 11);
    session.end_reason = text_at(*s, 12);
    session.report = text_at(*s, 13);
    return session;
  }

  void save_ussd_session(const UssdSession& session) override {
    require_writable("save_ussd_session");
    auto s = connection_.statement(
        "INSERT INTO ussd_sessions (dialect, id, msisdn, service_code, language, network, "
        "state, tries, steps, created_at, last_seen_at, ended_at, end_reason, report) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        // An update in place, not REPLACE's delete and insert: half the b-tree work.
        "ON CONFLICT (dialect, id) DO UPDATE SET msisdn = excluded.msisdn, "
        "service_code = excluded.service_code, language = excluded.language, "
        "network = excluded.network, state = excluded.state, tries = excluded.tries, "
        "steps = excluded.steps, created_at = excluded.created_at, "
        "last_seen_at = excluded.last_seen_at, ended_at = excluded.ended_at, "
        "end_reason = excluded.end_reason, "
        // A step's row never erases the aggregator's end-of-session report.
        "report = CASE WHEN excluded.report = '' THEN report ELSE excluded.report END "
        // An older state (a write retried after a newer one) never replaces a newer one.
        "WHERE excluded.steps >= steps");
    bind_text(*s, 1, session.dialect);
    bind_text(*s, 2, session.id);
    bind_text(*s, 3, session.msisdn);
    bind_text(*s, 4, session.service_code);
    bind_text(*s, 5, session.language);
    bind_text(*s, 6, session.network);
    bind_text(*s, 7, session.state);
    s->bind(8, session.tries);
    s->bind(9, session.steps);
    s->bind(10, session.created_at);
    s->bind(11, session.last_seen_at);
    if (session.ended_at) {
      s->bind(12, *session.ended_at);
    } else {
      s->bind(12);
    }
    bind_text(*s, 13, session.end_reason);
    bind_text(*s, 14, session.report);
    s->exec();
  }

  std::size_t end_idle_ussd_sessions(UnixSeconds idle_cutoff, UnixSeconds now,
                                     std::size_t limit) override {
    require_writable("end_idle_ussd_sessions");
    auto s = connection_.statement(
        "UPDATE ussd_sessions SET ended_at = ?, end_reason = 'idle', state = '' "
        "WHERE (dialect, id) IN (SELECT dialect, id FROM ussd_sessions WHERE last_seen_at < ? "
        "AND ended_at IS NULL LIMIT ?)");
    s->bind(1, now);
    s->bind(2, idle_cutoff);
    s->bind(3, static_cast<std::int64_t>(limit));
    return static_cast<std::size_t>(s->exec());
  }

  std::size_t purge_ussd_sessions_before(UnixSeconds cutoff, std::size_t limit) override {
    require_writable("purge_ussd_sessions_before");
    auto s = connection_.statement(
        "DELETE FROM ussd_sessions WHERE (dialect, id) IN (SELECT dialect, id FROM ussd_sessions "
        "WHERE last_seen_at < ? LIMIT ?)");
    s->bind(1, cutoff);
    s->bind(2, static_cast<std::int64_t>(limit));
    return static_cast<std::size_t>(s->exec());
  }

  std::size_t purge_phone_sends_until(UnixSeconds cutoff) override {
    require_writable("purge_phone_sends_until");
    auto s = connection_.statement("DELETE FROM phone_sends WHERE sent_at <= ?");
    s->bind(1, cutoff);
    return static_cast<std::size_t>(s->exec());
  }

  std::size_t purge_verify_throttle(UnixSeconds attempt_cutoff, UnixSeconds now) override {
    require_writable("purge_verify_throttle");
    auto attempts = connection_.statement("DELETE FROM verify_attempts WHERE at <= ?");
    attempts->bind(1, attempt_cutoff);
    std::size_t deleted = static_cast<std::size_t>(attempts->exec());
    auto blocks = connection_.statement("DELETE FROM verify_blocks WHERE until <= ?");
    blocks->bind(1, now);
    return deleted + static_cast<std::size_t>(blocks->exec());
  }

  std::size_t purge_rate_windows_before(UnixSeconds cutoff) override {
    require_writable("purge_rate_windows_before");
    auto s = connection_.statement("DELETE FROM rate_counters WHERE window_start < ?");
    s->bind(1, cutoff);
    return static_cast<std::size_t>(s->exec());
  }

 private:
  // Binds ?1 (phone) and ?2 (the key, or NULL for every key).
  static void bind_phone_key(SQLite::Statement& s, std::optional<std::int64_t> api_key_id,
                             std::string_view phone) {
    bind_text(s, 1, phone);
    if (api_key_id) {
      s.bind(2, *api_key_id);
    } else {
      s.bind(2);
    }
  }

  void require_writable(const char* operation) const {
    if (!writable_) {
      throw std::logic_error(std::string("SqliteStore: ") + operation + " inside read()");
    }
  }

  Connection& connection_;
  bool writable_;
};

// --- SqliteStore
// ----------------------------------------------------------------------------------

SqliteStore::SqliteStore(const SqliteOptions& options) : path_(options.path) {
  // Validate everything before touching the filesystem, so a bad config creates no file.
  const std::string synchronous = normalise_synchronous(options.synchronous);
  if (options.busy_timeout_ms < 0) {
    throw std::invalid_argument("sqlite busy_timeout_ms must not be negative");
  }
  if (options.cache_mib < 1) throw std::invalid_argument("sqlite cache_mib must be at least 1");
  if (options.mmap_mib < 0) throw std::invalid_argument("sqlite mmap_mib must not be negative");
  const std::string cache_size = std::to_string(-std::int64_t{options.cache_mib} * 1024);
  const std::string mmap_size = std::to_string(std::int64_t{options.mmap_mib} << 20);
  if (path_.empty()) throw std::invalid_argument("sqlite path is empty");
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());

  auto open = [&](Connection& connection) {
    // NOMUTEX: each connection is only used under its own mutex, so SQLite's per-call locking
    // would be redundant work.
    connection.db = std::make_unique<SQLite::Database>(
        path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
        options.busy_timeout_ms);
    // WAL lets readers (this store's reader, probes, a second process) run while one writer
    // commits. SQLite silently keeps the old mode when it cannot switch (e.g. in-memory).
    const std::string mode = connection.db->execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal") {
      throw std::runtime_error("sqlite: could not enable WAL journal mode on " + path_.string() +
                               " (still '" + mode + "')");
    }
    connection.db->exec("PRAGMA synchronous = " + synchronous);
    // Statement and savepoint journals in memory: on disk, SQLite creates and deletes a temp
    // file for them in many write transactions (measured: ext4 inode churn on every request).
    connection.db->exec("PRAGMA temp_store = MEMORY");
    // Reads through a memory map and a larger page cache: fewer pread() calls per request.
    // Both are per connection and settings (sqlite-cache-mib, sqlite-mmap-mib), so an operator
    // can size a container. A negative cache_size is in KiB rather than pages.
    connection.db->exec("PRAGMA mmap_size = " + mmap_size);
    connection.db->exec("PRAGMA cache_size = " + cache_size);
    // wal_autocheckpoint stays at SQLite's 1000 pages: 16384 measured no faster on this machine
    // and tripled p99 (one long checkpoint stalls every write queued behind it).
    // Per connection and a no-op inside a transaction: must be set here, before any BEGIN.
    connection.db->exec("PRAGMA foreign_keys = ON");
    if (connection.db->execAndGet("PRAGMA foreign_keys").getInt() != 1) {
      throw std::runtime_error("sqlite: foreign keys are unavailable; purge relies on cascades");
    }
  };
  writer_ = std::make_unique<Connection>();
  open(*writer_);
  apply_sqlite_migrations(*writer_->db);
  // Several readers: concurrent steps (USSD lookups, key checks) do not queue behind one lock.
  for (int i = 0; i < std::max(1, options.readers); ++i) {
    auto reader = std::make_unique<Connection>();
    open(*reader);
    reader->db->exec("PRAGMA query_only = ON");
    readers_.push_back(std::move(reader));
  }
}

SqliteStore::~SqliteStore() {
  // Finalise statements before closing, or close would report the database busy.
  for (auto& reader : readers_) {
    std::lock_guard lock(reader->mutex);
    reader->statements.clear();
    reader->db.reset();
  }
  if (!writer_) return;
  std::lock_guard lock(writer_->mutex);
  writer_->statements.clear();
  if (!writer_->db) return;
  // Best effort: a failure here must not throw from a destructor, and the data is already safe.
  writer_->db->tryExec("PRAGMA optimize");
  writer_->db->tryExec("PRAGMA wal_checkpoint(TRUNCATE)");
}

SqliteStore::Connection& SqliteStore::next_reader() const {
  // In turn, skipping readers that are busy right now, so one long read (the dispatcher's batch,
  // a listing) does not hold up every fourth caller. A probe, not a reservation: if another
  // thread takes the reader first, this caller waits for it like any other.
  const std::size_t start = next_reader_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < readers_.size(); ++i) {
    Connection& candidate = *readers_[(start + i) % readers_.size()];
    if (candidate.owner.load(std::memory_order_relaxed) == std::thread::id{}) return candidate;
  }
  return *readers_[start % readers_.size()];
}

int SqliteStore::latest_schema_version() {
  return latest_sqlite_schema_version();
}

int SqliteStore::schema_version() const {
  auto lock = writer_->lock();
  return writer_->db->execAndGet("PRAGMA user_version").getInt();
}

std::string SqliteStore::synchronous_mode() const {
  auto lock = writer_->lock();
  return synchronous_name(writer_->db->execAndGet("PRAGMA synchronous").getInt());
}

std::vector<SqliteConnectionMemory> SqliteStore::connection_memory() const {
  std::vector<SqliteConnectionMemory> out;
  auto read = [&out](Connection& connection) {
    auto lock = connection.lock();
    SqliteConnectionMemory memory;
    memory.cache_kib = -connection.db->execAndGet("PRAGMA cache_size").getInt64();
    memory.mmap_bytes = connection.db->execAndGet("PRAGMA mmap_size").getInt64();
    out.push_back(memory);
  };
  read(*writer_);
  for (const auto& reader : readers_) read(*reader);
  return out;
}

void SqliteStore::run_locked(Connection& connection, bool for_write,
                             const std::function<void()>& work) const {
  if (t_store_in_callback == this) {
    throw std::logic_error("SqliteStore: nested transaction (store used inside its own callback)");
  }
  auto lock = connection.lock();
  connection.owner.store(std::this_thread::get_id());
  t_store_in_callback = this;
  struct OwnerReset {
    std::atomic<std::thread::id>& owner;
    ~OwnerReset() {
      owner.store(std::thread::id{});
      t_store_in_callback = nullptr;
    }
  } owner_reset{connection.owner};

  // IMMEDIATE takes the write lock up front, so a busy database fails here (after the busy
  // timeout) rather than half-way through the work.
  connection.statement(for_write ? "BEGIN IMMEDIATE" : "BEGIN")->exec();
  try {
    work();
    connection.statement("COMMIT")->exec();
  } catch (...) {
    // SQLite may already have rolled back by itself (e.g. on SQLITE_FULL); only roll back if
    // a transaction is still open, and never let a rollback failure mask the original error.
    if (connection.in_transaction()) connection.db->tryExec("ROLLBACK");
    throw;
  }
}

void SqliteStore::commit_batch(const std::vector<PendingWrite*>& batch) {
  Connection& connection = *writer_;
  auto fail_all = [&](std::exception_ptr error) {
    for (PendingWrite* job : batch) job->error = error;
  };
  try {
    run_locked(connection, true, [&] {
      for (PendingWrite* job : batch) {
        connection.statement("SAVEPOINT write_job")->exec();
        try {
          Transaction transaction(connection, true);
          (*job->work)(transaction);
          connection.statement("RELEASE write_job")->exec();
        } catch (...) {
          job->error = std::current_exception();
          // An I/O error or a full disk can end the whole transaction: the jobs before this
          // one are gone too, so all of them fail (run_locked rethrows to report it).
          if (!connection.in_transaction()) throw;
          connection.statement("ROLLBACK TO write_job")->exec();
          connection.statement("RELEASE write_job")->exec();
        }
      }
    });
  } catch (...) {
    fail_all(std::current_exception());  // nothing in this batch was committed
  }
}

void SqliteStore::run_write(const TransactionWork& work) {
  // Queuing behind our own open transaction would wait forever: refuse nesting up front.
  if (t_store_in_callback == this) {
    throw std::logic_error("SqliteStore: nested transaction (store used inside its own callback)");
  }
  constexpr std::size_t kMaxBatch = 256;
  PendingWrite job{&work, nullptr, false};
  std::unique_lock queue_lock(queue_mutex_);
  queue_.push_back(&job);
  while (!job.done) {
    if (leader_active_) {
      queue_changed_.wait(queue_lock);
      continue;
    }
    // Lead: commit what is queued (this job included, unless an earlier leader took it).
    leader_active_ = true;
    const std::size_t count = std::min(queue_.size(), kMaxBatch);
    std::vector<PendingWrite*> batch(queue_.begin(), queue_.begin() + count);
    queue_.erase(queue_.begin(), queue_.begin() + count);
    queue_lock.unlock();
    commit_batch(batch);
    queue_lock.lock();
    for (PendingWrite* done : batch) done->done = true;
    leader_active_ = false;
    queue_changed_.notify_all();
  }
  if (job.error) std::rethrow_exception(job.error);
}

void SqliteStore::run_read(const TransactionWork& work) {
  Connection& reader = next_reader();
  run_locked(reader, false, [&] {
    Transaction transaction(reader, false);
    work(transaction);
  });
}

bool SqliteStore::writable() {
  try {
    // An empty IMMEDIATE transaction: proves the write lock can be taken and released.
    run_locked(*writer_, true, [] {});
    return true;
  } catch (...) {
    return false;
  }
}

// --- ApiKeyStore
// ----------------------------------------------------------------------------------

std::optional<std::int64_t> SqliteStore::create_api_key(std::string_view name,
                                                        std::string_view prefix, const Bytes& hash,
                                                        UnixSeconds now) {
  std::optional<std::int64_t> id;
  run_locked(*writer_, true, [&] {
    // DO NOTHING only on a name clash; a hash clash is a real bug and still throws.
    auto s = writer_->statement(
        "INSERT INTO api_keys (name, prefix, hash, created_at, client_id) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (name) DO NOTHING");
    bind_text(*s, 1, name);
    bind_text(*s, 2, prefix);
    bind_blob(*s, 3, hash);
    s->bind(4, now);
    bind_text(*s, 5, generate_uuid());
    if (s->exec() == 1) id = writer_->db->getLastInsertRowid();
  });
  return id;
}

std::optional<ApiKeyRecord> SqliteStore::find_api_key_by_hash(const Bytes& hash) {
  std::optional<ApiKeyRecord> key;
  Connection& reader = next_reader();
  run_locked(reader, false, [&] {
    auto s = reader.statement(kFindApiKeyByHash);
    bind_blob(*s, 1, hash);
    if (s->executeStep()) key = read_api_key(*s);
  });
  return key;
}

std::optional<ApiKeyRecord> SqliteStore::find_api_key_by_name(std::string_view name) {
  std::optional<ApiKeyRecord> key;
  Connection& reader = next_reader();
  run_locked(reader, false, [&] {
    auto s = reader.statement(kFindApiKeyByName);
    bind_text(*s, 1, name);
    if (s->executeStep()) key = read_api_key(*s);
  });
  return key;
}

std::optional<ApiKeyRecord> SqliteStore::find_api_key_by_client_id(std::string_view client_id) {
  std::optional<ApiKeyRecord> key;
  Connection& reader = next_reader();
  run_locked(reader, false, [&] {
    auto s = reader.statement(kFindApiKeyByClientId);
    bind_text(*s, 1, client_id);
    if (s->executeStep()) key = read_api_key(*s);
  });
  return key;
}

std::vector<ApiKeyRecord> SqliteStore::list_api_keys() {
  std::vector<ApiKeyRecord> keys;
  Connection& reader = next_reader();
  run_locked(reader, false, [&] {
    auto s = reader.statement(kListApiKeys);
    while (s->executeStep()) keys.push_back(read_api_key(*s));
  });
  return keys;
}

bool SqliteStore::revoke_api_key(std::string_view name, UnixSeconds now) {
  bool revoked = false;
  run_locked(*writer_, true, [&] {
    auto s = writer_->statement(
        "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL");
    s->bind(1, now);
    bind_text(*s, 2, name);
    revoked = s->exec() > 0;
  });
  return revoked;
}

bool SqliteStore::delete_api_key(std::string_view name) {
  bool deleted = false;
  run_locked(*writer_, true, [&] {
    auto s = writer_->statement("DELETE FROM api_keys WHERE name = ?");
    bind_text(*s, 1, name);
    deleted = s->exec() > 0;
  });
  return deleted;
}

bool SqliteStore::set_api_key_webhook(std::int64_t id, std::string_view url,
                                      const Bytes& sealed_secret) {
  bool updated = false;
  run_locked(*writer_, true, [&] {
    auto s =
        writer_->statement("UPDATE api_keys SET webhook_url = ?, webhook_secret = ? WHERE id = ?");
    if (url.empty()) {
      s->bind(1);
      s->bind(2);
    } else {
      bind_text(*s, 1, url);
      bind_blob(*s, 2, sealed_secret);
    }
    s->bind(3, id);
    updated = s->exec() > 0;
  });
  return updated;
}

void SqliteStore::touch_api_key(std::int64_t id, UnixSeconds now) {
  run_locked(*writer_, true, [&] {
    auto s = writer_->statement("UPDATE api_keys SET last_used_at = ? WHERE id = ?");
    s->bind(1, now);
    s->bind(2, id);
    s->exec();
  });
}

// --- TemplateStore
// --------------------------------------------------------------------------------

namespace {

MessageTemplateRecord read_template(const SQLite::Statement& s) {
  return {text_at(s, 0), int64_at(s, 1), text_at(s, 2), int64_at(s, 3)};
}

}  // namespace

void SqliteStore::create_template(const MessageTemplateRecord& record) {
  run_locked(*writer_, true, [&] {
    auto s = writer_->statement(
        "INSERT INTO message_templates (id, api_key_id, text, created_at) VALUES (?, ?, ?, ?)");
    bind_text(*s, 1, record.id);
    s->bind(2, record.api_key_id);
    bind_text(*s, 3, record.text);
    s->bind(4, record.created_at);
    s->exec();
  });
}

std::optional<MessageTemplateRecord> SqliteStore::find_template(std::int64_t api_key_id,
                                                                std::string_view id) {
  std::optional<MessageTemplateRecord> found;
  Connection& reader = next_reader();
  run_locked(reader, false, [&] {
    auto s = reader.statement(
        "SELECT id, api_key_id, text, created_at FROM message_templates "
        "WHERE api_key_id = ? AND id = ?");
    s->bind(1, api_key_id);
    bind_text(*s, 2, id);
    if (s->executeStep()) found = read_template(*s);
  });
  return found;
}

std::vector<MessageTemplateRecord> SqliteStore::list_templates(std::int64_t api_key_id) {
  std::vector<MessageTemplateRecord> templates;
  Connection& reader = next_reader();
  run_locked(reader, false, [&] {
    auto s = reader.statement(
        "SELECT id, api_key_id, text, created_at FROM message_templates "
        "WHERE api_key_id = ? ORDER BY created_at, id");
    s->bind(1, api_key_id);
    while (s->executeStep()) templates.push_back(read_template(*s));
  });
  return templates;
}

bool SqliteStore::delete_template(std::int64_t api_key_id, std::string_view id) {
  bool deleted = false;
  run_locked(*writer_, true, [&] {
    auto s = writer_->statement("DELETE FROM message_templates WHERE api_key_id = ? AND id = ?");
    s->bind(1, api_key_id);
    bind_text(*s, 2, id);
    deleted = s->exec() > 0;
  });
  return deleted;
}

}  // namespace ussd_otp
