// The shared reader every dialect's table goes through, and the dialect built from a spec.
#include <algorithm>
#include <stdexcept>

#include "otp/strict_json.hpp"
#include "otp/text.hpp"
#include "server/http/url_encoding.hpp"
#include "server/ussd/dialects/table.hpp"

namespace ussd_otp {
namespace {

// "must be A, B or C" from a list of spellings.
std::string must_be_one_of(const auto& spellings) {
  std::string list;
  for (std::size_t i = 0; i < spellings.size(); ++i) {
    if (i > 0) list += i + 1 == spellings.size() ? " or " : ", ";
    list += spellings[i];
  }
  return "must be " + list;
}

std::string too_long(std::size_t max, std::string_view unit = "characters") {
  return "must be at most " + std::to_string(max) + " " + std::string(unit);
}

std::optional<std::string> as_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_number()) return value.dump();
  return std::nullopt;
}

std::optional<bool> as_flag(const nlohmann::json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (!value.is_string()) return std::nullopt;
  const auto& s = value.get_ref<const std::string&>();
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

// The JSON member `name` ("a.b" is member b of object a). Absent (nullopt) when an enclosing
// object is missing or is not one: that object's own field reports it.
std::optional<const nlohmann::json*> json_member(const nlohmann::json& root,
                                                 std::string_view name) {
  const nlohmann::json* at = &root;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const auto it = at->find(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (it == at->end()) {
      if (dot == std::string_view::npos) return nullptr;
      return std::nullopt;
    }
    at = &*it;
    if (dot == std::string_view::npos) return at;
    if (!at->is_object()) return std::nullopt;
    start = dot + 1;
  }
}

// Reads one field's value, or the problem with it.
struct Reading {
  FieldValue value;
  std::optional<std::string> problem;
  bool unreachable = false;  // inside an object that is not there
  bool blank = false;        // sent as "" (a form's or query's way of leaving a value out)
};

Reading read_json(const nlohmann::json& root, const DialectField& field) {
  Reading r;
  const auto found = json_member(root, field.name);
  r.unreachable = !found;
  const nlohmann::json* member = found.value_or(nullptr);
  if (member) r.value.sent = *member;
  if (!member || member->is_null()) return r;
  r.value.present = true;
  switch (field.kind) {
    case FieldKind::Text:
      if (auto text = as_text(*member)) {
        if (text->size() > field.max_length) {
          r.problem = too_long(field.max_length);
        } else {
          r.value.text = std::move(*text);
        }
      } else {
        r.problem = "must be a string";
      }
      break;
    case FieldKind::Flag:
      if (auto flag = as_flag(*member)) {
        r.value.flag = *flag;
      } else {
        r.problem = "must be true or false";
      }
      break;
    case FieldKind::Object:
      if (!member->is_object()) r.problem = "must be an object";
      break;
    case FieldKind::Json:
      if (member->dump().size() > field.max_length) {
        r.problem = too_long(field.max_length, "characters of JSON");
      }
      break;
  }
  return r;
}

Reading read_pairs(const FormPairs& pairs, const DialectField& field) {
  Reading r;
  const auto it = std::find_if(pairs.begin(), pairs.end(),
                               [&](const auto& pair) { return pair.first == field.name; });
  if (it == pairs.end()) return r;
  r.value.present = true;
  r.blank = it->second.empty();
  if (it->second.size() > field.max_length) {
    r.problem = too_long(field.max_length);
  } else {
    r.value.text = it->second;
  }
  return r;
}

std::string* member_filled(DialectRequest& request, Fills fills) {
  switch (fills) {
    case Fills::SessionId:
      return &request.ussd.session_id;
    case Fills::Msisdn:
      return &request.ussd.msisdn;
    case Fills::ServiceCode:
      return &request.ussd.service_code;
    case Fills::Network:
      return &request.ussd.network;
    case Fills::Input:
      return &request.ussd.input;
    case Fills::UserId:
      return &request.user_id;
    case Fills::ReportStatus:
      return &request.report_status;
    default:
      return nullptr;
  }
}

nlohmann::json::json_pointer echo_pointer(const DialectField& field) {
  return nlohmann::json::json_pointer(field.echo_at.empty() ? "/" + std::string(field.name)
                                                            : std::string(field.echo_at));
}

}  // namespace

