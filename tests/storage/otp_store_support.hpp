// What the OTP storage tests share (the contract suite and the SQLite-only tests): an OTP row,
// inserting and finding one, and comparing two rows field by field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otp/store.hpp"
#include "storage/storage_support.hpp"

namespace ussd_otp::testing {

inline OtpRecord make_otp(std::string id, std::int64_t api_key_id, std::string phone,
                          UnixSeconds created_at, UnixSeconds expires_at) {
  return otp_row(std::move(id), api_key_id, created_at, expires_at, std::move(phone));
}

inline void require_same(const OtpRecord& actual, const OtpRecord& expected) {
  check_members(actual, expected, &OtpRecord::id, &OtpRecord::api_key_id, &OtpRecord::phone,
                &OtpRecord::sender, &OtpRecord::message_template, &OtpRecord::pin_type,
                &OtpRecord::pin_length, &OtpRecord::expiry_amount, &OtpRecord::expiry_unit,
                &OtpRecord::code_hash, &OtpRecord::code_ciphertext, &OtpRecord::status,
                &OtpRecord::max_attempts, &OtpRecord::failed_attempts, &OtpRecord::send_count,
                &OtpRecord::created_at, &OtpRecord::expires_at, &OtpRecord::last_sent_at,
                &OtpRecord::metadata_json);
}

inline void insert(OtpStore& store, const OtpRecord& otp) {
  store.write([&](OtpStoreTransaction& tx) { tx.insert_otp(otp); });
}

inline std::optional<OtpRecord> find(OtpStore& store, std::string_view id) {
  std::optional<OtpRecord> found;
  store.read([&](OtpStoreTransaction& tx) { found = tx.find_otp(id); });
  return found;
}

inline std::vector<std::string> ids_of(const std::vector<OtpRecord>& otps) {
  std::vector<std::string> ids;
  for (const auto& otp : otps) ids.push_back(otp.id);
  return ids;
}

}  // namespace ussd_otp::testing
