// SqliteStore's USSD session rows (schema migration 3) and the two lookups the USSD gateway uses
// to warm its caches (rate_counts_since, queued_sends), against real temporary files.
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "storage/sqlite/migrations.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/storage_support.hpp"

namespace ussd_otp {
namespace {

using namespace testing;

UssdSession make_session(std::string dialect, std::string id, UnixSeconds last_seen_at) {
  return UssdSession{.dialect = std::move(dialect),
                     .id = std::move(id),
                     .msisdn = "233241234567",
                     .service_code = "*920*55#",
                     .language = "en",
                     .network = "MTN",
                     .state = "menu:lookup",
                     .tries = 1,
                     .steps = 2,
                     .created_at = last_seen_at - 30,
                     .last_seen_at = last_seen_at,
                     .ended_at = std::nullopt,
                     .end_reason = "",
                     .report = ""};
}

UssdSession ended_at(UssdSession session, UnixSeconds at, std::string_view reason) {
  session.ended_at = at;
  session.end_reason = std::string(reason);
  return session;
}

void check_same(const UssdSession& actual, const UssdSession& expected) {
  check_members(actual, expected, &UssdSession::dialect, &UssdSession::id, &UssdSession::msisdn,
                &UssdSession::service_code, &UssdSession::language, &UssdSession::network,
                &UssdSession::state, &UssdSession::tries, &UssdSession::steps,
                &UssdSession::created_at, &UssdSession::last_seen_at, &UssdSession::ended_at,
                &UssdSession::end_reason, &UssdSession::report);
}

void save(SqliteStore& store, const UssdSession& session) {
  store.write([&](OtpStoreTransaction& tx) { tx.save_ussd_session(session); });
}

std::optional<UssdSession> find(SqliteStore& store, std::string_view dialect, std::string_view id) {
  std::optional<UssdSession> found;
  store.read([&](OtpStoreTransaction& tx) { found = tx.find_ussd_session(dialect, id); });
  return found;
}

// The stored row of `expected`'s dialect and id, which must exist and equal `expected`.
UssdSession check_stored(SqliteStore& store, const UssdSession& expected) {
  INFO(expected.dialect << "/" << expected.id);
  const auto found = find(store, expected.dialect, expected.id);
  REQUIRE(found);
  check_same(*found, expected);
  return *found;
}

// Row count straight from the file: the interface has no way to list or count sessions.
std::int64_t session_rows(const std::filesystem::path& path) {
  SQLite::Database raw(path.string(), SQLite::OPEN_READONLY);
  return raw.execAndGet("SELECT COUNT(*) FROM ussd_sessions").getInt64();
}

using Window = std::tuple<std::string, UnixSeconds, std::int64_t>;

std::vector<Window> sorted(const std::vector<OtpStoreTransaction::RateWindowCount>& rows) {
  std::vector<Window> windows;
  for (const auto& row : rows) windows.emplace_back(row.key, row.window_start, row.count);
  std::sort(windows.begin(), windows.end());
  return windows;
}

}  // namespace

TEST_CASE("a fresh database has the ussd_sessions table at the latest schema", "[storage]") {
  TempDir dir;
  const auto options = migrated_file(dir);
  CHECK(SqliteStore::latest_schema_version() >= 3);
  SQLite::Database raw(options.path.string(), SQLite::OPEN_READONLY);
  SQLite::Statement names(raw, "SELECT type, name FROM sqlite_master WHERE tbl_name = ?");
  names.bind(1, "ussd_sessions");
  std::set<std::pair<std::string, std::string>> found;
  while (names.executeStep()) {
    found.emplace(names.getColumn(0).getString(), names.getColumn(1).getString());
  }
  CHECK(found.count({"table", "ussd_sessions"}) == 1);
  CHECK(found.count({"index", "ussd_sessions_by_last_seen"}) == 1);

  std::set<std::string> columns;
  SQLite::Statement info(raw, "SELECT name FROM pragma_table_info('ussd_sessions')");
  while (info.executeStep()) columns.insert(info.getColumn(0).getString());
  CHECK(columns == std::set<std::string>{"dialect", "id", "msisdn", "service_code", "language",
                                         "network", "state", "tries", "steps", "created_at",
                                         "last_seen_at", "ended_at", "end_reason", "report"});
}

TEST_CASE("a version 2 database is migrated to USSD sessions and keeps its data", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  {
    // Build the schema as a build with migrations 1 and 2 only would have left it.
    SQLite::Database raw(options.path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    SQLite::Transaction tx(raw);  // one commit, not one per statement
    for (const auto& step : sqlite_migrations()) {
      if (step.version > 2) break;
      raw.exec(std::string(step.sql));
    }
    raw.exec("PRAGMA user_version = 2");
    raw.exec("INSERT INTO api_keys (name, prefix, hash, created_at) VALUES ('old', 'p', x'01', 1)");
    tx.commit();
  }
  SqliteStore store(options);
  CHECK(store.schema_version() == SqliteStore::latest_schema_version());
  CHECK(store.find_api_key_by_name("old"));
  const auto session = make_session("arkesel", "s-1", kNow);
  save(store, session);
  check_stored(store, session);
}

TEST_CASE("a USSD session round-trips every field, ended or not", "[storage]") {
  TempDir dir;
  SqliteStore store(options_in(dir));

  UssdSession open = make_session("arkesel", "open-1", kNow);
  open.msisdn = "233200000001";
  open.service_code = "*920*1#";
  open.language = "tw";
  open.network = "Vodafone";
  open.state = "screen=2;page=1";
  open.tries = 2;
  open.steps = 7;
  open.created_at = kNow - 45;

  UssdSession ended = make_session("hubtel", "ended-1", kNow + 5);
  ended.state = "";
  ended.ended_at = kNow + 6;
  ended.end_reason = std::string(ussd_end::kReleased);
  ended.report = R"({"sessionId":"ended-1","status":"completed","note":"naïve \"quoted\""})";

