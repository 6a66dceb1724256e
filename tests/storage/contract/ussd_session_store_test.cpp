// The USSD session contract, on every backend: session rows (saved, updated in place, keyed by
// dialect and id, ended when idle, purged) and the two lookups the USSD gateway uses to warm its
// caches (rate_counts_since, queued_sends).
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "storage/store_factories.hpp"
#include "storage/ussd_session_support.hpp"

namespace ussd_otp {
namespace {

using namespace testing;

using Window = std::tuple<std::string, UnixSeconds, std::int64_t>;

std::vector<Window> sorted(const std::vector<OtpStoreTransaction::RateWindowCount>& rows) {
  std::vector<Window> windows;
  for (const auto& row : rows) windows.emplace_back(row.key, row.window_start, row.count);
  std::sort(windows.begin(), windows.end());
  return windows;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("a USSD session round-trips every field, ended or not",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;

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

TEMPLATE_LIST_TEST_CASE("saving a USSD session again updates it in place", "[storage][contract]",
                        StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;

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
  CHECK(contract.backend.count_rows("ussd_sessions") == 1);

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
  CHECK(contract.backend.count_rows("ussd_sessions") == 1);

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

TEMPLATE_LIST_TEST_CASE("USSD sessions are keyed by dialect and id together", "[storage][contract]",
                        StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;

  UssdSession a = make_session("arkesel", "same-id", kNow);
  a.msisdn = "233200000001";
  UssdSession b = make_session("hubtel", "same-id", kNow + 1);
  b.msisdn = "233200000002";
  b.state = "other";
  save(store, a);
  save(store, b);
  CHECK(contract.backend.count_rows("ussd_sessions") == 2);

  // Updating one leaves the other alone.
  a.steps = 9;
  a.state = "changed";
  save(store, a);
  CHECK(contract.backend.count_rows("ussd_sessions") == 2);

  check_stored(store, a);
  check_stored(store, b);
}

TEMPLATE_LIST_TEST_CASE("end_idle_ussd_sessions ends only open sessions seen before the cutoff",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
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

TEMPLATE_LIST_TEST_CASE("purge_ussd_sessions_before deletes only sessions seen before the cutoff",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
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
    CHECK(contract.backend.count_rows("ussd_sessions") == 3);
    CHECK(purge(2) == 1);
    CHECK(remaining_old() == 0);
    CHECK(purge(2) == 0);
  }

  CHECK(contract.backend.count_rows("ussd_sessions") == 2);
  check_stored(store, at_cutoff);
  check_stored(store, recent_ended);
}

TEMPLATE_LIST_TEST_CASE("rate_counts_since returns one scope's windows at or after since",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
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

TEMPLATE_LIST_TEST_CASE("queued_sends counts outbox rows of one API key's OTPs",
                        "[storage][contract]", StoreFactories) {
  ContractStore<TestType> contract;
  OtpStore& store = contract.store;
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
