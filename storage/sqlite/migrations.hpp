// The SQLite schema as an ordered list of migrations, applied by PRAGMA user_version.
#pragma once

#include <span>
#include <string_view>

namespace SQLite {
class Database;
}

namespace ussd_otp {

// One schema step. `version` is the user_version the database has after it; steps are
// append-only: once released, a step is never edited, only followed by a new one.
struct SqliteMigration {
  int version;
  std::string_view description;
  std::string_view sql;
};

std::span<const SqliteMigration> sqlite_migrations();
int latest_sqlite_schema_version();

// Brings `db` up to the latest version, each step in its own IMMEDIATE transaction so a
// crash mid-way leaves a consistent, resumable database. Throws std::runtime_error when the
// database was written by newer code (its user_version is above the latest we know).
void apply_sqlite_migrations(SQLite::Database& db);

}  // namespace ussd_otp
