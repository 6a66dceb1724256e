// The binary's `templates` commands and the client id `keys` shows, then a GetOTP request with
// the created template against a real server process.
#include <catch2/catch.hpp>

#include <signal.h>

#include <regex>
#include <string>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

const std::regex kUuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

}  // namespace

TEST_CASE("templates create, list and delete per key, and keys show the public client id",
          "[binary][getotp]") {
  TempDir dir;
  const std::string db = dir.file("t.db").string();
  auto created = run_server_command({"keys", "create", "--name", "shop", "--db", db});
  REQUIRE(created.exit_code == 0);
  const std::string key = created.out.substr(0, created.out.find('\n'));
  std::smatch found;
  REQUIRE(std::regex_search(created.err, found, kUuid));
  const std::string client_id = found.str();
  CHECK(created.err.find("client id: " + client_id) != std::string::npos);
  const auto listed = run_server_command({"keys", "list", "--db", db});
  CHECK(listed.out.find("CLIENT ID") != std::string::npos);
  CHECK(listed.out.find(client_id) != std::string::npos);

  // A template without {code} is refused; one with it prints its UUID.
  const auto refused = run_server_command(
      {"templates", "create", "--key", "shop", "--text", "Hello there", "--db", db});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("{code}") != std::string::npos);
  CHECK(run_server_command(
            {"templates", "create", "--key", "nobody", "--text", "Code {code}", "--db", db})
            .exit_code == 1);
  const auto made = run_server_command(
      {"templates", "create", "--key", "shop", "--text", "Shop code: {code}", "--db", db});
  REQUIRE(made.exit_code == 0);
  const std::string id = made.out.substr(0, made.out.find('\n'));
  CHECK(std::regex_match(id, kUuid));
  // --id stores it under a UUID the caller already uses (GetOTP's, any case); taken ids and
  // non-UUIDs are refused.
  const std::string seed_id = "6d16aa9d-bf19-4141-8169-48b46d972fc6";
  const auto chosen =
      run_server_command({"templates", "create", "--key", "shop", "--text", "Seed code: {code}",
                          "--id", "6D16AA9D-BF19-4141-8169-48B46D972FC6", "--db", db});
  CHECK(chosen.exit_code == 0);
  CHECK(chosen.out == seed_id + "\n");
  const auto taken = run_server_command({"templates", "create", "--key", "shop", "--text",
                                         "Again {code}", "--id", seed_id, "--db", db});
  CHECK(taken.exit_code == 1);
  CHECK(taken.err.find("already exists") != std::string::npos);
  CHECK(run_server_command({"templates", "create", "--key", "shop", "--text", "X {code}", "--id",
                            "not-a-uuid", "--db", db})
            .exit_code == 1);
  const auto templates = run_server_command({"templates", "list", "--key", "shop", "--db", db});
  CHECK(templates.out.find(seed_id) != std::string::npos);
  CHECK(templates.out.find(id) != std::string::npos);
  CHECK(templates.out.find("Shop code: {code}") != std::string::npos);

  // The server sends with it (USSD-only delivery: no gateway needed) and names the account.
  {
    ServerProcess server(dir.path(), {"--db", db, "--delivery-ussd-only"});
    HttpClient client(server.url());
    const json body = {{"data",
                        {{"channel", "sms"},
                         {"sender", "Shop"},
                         {"phone", "233241234567"},
                         {"template", id},
                         {"code_length", 6}}}};
    const auto sent = client.post_json("/api/verify/", body, {"X-OTP-Key: " + key});
    INFO(sent.body);
    CHECK(sent.status == 200);
    CHECK(sent.json()["account_id"] == client_id);
    CHECK(server.stop(SIGTERM) == 0);
  }

  CHECK(run_server_command({"templates", "delete", id, "--key", "shop", "--db", db}).exit_code ==
        0);
  CHECK(run_server_command({"templates", "delete", id, "--key", "shop", "--db", db}).exit_code ==
        1);
  CHECK(run_server_command({"templates", "list", "--key", "shop", "--db", db}).out.find(id) ==
        std::string::npos);
}
