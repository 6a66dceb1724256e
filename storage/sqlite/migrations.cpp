// Schema migrations for the SQLite store, applied in order and tracked in PRAGMA user_version.
#include "storage/sqlite/migrations.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <stdexcept>
#include <string>

namespace ussd_otp {
namespace {

// api_key_id columns deliberately have no foreign key: dev mode deletes and recreates its key,
// and old OTPs must not block that (they age out via purge instead).
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE api_keys (
  id           INTEGER PRIMARY KEY,
  name         TEXT    NOT NULL UNIQUE,
  prefix       TEXT    NOT NULL,
  hash         BLOB    NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);

CREATE TABLE otps (
  id               TEXT    PRIMARY KEY NOT NULL,
  api_key_id       INTEGER NOT NULL,
  phone            TEXT    NOT NULL,
  sender           TEXT    NOT NULL DEFAULT '',
  message_template TEXT    NOT NULL,
  pin_type         TEXT    NOT NULL,
  pin_length       INTEGER NOT NULL,
  expiry_amount    INTEGER NOT NULL,
  expiry_unit      TEXT    NOT NULL,
  code_hash        BLOB    NOT NULL,
  code_ciphertext  BLOB    NOT NULL,
  status           TEXT    NOT NULL,
  max_attempts     INTEGER NOT NULL,
  failed_attempts  INTEGER NOT NULL DEFAULT 0,
  send_count       INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  last_sent_at     INTEGER NOT NULL DEFAULT 0,
  metadata         TEXT    NOT NULL DEFAULT ''
);
-- Partial indexes hold only pending OTPs, the ones lookups and the sweeper look for; fewer and
-- smaller indexes keep each insert cheap. Queries must say status = 'pending' literally.
CREATE INDEX otps_active_by_phone   ON otps (phone, expires_at) WHERE status = 'pending';
CREATE INDEX otps_pending_by_expiry ON otps (expires_at) WHERE status = 'pending';
CREATE INDEX otps_by_created        ON otps (created_at);

CREATE TABLE otp_events (
  id     INTEGER PRIMARY KEY,
  otp_id TEXT    NOT NULL REFERENCES otps (id) ON DELETE CASCADE,
  type   TEXT    NOT NULL,
  at     INTEGER NOT NULL,
  detail TEXT    NOT NULL DEFAULT ''
);
-- Also serves the foreign key: without it every OTP delete would scan the whole table.
CREATE INDEX otp_events_by_otp ON otp_events (otp_id, at);

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  otp_id          TEXT    NOT NULL REFERENCES otps (id) ON DELETE CASCADE,
  reason          TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_by_next_attempt ON outbox (next_attempt_at);
CREATE INDEX outbox_by_otp          ON outbox (otp_id);

CREATE TABLE rate_counters (
  scope        TEXT    NOT NULL,
  key          TEXT    NOT NULL,
  window_start INTEGER NOT NULL,
  count        INTEGER NOT NULL,
  PRIMARY KEY (scope, key, window_start)
) WITHOUT ROWID;
CREATE INDEX rate_counters_by_window ON rate_counters (window_start);

CREATE TABLE idempotency (
  api_key_id  INTEGER NOT NULL,
  key         TEXT    NOT NULL,
  fingerprint TEXT    NOT NULL,
  otp_id      TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_by_created ON idempotency (created_at);
)sql";

// Send budgets per API key (a key without a row sends without limit), and the index the
// Arkesel-compatible verify needs to find a phone's newest OTP under a key in any status.
constexpr std::string_view kSchemaSendBudgets = R"sql(
CREATE TABLE send_budgets (
  api_key_id      INTEGER PRIMARY KEY,
  daily_limit     INTEGER,
  balance         INTEGER,
  balance_granted INTEGER NOT NULL DEFAULT 0,
  day             INTEGER NOT NULL DEFAULT 0,
  sent_today      INTEGER NOT NULL DEFAULT 0,
  sent_total      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX otps_by_key_phone ON otps (api_key_id, phone, created_at);
)sql";

// USSD sessions between an aggregator's callbacks. One index serves both the idle sweep and the
// purge; sessions are short-lived, so the table stays small.
constexpr std::string_view kUssdSessions = R"sql(
CREATE TABLE ussd_sessions (
  dialect      TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  msisdn       TEXT    NOT NULL,
  service_code TEXT    NOT NULL DEFAULT '',
  language     TEXT    NOT NULL DEFAULT '',
  network      TEXT    NOT NULL DEFAULT '',
  state        TEXT    NOT NULL DEFAULT '',
  tries        INTEGER NOT NULL DEFAULT 0,
  steps        INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ended_at     INTEGER,
  end_reason   TEXT    NOT NULL DEFAULT '',
  report       TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (dialect, id)
) WITHOUT ROWID;
CREATE INDEX ussd_sessions_by_last_seen ON ussd_sessions (last_seen_at);
)sql";

// SMS delivery through gateways: outbox rows get a lease (a sender holds them while sending)
// and a state (waiting for a receipt); every attempt is a row, matched later by the gateway's
// message id. Attempts go with their OTP (cascade), not with the outbox row, which is deleted
// once the delivery is settled. Outbox ids become AUTOINCREMENT: attempts refer to their row by
// id, and a reused id would hand a new delivery an old one's history.
constexpr std::string_view kDeliveryAttempts = R"sql(
CREATE TABLE outbox_v4 (
  id                    INTEGER PRIMARY KEY AUTOINCREMENT,
  otp_id                TEXT    NOT NULL REFERENCES otps (id) ON DELETE CASCADE,
  reason                TEXT    NOT NULL,
  created_at            INTEGER NOT NULL,
  next_attempt_at       INTEGER NOT NULL,
  attempts              INTEGER NOT NULL DEFAULT 0,
  state                 TEXT    NOT NULL DEFAULT 'pending',
  lease_until           INTEGER NOT NULL DEFAULT 0,
  receipt_failover_used INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_v4 (id, otp_id, reason, created_at, next_attempt_at, attempts)
  SELECT id, otp_id, reason, created_at, next_attempt_at, attempts FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
CREATE INDEX outbox_by_next_attempt ON outbox (next_attempt_at);
CREATE INDEX outbox_by_otp          ON outbox (otp_id);
CREATE TABLE delivery_attempts (
  id                 INTEGER PRIMARY KEY,
  outbox_id          INTEGER NOT NULL,
  otp_id             TEXT    NOT NULL REFERENCES otps (id) ON DELETE CASCADE,
  provider           TEXT    NOT NULL,
  reason             TEXT    NOT NULL,
  outcome            TEXT    NOT NULL,
  gateway_message_id TEXT    NOT NULL DEFAULT '',
  error              TEXT    NOT NULL DEFAULT '',
  gateway_status     TEXT    NOT NULL DEFAULT '',
  cost               TEXT    NOT NULL DEFAULT '',
  http_status        INTEGER NOT NULL DEFAULT 0,
  latency_ms         INTEGER NOT NULL DEFAULT 0,
  started_at         INTEGER NOT NULL,
  finished_at        INTEGER NOT NULL DEFAULT 0,
  receipt            TEXT    NOT NULL DEFAULT '',
  receipt_status     TEXT    NOT NULL DEFAULT '',
  receipt_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX delivery_attempts_by_otp    ON delivery_attempts (otp_id, id);
CREATE INDEX delivery_attempts_by_outbox ON delivery_attempts (outbox_id);
CREATE INDEX delivery_attempts_by_gateway_id ON delivery_attempts (provider, gateway_message_id)
  WHERE gateway_message_id <> '';
)sql";

// App webhooks: a URL and a sealed signing secret per API key, a durable outbox of events with
// leases (like the SMS outbox), and every attempt. Rows go with their OTP when it is purged.
constexpr std::string_view kWebhooks = R"sql(
ALTER TABLE api_keys ADD COLUMN webhook_url TEXT;
ALTER TABLE api_keys ADD COLUMN webhook_secret BLOB;
CREATE TABLE webhook_outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  api_key_id      INTEGER NOT NULL,
  otp_id          TEXT    NOT NULL REFERENCES otps (id) ON DELETE CASCADE,
  event           TEXT    NOT NULL,
  payload         TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  lease_until     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_outbox_by_next_attempt ON webhook_outbox (next_attempt_at);
CREATE INDEX webhook_outbox_by_otp          ON webhook_outbox (otp_id);
CREATE TABLE webhook_attempts (
  id          INTEGER PRIMARY KEY,
  webhook_id  INTEGER NOT NULL,
  otp_id      TEXT    NOT NULL REFERENCES otps (id) ON DELETE CASCADE,
  event       TEXT    NOT NULL,
  http_status INTEGER NOT NULL DEFAULT 0,
  error       TEXT    NOT NULL DEFAULT '',
  latency_ms  INTEGER NOT NULL DEFAULT 0,
  at          INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_by_otp ON webhook_attempts (otp_id, id);
)sql";

// Status polls (Hubtel) made per accepted attempt, so each message is polled a bounded number of
// times and the receipt window of a polled message waits for its first poll.
constexpr std::string_view kDeliveryPolls = R"sql(
ALTER TABLE delivery_attempts ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;
)sql";

// GetOTP and verify-by-user: each API key gets a public client id (a random v4 UUID, generated
// here for existing keys and by the INSERT for new ones), stored SMS templates per key, and the
// caller's payload on each OTP (returned in its webhooks).
constexpr std::string_view kClientIdsTemplatesPayload = R"sql(
ALTER TABLE api_keys ADD COLUMN client_id TEXT;
UPDATE api_keys SET client_id = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) ||
  '-4' || substr(lower(hex(randomblob(2))), 2) || '-' ||
  substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' ||
  lower(hex(randomblob(6)))
  WHERE client_id IS NULL;
