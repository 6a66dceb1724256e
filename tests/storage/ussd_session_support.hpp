// What the USSD session storage tests share (the contract suite and the SQLite-only tests): a
// session with every field set, saving and finding one, and checking a stored row field by field.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "otp/store.hpp"
#include "otp/ussd_session.hpp"
#include "storage/storage_support.hpp"

namespace ussd_otp::testing {

inline UssdSession make_session(std::string dialect, std::string id, UnixSeconds last_seen_at) {
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

inline UssdSession ended_at(UssdSession session, UnixSeconds at, std::string_view reason) {
  session.ended_at = at;
  session.end_reason = std::string(reason);
  return session;
}

inline void check_same(const UssdSession& actual, const UssdSession& expected) {
  check_members(actual, expected, &UssdSession::dialect, &UssdSession::id, &UssdSession::msisdn,
                &UssdSession::service_code, &UssdSession::language, &UssdSession::network,
                &UssdSession::state, &UssdSession::tries, &UssdSession::steps,
                &UssdSession::created_at, &UssdSession::last_seen_at, &UssdSession::ended_at,
                &UssdSession::end_reason, &UssdSession::report);
}

inline void save(OtpStore& store, const UssdSession& session) {
  store.write([&](OtpStoreTransaction& tx) { tx.save_ussd_session(session); });
}

inline std::optional<UssdSession> find(OtpStore& store, std::string_view dialect,
                                       std::string_view id) {
  std::optional<UssdSession> found;
  store.read([&](OtpStoreTransaction& tx) { found = tx.find_ussd_session(dialect, id); });
  return found;
}

// The stored row of `expected`'s dialect and id, which must exist and equal `expected`.
inline UssdSession check_stored(OtpStore& store, const UssdSession& expected) {
  INFO(expected.dialect << "/" << expected.id);
  const auto found = find(store, expected.dialect, expected.id);
  REQUIRE(found);
  check_same(*found, expected);
  return *found;
}

}  // namespace ussd_otp::testing