  save(store, open);
  save(store, ended);

  const UssdSession found_open = check_stored(store, open);
  CHECK_FALSE(found_open.ended_at.has_value());
  CHECK(found_open.report.empty());

  const UssdSession found_ended = check_stored(store, ended);
  REQUIRE(found_ended.ended_at.has_value());
  CHECK(*found_ended.ended_at == kNow + 6);

  CHECK_FALSE(find(store, "arkesel", "missing"));
  CHECK_FALSE(find(store, "hubtel", "open-1"));  // right id, wrong dialect
}

TEST_CASE("saving a USSD session again updates it in place", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  SqliteStore store(options);

  UssdSession session = make_session("arkesel", "s-1", kNow);
  save(store, session);

  session.state = "screen=3";
  session.tries = 0;
  session.steps = 3;
  session.last_seen_at = kNow + 10;
  session.ended_at = kNow + 11;
  session.end_reason = std::string(ussd_end::kMenu);
  session.report = R"({"done":true})";
  save(store, session);

  check_stored(store, session);
  CHECK(session_rows(options.path) == 1);

  // The upsert writes every column, NULL included: ended_at can be cleared again. But a row
  // without a report keeps the one stored (a step never erases the aggregator's report).
  session.ended_at.reset();
  session.end_reason.clear();
  session.report.clear();
  session.msisdn = "233200000009";
  session.steps = 4;
  save(store, session);
  auto found = find(store, "arkesel", "s-1");
  REQUIRE(found);
  CHECK_FALSE(found->ended_at.has_value());
  CHECK(found->msisdn == "233200000009");
  CHECK(found->report == R"({"done":true})");
  CHECK(session_rows(options.path) == 1);

  // An older state (fewer steps), e.g. a write retried after a newer one, changes nothing.
  UssdSession older = session;
  older.steps = 2;
  older.state = "stale";
  save(store, older);
  found = find(store, "arkesel", "s-1");
  REQUIRE(found);
  CHECK(found->state == session.state);
  CHECK(found->steps == 4);
}

TEST_CASE("USSD sessions are keyed by dialect and id together", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  SqliteStore store(options);

  UssdSession a = make_session("arkesel", "same-id", kNow);
  a.msisdn = "233200000001";
  UssdSession b = make_session("hubtel", "same-id", kNow + 1);
  b.msisdn = "233200000002";
  b.state = "other";
  save(store, a);
  save(store, b);
  CHECK(session_rows(options.path) == 2);

  // Updating one leaves the other alone.
  a.steps = 9;
  a.state = "changed";
  save(store, a);
  CHECK(session_rows(options.path) == 2);

  check_stored(store, a);
  check_stored(store, b);
}

