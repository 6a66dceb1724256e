// Dialects as data: a dialect is a table of its fields, a phase mapping and a reply shape; one
// shared reader (table_dialect.cpp) applies the table. See README.md in this folder.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {

using FieldProblems = std::map<std::string, std::string>;

// Where a dialect's fields arrive.
enum class WireFormat {
  Json,  // a JSON object body (POST)
  Form,  // an application/x-www-form-urlencoded body (POST)
  Query  // the query string of a GET
};

enum class FieldKind {
  Text,    // a string; a number is accepted and printed (aggregators mix the two)
  Flag,    // true/false, also as the strings "true"/"True"/"TRUE" (some gateways stringify)
  Object,  // a JSON object (its members are fields named "<object>.<member>")
  Json     // any JSON, kept as sent; max_length bounds its serialised size
};

enum class Presence {
  Optional,
  Required,  // must be there (JSON: not null); "" is fine
  NonEmpty   // must be there and not "" (in a form or query, "" is how a missing value arrives)
};

// The UssdRequest (or DialectRequest) member a field fills. A member already filled by an
// earlier field of the table is not read again (Hubtel's two spellings of ServiceCode).
enum class Fills {
  Nothing,
  SessionId,
  Msisdn,  // in a form or query a leading space is a '+' that was not percent-encoded
  ServiceCode,
  Network,
  Input,
  UserId,
  Phase,         // Flag: true begins a session; Text: a word of DialectSpec::phases
  ReportStatus,  // DialectRequest::report_status
  Report         // DialectRequest::report[name], when not empty
};

enum class Echo {
  No,
  Text,        // the value as read (a number becomes its text)
  IfNotEmpty,  // the text, only when not empty
  AsSent       // the JSON value exactly as sent (a number stays a number)
};

struct DialectField {
  std::string_view name;  // "payload.request_id": the member of the Object field "payload"
  Presence presence = Presence::Optional;
  FieldKind kind = FieldKind::Text;
  std::size_t max_length = kMaxUssdField;
  Fills fills = Fills::Nothing;
  Echo echo = Echo::No;
  std::string_view echo_at = {};              // JSON pointer in the reply; default "/<name>"
  std::vector<std::string_view> one_of = {};  // allowed values, when not empty
  std::string_view missing_problem = "is required";

  // Modifiers, so a table row reads as one phrase: id_field("sessionID", ...).echoed().
  DialectField echoed(Echo how = Echo::Text, std::string_view at = {}) && {
    echo = how;
    echo_at = at;
    return std::move(*this);
  }
  DialectField limited_to(std::size_t max) && {
    max_length = max;
    return std::move(*this);
  }
  DialectField allowed(std::vector<std::string_view> values) && {
    one_of = std::move(values);
    return std::move(*this);
  }
  DialectField when_missing(std::string_view problem) && {
    missing_problem = problem;
    return std::move(*this);
  }
};

// The rows tables are made of, with the limits every dialect applies (docs/ussd.md).
// An id or number that must be there and not empty (session id, MSISDN).
inline DialectField id_field(std::string_view name, Fills fills) {
  return {name, Presence::NonEmpty, FieldKind::Text, kMaxUssdField, fills};
}
inline DialectField required_field(std::string_view name, Fills fills = Fills::Nothing) {
  return {name, Presence::Required, FieldKind::Text, kMaxUssdField, fills};
}
inline DialectField optional_field(std::string_view name, Fills fills = Fills::Nothing) {
  return {name, Presence::Optional, FieldKind::Text, kMaxUssdField, fills};
}
// What the user typed (or the dial string), up to kMaxUssdInput characters.
inline DialectField input_field(std::string_view name, Presence presence = Presence::Optional) {
  return {name, presence, FieldKind::Text, kMaxUssdInput, Fills::Input};
}
// A true/false "new session" flag: true begins, false continues.
inline DialectField new_session_flag(std::string_view name) {
  return {name, Presence::Required, FieldKind::Flag, 0, Fills::Phase};
}
// A word naming the phase (DialectSpec::phases); `presence` NonEmpty where "" is missing.
inline DialectField phase_field(std::string_view name, Presence presence = Presence::Required) {
  return {name, presence, FieldKind::Text, 32, Fills::Phase};
}
inline DialectField object_field(std::string_view name) {
  return {name, Presence::Required, FieldKind::Object};
}
// Any JSON, kept as sent and bounded by its serialised length.
inline DialectField json_field(std::string_view name) {
  return {name, Presence::Optional, FieldKind::Json, kMaxUssdInput};
}

// A word of the phase field, compared case-insensitively; the spelling is the one the 400 names.
struct PhaseWord {
  std::string_view spelling;
  UssdPhase phase;
};

