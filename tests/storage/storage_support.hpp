// What the storage tests share: a fixed "now", a database file in a test's temporary folder and
// an OTP row with every column the schema requires.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "otp/types.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace ussd_otp::testing {

inline constexpr UnixSeconds kNow = 1'700'000'000;

inline SqliteOptions options_in(const TempDir& dir, const char* name = "otp.db") {
  SqliteOptions options;
  options.path = dir.file(name);
  return options;
}

// A new file after every migration ran: a store is opened on it, checked and closed again.
inline SqliteOptions migrated_file(const TempDir& dir) {
  const SqliteOptions options = options_in(dir);
  SqliteStore store(options);
  CHECK(store.schema_version() == SqliteStore::latest_schema_version());
  return options;
}

// A pending OTP for `phone` created and sent at `created_at`; the hash and ciphertext are
// placeholders (the store keeps bytes, it never checks them).
inline OtpRecord otp_row(std::string id, std::int64_t api_key_id, UnixSeconds created_at = kNow,
                         UnixSeconds expires_at = kNow + 300, std::string phone = "233241234567") {
  OtpRecord otp;
  otp.id = std::move(id);
  otp.api_key_id = api_key_id;
  otp.phone = std::move(phone);
  otp.message_template = "Your code is {code}";
  otp.code_hash = {1, 2, 3};
  otp.code_ciphertext = {4, 5, 6};
  otp.created_at = created_at;
  otp.expires_at = expires_at;
  otp.last_sent_at = created_at;
  return otp;
}

// CHECKs that `actual` and `expected` agree on each of `members` (a failure names its position
// in the list; Catch prints both values).
template <class T, class... Members>
void check_members(const T& actual, const T& expected, Members T::*... members) {
  std::size_t position = 0;
  (
      [&](auto member) {
        INFO("member " << ++position << " of the list");
        CHECK(actual.*member == expected.*member);
      }(members),
      ...);
}

}  // namespace ussd_otp::testing
