// The keys commands for app webhooks on the real binary: the secret is printed once, listings
// never show it, bad URLs are refused, and a server started on the file signs with it.
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <sstream>

#include "http/webhook_receiver.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE(
    "keys create --webhook-url prints the key and a whsec_ secret once, and the server signs with "
    "it",
    "[binary][webhooks]") {
  WebhookReceiver receiver;
  TempDir dir;
  const std::string db = dir.file("hooks.db").string();
  const auto created = run_server_command(
      {"keys", "create", "--name", "shop", "--webhook-url", receiver.url(), "--db", db});
  REQUIRE(created.exit_code == 0);
  const std::vector<std::string> out = lines_of(created.out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].rfind("uok_", 0) == 0);
  const std::string secret = out[1];
  CHECK(secret.rfind("whsec_", 0) == 0);
  CHECK(created.err.find("shown only once") != std::string::npos);

  const auto listed = run_server_command({"keys", "list", "--db", db});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("WEBHOOK") != std::string::npos);
  CHECK(listed.out.find(receiver.url()) != std::string::npos);
  CHECK(listed.out.find("whsec_") == std::string::npos);
  // Sealed: neither the database nor its WAL holds the secret.
  CHECK(file_bytes(db).find(secret) == std::string::npos);
  CHECK(file_bytes(db + "-wal").find(secret) == std::string::npos);

  ServerProcess server(dir.path(), {"--dev", "--db", db});
  HttpClient client(server.url());
  const HttpResponse requested = client.post_json("/v1/otp/request", {{"phone", "0241234567"}},
                                                  {"Authorization: Bearer " + out[0]});
  REQUIRE(requested.status == 201);
  const ReceivedWebhook sent = receiver.wait_for_type("otp.sent");
  REQUIRE_FALSE(sent.body.empty());
  CHECK(signature_valid(sent, secret));
  CHECK(sent.json()["data"]["otpId"] == requested.json()["data"]["id"]);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE(
    "keys set-webhook sets a new secret, --clear or an empty --url removes it, bad URLs exit 2",
    "[binary][webhooks]") {
  TempDir dir;
  const std::string db = dir.file("hooks.db").string();
  REQUIRE(run_server_command({"keys", "create", "--name", "shop", "--db", db}).exit_code == 0);
  CHECK(run_server_command({"keys", "list", "--db", db}).out.find("https://") == std::string::npos);

  const auto set = run_server_command(
      {"keys", "set-webhook", "shop", "--url", "https://app.example/hooks", "--db", db});
  REQUIRE(set.exit_code == 0);
  const std::string first = lines_of(set.out).at(0);
  CHECK(first.rfind("whsec_", 0) == 0);
  CHECK(run_server_command({"keys", "list", "--db", db}).out.find("https://app.example/hooks") !=
        std::string::npos);
  const auto again = run_server_command(
      {"keys", "set-webhook", "shop", "--url", "https://app.example/v2", "--db", db});
  REQUIRE(again.exit_code == 0);
  CHECK(lines_of(again.out).at(0) != first);  // a new secret each time

  const auto cleared = run_server_command({"keys", "set-webhook", "shop", "--clear", "--db", db});
  CHECK(cleared.exit_code == 0);
  CHECK(cleared.out.find("whsec_") == std::string::npos);
  CHECK(run_server_command({"keys", "list", "--db", db}).out.find("https://") == std::string::npos);
  REQUIRE(run_server_command(
              {"keys", "set-webhook", "shop", "--url", "http://127.0.0.1:9/h", "--db", db})
              .exit_code == 0);
  CHECK(run_server_command({"keys", "set-webhook", "shop", "--url", "", "--db", db}).exit_code ==
        0);
  CHECK(run_server_command({"keys", "list", "--db", db}).out.find("http://") == std::string::npos);

  const auto ftp = run_server_command(
      {"keys", "set-webhook", "shop", "--url", "ftp://app.example/", "--db", db});
  CHECK(ftp.exit_code == 2);
  CHECK(ftp.err.find("http:// or https://") != std::string::npos);
  CHECK(run_server_command({"keys", "set-webhook", "shop", "--db", db}).exit_code == 2);
  CHECK(
      run_server_command({"keys", "create", "--name", "other", "--webhook-url", "nope", "--db", db})
          .exit_code == 2);
  CHECK(run_server_command({"keys", "list", "--db", db}).out.find("other") == std::string::npos);
  CHECK(run_server_command(
            {"keys", "set-webhook", "nobody", "--url", "https://app.example/", "--db", db})
            .exit_code == 1);
}