const FieldValue& FieldValues::operator[](std::string_view name) const {
  const auto it = std::find_if(fields_.begin(), fields_.end(),
                               [&](const DialectField& field) { return field.name == name; });
  if (it == fields_.end()) {
    throw std::logic_error("no field named \"" + std::string(name) + "\" in the table");
  }
  return values_.at(static_cast<std::size_t>(it - fields_.begin()));
}

Result<WireBody> WireBody::read(WireFormat format, const DialectHttpRequest& http) {
  WireBody wire;
  if (format == WireFormat::Query) {
    wire.data_ = http.query;
  } else if (format == WireFormat::Form) {
    auto form = parse_form(http.body);
    if (!form) {
      return Error::make(ErrorCode::MalformedRequest,
                         "The body is not valid application/x-www-form-urlencoded text.");
    }
    wire.data_ = std::move(*form);
  } else {
    StrictJson parsed = parse_json_strict(http.body);
    // Which MSISDN or input would count in a repeated key is not ours to guess.
    if (!parsed.duplicate_key.empty()) {
      return Error::make(ErrorCode::InvalidJson,
                         "The body is ambiguous JSON: " + duplicate_key_message(parsed) + ".");
    }
    if (!parsed.ok() || !parsed.value.is_object()) {
      return Error::make(ErrorCode::InvalidJson, "The body must be a JSON object.");
    }
    wire.data_ = std::move(parsed.value);
  }
  return wire;
}

FieldSource WireBody::source() const {
  if (const auto* json = std::get_if<nlohmann::json>(&data_)) return json;
  return &std::get<FormPairs>(data_);
}

FieldValues read_fields(const FieldSource& source, std::span<const DialectField> fields,
                        DialectRequest& request, FieldProblems& problems) {
  const auto* json = std::get_if<const nlohmann::json*>(&source);
  std::vector<FieldValue> values;
  values.reserve(fields.size());
  for (const DialectField& field : fields) {
    std::string* target = member_filled(request, field.fills);
    // Not read when an earlier spelling filled the member, or its object is not there.
    const bool filled = target && !target->empty();
    Reading r;
    if (filled) {
      // r stays empty: nothing to read.
    } else if (json) {
      r = read_json(**json, field);
    } else {
      r = read_pairs(*std::get<const FormPairs*>(source), field);
    }
    if (filled || r.unreachable) {
      values.emplace_back();
      continue;
    }
    const std::string name(field.name);
    // In a form or query an empty value is how a missing one arrives, for the fields that must
    // not be empty (ids, phase words); other required fields may be empty (AT's `text=`).
    const bool missing = !r.value.present || (field.presence == Presence::NonEmpty && r.blank);
    if (missing && field.presence != Presence::Optional) {
      problems[name] = std::string(field.missing_problem);
      r.value.text.clear();
    } else if (r.problem) {
      problems[name] = std::move(*r.problem);
    } else if (field.presence == Presence::NonEmpty && r.value.text.empty()) {
      problems.emplace(name, "must not be empty");
    } else if (!field.one_of.empty() && !r.value.text.empty() &&
               std::find(field.one_of.begin(), field.one_of.end(), r.value.text) ==
                   field.one_of.end()) {
      problems[name] = must_be_one_of(field.one_of);
    }
    FieldValue& value = values.emplace_back(std::move(r.value));
    if (!json && field.fills == Fills::Msisdn && value.text.starts_with(' ')) {
      value.text.front() = '+';
    }
    if (target) *target = value.text;
    if (field.fills == Fills::Report && !value.text.empty()) request.report[name] = value.text;
    if (field.fills == Fills::Phase && field.kind == FieldKind::Flag) {
      request.ussd.phase = value.flag ? UssdPhase::Begin : UssdPhase::Continue;
    }
    if (field.echo == Echo::Text || (field.echo == Echo::IfNotEmpty && !value.text.empty())) {
      request.echo[echo_pointer(field)] = value.text;
    } else if (field.echo == Echo::AsSent) {
      request.echo[echo_pointer(field)] = value.sent.value_or(nlohmann::json(""));
    }
  }
  return FieldValues(fields, std::move(values));
}

Error validation_error(std::string_view dialect, FieldProblems problems) {
  std::string names;
  for (const auto& [field, problem] : problems) {
    names += (names.empty() ? "" : ", ") + field + " " + problem;
  }
  Error error = Error::make(ErrorCode::ValidationError,
                            "Not a valid " + std::string(dialect) + " request: " + names + ".");
  error.fields = std::move(problems);
  return error;
}

