#include "simulator/load.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

#include "simulator/server_api.hpp"
#include "simulator/terminal_text.hpp"

namespace ussd_otp::sim {
namespace {

constexpr std::size_t kSteps = 2;
constexpr const char* kStepNames[kSteps] = {"dial", "number"};

struct WorkerTally {
  std::vector<double> latencies[kSteps];
  std::map<std::string, std::size_t> errors;
  std::map<std::string, std::string> examples;
  std::size_t completed = 0;
  std::size_t requests = 0;
  std::size_t seeded = 0;
  long connections = 0;
};

// User + system CPU time of this process so far: how much of the machine the simulator itself
// took while it measured the server.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::uint64_t random_first_msisdn(std::size_t sessions) {
  // 233 20 xxxxxxx: a block of Ghanaian-looking numbers, random so repeated runs do not hit the
  // per-number lookup limit of the previous run.
  std::mt19937_64 random{std::random_device{}()};
  const std::uint64_t room = 10'000'000 - std::min<std::uint64_t>(sessions, 9'000'000);
  return 233'200'000'000ULL + random() % room;
}

// Runs one session; returns false (and counts the error's kind) at the first wrong answer.
bool run_session(UssdPhone& phone, const LoadOptions& options, const std::regex* final_expect,
                 WorkerTally& tally) {
  const std::string& number = phone.settings().subscriber.msisdn;
  auto check = [&](const StepResult& result, std::size_t step, bool last) {
    ++tally.requests;
    tally.latencies[step].push_back(result.seconds * 1000.0);
    const auto count = [&](const std::string& kind) {
      if (++tally.errors[kind] == 1) {  // the first of each kind, so the report shows one
        tally.examples[kind] =
            std::string(kStepNames[step]) + ": " +
            (result.ok() ? "\"" + printable(result.screen.text, 200) + "\"" : result.problem);
      }
      return false;
    };
    if (!result.ok()) return count(result.kind_name());
    if (result.too_long()) return count("too_long");
    const bool wrong =
        last ? (!result.screen.ends ||
                (final_expect && !std::regex_search(result.screen.text, *final_expect)))
             : result.screen.ends;
    if (wrong) return count("wrong_screen");
    return true;
  };
  if (!check(phone.dial(options.phone.service_code), 0, false)) return false;
  return check(phone.answer(number), 1, true);
}

}  // namespace

double percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(fraction * sorted.size()));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

std::size_t LoadReport::error_count() const {
  std::size_t total = 0;
  for (const auto& [kind, count] : errors) total += count;
  return total;
}

LoadReport run_load(const LoadOptions& options,
                    const std::function<void(std::size_t, std::size_t)>& progress) {
  LoadReport report;
  report.sessions = options.sessions;
  report.first_msisdn =
      options.first_msisdn ? options.first_msisdn : random_first_msisdn(options.sessions);
  std::string expect = options.final_expect;
  if (expect.empty() && options.seed_otps) expect = "code is [0-9A-Z]{4,}";  // the English text
  const std::optional<std::regex> final_expect =
      expect.empty() ? std::nullopt : std::optional<std::regex>(std::regex(expect));

  const std::size_t workers =
      std::max<std::size_t>(1, std::min(options.concurrency, options.sessions));
  std::vector<WorkerTally> tallies(workers);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};

  // Seeding first (not timed): one OTP per subscriber through the app API.
  if (options.seed_otps) {
    std::vector<std::thread> seeders;
    for (std::size_t w = 0; w < workers; ++w) {
      seeders.emplace_back([&, w] {
        HttpConnection http;
        ServerApi api(http, options.phone.base_url, options.api_key);
        for (std::size_t i = next++; i < options.sessions; i = next++) {
          const HttpExchange created = api.request_otp(std::to_string(report.first_msisdn + i));
          if (created.status == 201) {
            ++tallies[w].seeded;
          } else {
            const std::string kind =
                "seed_" + (created.status ? "http_" + std::to_string(created.status)
                                          : std::string("transport"));
            if (++tallies[w].errors[kind] == 1)
              tallies[w].examples[kind] = describe_failure(created);
          }
        }
      });
    }
    for (std::thread& t : seeders) t.join();
    next = 0;
  }

  const auto started = std::chrono::steady_clock::now();
  const double cpu_before = process_cpu_seconds();
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      WorkerTally& tally = tallies[w];
      HttpConnection http;
      PhoneSettings settings = options.phone;
      UssdPhone phone(http, settings);
      for (std::size_t i = next++; i < options.sessions; i = next++) {
        settings.subscriber.msisdn = std::to_string(report.first_msisdn + i);
        phone.configure(settings);
        if (run_session(phone, options, final_expect ? &*final_expect : nullptr, tally)) {
          ++tally.completed;
        }
        const std::size_t finished = ++done;
        if (progress) progress(finished, options.sessions);
      }
      tally.connections = http.connections_opened();
    });
  }
  for (std::thread& t : threads) t.join();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.cpu_seconds = process_cpu_seconds() - cpu_before;

  std::vector<double> merged[kSteps];
  for (const WorkerTally& tally : tallies) {
    report.completed += tally.completed;
    report.requests += tally.requests;
    report.seeded += tally.seeded;
    report.connections += tally.connections;
    for (const auto& [kind, count] : tally.errors) report.errors[kind] += count;
    report.error_examples.insert(tally.examples.begin(), tally.examples.end());  // keeps the first
    for (std::size_t s = 0; s < kSteps; ++s) {
      merged[s].insert(merged[s].end(), tally.latencies[s].begin(), tally.latencies[s].end());
    }
  }
  report.failed = report.sessions - report.completed;
  for (std::size_t s = 0; s < kSteps; ++s) {
    std::sort(merged[s].begin(), merged[s].end());
    report.steps.push_back(StepLatency{kStepNames[s], merged[s].size(), percentile(merged[s], 0.50),
                                       percentile(merged[s], 0.95), percentile(merged[s], 0.99),
                                       merged[s].empty() ? 0 : merged[s].back()});
  }
  if (report.seconds > 0) {
    report.sessions_per_second = static_cast<double>(report.completed) / report.seconds;
    report.requests_per_second = static_cast<double>(report.requests) / report.seconds;
  }
  return report;
}

