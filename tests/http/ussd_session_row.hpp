// Reads one ussd_sessions row straight from the server's database (the black-box tests' view of
// whether a session ended, and why).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <optional>
#include <string>

#include "support/test_server.hpp"

namespace ussd_otp::testing {

struct SessionRow {
  bool ended = false;
  std::string end_reason;
};

inline std::optional<SessionRow> session_row(const TestServer& server, const std::string& dialect,
                                             const std::string& id) {
  server.flush_writes();  // rows are written just behind the answer
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  SQLite::Statement row(db,
                        "SELECT ended_at IS NOT NULL, end_reason FROM ussd_sessions "
                        "WHERE dialect = ? AND id = ?");
  row.bind(1, dialect);
  row.bind(2, id);
  if (!row.executeStep()) return std::nullopt;
  return SessionRow{row.getColumn(0).getInt() == 1, row.getColumn(1).getString()};
}

}  // namespace ussd_otp::testing
