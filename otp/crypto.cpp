// libsodium-backed keys, code hashing/sealing and API-key hashing for the OTP domain.
#include "otp/crypto.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "otp/codes.hpp"
#include "otp/text.hpp"

namespace ussd_otp {
namespace {

// Exactly crypto_kdf_CONTEXTBYTES (8) characters; changing it changes every derived key.
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "ussdotp1";
constexpr std::uint64_t kHashSubkeyId = 1;
constexpr std::uint64_t kSealSubkeyId = 2;

static_assert(ServerKey::kSize == crypto_kdf_KEYBYTES);
static_assert(crypto_auth_KEYBYTES == 32);
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32);

const unsigned char* as_uchar(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

Bytes blake2b_256(std::string_view text) {
  static_assert(crypto_generichash_BYTES == 32);
  Bytes out(crypto_generichash_BYTES);
  crypto_generichash(out.data(), out.size(), as_uchar(text), text.size(), nullptr, 0);
  return out;
}

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}

// Reads and parses an existing key file; throws with the path in the message on any problem.
ServerKey read_key_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read server key file " + path.string());
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read server key file " + path.string());
  std::string text = content.str();
  auto key = ServerKey::from_hex(text::trim(text, text::kWhitespace));
  sodium_memzero(text.data(), text.size());
  if (!key) {
    throw std::runtime_error("server key file " + path.string() +
                             " is malformed: expected 64 hexadecimal characters");
  }
  return *key;
}

// Writes `text` to a new file that is 0600 from the moment it exists (O_EXCL: never clobbers).
// Returns false if the file already exists (another process won the race).
bool write_new_private_file(const std::filesystem::path& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw std::runtime_error("cannot create server key file " + path.string() + ": " +
                             errno_text(errno));
  }
  std::size_t written = 0;
  int err = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    // A half-written key file would be "malformed" forever; remove it so a retry can succeed.
    ::unlink(path.c_str());
    throw std::runtime_error("cannot write server key file " + path.string() + ": " +
                             errno_text(err));
  }
  return true;
}

std::string hex_of(const std::uint8_t* data, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, size);
  hex.pop_back();  // sodium writes a terminating NUL
  return hex;
}

}  // namespace

void ensure_sodium_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    // sodium_init returns 1 when already initialised (e.g. by another library); only < 0 fails.
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  });
}

// ---- ServerKey ----

std::optional<ServerKey> ServerKey::from_hex(std::string_view hex) {
  if (hex.size() != kSize * 2) return std::nullopt;
  ServerKey key;
  std::size_t bin_len = 0;
  const char* hex_end = nullptr;
  // No ignore set: any non-hex character stops parsing, which the checks below reject.
  const int rc = sodium_hex2bin(key.bytes_.data(), key.bytes_.size(), hex.data(), hex.size(),
                                nullptr, &bin_len, &hex_end);
  if (rc != 0 || bin_len != kSize || hex_end != hex.data() + hex.size()) return std::nullopt;
  return key;
}

ServerKey ServerKey::generate() {
  ensure_sodium_initialized();
  ServerKey key;
  randombytes_buf(key.bytes_.data(), key.bytes_.size());
  return key;
}

ServerKey ServerKey::load_or_create(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (path.has_parent_path()) {
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) {
        throw std::runtime_error("cannot create directory for server key file " + path.string() +
                                 ": " + ec.message());
      }
    }
    const ServerKey fresh = generate();
    std::string text = fresh.to_hex() + "\n";
    const bool created = write_new_private_file(path, text);
    sodium_memzero(text.data(), text.size());
    if (created) {
      // Read back so a key that cannot be loaded again is noticed now, not after codes exist.
      ServerKey stored = read_key_file(path);
      if (sodium_memcmp(stored.bytes_.data(), fresh.bytes_.data(), kSize) != 0) {
        throw std::runtime_error("server key file " + path.string() + " did not read back intact");
      }
      return stored;
    }
    // Lost a creation race: fall through and use the winner's key.
  }
  return read_key_file(path);
}

std::string ServerKey::to_hex() const {
  return hex_of(bytes_.data(), bytes_.size());
}

// ---- CodeVault ----

CodeVault::CodeVault(const ServerKey& key) {
  ensure_sodium_initialized();
  crypto_kdf_derive_from_key(hash_key_.data(), hash_key_.size(), kHashSubkeyId, kKdfContext,
                             key.bytes().data());
  crypto_kdf_derive_from_key(seal_key_.data(), seal_key_.size(), kSealSubkeyId, kKdfContext,
                             key.bytes().data());
}

Bytes CodeVault::hash(std::string_view otp_id, std::string_view code) const {
  // The NUL separator keeps (id, code) pairs unambiguous: ids never contain NUL.
  std::string message;
  message.reserve(otp_id.size() + 1 + code.size());
  message.append(otp_id).push_back('\0');
  message.append(code);
  Bytes out(crypto_auth_BYTES);
  crypto_auth(out.data(), as_uchar(message), message.size(), hash_key_.data());
  sodium_memzero(message.data(), message.size());
  return out;
}

bool CodeVault::matches(std::string_view otp_id, std::string_view code,
                        const Bytes& expected_hash) const {
  comparisons_.fetch_add(1, std::memory_order_relaxed);
  if (expected_hash.size() != crypto_auth_BYTES) return false;
  std::string message;
  message.reserve(otp_id.size() + 1 + code.size());
  message.append(otp_id).push_back('\0');
  message.append(code);
  const bool ok = crypto_auth_verify(expected_hash.data(), as_uchar(message), message.size(),
                                     hash_key_.data()) == 0;
  sodium_memzero(message.data(), message.size());
  return ok;
}

Bytes CodeVault::seal(std::string_view otp_id, std::string_view code) const {
  constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  Bytes out(kNonce + code.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  // 192-bit random nonces are safe to pick at random (no counter to persist).
  randombytes_buf(out.data(), kNonce);
  unsigned long long cipher_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kNonce, &cipher_len, as_uchar(code),
                                             code.size(), as_uchar(otp_id), otp_id.size(), nullptr,
                                             out.data(), seal_key_.data());
  out.resize(kNonce + cipher_len);
  return out;
}

std::optional<std::string> CodeVault::open(std::string_view otp_id, const Bytes& sealed) const {
  constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < kNonce + kTag) return std::nullopt;
  std::string plain(sealed.size() - kNonce - kTag, '\0');
  unsigned long long plain_len = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(plain.data()), &plain_len, nullptr, sealed.data() + kNonce,
      sealed.size() - kNonce, as_uchar(otp_id), otp_id.size(), sealed.data(), seal_key_.data());
  if (rc != 0) return std::nullopt;
  plain.resize(plain_len);
  return plain;
}

// ---- API keys and fingerprints ----

NewApiKey generate_api_key() {
  NewApiKey result;
  result.key = "uok_" + random_token(32);
  result.prefix = result.key.substr(0, 12);
  result.hash = hash_api_key(result.key);
  return result;
}

Bytes hash_api_key(std::string_view key) {
  return blake2b_256(key);
}

std::string fingerprint(std::string_view text) {
  const Bytes digest = blake2b_256(text);
  return hex_of(digest.data(), digest.size());
}

}  // namespace ussd_otp
