// Crash test: the real server, under concurrent OTP requests, verifies, cancels and USSD sessions,
// is killed with SIGKILL several times and restarted on the same SQLite file; every answer it gave
// before a kill must still hold after the restart, and the file must stay intact.
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

constexpr int kRounds = 3;
constexpr int kWorkers = 4;
constexpr int kOtpsPerRound = 30;  // acknowledged creates before a kill, at the least

// One OTP the server acknowledged (answered 201 for), as the clients saw it.
struct Tracked {
  std::string id;
  std::string local_phone;  // 0XXXXXXXXX, what a subscriber types
  std::string expires_at;   // ISO 8601 UTC, comparable as text
  std::string code;         // empty until read from the dev inbox or a USSD screen
  std::string acked = "pending";
  // States a request without an answer (sent just before the kill) may have reached.
  std::set<std::string> maybe;
};

std::string e164(const std::string& local) {
  return "233" + local.substr(1);
}

std::string now_iso() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string dev_key_from(const std::string& out) {
  static const std::regex pattern("dev API key: (uok_[A-Za-z0-9_-]+)");
  std::smatch match;
  if (!std::regex_search(out, match, pattern)) throw std::runtime_error("no dev API key: " + out);
  return match[1];
}

std::vector<std::string> server_args(const std::string& db) {
  // Rate limits off: the point is many acknowledged writes in flight, not the limiter. One USSD
  // lookup per dialer is fine, but the checks after a restart add more.
  return {"--dev", "--db",
          db,      "--log-level",
          "warn",  "--rate-limit-api-key-per-minute",
          "0",     "--rate-limit-ip-per-minute",
          "0",     "--rate-limit-phone-per-hour",
          "0",     "--ussd-lookups-per-window",
          "0",     "--rate-limit-phone-global-per-hour",
          "0",     "--verify-attempts-per-phone",
          "0",     "--rate-limit-unauthenticated-ip-per-minute",
          "0"};
}

// The code on the Africa's Talking final screen for a subscriber dialling from `local`.
std::string code_on_ussd_screen(HttpClient& client, const std::string& session,
                                const std::string& local) {
  const std::string body = "sessionId=" + session + "&serviceCode=%2A889%2A142%23&phoneNumber=%2B" +
                           e164(local) + "&text=" + local;
  const HttpResponse screen = client.post_raw("/ussd/africastalking", body,
                                              {"Content-Type: application/x-www-form-urlencoded"});
  static const std::regex code("^END Your code is ([0-9]+)");
  std::smatch match;
  if (screen.status != 200 || !std::regex_search(screen.body, match, code)) return "";
  return match[1];
}

