// Duplicate-key detection with nlohmann's parser callback (no JSON parser of our own).
#include "otp/strict_json.hpp"

#include <set>
#include <vector>

namespace ussd_otp {
namespace {

// One open container while parsing: the keys an object has had so far, and the key of the
// member being read (so a nested duplicate can be named by its path).
struct Frame {
  bool object = false;
  std::set<std::string, std::less<>> keys;
  std::string current;
};

std::string path_of(const std::vector<Frame>& frames, const std::string& key) {
  std::string path;
  // Every open container but the innermost contributes the member it is being read under.
  for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
    if (frames[i].object) {
      path += frames[i].current;
      path += '.';
    } else {
      if (!path.empty() && path.back() == '.') path.pop_back();
      path += "[].";
    }
  }
  if (path.starts_with("[].")) path.erase(0, 3);
  return path + key;
}

}  // namespace

StrictJson parse_json_strict(std::string_view text) {
  StrictJson result;
  std::vector<Frame> frames;
  nlohmann::json::parser_callback_t watch = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                                                nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        frames.push_back(Frame{event == Event::object_start, {}, {}});
        break;
      case Event::object_end:
      case Event::array_end:
        if (!frames.empty()) frames.pop_back();
        break;
      case Event::key: {
        if (frames.empty()) break;
        std::string key = parsed.get<std::string>();
        if (!frames.back().keys.insert(key).second && result.duplicate_key.empty()) {
          result.duplicate_key = path_of(frames, key);
        }
        frames.back().current = std::move(key);
        break;
      }
      case Event::value:
        break;
    }
    return true;
  };
  try {
    result.value = nlohmann::json::parse(text.begin(), text.end(), watch,
                                         /*allow_exceptions=*/false);
  } catch (...) {
    // Syntax errors come back as a discarded value; this is for anything else (allocation),
    // so no byte sequence escapes as an exception.
    result.value = nlohmann::json(nlohmann::json::value_t::discarded);
  }
  if (result.value.is_discarded()) {
    result.duplicate_key.clear();  // broken JSON is that first, whatever it repeated before
  } else if (!result.duplicate_key.empty()) {
    result.value = nlohmann::json(nlohmann::json::value_t::discarded);
  }
  return result;
}

std::string duplicate_key_message(const StrictJson& parsed) {
  return "duplicate key \"" + parsed.duplicate_key + "\"";
}

}  // namespace ussd_otp
