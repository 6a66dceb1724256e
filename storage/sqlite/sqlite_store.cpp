// SqliteStore: OTPs, events, outbox, rate counters, idempotency and API keys in one SQLite file.
#include "storage/sqlite/sqlite_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "otp/codes.hpp"
#include "otp/text.hpp"
#include "storage/sqlite/migrations.hpp"

namespace ussd_otp {
namespace {

std::string normalise_synchronous(std::string_view requested) {
  std::string upper = text::ascii_upper(requested);
  if (upper == "OFF" || upper == "NORMAL" || upper == "FULL") return upper;
  throw std::invalid_argument("sqlite synchronous must be OFF, NORMAL or FULL, not '" +
                              std::string(requested) + "'");
}

// --- binding and reading helpers ---------------------------------------------------------------

template <typename T>
inline constexpr bool kIsOptional = false;
template <typename T>
inline constexpr bool kIsOptional<std::optional<T>> = true;

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

// Binds one value as its type says: text, an integer (a bool as 0 or 1), a BLOB, or NULL
// (std::nullopt, or an empty optional).
template <typename T>
void bind_value(SQLite::Statement& s, int index, const T& value) {
  if constexpr (std::is_same_v<T, std::nullopt_t>) {
    s.bind(index);
  } else if constexpr (kIsOptional<T>) {
    if (value) {
      bind_value(s, index, *value);
    } else {
      s.bind(index);
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    s.bind(index, value ? 1 : 0);
  } else if constexpr (std::is_same_v<T, Bytes>) {
    bind_blob(s, index, value);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    bind_text(s, index, value);
  } else {
    static_assert(std::is_same_v<T, int> || std::is_same_v<T, std::int64_t>,
                  "bind_value: no SQLite type for this C++ type");
    s.bind(index, value);
  }
}

// Binds `values` to ?1, ?2, ... in order.
template <typename... Values>
void bind_all(SQLite::Statement& s, const Values&... values) {
  int index = 0;
  (bind_value(s, ++index, values), ...);
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

Bytes blob_at(const SQLite::Statement& s, int index) {
  const SQLite::Column column = s.getColumn(index);
  // getBlob before getBytes: SQLite's documented order for a correct size.
  const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
  const int size = column.getBytes();
  if (data == nullptr || size <= 0) return {};
  return Bytes(data, data + size);
}

// Reads column `index` into `out` as its type says; NULL reads as nullopt into an optional and
// as empty text into a string (what a nullable text column means here).
template <typename T>
void read_value(const SQLite::Statement& s, int index, T& out) {
  if constexpr (kIsOptional<T>) {
    if (s.isColumnNull(index)) {
      out.reset();
    } else {
      read_value(s, index, out.emplace());
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    out = s.isColumnNull(index) ? std::string() : text_at(s, index);
  } else if constexpr (std::is_same_v<T, Bytes>) {
    out = blob_at(s, index);
  } else if constexpr (std::is_same_v<T, bool>) {
    out = s.getColumn(index).getInt() != 0;
  } else if constexpr (std::is_same_v<T, int>) {
    out = s.getColumn(index).getInt();
  } else {
    static_assert(std::is_same_v<T, std::int64_t>, "read_value: no reading for this C++ type");
    out = int64_at(s, index);
  }
}

// Reads the row's columns, from the first, into `fields` in order.
template <typename... Fields>
void read_columns(const SQLite::Statement& s, Fields&... fields) {
  int index = 0;
  (read_value(s, index++, fields), ...);
}

// A row read as one value (its first column).
template <typename T>
T single_column(const SQLite::Statement& s) {
  T value{};
  read_value(s, 0, value);
  return value;
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
  bind_all(s, otp.id, otp.api_key_id, otp.phone, otp.sender, otp.message_template,
           to_string(otp.pin_type), otp.pin_length, otp.expiry_amount, otp.expiry_unit,
           otp.code_hash, otp.code_ciphertext, to_string(otp.status), otp.max_attempts,
           otp.failed_attempts, otp.send_count, otp.created_at, otp.expires_at, otp.last_sent_at,
           otp.metadata_json, otp.payload);
}

// An unknown name means the file was written by something else; refuse to guess.
template <typename Enum>
Enum parsed_name(std::optional<Enum> parsed, const OtpRecord& otp, std::string_view column,
                 const std::string& name) {
  if (!parsed) {
    throw std::runtime_error("otp " + otp.id + ": bad " + std::string(column) + " " + name);
  }
  return *parsed;
}

OtpRecord read_otp(const SQLite::Statement& s) {
  OtpRecord otp;
  std::string pin_type;
  std::string status;
  read_columns(s, otp.id, otp.api_key_id, otp.phone, otp.sender, otp.message_template, pin_type,
               otp.pin_length, otp.expiry_amount, otp.expiry_unit, otp.code_hash,
               otp.code_ciphertext, status, otp.max_attempts, otp.failed_attempts, otp.send_count,
               otp.created_at, otp.expires_at, otp.last_sent_at, otp.metadata_json, otp.payload);
  otp.pin_type = parsed_name(pin_type_from_string(pin_type), otp, "pin_type", pin_type);
  otp.status = parsed_name(otp_status_from_string(status), otp, "status", status);
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
  read_columns(s, key.id, key.name, key.prefix, key.hash, key.created_at, key.last_used_at,
               key.revoked_at, key.webhook_url, key.webhook_secret, key.client_id);
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

  // Runs `sql` (a statement that gives no rows) with `values` bound to ?1, ?2, ...; returns
  // the rows it changed.
  template <typename... Values>
  std::size_t run(std::string_view sql, const Values&... values) {
    auto s = statement(sql);
    bind_all(*s, values...);
    return static_cast<std::size_t>(s->exec());
  }

  // The first row `sql` gives, as `read` makes it from the statement; nullopt when none.
  template <typename Read, typename... Values>
  auto first(std::string_view sql, const Read& read, const Values&... values)
      -> std::optional<std::invoke_result_t<const Read&, const SQLite::Statement&>> {
    auto s = statement(sql);
    bind_all(*s, values...);
    if (!s->executeStep()) return std::nullopt;
    return read(*s);
  }

  // Every row `sql` gives, in order, as `read` makes them.
  template <typename Read, typename... Values>
  auto all(std::string_view sql, const Read& read, const Values&... values) {
    auto s = statement(sql);
    bind_all(*s, values...);
    std::vector<std::invoke_result_t<const Read&, const SQLite::Statement&>> rows;
    while (s->executeStep()) rows.push_back(read(*s));
    return rows;
  }
};

// A write() waiting for the group commit.
struct SqliteStore::PendingWrite {
  const TransactionWork* work;
  std::exception_ptr error;
  bool done = false;
};

namespace {

constexpr std::string_view kOutboxColumns =
    "id, otp_id, reason, created_at, attempts, state, next_attempt_at, lease_until, "
    "receipt_failover_used";

PendingDelivery read_delivery(const SQLite::Statement& s) {
  PendingDelivery d;
  read_columns(s, d.id, d.otp_id, d.reason, d.created_at, d.attempts, d.state, d.next_attempt_at,
               d.lease_until, d.receipt_failover_used);
  return d;
}

constexpr std::string_view kAttemptColumns =
    "id, outbox_id, otp_id, provider, reason, outcome, gateway_message_id, error, "
    "gateway_status, cost, http_status, latency_ms, started_at, finished_at, receipt, "
    "receipt_status, receipt_at, polls";

DeliveryAttempt read_attempt(const SQLite::Statement& s) {
  DeliveryAttempt a;
  read_columns(s, a.id, a.outbox_id, a.otp_id, a.provider, a.reason, a.outcome,
               a.gateway_message_id, a.error, a.gateway_status, a.cost, a.http_status, a.latency_ms,
               a.started_at, a.finished_at, a.receipt, a.receipt_status, a.receipt_at, a.polls);
  return a;
}

// The webhook row with its key's webhook (LEFT JOIN: a deleted key reads as no webhook).
constexpr std::string_view kSelectWebhooks =
    "SELECT w.id, w.api_key_id, w.otp_id, w.event, w.payload, w.created_at, w.next_attempt_at, "
    "w.attempts, w.lease_until, k.webhook_url, k.webhook_secret, k.revoked_at "
    "FROM webhook_outbox w LEFT JOIN api_keys k ON k.id = w.api_key_id ";

PendingWebhook read_webhook(const SQLite::Statement& s) {
  PendingWebhook w;
  std::optional<UnixSeconds> key_revoked_at;
  read_columns(s, w.id, w.api_key_id, w.otp_id, w.event, w.payload, w.created_at, w.next_attempt_at,
               w.attempts, w.lease_until, w.url, w.sealed_secret, key_revoked_at);
  w.key_revoked = key_revoked_at.has_value();
  return w;
}

WebhookAttempt read_webhook_attempt(const SQLite::Statement& s) {
  WebhookAttempt a;
  read_columns(s, a.id, a.webhook_id, a.otp_id, a.event, a.http_status, a.error, a.latency_ms,
               a.at);
  return a;
}

UssdSession read_ussd_session(const SQLite::Statement& s) {
  UssdSession session;
  read_columns(s, session.dialect, session.id, session.msisdn, session.service_code,
               session.language, session.network, session.state, session.tries, session.steps,
               session.created_at, session.last_seen_at, session.ended_at, session.end_reason,
               session.report);
  return session;
}

}  // namespace

// The OtpStoreTransaction handed to write()/read() callbacks; valid only inside the callback.
class SqliteStore::Transaction final : public OtpStoreTransaction {
 public:
  Transaction(Connection& connection, bool writable)
      : connection_(connection), writable_(writable) {}

  std::optional<OtpRecord> find_otp(std::string_view id) override {
    return connection_.first(kFindOtp, read_otp, id);
  }

  std::optional<OtpRecord> find_active_otp(std::int64_t api_key_id, std::string_view phone,
                                           UnixSeconds now) override {
    return connection_.first(kFindActiveOtp, read_otp, api_key_id, phone, now);
  }

  std::vector<OtpRecord> active_otps_for_phone(std::string_view phone, UnixSeconds now) override {
    return connection_.all(kActiveOtpsForPhone, read_otp, phone, now);
  }

  std::vector<OtpRecord> newest_pending_otps(UnixSeconds now, std::size_t limit) override {
    return connection_.all(kNewestPendingOtps, read_otp, now, static_cast<std::int64_t>(limit));
  }

  std::optional<OtpRecord> find_latest_otp(std::int64_t api_key_id,
                                           std::string_view phone) override {
    return connection_.first(kFindLatestOtp, read_otp, api_key_id, phone);
  }

  void insert_otp(const OtpRecord& otp) override {
    require_writable("insert_otp");
    auto s = connection_.statement(kInsertOtp);
    bind_otp(*s, otp);
    s->exec();
  }

  void update_otp(const OtpRecord& otp) override {
    require_writable("update_otp");
    const std::size_t updated = connection_.run(
        "UPDATE otps SET status = ?, failed_attempts = ?, send_count = ?, last_sent_at = ? "
        "WHERE id = ?",
        to_string(otp.status), otp.failed_attempts, otp.send_count, otp.last_sent_at, otp.id);
    // Updating an OTP that is not there is a caller bug; silently doing nothing would hide it.
    if (updated == 0) throw std::runtime_error("update_otp: no otp with id " + otp.id);
  }

  void add_event(std::string_view otp_id, std::string_view type, UnixSeconds at,
                 std::string_view detail) override {
    require_writable("add_event");
    connection_.run("INSERT INTO otp_events (otp_id, type, at, detail) VALUES (?, ?, ?, ?)", otp_id,
                    type, at, detail);
  }

  std::vector<OtpEvent> events(std::string_view otp_id) override {
    return connection_.all(
        "SELECT type, at, detail FROM otp_events WHERE otp_id = ? ORDER BY at, id",
        [](const SQLite::Statement& s) {
          OtpEvent event;
          read_columns(s, event.type, event.at, event.detail);
          return event;
        },
        otp_id);
  }

  void enqueue_delivery(std::string_view otp_id, std::string_view reason, UnixSeconds at) override {
    require_writable("enqueue_delivery");
    connection_.run(
        "INSERT INTO outbox (otp_id, reason, created_at, next_attempt_at, attempts) "
        "VALUES (?, ?, ?, ?, 0)",
        otp_id, reason, at, at);
  }

  std::vector<PendingDelivery> due_deliveries(UnixSeconds now, std::size_t limit) override {
    // "Oldest" is by creation, so a delivery that was retried keeps its place in line.
    return connection_.all("SELECT " + std::string(kOutboxColumns) +
                               " FROM outbox WHERE next_attempt_at <= ?1 AND lease_until <= ?1 "
                               "ORDER BY created_at, id LIMIT ?2",
                           read_delivery, now, as_limit(limit));
  }

  std::vector<PendingDelivery> claim_deliveries(UnixSeconds now, UnixSeconds lease_until,
                                                std::size_t limit) override {
    require_writable("claim_deliveries");
    // One writer at a time (SQLite), so select-then-update cannot hand a row to two claims.
    std::vector<PendingDelivery> rows = due_deliveries(now, limit);
    for (PendingDelivery& row : rows) {
      connection_.run("UPDATE outbox SET lease_until = ? WHERE id = ?", lease_until, row.id);
      row.lease_until = lease_until;
    }
    return rows;
  }

  std::optional<PendingDelivery> find_delivery(std::int64_t delivery_id) override {
    return connection_.first("SELECT " + std::string(kOutboxColumns) + " FROM outbox WHERE id = ?",
                             read_delivery, delivery_id);
  }

  void reschedule_delivery(const PendingDelivery& delivery) override {
    require_writable("reschedule_delivery");
    connection_.run(
        "UPDATE outbox SET state = ?, next_attempt_at = ?, attempts = ?, "
        "receipt_failover_used = ?, lease_until = 0 WHERE id = ?",
        delivery.state, delivery.next_attempt_at, delivery.attempts, delivery.receipt_failover_used,
        delivery.id);
  }

  std::int64_t insert_delivery_attempt(const DeliveryAttempt& a) override {
    require_writable("insert_delivery_attempt");
    connection_.run(
        "INSERT INTO delivery_attempts (outbox_id, otp_id, provider, reason, outcome, "
        "gateway_message_id, error, gateway_status, cost, http_status, latency_ms, started_at, "
        "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        a.outbox_id, a.otp_id, a.provider, a.reason, a.outcome, a.gateway_message_id, a.error,
        a.gateway_status, a.cost, a.http_status, a.latency_ms, a.started_at, a.finished_at);
    return connection_.db->getLastInsertRowid();
  }

  void finish_delivery_attempt(const DeliveryAttempt& a) override {
    require_writable("finish_delivery_attempt");
    connection_.run(
        "UPDATE delivery_attempts SET outcome = ?, gateway_message_id = ?, error = ?, "
        "gateway_status = ?, cost = ?, http_status = ?, latency_ms = ?, finished_at = ? "
        "WHERE id = ?",
        a.outcome, a.gateway_message_id, a.error, a.gateway_status, a.cost, a.http_status,
        a.latency_ms, a.finished_at, a.id);
  }

  void record_delivery_receipt(std::int64_t attempt_id, std::string_view receipt,
                               std::string_view receipt_status, UnixSeconds at) override {
    require_writable("record_delivery_receipt");
    connection_.run(
        "UPDATE delivery_attempts SET receipt = ?, receipt_status = ?, receipt_at = ? "
        "WHERE id = ?",
        receipt, receipt_status, at, attempt_id);
  }

  std::vector<DeliveryAttempt> delivery_attempts(std::string_view otp_id) override {
    return connection_.all("SELECT " + std::string(kAttemptColumns) +
                               " FROM delivery_attempts WHERE otp_id = ? ORDER BY id",
                           read_attempt, otp_id);
  }

  std::vector<DeliveryAttempt> delivery_attempts_for_outbox(std::int64_t outbox_id) override {
    return connection_.all("SELECT " + std::string(kAttemptColumns) +
                               " FROM delivery_attempts WHERE outbox_id = ? ORDER BY id",
                           read_attempt, outbox_id);
  }

  std::optional<DeliveryAttempt> find_delivery_attempt(
      std::string_view provider, std::string_view gateway_message_id) override {
    if (gateway_message_id.empty()) return std::nullopt;
    // The <> lets the partial index serve.
    return connection_.first(
        "SELECT " + std::string(kAttemptColumns) +
            " FROM delivery_attempts WHERE provider = ? AND gateway_message_id = ? "
            "AND gateway_message_id <> '' ORDER BY id DESC LIMIT 1",
        read_attempt, provider, gateway_message_id);
  }

  std::vector<DeliveryAttempt> attempts_awaiting_receipt(std::string_view provider,
                                                         UnixSeconds since, int max_polls,
                                                         std::size_t limit) override {
    return connection_.all(
        "SELECT " + std::string(kAttemptColumns) +
            " FROM delivery_attempts WHERE provider = ? AND gateway_message_id <> '' "
            "AND outcome = 'accepted' AND receipt IN ('', 'pending') AND started_at >= ? "
            "AND polls < ? ORDER BY receipt_at, id LIMIT ?",
        read_attempt, provider, since, max_polls, as_limit(limit));
  }

  void count_delivery_poll(std::int64_t attempt_id) override {
    require_writable("count_delivery_poll");
    connection_.run("UPDATE delivery_attempts SET polls = polls + 1 WHERE id = ?", attempt_id);
  }

  void complete_delivery(std::int64_t delivery_id) override {
    require_writable("complete_delivery");
    connection_.run("DELETE FROM outbox WHERE id = ?", delivery_id);
  }

  void reopen_delivery(const PendingDelivery& delivery) override {
    require_writable("reopen_delivery");
    connection_.run(
        "INSERT OR IGNORE INTO outbox (id, otp_id, reason, created_at, next_attempt_at, attempts, "
        "state, lease_until, receipt_failover_used) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
        delivery.id, delivery.otp_id, delivery.reason, delivery.created_at,
        delivery.next_attempt_at, delivery.attempts, delivery.state,
        delivery.receipt_failover_used);
  }

  void retry_delivery_later(std::int64_t delivery_id, UnixSeconds next_attempt_at) override {
    require_writable("retry_delivery_later");
    connection_.run("UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?",
                    next_attempt_at, delivery_id);
  }

  bool enqueue_webhook(std::int64_t api_key_id, std::string_view otp_id, std::string_view event,
                       std::string_view payload, UnixSeconds at) override {
    require_writable("enqueue_webhook");
    // The subselect makes events of keys without a webhook a primary-key lookup and nothing more.
    return connection_.run(
               "INSERT INTO webhook_outbox (api_key_id, otp_id, event, payload, created_at, "
               "next_attempt_at) SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE EXISTS (SELECT 1 FROM "
               "api_keys WHERE id = ?1 AND webhook_url IS NOT NULL AND webhook_url <> '')",
               api_key_id, otp_id, event, payload, at) > 0;
  }

  std::vector<PendingWebhook> due_webhooks(UnixSeconds now, std::size_t limit) override {
    return connection_.all(std::string(kSelectWebhooks) +
                               "WHERE w.next_attempt_at <= ?1 AND w.lease_until <= ?1 "
                               "ORDER BY w.next_attempt_at, w.id LIMIT ?2",
                           read_webhook, now, as_limit(limit));
  }

  std::vector<PendingWebhook> claim_webhooks(UnixSeconds now, UnixSeconds lease_until,
                                             std::size_t limit) override {
    require_writable("claim_webhooks");
    std::vector<PendingWebhook> rows = due_webhooks(now, limit);
    for (const PendingWebhook& row : rows) {
      connection_.run(
          "UPDATE webhook_outbox SET lease_until = ?, attempts = attempts + 1 WHERE id = ?",
          lease_until, row.id);
    }
    return rows;
  }

  void complete_webhook(std::int64_t webhook_id) override {
    require_writable("complete_webhook");
    connection_.run("DELETE FROM webhook_outbox WHERE id = ?", webhook_id);
  }

  void retry_webhook_later(std::int64_t webhook_id, UnixSeconds next_attempt_at) override {
    require_writable("retry_webhook_later");
    connection_.run("UPDATE webhook_outbox SET next_attempt_at = ?, lease_until = 0 WHERE id = ?",
                    next_attempt_at, webhook_id);
  }

  void insert_webhook_attempt(const WebhookAttempt& a) override {
    require_writable("insert_webhook_attempt");
    connection_.run(
        "INSERT INTO webhook_attempts (webhook_id, otp_id, event, http_status, error, latency_ms, "
        "at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        a.webhook_id, a.otp_id, a.event, a.http_status, a.error, a.latency_ms, a.at);
  }

  std::vector<WebhookAttempt> webhook_attempts(std::string_view otp_id) override {
    return connection_.all(
        "SELECT id, webhook_id, otp_id, event, http_status, error, latency_ms, at "
        "FROM webhook_attempts WHERE otp_id = ? ORDER BY id",
        read_webhook_attempt, otp_id);
  }

  std::int64_t rate_count(std::string_view scope, std::string_view key,
                          UnixSeconds window_start) override {
    return count("SELECT count FROM rate_counters WHERE scope = ? AND key = ? AND window_start = ?",
                 scope, key, window_start);
  }

  void rate_increment(std::string_view scope, std::string_view key,
                      UnixSeconds window_start) override {
    require_writable("rate_increment");
    connection_.run(
        "INSERT INTO rate_counters (scope, key, window_start, count) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (scope, key, window_start) DO UPDATE SET count = count + 1",
        scope, key, window_start);
  }

  void log_phone_send(std::int64_t api_key_id, std::string_view phone, UnixSeconds at) override {
    require_writable("log_phone_send");
    connection_.run("INSERT INTO phone_sends (api_key_id, phone, sent_at) VALUES (?, ?, ?)",
                    api_key_id, phone, at);
  }

  // `?2 IS NULL OR` lets one statement serve both the per-key and the all-keys count (a key of
  // nullopt binds NULL).
  std::int64_t count_phone_sends(std::optional<std::int64_t> api_key_id, std::string_view phone,
                                 UnixSeconds since) override {
    return count(
        "SELECT COUNT(*) FROM phone_sends WHERE phone = ?1 AND (?2 IS NULL OR api_key_id = ?2) "
        "AND sent_at > ?3",
        phone, api_key_id, since);
  }

  std::optional<UnixSeconds> phone_send_at(std::optional<std::int64_t> api_key_id,
                                           std::string_view phone, UnixSeconds since,
                                           std::int64_t index) override {
    return connection_.first(
        "SELECT sent_at FROM phone_sends WHERE phone = ?1 AND (?2 IS NULL OR api_key_id = ?2) "
        "AND sent_at > ?3 ORDER BY sent_at LIMIT 1 OFFSET ?4",
        single_column<UnixSeconds>, phone, api_key_id, since, std::max<std::int64_t>(0, index));
  }

  void log_verify_attempt(std::int64_t api_key_id, std::string_view phone,
                          UnixSeconds at) override {
    require_writable("log_verify_attempt");
    connection_.run("INSERT INTO verify_attempts (api_key_id, phone, at) VALUES (?, ?, ?)",
                    api_key_id, phone, at);
  }

  std::int64_t count_verify_attempts(std::int64_t api_key_id, std::string_view phone,
                                     UnixSeconds since) override {
    return count(
        "SELECT COUNT(*) FROM verify_attempts WHERE api_key_id = ? AND phone = ? AND at > ?",
        api_key_id, phone, since);
  }

  std::optional<UnixSeconds> verify_blocked_until(std::int64_t api_key_id,
                                                  std::string_view phone) override {
    return connection_.first("SELECT until FROM verify_blocks WHERE api_key_id = ? AND phone = ?",
                             single_column<UnixSeconds>, api_key_id, phone);
  }

  void block_verifies(std::int64_t api_key_id, std::string_view phone, UnixSeconds until) override {
    require_writable("block_verifies");
    connection_.run(
        "INSERT INTO verify_blocks (api_key_id, phone, until) VALUES (?, ?, ?) "
        "ON CONFLICT (api_key_id, phone) DO UPDATE SET until = excluded.until",
        api_key_id, phone, until);
  }

  std::optional<SendBudget> find_send_budget(std::int64_t api_key_id) override {
    return connection_.first(
        "SELECT daily_limit, balance, balance_granted, day, sent_today, sent_total "
        "FROM send_budgets WHERE api_key_id = ?",
        [](const SQLite::Statement& s) {
          SendBudget budget;
          read_columns(s, budget.daily_limit, budget.balance, budget.balance_granted, budget.day,
                       budget.sent_today, budget.sent_total);
          return budget;
        },
        api_key_id);
  }

  void save_send_budget(std::int64_t api_key_id, const SendBudget& budget) override {
    require_writable("save_send_budget");
    connection_.run(
        "INSERT INTO send_budgets (api_key_id, daily_limit, balance, balance_granted, day, "
        "sent_today, sent_total) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (api_key_id) DO UPDATE SET daily_limit = ?2, balance = ?3, "
        "balance_granted = ?4, day = ?5, sent_today = ?6, sent_total = ?7",
        api_key_id, budget.daily_limit, budget.balance, budget.balance_granted, budget.day,
        budget.sent_today, budget.sent_total);
  }

  std::optional<IdempotencyRecord> find_idempotency(std::int64_t api_key_id,
                                                    std::string_view key) override {
    return connection_.first(
        "SELECT fingerprint, otp_id, created_at FROM idempotency "
        "WHERE api_key_id = ? AND key = ?",
        [&](const SQLite::Statement& s) {
          IdempotencyRecord record;
          record.api_key_id = api_key_id;
          record.key = std::string(key);
          read_columns(s, record.fingerprint, record.otp_id, record.created_at);
          return record;
        },
        api_key_id, key);
  }

  void save_idempotency(const IdempotencyRecord& record) override {
    require_writable("save_idempotency");
    // Replaces a record with the same (api_key_id, key): the policy saves only when no live
    // record exists, so what gets replaced is one past its time to live (not yet swept).
    connection_.run(
        "INSERT INTO idempotency (api_key_id, key, fingerprint, otp_id, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (api_key_id, key) DO UPDATE SET "
        "fingerprint = excluded.fingerprint, otp_id = excluded.otp_id, "
        "created_at = excluded.created_at",
        record.api_key_id, record.key, record.fingerprint, record.otp_id, record.created_at);
  }

  std::vector<std::string> expire_due(UnixSeconds now, std::size_t limit) override {
    require_writable("expire_due");
    return connection_.all(
        "UPDATE otps SET status = 'expired' WHERE id IN ("
        "SELECT id FROM otps WHERE status = 'pending' AND expires_at <= ?1 "
        "ORDER BY expires_at LIMIT ?2) RETURNING id",
        single_column<std::string>, now, as_limit(limit));
  }

  std::size_t purge_otps_created_before(UnixSeconds cutoff, std::size_t limit) override {
    require_writable("purge_otps_created_before");
    // Events and outbox rows go with their OTP through ON DELETE CASCADE (foreign_keys=ON).
    return connection_.run(
        "DELETE FROM otps WHERE id IN ("
        "SELECT id FROM otps WHERE created_at < ? ORDER BY created_at LIMIT ?)",
        cutoff, as_limit(limit));
  }

  std::size_t purge_idempotency_before(UnixSeconds cutoff) override {
    require_writable("purge_idempotency_before");
    return connection_.run("DELETE FROM idempotency WHERE created_at < ?", cutoff);
  }

  std::int64_t queued_sends(std::int64_t api_key_id) override {
    // CROSS JOIN keeps the outbox (small: only what is not delivered yet) as the outer loop.
    return count(
        "SELECT COUNT(*) FROM outbox CROSS JOIN otps ON otps.id = outbox.otp_id "
        "WHERE otps.api_key_id = ? AND otps.status = 'pending'",
        api_key_id);
  }

  std::vector<RateWindowCount> rate_counts_since(std::string_view scope,
                                                 UnixSeconds since) override {
    return connection_.all(
        "SELECT key, window_start, count FROM rate_counters WHERE scope = ? AND window_start >= ?",
        [](const SQLite::Statement& s) {
          RateWindowCount row;
          read_columns(s, row.key, row.window_start, row.count);
          return row;
        },
        scope, since);
  }

  std::optional<UssdSession> find_ussd_session(std::string_view dialect,
                                               std::string_view id) override {
    return connection_.first(
        "SELECT dialect, id, msisdn, service_code, language, network, state, tries, steps, "
        "created_at, last_seen_at, ended_at, end_reason, report FROM ussd_sessions "
        "WHERE dialect = ? AND id = ?",
        read_ussd_session, dialect, id);
  }

  void save_ussd_session(const UssdSession& session) override {
    require_writable("save_ussd_session");
    connection_.run(
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
        "WHERE excluded.steps >= steps",
        session.dialect, session.id, session.msisdn, session.service_code, session.language,
        session.network, session.state, session.tries, session.steps, session.created_at,
        session.last_seen_at, session.ended_at, session.end_reason, session.report);
  }

  std::size_t end_idle_ussd_sessions(UnixSeconds idle_cutoff, UnixSeconds now,
                                     std::size_t limit) override {
    require_writable("end_idle_ussd_sessions");
    return connection_.run(
        "UPDATE ussd_sessions SET ended_at = ?, end_reason = 'idle', state = '' "
        "WHERE (dialect, id) IN (SELECT dialect, id FROM ussd_sessions WHERE last_seen_at < ? "
        "AND ended_at IS NULL LIMIT ?)",
        now, idle_cutoff, static_cast<std::int64_t>(limit));
  }

  std::size_t purge_ussd_sessions_before(UnixSeconds cutoff, std::size_t limit) override {
    require_writable("purge_ussd_sessions_before");
    return connection_.run(
        "DELETE FROM ussd_sessions WHERE (dialect, id) IN (SELECT dialect, id FROM ussd_sessions "
        "WHERE last_seen_at < ? LIMIT ?)",
        cutoff, static_cast<std::int64_t>(limit));
  }

  std::size_t purge_phone_sends_until(UnixSeconds cutoff) override {
    require_writable("purge_phone_sends_until");
    return connection_.run("DELETE FROM phone_sends WHERE sent_at <= ?", cutoff);
  }

  std::size_t purge_verify_throttle(UnixSeconds attempt_cutoff, UnixSeconds now) override {
    require_writable("purge_verify_throttle");
    const std::size_t deleted =
        connection_.run("DELETE FROM verify_attempts WHERE at <= ?", attempt_cutoff);
    return deleted + connection_.run("DELETE FROM verify_blocks WHERE until <= ?", now);
  }

  std::size_t purge_rate_windows_before(UnixSeconds cutoff) override {
    require_writable("purge_rate_windows_before");
    return connection_.run("DELETE FROM rate_counters WHERE window_start < ?", cutoff);
  }

 private:
  // The first column of the first row, 0 when there is none (COUNT(*) always gives one).
  template <typename... Values>
  std::int64_t count(std::string_view sql, const Values&... values) {
    return connection_.first(sql, single_column<std::int64_t>, values...).value_or(0);
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

template <typename Work>
auto SqliteStore::locked(Connection& connection, bool for_write, Work&& work) const {
  return call_returning<Connection&>(work, [&](const auto& erased) {
    run_locked(connection, for_write, [&] { erased(connection); });
  });
}

std::optional<std::int64_t> SqliteStore::create_api_key(std::string_view name,
                                                        std::string_view prefix, const Bytes& hash,
                                                        UnixSeconds now) {
  return locked(*writer_, true, [&](Connection& writer) -> std::optional<std::int64_t> {
    // DO NOTHING only on a name clash; a hash clash is a real bug and still throws.
    const std::size_t inserted = writer.run(
        "INSERT INTO api_keys (name, prefix, hash, created_at, client_id) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (name) DO NOTHING",
        name, prefix, hash, now, generate_uuid());
    if (inserted != 1) return std::nullopt;
    return writer.db->getLastInsertRowid();
  });
}

std::optional<ApiKeyRecord> SqliteStore::find_api_key_by_hash(const Bytes& hash) {
  return locked(next_reader(), false, [&](Connection& reader) {
    return reader.first(kFindApiKeyByHash, read_api_key, hash);
  });
}

std::optional<ApiKeyRecord> SqliteStore::find_api_key_by_name(std::string_view name) {
  return locked(next_reader(), false, [&](Connection& reader) {
    return reader.first(kFindApiKeyByName, read_api_key, name);
  });
}

std::optional<ApiKeyRecord> SqliteStore::find_api_key_by_client_id(std::string_view client_id) {
  return locked(next_reader(), false, [&](Connection& reader) {
    return reader.first(kFindApiKeyByClientId, read_api_key, client_id);
  });
}

std::vector<ApiKeyRecord> SqliteStore::list_api_keys() {
  return locked(next_reader(), false,
                [](Connection& reader) { return reader.all(kListApiKeys, read_api_key); });
}

bool SqliteStore::revoke_api_key(std::string_view name, UnixSeconds now) {
  return locked(*writer_, true, [&](Connection& writer) {
    return writer.run("UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                      now, name) > 0;
  });
}

bool SqliteStore::delete_api_key(std::string_view name) {
  return locked(*writer_, true, [&](Connection& writer) {
    return writer.run("DELETE FROM api_keys WHERE name = ?", name) > 0;
  });
}

bool SqliteStore::set_api_key_webhook(std::int64_t id, std::string_view url,
                                      const Bytes& sealed_secret) {
  constexpr std::string_view kSetWebhook =
      "UPDATE api_keys SET webhook_url = ?, webhook_secret = ? WHERE id = ?";
  return locked(*writer_, true, [&](Connection& writer) {
    // An empty url removes the webhook: both columns back to NULL.
    const std::size_t updated = url.empty()
                                    ? writer.run(kSetWebhook, std::nullopt, std::nullopt, id)
                                    : writer.run(kSetWebhook, url, sealed_secret, id);
    return updated > 0;
  });
}

void SqliteStore::touch_api_key(std::int64_t id, UnixSeconds now) {
  locked(*writer_, true, [&](Connection& writer) {
    writer.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, id);
  });
}

// --- TemplateStore
// --------------------------------------------------------------------------------

namespace {

constexpr std::string_view kSelectTemplates =
    "SELECT id, api_key_id, text, created_at FROM message_templates ";

MessageTemplateRecord read_template(const SQLite::Statement& s) {
  MessageTemplateRecord record;
  read_columns(s, record.id, record.api_key_id, record.text, record.created_at);
  return record;
}

}  // namespace

void SqliteStore::create_template(const MessageTemplateRecord& record) {
  locked(*writer_, true, [&](Connection& writer) {
    writer.run(
        "INSERT INTO message_templates (id, api_key_id, text, created_at) VALUES (?, ?, ?, ?)",
        record.id, record.api_key_id, record.text, record.created_at);
  });
}

std::optional<MessageTemplateRecord> SqliteStore::find_template(std::int64_t api_key_id,
                                                                std::string_view id) {
  return locked(next_reader(), false, [&](Connection& reader) {
    return reader.first(std::string(kSelectTemplates) + "WHERE api_key_id = ? AND id = ?",
                        read_template, api_key_id, id);
  });
}

std::vector<MessageTemplateRecord> SqliteStore::list_templates(std::int64_t api_key_id) {
  return locked(next_reader(), false, [&](Connection& reader) {
    return reader.all(
        std::string(kSelectTemplates) + "WHERE api_key_id = ? ORDER BY created_at, id",
        read_template, api_key_id);
  });
}

bool SqliteStore::delete_template(std::int64_t api_key_id, std::string_view id) {
  return locked(*writer_, true, [&](Connection& writer) {
    return writer.run("DELETE FROM message_templates WHERE api_key_id = ? AND id = ?", api_key_id,
                      id) > 0;
  });
}

}  // namespace ussd_otp
