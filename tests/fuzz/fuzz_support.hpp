// Small helpers shared by the fuzz targets: splitting an input into text fields, and invariant
// checks that abort (libFuzzer and the replay runner both report an abort as a finding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace ussd_otp::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The first `parts - 1` lines and then the rest, so corpus files stay readable text
// ("dialect\nquery\nbody"); missing parts are empty.
inline std::vector<std::string_view> split_lines(std::string_view text, std::size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    const std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos) break;
    out.push_back(text.substr(0, newline));
    text.remove_prefix(newline + 1);
  }
  out.push_back(text);
  out.resize(parts);
  return out;
}

// Every line, for inputs that are a sequence of steps.
inline std::vector<std::string_view> all_lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (true) {
    const std::size_t newline = text.find('\n');
    out.push_back(text.substr(0, newline));
    if (newline == std::string_view::npos) return out;
    text.remove_prefix(newline + 1);
  }
}

// A choice among `count` from a selector line: the index of `names` it equals, else a hash of
// its bytes, so mutated selectors still reach every choice instead of being wasted.
template <class Names>
std::size_t choose(std::string_view selector, const Names& names) {
  std::size_t index = 0;
  for (const auto& name : names) {
    if (selector == name) return index;
    ++index;
  }
  std::size_t hash = 0;
  for (const char c : selector) hash = hash * 31 + static_cast<unsigned char>(c);
  return index == 0 ? 0 : hash % index;
}

[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
  std::abort();
}

}  // namespace ussd_otp::fuzz

// Checked in every build type (assert would vanish under NDEBUG in the Release replay).
#define FUZZ_CHECK(condition) \
  ((condition) ? void(0) : ::ussd_otp::fuzz::invariant_failed(#condition, __FILE__, __LINE__))
