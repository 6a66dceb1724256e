// Enum values and their names as one table: the single way an enum becomes text (API words,
// stored columns, log fields) and text becomes an enum again. Both directions read the table,
// so a value and its name are written once, and a switch per direction is never needed.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace ussd_otp {

template <typename Enum>
using EnumName = std::pair<Enum, std::string_view>;

// enum_names<Color>({{Color::Red, "red"}, {Color::Blue, "blue"}}) as a constexpr table.
template <typename Enum, std::size_t N>
constexpr std::array<EnumName<Enum>, N> enum_names(const EnumName<Enum> (&names)[N]) {
  return std::to_array(names);
}

// The name of `value`, or `fallback` for a value the table lacks (an integer cast to the enum).
template <typename Enum, std::size_t N>
constexpr std::string_view name_of(const std::array<EnumName<Enum>, N>& names, Enum value,
                                   std::string_view fallback) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return fallback;
}

// The value named exactly `text` (case matters), or nullopt.
template <typename Enum, std::size_t N>
constexpr std::optional<Enum> value_named(const std::array<EnumName<Enum>, N>& names,
                                          std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace ussd_otp