// Hubtel's request Type words, which Emergent and Cross-Switch send too.
inline const std::vector<PhaseWord> kHubtelTypes = {{"Initiation", UssdPhase::Begin},
                                                    {"Response", UssdPhase::Continue},
                                                    {"Release", UssdPhase::Released},
                                                    {"Timeout", UssdPhase::TimedOut}};

// The reply: fixed members by outcome, the echoed fields, and the screen text at `text_at`.
struct ReplyShape {
  std::string_view text_at;  // JSON pointer, e.g. "/message" or "/payload/request"
  nlohmann::json on_continue = nlohmann::json::object();
  nlohmann::json on_end = nlohmann::json::object();
};

// The values read for a table, in its order; a value is "" when absent or refused.
struct FieldValue {
  bool present = false;  // there and not null
  std::string text;
  bool flag = false;
  std::optional<nlohmann::json> sent;  // JSON: the member as sent (also when null)
};

class FieldValues {
 public:
  FieldValues(std::span<const DialectField> fields, std::vector<FieldValue> values)
      : fields_(fields), values_(std::move(values)) {}
  // The first field of that name. A name the table lacks is a programming error
  // (std::logic_error); TableDialect's constructor finds it at startup.
  const FieldValue& operator[](std::string_view name) const;

 private:
  std::span<const DialectField> fields_;
  std::vector<FieldValue> values_;
};

// Where fields are read from: a JSON object, or decoded form/query pairs.
using FormPairs = std::vector<std::pair<std::string, std::string>>;
using FieldSource = std::variant<const nlohmann::json*, const FormPairs*>;

// A request's JSON body, form body or query, parsed as the format says. INVALID_JSON when a JSON
// body is not an object (or repeats a key), MALFORMED_REQUEST when a form does not decode.
class WireBody {
 public:
  static Result<WireBody> read(WireFormat format, const DialectHttpRequest& http);
  FieldSource source() const;

 private:
  std::variant<nlohmann::json, FormPairs> data_;
};

// The shared reader: reads `fields` from `source` into `request` (members, echo, report) and
// records one problem per field.
FieldValues read_fields(const FieldSource& source, std::span<const DialectField> fields,
                        DialectRequest& request, FieldProblems& problems);

// VALIDATION_ERROR "Not a valid <dialect> request: <field> <problem>, ..." with the map.
Error validation_error(std::string_view dialect, FieldProblems problems);

// A JSON reply (echoed bytes that are not UTF-8 become U+FFFD).
DialectReply json_reply(const nlohmann::json& body);

// An aggregator's wire shape. Code remains only where it really differs: `adjust` runs after the
// table and the phase mapping, before the problems are reported.
struct DialectSpec {
  WireFormat format = WireFormat::Json;
  std::vector<DialectField> fields;
  std::vector<PhaseWord> phases = {};  // for a Text field that Fills::Phase
  // The problem of a Continue without its Input field ("" when an answer may be absent).
  std::string_view input_required_on_continue = {};
  ReplyShape reply = {};
  std::size_t screen_limit = 160;
  void (*adjust)(const FieldValues&, DialectRequest&, FieldProblems&) = nullptr;
};

// A dialect made from its spec: parses by the table, renders by the reply shape.
class TableDialect : public UssdDialect {
 public:
  // `name` is the path segment, /ussd/<name>, as registered (server/ussd/dialects/registry.cpp).
  // Checks the spec once (std::logic_error naming the dialect and the problem): a `phases` list
  // needs a Text row that Fills::Phase, `input_required_on_continue` a row that Fills::Input, and
  // the names `adjust` reads must be rows of the table. Requests then rely on it.
  TableDialect(std::string_view name, DialectSpec spec);
  // Not copied: phase_field_ and input_field_ point into spec_.
  TableDialect(const TableDialect&) = delete;
  TableDialect& operator=(const TableDialect&) = delete;
  std::string_view name() const override { return name_; }
  bool uses_get() const override { return spec_.format == WireFormat::Query; }
  std::size_t screen_limit() const override { return spec_.screen_limit; }
  Result<DialectRequest> parse(const DialectHttpRequest& request) const override;
  DialectReply render(const DialectRequest& request, const UssdAnswer& answer) const override;

 private:
  std::string name_;
  DialectSpec spec_;
  const DialectField* phase_field_ = nullptr;  // the Fills::Phase row, when `phases` is set
  const DialectField* input_field_ = nullptr;  // the Fills::Input row, when required on Continue
};

std::unique_ptr<UssdDialect> make_table_dialect(std::string_view name, DialectSpec spec);

}  // namespace ussd_otp