CREATE UNIQUE INDEX api_keys_by_client_id ON api_keys (client_id);

CREATE TABLE message_templates (
  id         TEXT    PRIMARY KEY NOT NULL,
  api_key_id INTEGER NOT NULL,
  text       TEXT    NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX message_templates_by_key ON message_templates (api_key_id, created_at);

ALTER TABLE otps ADD COLUMN payload TEXT NOT NULL DEFAULT '';
)sql";

// Exact limits: a log of every SMS send per (key, phone) for the rolling per-phone limits, and
// the verify attempt throttle (attempt times and blocks per key and phone). Rows live one
// window long; the sweep deletes them.
constexpr std::string_view kExactLimits = R"sql(
CREATE TABLE phone_sends (
  api_key_id INTEGER NOT NULL,
  phone      TEXT    NOT NULL,
  sent_at    INTEGER NOT NULL
);
CREATE INDEX phone_sends_by_phone ON phone_sends (phone, api_key_id, sent_at);
CREATE INDEX phone_sends_by_time  ON phone_sends (sent_at);
CREATE TABLE verify_attempts (
  api_key_id INTEGER NOT NULL,
  phone      TEXT    NOT NULL,
  at         INTEGER NOT NULL
);
CREATE INDEX verify_attempts_by_phone ON verify_attempts (api_key_id, phone, at);
CREATE INDEX verify_attempts_by_time  ON verify_attempts (at);
CREATE TABLE verify_blocks (
  api_key_id INTEGER NOT NULL,
  phone      TEXT    NOT NULL,
  until      INTEGER NOT NULL,
  PRIMARY KEY (api_key_id, phone)
) WITHOUT ROWID;
)sql";