TEST_CASE("end_idle_ussd_sessions ends only open sessions seen before the cutoff", "[storage]") {
  TempDir dir;
  SqliteStore store(options_in(dir));
  const UnixSeconds cutoff = kNow - 60;

  const auto stale1 = make_session("arkesel", "stale-1", cutoff - 100);
  const auto stale2 = make_session("arkesel", "stale-2", cutoff - 1);
  const auto stale3 = make_session("hubtel", "stale-3", cutoff - 50);
  const auto at_cutoff = make_session("arkesel", "at-cutoff", cutoff);  // not before: stays open
  const auto recent = make_session("arkesel", "recent", kNow - 1);
  // Already ended: its state is never cleared by the sweep, whatever it holds.
  const auto ended =
      ended_at(make_session("arkesel", "ended-old", cutoff - 100), cutoff - 90, ussd_end::kMenu);
  for (const auto* s : {&stale1, &stale2, &stale3, &at_cutoff, &recent, &ended}) save(store, *s);

  auto check_idle_ended = [&](const UssdSession& before) {
    UssdSession expected = before;
    expected.ended_at = kNow;
    expected.end_reason = std::string(ussd_end::kIdle);
    expected.state.clear();
    check_stored(store, expected);
  };
  auto check_untouched = [&](const UssdSession& before) { check_stored(store, before); };
  auto end_idle = [&](std::size_t limit) {
    std::size_t ended_count = 0;
    store.write([&](OtpStoreTransaction& tx) {
      ended_count = tx.end_idle_ussd_sessions(cutoff, kNow, limit);
    });
    return ended_count;
  };

  SECTION("without a binding limit") {
    CHECK(end_idle(100) == 3);
    for (const auto* s : {&stale1, &stale2, &stale3}) check_idle_ended(*s);
    for (const auto* s : {&at_cutoff, &recent, &ended}) check_untouched(*s);
    CHECK(end_idle(100) == 0);  // already ended: a second sweep finds nothing
  }

  SECTION("with a limit") {
    CHECK(end_idle(2) == 2);
    int now_ended = 0;
    for (const auto* s : {&stale1, &stale2, &stale3}) {
      const auto after = find(store, s->dialect, s->id);
      REQUIRE(after);
      if (after->ended_at) {
        ++now_ended;
        check_idle_ended(*s);
      } else {
        check_untouched(*s);
      }
    }
    CHECK(now_ended == 2);
    CHECK(end_idle(2) == 1);
    for (const auto* s : {&stale1, &stale2, &stale3}) check_idle_ended(*s);
    CHECK(end_idle(2) == 0);
    for (const auto* s : {&at_cutoff, &recent, &ended}) check_untouched(*s);
  }

  SECTION("a zero limit touches nothing") {
    CHECK(end_idle(0) == 0);
    for (const auto* s : {&stale1, &stale2, &stale3, &at_cutoff, &recent, &ended}) {
      check_untouched(*s);
    }
  }
}

TEST_CASE("purge_ussd_sessions_before deletes only sessions seen before the cutoff", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  SqliteStore store(options);
  const UnixSeconds cutoff = kNow - 3600;

  const auto old_open = make_session("arkesel", "old-open", cutoff - 10);
  const auto old_ended =
      ended_at(make_session("arkesel", "old-ended", cutoff - 1), cutoff - 1, ussd_end::kReleased);
  const auto old_other = make_session("hubtel", "old-other", cutoff - 500);
  const auto at_cutoff = make_session("arkesel", "at-cutoff", cutoff);
  const auto recent_ended =
      ended_at(make_session("hubtel", "recent-ended", kNow), kNow, ussd_end::kMenu);
  for (const auto* s : {&old_open, &old_ended, &old_other, &at_cutoff, &recent_ended}) {
    save(store, *s);
  }
  auto purge = [&](std::size_t limit) {
    std::size_t purged = 0;
    store.write(
        [&](OtpStoreTransaction& tx) { purged = tx.purge_ussd_sessions_before(cutoff, limit); });
    return purged;
  };
  auto remaining_old = [&] {
    int n = 0;
    for (const auto* s : {&old_open, &old_ended, &old_other})
      n += find(store, s->dialect, s->id) ? 1 : 0;
    return n;
  };

  SECTION("without a binding limit") {
    CHECK(purge(100) == 3);
    CHECK(remaining_old() == 0);
  }

  SECTION("with a limit") {
    CHECK(purge(2) == 2);
    CHECK(remaining_old() == 1);
    CHECK(session_rows(options.path) == 3);
    CHECK(purge(2) == 1);
    CHECK(remaining_old() == 0);
    CHECK(purge(2) == 0);
  }

  CHECK(session_rows(options.path) == 2);
  check_stored(store, at_cutoff);
  check_stored(store, recent_ended);
}

