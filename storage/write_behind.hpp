// Writes that need not delay an answer (USSD session rows, lookup counters, view events), queued
// and committed together in the background: one transaction per batch instead of one per request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "otp/store.hpp"

namespace ussd_otp {

class WriteBehind {
 public:
  using Write = std::function<void(OtpStoreTransaction&)>;
  using ErrorReporter = std::function<void(const std::string& what, std::size_t writes_dropped)>;

  struct Options {
    std::chrono::milliseconds interval{10};  // how long a write may wait for its batch
    std::size_t max_pending = 100'000;       // enqueue() refuses beyond this (backpressure)
    int attempts = 3;                        // per write, before it is dropped and reported
    // Writes per transaction at most: a backlog is committed in several, so a request that must
    // write for itself (queue full) never waits behind one huge transaction.
    std::size_t max_batch = 4096;
  };

  WriteBehind(OtpStore& store, Options options, ErrorReporter report_error);
  ~WriteBehind();  // one last attempt at what is queued (dropped and reported if it fails)
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // False when the queue is full: the caller should do the write itself or refuse the request.
  bool enqueue(Write write);
  // Takes the writes (leaves `writes` empty) unless it returns false.
  bool enqueue(std::vector<Write>& writes);
  // Commits everything queued before this call; returns when it is in the database (or dropped).
  void flush();
  // The same, waiting at most `timeout`; false when it gave up (the database is unwritable).
  bool flush_for(std::chrono::milliseconds timeout);
  std::size_t pending() const;  // queued or being committed
  std::size_t dropped() const;

 private:
  struct Item {
    Write write;
    int failures = 0;
  };
  void run();
  void commit(std::vector<Item>& batch, bool last_round);

  OtpStore& store_;
  Options options_;
  ErrorReporter report_error_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::vector<Item> queue_;
  std::uint64_t enqueued_seq_ = 0;   // writes ever queued
  std::uint64_t committed_seq_ = 0;  // writes ever committed or dropped
  std::size_t dropped_ = 0;
  bool flush_requested_ = false;
  bool outage_reported_ = false;  // only the writer thread touches it
  bool give_up_ = false;          // last round and the database is down: drop, do not wait
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ussd_otp
