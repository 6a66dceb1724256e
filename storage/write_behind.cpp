// A batch is one transaction. When it fails (database locked, disk full) it is retried whole on
// the next round; a write that keeps failing on its own (e.g. an event for an OTP purged since)
// is dropped after `attempts` tries and reported, so it cannot hold the others back forever.
#include "storage/write_behind.hpp"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

namespace ussd_otp {
namespace {

// Which failures are outages (retry the batch, keep the writes) is backend-specific: today the
// SQLite result codes below; a second backend adds its own classification to is_outage.
bool is_outage(const std::exception& e) {
  const auto* sqlite = dynamic_cast<const SQLite::Exception*>(&e);
  if (sqlite == nullptr) return false;
  switch (sqlite->getErrorCode() & 0xff) {  // the primary result code
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return true;
    default:
      return false;
  }
}

}  // namespace

WriteBehind::WriteBehind(OtpStore& store, Options options, ErrorReporter report_error)
    : store_(store), options_(options), report_error_(std::move(report_error)) {
  thread_ = std::thread([this] { run(); });
}

WriteBehind::~WriteBehind() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;  // run() makes a last attempt at what is queued, then returns
  }
  wake_.notify_all();
  thread_.join();
}

bool WriteBehind::enqueue(Write write) {
  std::vector<Write> one;
  one.push_back(std::move(write));
  return enqueue(one);
}

bool WriteBehind::enqueue(std::vector<Write>& writes) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() + writes.size() > options_.max_pending) return false;
    for (Write& w : writes) queue_.push_back({std::move(w), 0});
    enqueued_seq_ += writes.size();
  }
  writes.clear();
  return true;
}

void WriteBehind::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = enqueued_seq_;
  flush_requested_ = true;
  wake_.notify_all();
  flushed_.wait(lock, [&] { return committed_seq_ >= target || stopping_; });
}

bool WriteBehind::flush_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = enqueued_seq_;
  flush_requested_ = true;
  wake_.notify_all();
  return flushed_.wait_for(lock, timeout, [&] { return committed_seq_ >= target || stopping_; });
}

std::size_t WriteBehind::pending() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(enqueued_seq_ - committed_seq_);  // queued or being committed
}

std::size_t WriteBehind::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void WriteBehind::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_for(lock, options_.interval, [this] { return flush_requested_ || stopping_; });
    flush_requested_ = false;
    const bool last_round = stopping_;
    while (!queue_.empty()) {
      std::vector<Item> batch;
      if (queue_.size() <= options_.max_batch) {
        batch.swap(queue_);
      } else {
        const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
        queue_.erase(queue_.begin(), end);
      }
      lock.unlock();
      commit(batch, last_round);
      lock.lock();
      if (!batch.empty()) {
        // Not committed: back to the front, ahead of newer writes, for the next round.
        queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()),
                      std::make_move_iterator(batch.end()));
        break;
      }
      flushed_.notify_all();
    }
    flushed_.notify_all();
    if (last_round) return;
  }
}

void WriteBehind::commit(std::vector<Item>& batch, bool last_round) {
  if (last_round && give_up_) {
    std::lock_guard lock(mutex_);
    committed_seq_ += batch.size();
    dropped_ += batch.size();
    report_error_("the database stayed unwritable at shutdown", batch.size());
    batch.clear();
    return;
  }
  const auto settle = [this](std::size_t done, std::size_t dropped) {
    std::lock_guard lock(mutex_);
    committed_seq_ += done + dropped;
    dropped_ += dropped;
  };
  try {
    store_.write([&](OtpStoreTransaction& tx) {
      for (Item& item : batch) item.write(tx);
    });
    settle(batch.size(), 0);
    batch.clear();
    outage_reported_ = false;
    return;
  } catch (const std::exception& e) {
    // Busy, locked, full or failing storage is an outage, nobody's fault: never a reason to drop
    // a write. Only other errors (a constraint) can be a write's own.
    const bool writable = !is_outage(e) && store_.writable();
    if (last_round && !writable) {
      give_up_ = true;  // the rest of the queue goes the same way, without waiting again
      report_error_(e.what(), batch.size());
      settle(0, batch.size());
      batch.clear();
      return;
    }
    // A database that cannot be written (locked by another process, disk full) is nobody's
    // fault: keep the batch whole and wait for it to come back. Said once per outage.
    if (!writable) {
      if (!outage_reported_) report_error_(e.what(), 0);
      outage_reported_ = true;
      return;
    }
  }
  outage_reported_ = false;
  // The database works, so some write in the batch cannot succeed (e.g. an event for an OTP
  // purged meanwhile): one transaction per write, to drop just those.
  std::vector<Item> keep;
  std::size_t done = 0, dropped = 0;
  for (Item& item : batch) {
    try {
      store_.write([&](OtpStoreTransaction& tx) { item.write(tx); });
      ++done;
    } catch (const std::exception& e) {
      if (is_outage(e) && !last_round) {  // the lock came back: not this write's fault
        keep.push_back(std::move(item));
        continue;
      }
      // On the last round there is no next one: what fails alone now is dropped.
      if (++item.failures >= options_.attempts || last_round) {
        ++dropped;
        report_error_(e.what(), 1);
      } else {
        keep.push_back(std::move(item));
      }
    }
  }
  batch = std::move(keep);
  settle(done, dropped);
}

}  // namespace ussd_otp