TEST_CASE("USSD sessions survive closing and reopening the store", "[storage]") {
  TempDir dir;
  const auto options = options_in(dir);
  auto open = make_session("arkesel", "open", kNow);
  auto ended = make_session("hubtel", "ended", kNow - 100);
  ended.state.clear();
  ended.ended_at = kNow - 90;
  ended.end_reason = std::string(ussd_end::kTimedOut);
  ended.report = R"({"reason":"timeout"})";
  {
    SqliteStore store(options);
    save(store, open);
    save(store, ended);
  }
  SqliteStore reopened(options);
  check_stored(reopened, open);
  check_stored(reopened, ended);
}

TEST_CASE("rate_counts_since returns one scope's windows at or after since", "[storage]") {
  TempDir dir;
  SqliteStore store(options_in(dir));
  store.write([&](OtpStoreTransaction& tx) {
    tx.rate_increment("ussd_lookup", "233200000001", kNow - 120);  // before `since`
    tx.rate_increment("ussd_lookup", "233200000001", kNow - 60);   // exactly at `since`
    tx.rate_increment("ussd_lookup", "233200000001", kNow);
    tx.rate_increment("ussd_lookup", "233200000001", kNow);
    tx.rate_increment("ussd_lookup", "233200000002", kNow);
    tx.rate_increment("phone", "233200000001", kNow);  // another scope
    tx.rate_increment("ussd", "233200000001", kNow);   // a prefix of the scope is not the scope
  });

  std::vector<OtpStoreTransaction::RateWindowCount> rows;
  store.read(
      [&](OtpStoreTransaction& tx) { rows = tx.rate_counts_since("ussd_lookup", kNow - 60); });
  CHECK(sorted(rows) == std::vector<Window>{{"233200000001", kNow - 60, 1},
                                            {"233200000001", kNow, 2},
                                            {"233200000002", kNow, 1}});

  store.read([&](OtpStoreTransaction& tx) {
    CHECK(sorted(tx.rate_counts_since("ussd_lookup", kNow + 1)).empty());
    CHECK(sorted(tx.rate_counts_since("phone", 0)) ==
          std::vector<Window>{{"233200000001", kNow, 1}});
    CHECK(tx.rate_counts_since("nobody", 0).empty());
    CHECK(tx.rate_counts_since("ussd_lookup", 0).size() == 4);
  });
}

TEST_CASE("queued_sends counts outbox rows of one API key's OTPs", "[storage]") {
  TempDir dir;
  SqliteStore store(options_in(dir));
  store.write([&](OtpStoreTransaction& tx) {
    tx.insert_otp(otp_row("otp_a", 1));
    tx.insert_otp(otp_row("otp_b", 1));
    tx.insert_otp(otp_row("otp_c", 2));
    tx.insert_otp(otp_row("otp_d", 1));  // never queued
    tx.enqueue_delivery("otp_a", "initial", kNow);
    tx.enqueue_delivery("otp_a", "resend", kNow + 30);
    tx.enqueue_delivery("otp_b", "initial", kNow);
    tx.enqueue_delivery("otp_c", "initial", kNow);
  });
  store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.queued_sends(1) == 3);
    CHECK(tx.queued_sends(2) == 1);
    CHECK(tx.queued_sends(3) == 0);
  });

  // Completing a delivery takes it off the count, for its own key only.
  std::vector<PendingDelivery> due;
  store.read([&](OtpStoreTransaction& tx) { due = tx.due_deliveries(kNow + 60, 10); });
  const auto first_a = std::find_if(due.begin(), due.end(),
                                    [](const PendingDelivery& d) { return d.otp_id == "otp_a"; });
  REQUIRE(first_a != due.end());
  store.write([&](OtpStoreTransaction& tx) {
    tx.complete_delivery(first_a->id);
    CHECK(tx.queued_sends(1) == 2);  // the write transaction sees its own change
  });
  store.read([&](OtpStoreTransaction& tx) {
    CHECK(tx.queued_sends(1) == 2);
    CHECK(tx.queued_sends(2) == 1);
  });
}

}  // namespace ussd_otp