// The code of OTP `id` from the dev inbox; empty if its message has not arrived in time.
std::string code_from_inbox(HttpClient& client, const Tracked& otp) {
  static const std::regex code("code is ([0-9]+)");
  for (int i = 0; i < 100; ++i) {
    const HttpResponse inbox = client.get("/dev/inbox?phone=" + otp.local_phone);
    if (inbox.status != 200) return "";
    // Kept whole: a range-for over a member of the temporary json() would dangle.
    const json listing = inbox.json();
    for (const json& message : listing["data"]["messages"]) {
      std::smatch match;
      const std::string text = message.value("text", std::string());
      if (message.value("otpId", std::string()) == otp.id && std::regex_search(text, match, code)) {
        return match[1];
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return "";
}

// What one client thread did before the server vanished. Catch2 is not thread-safe, so threads
// only record; the test thread asserts.
struct WorkerLog {
  std::vector<Tracked> otps;
  std::vector<std::string> problems;  // answers that were wrong, not merely missing
  int unanswered = 0;                 // requests cut off by the kill
};

// Runs OTP flows against `url` until `stop` is set or the server stops answering. Each flow
// requests an OTP for a new number, reads its code from the dev inbox, then (by turn) verifies it,
// cancels it, reads it on a USSD screen, or leaves it pending.
void run_flows(const std::string& url, const std::string& key, int round, int worker,
               const std::atomic<bool>& stop, std::atomic<int>& created_this_round,
               WorkerLog& log) {
  HttpClient client(url);
  const std::vector<std::string> auth = {"Authorization: Bearer " + key};
  for (int n = 0; !stop && n < 1'000'000; ++n) {
    std::string counter = std::to_string(n);
    counter.insert(0, 6 - counter.size(), '0');
    const std::string local = "02" + std::to_string(round) + std::to_string(worker) + counter;
    Tracked otp;
    otp.local_phone = local;
    try {
      const HttpResponse created = client.post_json(
          "/v1/otp/request",
          {{"phone", otp.local_phone}, {"expiry", {{"amount", 30}, {"duration", "minutes"}}}},
          auth);
      if (created.status != 201) {
        log.problems.push_back("request " + otp.local_phone + ": " + created.body);
        return;
      }
      otp.id = created.json()["data"]["id"];
      otp.expires_at = created.json()["data"]["expiresAt"];
      log.otps.push_back(otp);
      ++created_this_round;
    } catch (const std::exception&) {
      ++log.unanswered;  // its id is unknown to us, so there is nothing to hold the server to
      return;
    }
    Tracked& mine = log.otps.back();
    try {
      mine.code = code_from_inbox(client, mine);
      if (mine.code.empty()) continue;
      // Moves the OTP to `state` with `send`: acknowledged only by a 200; until the answer
      // comes (a kill may cut it off) the OTP may or may not have reached the state.
      const auto move_to = [&](const std::string& state, const std::string& action,
                               const std::function<HttpResponse()>& send) {
        mine.maybe = {state};
        const HttpResponse answer = send();
        mine.maybe.clear();
        if (answer.status == 200) {
          mine.acked = state;
        } else {
          log.problems.push_back(action + " " + mine.id + ": " + answer.body);
        }
      };
      switch (n % 4) {
        case 0:
          move_to("verified", "verify", [&] {
            return client.post_json("/v1/otp/verify", {{"id", mine.id}, {"pin", mine.code}}, auth);
          });
          break;
        case 1:
          move_to("cancelled", "cancel",
                  [&] { return client.post_raw("/v1/otp/" + mine.id + "/cancel", "", auth); });
          break;
        case 2: {
          const std::string shown = code_on_ussd_screen(client, "crash-" + mine.id, local);
          if (shown != mine.code) {
            log.problems.push_back("USSD screen for " + mine.id + " showed \"" + shown +
                                   "\", the inbox \"" + mine.code + "\"");
          }
          break;
        }
        default:
          break;  // left pending: its code must still verify after the restart
      }
    } catch (const std::exception&) {
      ++log.unanswered;
      return;
    }
  }
}

// Copies the database and its WAL as a kill left them and checks the copy, so the server's own
// recovery on restart still starts from the crashed files.
std::string integrity_of_crashed_copy(const TempDir& dir, const std::string& db, int round) {
  const std::filesystem::path copy = dir.path() / ("copy-" + std::to_string(round) + ".db");
  std::filesystem::copy_file(db, copy);
  if (std::filesystem::exists(db + "-wal")) {
    std::filesystem::copy_file(db + "-wal", copy.string() + "-wal");
  }
  SQLite::Database check(copy.string(), SQLite::OPEN_READWRITE);
  return check.execAndGet("PRAGMA integrity_check").getString();
}

}  // namespace

TEST_CASE(
    "crash: kill -9 under concurrent requests, verifies, cancels and USSD sessions loses no "
    "acknowledged OTP state over three restarts",
    "[http][binary][crash]") {
  TempDir dir;
  const std::string db = dir.file("otp.db").string();
  std::vector<Tracked> otps;
  int unanswered = 0;
  int codes_verified_after_restart = 0;
  std::string key;

  // After a restart: every acknowledged OTP is there with its acknowledged state (or a state an
  // unanswered request may have reached), and a pending one's code still verifies.
  auto check_after_restart = [&](HttpClient& client, int round, bool verify_all_pending) {
    const std::vector<std::string> auth = {"Authorization: Bearer " + key};
    int turn = 0;
    for (Tracked& otp : otps) {
      INFO("OTP " << otp.id << " acknowledged " << otp.acked);
      const HttpResponse view = client.get("/v1/otp/" + otp.id, auth);
      REQUIRE(view.status == 200);
      const std::string status = view.json()["data"]["status"];
      std::set<std::string> allowed = otp.maybe;
      allowed.insert(otp.acked);
      if (otp.acked == "pending" && otp.expires_at <= now_iso()) allowed.insert("expired");
      INFO("status after restart " << status);
      CHECK(allowed.count(status) == 1);
      otp.acked = status;  // the server has now shown it: committed, no longer in doubt
      otp.maybe.clear();
      if (status != "pending") continue;
      // An OTP whose code never reached us before the kill: the USSD menu reads it back.
      const bool read_before_kill = !otp.code.empty();
      const std::string session = "after" + std::to_string(round) + "-" + otp.id;
      const std::string shown = code_on_ussd_screen(client, session, otp.local_phone);
      if (read_before_kill) {
        CHECK(shown == otp.code);
      } else {
        CHECK(!shown.empty());
        otp.code = shown;
      }
      // Half of them now (the rest stay pending through the next kill), all in the last round.
      if (!verify_all_pending && turn++ % 2 == 1) continue;
      const HttpResponse verified =
          client.post_json("/v1/otp/verify", {{"id", otp.id}, {"pin", otp.code}}, auth);
      INFO(verified.body);
      CHECK(verified.status == 200);
      if (verified.status == 200) otp.acked = "verified";
      if (read_before_kill) ++codes_verified_after_restart;
    }
  };

  for (int round = 0; round < kRounds; ++round) {
    ServerProcess server(dir.path(), server_args(db));
    key = dev_key_from(server.stdout_text());  // the same key each time: it lives in the database
    {
      HttpClient client(server.url());
      check_after_restart(client, round, false);
    }

    std::atomic<bool> stop{false};
    std::atomic<int> created{0};
    std::vector<WorkerLog> logs(kWorkers);
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back(run_flows, server.url(), key, round, w, std::cref(stop),
                           std::ref(created), std::ref(logs[static_cast<std::size_t>(w)]));
    }
    // Enough acknowledged work whatever the machine's speed, then a different pause in each
    // round, so the kill lands in different steps of the flows.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (created < kOtpsPerRound && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(40 * round + 10));
    CHECK(server.stop(SIGKILL) == 128 + SIGKILL);
    stop = true;
    for (std::thread& worker : workers) worker.join();

    for (WorkerLog& log : logs) {
      for (const std::string& problem : log.problems) FAIL_CHECK(problem);
      unanswered += log.unanswered;
      otps.insert(otps.end(), log.otps.begin(), log.otps.end());
    }
    CHECK(integrity_of_crashed_copy(dir, db, round) == "ok");
  }

  {
    ServerProcess last(dir.path(), server_args(db));
    HttpClient client(last.url());
    check_after_restart(client, kRounds, true);
    CHECK(last.stop(SIGTERM) == 0);
  }

  // Enough happened for the test to mean something: each kind of acknowledged state, and codes
  // read before a kill verified after one.
  std::map<std::string, int> states;
  for (const Tracked& otp : otps) ++states[otp.acked];
  INFO("OTPs " << otps.size() << ", requests cut off by a kill " << unanswered
               << ", codes read before a kill verified after one " << codes_verified_after_restart);
  CHECK(otps.size() >= kRounds * kOtpsPerRound);
  CHECK(states["verified"] >= 10);
  CHECK(states["cancelled"] >= 5);
  CHECK(states["pending"] == 0);  // the last round verified every code still pending
  CHECK(codes_verified_after_restart >= 5);

  SQLite::Database file(db, SQLite::OPEN_READONLY);
  CHECK(file.execAndGet("PRAGMA integrity_check").getString() == "ok");
  SQLite::Statement orphans(file, "PRAGMA foreign_key_check");
  CHECK_FALSE(orphans.executeStep());
}