DialectReply json_reply(const nlohmann::json& body) {
  // Echoed fields come from the aggregator: bytes that are not UTF-8 become U+FFFD rather than
  // an exception after the step has happened.
  return DialectReply{200, "application/json",
                      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

TableDialect::TableDialect(std::string_view name, DialectSpec spec)
    : name_(name), spec_(std::move(spec)) {
  const auto fault = [&](std::string_view problem) {
    return std::logic_error("dialect \"" + name_ + "\": " + std::string(problem));
  };
  const auto first_filling = [&](Fills fills) -> const DialectField* {
    const auto it = std::find_if(spec_.fields.begin(), spec_.fields.end(),
                                 [&](const DialectField& f) { return f.fills == fills; });
    return it == spec_.fields.end() ? nullptr : &*it;
  };
  if (!spec_.phases.empty()) {
    phase_field_ = first_filling(Fills::Phase);
    if (!phase_field_ || phase_field_->kind != FieldKind::Text) {
      throw fault("`phases` is set but no Text field fills Fills::Phase");
    }
  }
  if (!spec_.input_required_on_continue.empty()) {
    input_field_ = first_filling(Fills::Input);
    if (!input_field_) {
      throw fault("`input_required_on_continue` is set but no field fills Fills::Input");
    }
  }
  if (spec_.adjust) {
    // A dry run on empty values, as on a first request (the phase that reads the most), finds a
    // name `adjust` reads that the table lacks.
    DialectRequest probe;
    probe.ussd.phase = UssdPhase::Begin;
    FieldProblems ignored;
    try {
      spec_.adjust(FieldValues(spec_.fields, std::vector<FieldValue>(spec_.fields.size())), probe,
                   ignored);
    } catch (const std::logic_error& e) {
      throw fault(std::string("`adjust` reads ") + e.what());
    }
  }
}

Result<DialectRequest> TableDialect::parse(const DialectHttpRequest& http) const {
  auto wire = WireBody::read(spec_.format, http);
  if (!wire.ok()) return wire.error();
  FieldProblems problems;
  DialectRequest request;
  request.ussd.dialect = std::string(name_);
  // Without a phase field the dialect cannot tell (Africa's Talking): the gateway decides.
  request.ussd.phase = UssdPhase::Unknown;
  const FieldValues values = read_fields(wire.value().source(), spec_.fields, request, problems);

  if (phase_field_) {
    const DialectField* field = phase_field_;
    const std::string& word = values[field->name].text;
    const auto found = std::find_if(spec_.phases.begin(), spec_.phases.end(), [&](const auto& p) {
      return text::equals_ignoring_case(p.spelling, word);
    });
    const std::string name(field->name);
    if (found != spec_.phases.end()) {
      request.ussd.phase = found->phase;
    } else if (!problems.contains(name)) {
      std::vector<std::string_view> spellings;
      for (const PhaseWord& p : spec_.phases) spellings.push_back(p.spelling);
      problems[name] = must_be_one_of(spellings);
    }
  }
  if (input_field_ && request.ussd.phase == UssdPhase::Continue) {
    const DialectField* input = input_field_;
    // An answer inside an object the table already refused is that object's problem.
    const std::string_view parent = input->name.substr(0, input->name.rfind('.'));
    if (!values[input->name].present &&
        (parent == input->name || !problems.contains(std::string(parent)))) {
      problems.emplace(std::string(input->name), std::string(spec_.input_required_on_continue));
    }
  }
  if (spec_.adjust) spec_.adjust(values, request, problems);
  if (!problems.empty()) return validation_error(name_, std::move(problems));
  return request;
}

DialectReply TableDialect::render(const DialectRequest& request, const UssdAnswer& answer) const {
  nlohmann::json reply = request.echo;
  reply.update(answer.end ? spec_.reply.on_end : spec_.reply.on_continue);
  reply[nlohmann::json::json_pointer(std::string(spec_.reply.text_at))] = answer.text;
  return json_reply(reply);
}

std::unique_ptr<UssdDialect> make_table_dialect(std::string_view name, DialectSpec spec) {
  return std::make_unique<TableDialect>(name, std::move(spec));
}

}  // namespace ussd_otp