std::vector<std::string> LoadReport::hints() const {
  std::vector<std::string> found;
  if (errors.count("seed_http_429")) {
    found.push_back(
        "the server's rate limits refused seeds: start it with --rate-limit-api-key-per-minute 0 "
        "--rate-limit-ip-per-minute 0 (docs/simulator.md, load mode)");
  }
  return found;
}

nlohmann::json LoadReport::to_json() const {
  nlohmann::json steps_json = nlohmann::json::array();
  for (const StepLatency& step : steps) {
    steps_json.push_back({{"step", step.step},
                          {"count", step.count},
                          {"p50Ms", step.p50_ms},
                          {"p95Ms", step.p95_ms},
                          {"p99Ms", step.p99_ms},
                          {"maxMs", step.max_ms}});
  }
  return {{"sessions", sessions},
          {"completed", completed},
          {"failed", failed},
          {"requests", requests},
          {"seeded", seeded},
          {"errors", errors},
          {"errorExamples", error_examples},
          {"hints", hints()},
          {"steps", steps_json},
          {"seconds", seconds},
          {"cpuSeconds", cpu_seconds},
          {"sessionsPerSecond", sessions_per_second},
          {"requestsPerSecond", requests_per_second},
          {"connections", connections},
          {"firstMsisdn", std::to_string(first_msisdn)}};
}

void LoadReport::print(std::ostream& out) const {
  out << std::fixed << std::setprecision(1);
  out << "sessions    " << completed << " completed, " << failed << " failed of " << sessions
      << " in " << seconds << " s\n";
  out << "rate        " << sessions_per_second << " sessions/s, " << requests_per_second
      << " requests/s over " << connections << " connections\n";
  out << "own CPU     " << cpu_seconds << " s (" << (seconds > 0 ? 100 * cpu_seconds / seconds : 0)
      << "% of one core) while measuring\n";
  if (seeded) out << "seeded      " << seeded << " OTPs\n";
  out << std::setprecision(2);
  out << "latency     step     count      p50      p95      p99      max (ms)\n";
  for (const StepLatency& step : steps) {
    out << "            " << std::left << std::setw(8) << step.step << std::right << std::setw(6)
        << step.count << std::setw(9) << step.p50_ms << std::setw(9) << step.p95_ms << std::setw(9)
        << step.p99_ms << std::setw(9) << step.max_ms << "\n";
  }
  if (errors.empty()) {
    out << "errors      none\n";
  } else {
    for (const auto& [kind, count] : errors) {
      out << "errors      " << kind << ": " << count;
      if (const auto example = error_examples.find(kind); example != error_examples.end()) {
        out << " (first: " << example->second << ")";
      }
      out << "\n";
    }
  }
  for (const std::string& hint : hints()) out << "hint        " << hint << "\n";
}

}  // namespace ussd_otp::sim
