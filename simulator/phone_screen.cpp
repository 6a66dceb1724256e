#include "simulator/phone_screen.hpp"

#include "simulator/terminal_text.hpp"

#include <algorithm>
#include <cstdio>

namespace ussd_otp::sim {
namespace {

void wrap_paragraph(const std::vector<std::string>& chars, std::size_t width,
                    std::vector<std::string>& lines) {
  std::size_t start = 0;
  while (chars.size() - start > width) {
    // Break at the last space within the width, else mid-word.
    std::size_t cut = start + width;
    std::size_t space = cut;
    while (space > start && chars[space] != " ") --space;
    if (space > start) cut = space;
    std::string line;
    for (std::size_t i = start; i < cut; ++i) line += chars[i];
    lines.push_back(line);
    start = (chars[cut] == " ") ? cut + 1 : cut;
  }
  std::string line;
  for (std::size_t i = start; i < chars.size(); ++i) line += chars[i];
  lines.push_back(line);
}

std::string fixed(double value, int decimals) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

}  // namespace

std::string_view to_string(SessionState state) {
  switch (state) {
    case SessionState::Continue:
      return "continue";
    case SessionState::Ended:
      return "ended";
    case SessionState::TimedOut:
      return "timed out";
    case SessionState::Failed:
      return "failed";
  }
  return "?";
}

std::vector<std::string> wrap_screen(std::string_view text, std::size_t width) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (true) {
    const std::size_t newline = text.find('\n', begin);
    wrap_paragraph(utf8_characters(text.substr(begin, newline - begin)), width, lines);
    if (newline == std::string_view::npos) break;
    begin = newline + 1;
  }
  return lines;
}

std::string describe_cost(std::string_view text, std::size_t limit) {
  const ScreenMeasure measure = measure_screen(text);
  std::string out;
  if (measure.gsm7) {
    out = std::to_string(measure.septets) + "/" + std::to_string(limit) + " GSM-7";
    if (measure.septets > limit) out += " TOO LONG: a handset would cut it";
    return out;
  }
  std::string culprit;
  for (const std::string& c : utf8_characters(text)) {
    if (!measure_screen(c).gsm7) {
      culprit = c;
      break;
    }
  }
  out = std::to_string(measure.characters) + "/" + std::to_string(limit / 2) +
        " UCS-2 (forced by '" + printable(culprit, 1) + "')";
  if (measure.characters > limit / 2) out += " TOO LONG: a handset would cut it";
  return out;
}

std::string render_phone(const PhoneView& view, std::size_t width) {
  const std::string rule = "+" + std::string(width, '-') + "+\n";
  std::string out = rule;
  for (const std::string& line : wrap_screen(printable(view.text, 2 * view.limit), width)) {
    const std::size_t shown = utf8_characters(line).size();
    out += "|" + line + std::string(width - shown, ' ') + "|\n";
  }
  out += rule;
  if (view.state == SessionState::Failed) {
    out += " aggregator failure: nothing reaches the handset\n";
  } else {
    out += " " + describe_cost(view.text, view.limit) + "\n";
  }
  out += " " + std::string(to_string(view.state)) + " | step " + fixed(view.step_seconds, 3) +
         " s | session " + fixed(view.session_seconds, 1) + " s\n";
  return out;
}

std::string render_sms(std::string_view sender, std::string_view text, std::size_t width) {
  std::vector<std::string> title =
      utf8_characters("- \u2709 SMS" +
                      (sender.empty() ? std::string() : " from " + printable(sender, width)) + " ");
  title.resize(std::min(title.size(), width), "-");
  std::string out = "+";
  for (const std::string& c : title) out += c;
  out += std::string(width - title.size(), '-') + "+\n";
  // An SMS is at most a few parts long; anything longer is a server's mistake, not a message.
  for (const std::string& line : wrap_screen(printable(text, 480), width)) {
    out += "|" + line + std::string(width - utf8_characters(line).size(), ' ') + "|\n";
  }
  return out + "+" + std::string(width, '-') + "+\n";
}

}  // namespace ussd_otp::sim