constexpr std::array<SqliteMigration, 8> kMigrations{{
    {1, "initial schema", kSchemaV1},
    {2, "send budgets; newest OTP per key and phone", kSchemaSendBudgets},
    {3, "USSD sessions", kUssdSessions},
    {4, "SMS delivery: outbox leases and states, delivery attempts", kDeliveryAttempts},
    {5, "app webhooks: per-key URL and sealed secret, webhook outbox, attempts", kWebhooks},
    {6, "SMS delivery: status polls per attempt", kDeliveryPolls},
    {7, "API key client ids, message templates, OTP payloads", kClientIdsTemplatesPayload},
    {8, "exact limits: per-phone send log, verify attempt throttle", kExactLimits},
}};

int user_version(SQLite::Database& db) {
  return db.execAndGet("PRAGMA user_version").getInt();
}

void reject_newer(int current, int latest) {
  if (current <= latest) return;
  throw std::runtime_error("database schema version " + std::to_string(current) +
                           " is newer than this build supports (" + std::to_string(latest) +
                           "); refusing to open it with older code");
}

}  // namespace

std::span<const SqliteMigration> sqlite_migrations() {
  return kMigrations;
}

int latest_sqlite_schema_version() {
  return kMigrations.back().version;
}

void apply_sqlite_migrations(SQLite::Database& db) {
  const int latest = latest_sqlite_schema_version();
  for (const SqliteMigration& step : kMigrations) {
    // Read the version inside the write lock so two processes starting together cannot both
    // apply the same step.
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    const int current = user_version(db);
    reject_newer(current, latest);
    if (current >= step.version) continue;  // tx rolls back: nothing was written
    if (current != step.version - 1) {
      throw std::runtime_error("database schema version " + std::to_string(current) +
                               " has no migration path to " + std::to_string(step.version));
    }
    db.exec(std::string(step.sql));
    // PRAGMA arguments cannot be bound; the value is our own integer.
    db.exec("PRAGMA user_version = " + std::to_string(step.version));
    tx.commit();
  }
}

}  // namespace ussd_otp
