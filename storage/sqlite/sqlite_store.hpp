// The SQLite backend of OtpStore and ApiKeyStore: WAL mode, one writer connection with group
// commit, one reader connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "otp/store.hpp"

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace ussd_otp {

struct SqliteOptions {
  std::filesystem::path path;  // a real file: WAL mode is required, so ":memory:" is rejected
  std::string synchronous = "NORMAL";  // NORMAL | FULL | OFF (case-insensitive)
  int busy_timeout_ms = 5000;
  int readers = 4;  // read-only connections, used in turn
  // Memory SQLite may take, per connection (the writer and each reader): a page cache of up to
  // cache_mib, and reads through a memory map of up to mmap_mib of the file (0: plain reads).
  int cache_mib = 16;
  int mmap_mib = 256;
};

// The page cache and memory map limits one connection is actually running with.
struct SqliteConnectionMemory {
  std::int64_t cache_kib = 0;   // -PRAGMA cache_size (SQLite counts KiB when it is negative)
  std::int64_t mmap_bytes = 0;  // PRAGMA mmap_size
};

// Thread-safe. Write transactions are serialised: concurrent write() calls are committed
// together (each in its own savepoint, so one failing callback rolls back only its own work), and
// each write() returns only after its work is durable. Not re-entrant: calling write()/read()/an
// ApiKeyStore method from inside a write()/read() callback throws std::logic_error instead of
// deadlocking.
//
// Errors: constraint violations and I/O failures surface as SQLite::Exception (a
// std::runtime_error). In particular insert_otp with an existing id throws. save_idempotency
// replaces an existing (api_key_id, key) record (callers check find_idempotency first, inside the
// same write transaction, and save only over an expired one). update_otp on an unknown id throws
// std::runtime_error. Mutating methods called inside read() throw std::logic_error.
class SqliteStore final : public OtpStore, public ApiKeyStore, public TemplateStore {
 public:
  // Creates parent directories, opens (or creates) the file, configures it and migrates the
  // schema. Throws std::invalid_argument for a bad option, std::runtime_error (or
  // SQLite::Exception) when the file cannot be opened, WAL cannot be enabled, or the schema is
  // newer than this build.
  explicit SqliteStore(const SqliteOptions& options);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  bool writable() override;

  std::optional<std::int64_t> create_api_key(std::string_view name, std::string_view prefix,
                                             const Bytes& hash, UnixSeconds now) override;
  std::optional<ApiKeyRecord> find_api_key_by_hash(const Bytes& hash) override;
  std::optional<ApiKeyRecord> find_api_key_by_name(std::string_view name) override;
  std::optional<ApiKeyRecord> find_api_key_by_client_id(std::string_view client_id) override;
  std::vector<ApiKeyRecord> list_api_keys() override;
  bool revoke_api_key(std::string_view name, UnixSeconds now) override;
  bool delete_api_key(std::string_view name) override;
  void touch_api_key(std::int64_t id, UnixSeconds now) override;
  bool set_api_key_webhook(std::int64_t id, std::string_view url,
                           const Bytes& sealed_secret) override;

  void create_template(const MessageTemplateRecord& record) override;
  std::optional<MessageTemplateRecord> find_template(std::int64_t api_key_id,
                                                     std::string_view id) override;
  std::vector<MessageTemplateRecord> list_templates(std::int64_t api_key_id) override;
  bool delete_template(std::int64_t api_key_id, std::string_view id) override;

  // PRAGMA user_version of the open database.
  int schema_version() const;
  static int latest_schema_version();
  // PRAGMA synchronous on this store's connection as a name: "OFF", "NORMAL", "FULL", "EXTRA".
  std::string synchronous_mode() const;
  // The memory limits of every connection, the writer first (to prove the options reach them).
  std::vector<SqliteConnectionMemory> connection_memory() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  void run_write(const TransactionWork& work) override;
  void run_read(const TransactionWork& work) override;

  class Transaction;
  class StatementLease;
  struct Connection;
  struct PendingWrite;

  // Locks `connection`, opens a transaction (IMMEDIATE when `for_write`), runs `work`, commits;
  // rolls back and rethrows on any exception.
  void run_locked(Connection& connection, bool for_write, const std::function<void()>& work) const;
  // run_locked, handing `work` the connection and returning what `work` returns.
  template <typename Work>
  auto locked(Connection& connection, bool for_write, Work&& work) const;
  // Runs every queued write in one transaction, each inside its own savepoint.
  void commit_batch(const std::vector<PendingWrite*>& batch);

  std::filesystem::path path_;
  // Writes go through `writer_`; reads (OTP lookups, API-key checks) through `reader_`, so in
  // WAL mode they never wait behind a write transaction.
  std::unique_ptr<Connection> writer_;
  std::vector<std::unique_ptr<Connection>> readers_;
  mutable std::atomic<std::size_t> next_reader_{0};
  Connection& next_reader() const;

  // Group commit: concurrent write() calls queue up; one of them (the leader) commits the whole
  // queue in one transaction while the others wait for their outcome.
  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::vector<PendingWrite*> queue_;
  bool leader_active_ = false;
};

}  // namespace ussd_otp
