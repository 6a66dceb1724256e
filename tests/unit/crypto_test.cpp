// Tests for the server key file, code hashing/sealing, API-key hashing and fingerprints.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>

#include "otp/crypto.hpp"
#include "support/temp_dir.hpp"

namespace ussd_otp {
namespace {

const std::string kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

ServerKey fixed_key() {
  return *ServerKey::from_hex(kHexKey);
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

unsigned file_mode(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

bool is_lower_hex(const std::string& text) {
  return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

TEST_CASE("ServerKey::from_hex accepts exactly 64 hex characters", "[crypto]") {
  const auto key = ServerKey::from_hex(kHexKey);
  REQUIRE(key);
  CHECK(key->bytes()[0] == 0x00);
  CHECK(key->bytes()[31] == 0x1f);
  CHECK(key->to_hex() == kHexKey);

  std::string upper = kHexKey;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  REQUIRE(ServerKey::from_hex(upper));
  CHECK(ServerKey::from_hex(upper)->to_hex() == kHexKey);  // output is always lowercase

  CHECK_FALSE(ServerKey::from_hex(""));
  CHECK_FALSE(ServerKey::from_hex(kHexKey.substr(0, 62)));
  CHECK_FALSE(ServerKey::from_hex(kHexKey.substr(0, 63)));
  CHECK_FALSE(ServerKey::from_hex(kHexKey + "0"));
  CHECK_FALSE(ServerKey::from_hex(kHexKey + "00"));
  // Built by replacement: GCC 12 reports a false -Wrestrict on `"g" + std::string&&` at -O3.
  std::string bad = kHexKey;
  bad[0] = 'g';
  CHECK_FALSE(ServerKey::from_hex(bad));
  CHECK_FALSE(ServerKey::from_hex(kHexKey.substr(0, 63) + "z"));
  bad[0] = ' ';
  CHECK_FALSE(ServerKey::from_hex(bad));
  CHECK_FALSE(ServerKey::from_hex(kHexKey.substr(0, 32) + ":" + kHexKey.substr(33)));
  CHECK_FALSE(ServerKey::from_hex(std::string(64, '\0')));
}

TEST_CASE("ServerKey::generate gives distinct keys", "[crypto]") {
  const auto a = ServerKey::generate();
  const auto b = ServerKey::generate();
  CHECK(a.bytes() != b.bytes());
  CHECK(a.to_hex().size() == 64);
  CHECK(is_lower_hex(a.to_hex()));
  CHECK(ServerKey::from_hex(a.to_hex())->bytes() == a.bytes());
}

TEST_CASE("ServerKey::load_or_create", "[crypto]") {
  testing::TempDir dir;

  SECTION("creates a 0600 file in new directories and reloads the same key") {
    const auto path = dir.path() / "nested" / "deeper" / "server.key";
    const auto created = ServerKey::load_or_create(path);
    REQUIRE(std::filesystem::exists(path));
    CHECK(file_mode(path) == 0600);
    const auto loaded = ServerKey::load_or_create(path);
    CHECK(loaded.bytes() == created.bytes());
    CHECK(file_mode(path) == 0600);
  }
  SECTION("the file is 0600 even with a permissive umask") {
    const mode_t old = ::umask(0);
    const auto path = dir.file("server.key");
    ServerKey::load_or_create(path);
    ::umask(old);
    CHECK(file_mode(path) == 0600);
  }
  SECTION("reads an existing key, ignoring surrounding whitespace") {
    const auto path = dir.file("server.key");
    write_file(path, "\n  " + kHexKey + " \r\n");
    CHECK(ServerKey::load_or_create(path).to_hex() == kHexKey);
  }
  SECTION("a malformed file throws, names the path, and is left alone") {
    const auto path = dir.file("server.key");
    for (const std::string& content : {std::string(), std::string("not a key\n"),
                                       kHexKey.substr(0, 63), kHexKey + kHexKey, "0x" + kHexKey}) {
      INFO("content: " << content);
      write_file(path, content);
      try {
        ServerKey::load_or_create(path);
        FAIL("expected std::runtime_error");
      } catch (const std::runtime_error& e) {
        CHECK_THAT(e.what(), Catch::Contains(path.string()));
      }
      std::ifstream in(path, std::ios::binary);
      const std::string after((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      CHECK(after == content);
    }
  }
  SECTION("an unreadable path throws") {
    // A directory where the key file should be: exists, but cannot be read as a key.
    const auto path = dir.file("server.key");
    std::filesystem::create_directory(path);
    CHECK_THROWS_AS(ServerKey::load_or_create(path), std::runtime_error);
  }
}

TEST_CASE("CodeVault hashes bound to the id", "[crypto]") {
  const CodeVault vault(fixed_key());
  const std::string id = "otp_0123456789abcdef0123456789abcdef";

  const Bytes h = vault.hash(id, "123456");
  CHECK(h.size() == 32);
  CHECK(vault.hash(id, "123456") == h);  // deterministic
  CHECK(CodeVault(fixed_key()).hash(id, "123456") == h);
  CHECK(vault.hash(id, "123457") != h);
  CHECK(vault.hash("otp_ffffffffffffffffffffffffffffffff", "123456") != h);
  // The separator keeps (id, code) boundaries unambiguous.
  CHECK(vault.hash("otp_1", "23456") != vault.hash("otp_12", "3456"));
  CHECK(CodeVault(ServerKey::generate()).hash(id, "123456") != h);

  CHECK(vault.matches(id, "123456", h));
  CHECK_FALSE(vault.matches(id, "123457", h));
  CHECK_FALSE(vault.matches(id, "", h));
  CHECK_FALSE(vault.matches("otp_other", "123456", h));
  Bytes flipped = h;
  flipped[7] ^= 0x01;
  CHECK_FALSE(vault.matches(id, "123456", flipped));
  CHECK_FALSE(vault.matches(id, "123456", Bytes{}));
  CHECK_FALSE(vault.matches(id, "123456", Bytes(h.begin(), h.end() - 1)));
  Bytes longer = h;
  longer.push_back(0);
  CHECK_FALSE(vault.matches(id, "123456", longer));
}

TEST_CASE("CodeVault seals and opens codes", "[crypto]") {
  const CodeVault vault(fixed_key());
  const std::string id = "otp_0123456789abcdef0123456789abcdef";

  const Bytes sealed = vault.seal(id, "AB3K9Q");
  CHECK(sealed.size() == 24 + 6 + 16);  // nonce + ciphertext + tag
  CHECK(vault.open(id, sealed) == std::optional<std::string>("AB3K9Q"));
  CHECK(vault.seal(id, "AB3K9Q") != sealed);  // random nonce
  CHECK(vault.open(id, vault.seal(id, "")) == std::optional<std::string>(""));

  CHECK_FALSE(vault.open("otp_ffffffffffffffffffffffffffffffff", sealed));
  CHECK_FALSE(CodeVault(ServerKey::generate()).open(id, sealed));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes tampered = sealed;
    tampered[i] ^= 0x80;
    INFO("byte " << i);
    CHECK_FALSE(vault.open(id, tampered));
  }
  CHECK_FALSE(vault.open(id, Bytes{}));
  CHECK_FALSE(vault.open(id, Bytes(sealed.begin(), sealed.begin() + 39)));
  CHECK_FALSE(vault.open(id, Bytes(sealed.begin(), sealed.end() - 1)));
}

TEST_CASE("API keys", "[crypto]") {
  const NewApiKey a = generate_api_key();
  CHECK(a.key.size() == 47);
  CHECK(a.key.rfind("uok_", 0) == 0);
  CHECK(a.key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                                4) == std::string::npos);
  CHECK(a.prefix == a.key.substr(0, 12));
  CHECK(a.hash.size() == 32);
  CHECK(a.hash == hash_api_key(a.key));
  CHECK(hash_api_key(a.key) == hash_api_key(a.key));

  const NewApiKey b = generate_api_key();
  CHECK(b.key != a.key);
  CHECK(b.hash != a.hash);
  CHECK(hash_api_key(a.key + "x") != a.hash);
}

TEST_CASE("fingerprint is lowercase hex BLAKE2b-256", "[crypto]") {
  const std::string f = fingerprint(R"({"phone":"233241234567"})");
  CHECK(f.size() == 64);
  CHECK(is_lower_hex(f));
  CHECK(fingerprint(R"({"phone":"233241234567"})") == f);
  CHECK(fingerprint(R"({"phone":"233241234568"})") != f);
  // Known answer: BLAKE2b-256 of the empty string.
  CHECK(fingerprint("") == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

}  // namespace ussd_otp
