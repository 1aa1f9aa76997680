#include "flow/sealed_records.hpp"

#include <sodium.h>

#include <array>
#include <cstring>

#include "encoding/base64url.hpp"

namespace oidcore::flow {
namespace {

constexpr uint8_t kFormatVersion = 1;
constexpr uint8_t kFlagBound = 0x01;
constexpr size_t kTagBytes = 32;
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kAeadKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr size_t kAbytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::string_view kAdLabel = "oidcore sealed record v1";
// A new secret colliding with a live one takes about 2^128 records; a few retries are
// only there so that `exists` is handled rather than assumed away.
constexpr int kCreateAttempts = 4;

static_assert(kSecretBytes == crypto_kdf_KEYBYTES, "the secret is used directly as the KDF master key");
static_assert(kAeadKeyBytes == 32 && kTagBytes == 32, "derived keys are 32 bytes");

enum SubkeyId : uint64_t { kLookupKey = 1, kSealKey = 2, kBindingKey = 3 };

const char* kdf_context(RecordKind kind) {
  static_assert(crypto_kdf_CONTEXTBYTES == 8, "contexts are 8 bytes");
  return kind == RecordKind::login_state ? "oidcstat" : "oidcxcod";
}

std::string_view key_prefix(RecordKind kind) {
  return kind == RecordKind::login_state ? "state:" : "xcode:";
}

std::string_view what(RecordKind kind) {
  return kind == RecordKind::login_state ? "state" : "exchange code";
}

// Derived keys, wiped when they go out of scope.
struct DerivedKeys {
  unsigned char lookup[32];
  unsigned char seal[kAeadKeyBytes];
  unsigned char binding[32];

  DerivedKeys(RecordKind kind, const unsigned char* secret) {
    const char* ctx = kdf_context(kind);
    crypto_kdf_derive_from_key(lookup, sizeof lookup, kLookupKey, ctx, secret);
    crypto_kdf_derive_from_key(seal, sizeof seal, kSealKey, ctx, secret);
    crypto_kdf_derive_from_key(binding, sizeof binding, kBindingKey, ctx, secret);
  }
  ~DerivedKeys() { sodium_memzero(this, sizeof *this); }
  DerivedKeys(const DerivedKeys&) = delete;
  DerivedKeys& operator=(const DerivedKeys&) = delete;

  std::string store_key(RecordKind kind) const {
    std::string k(key_prefix(kind));
    k += encoding::base64url_encode(lookup, sizeof lookup);
    return k;
  }

  void binding_tag(std::string_view binding, unsigned char out[kTagBytes]) const {
    crypto_generichash(out, kTagBytes, reinterpret_cast<const unsigned char*>(binding.data()), binding.size(),
                       this->binding, sizeof this->binding);
  }
};

std::string associated_data(RecordKind kind, std::string_view store_key) {
  std::string ad(kAdLabel);
  ad += static_cast<char>(kFormatVersion);
  ad += static_cast<char>(kind);
  ad += store_key;
  return ad;
}

// A std::string holding plaintext, wiped before its memory is released.
struct WipedString {
  std::string s;
  ~WipedString() {
    if (!s.empty()) sodium_memzero(s.data(), s.size());
  }
};

std::string seal(const DerivedKeys& keys, RecordKind kind, std::string_view store_key, std::string_view body,
                 std::optional<std::string_view> binding) {
  WipedString plain;
  plain.s.reserve(1 + kTagBytes + body.size());
  plain.s += static_cast<char>(binding ? kFlagBound : 0);
  if (binding) {
    unsigned char tag[kTagBytes];
    keys.binding_tag(*binding, tag);
    plain.s.append(reinterpret_cast<const char*>(tag), kTagBytes);
  }
  plain.s += body;
  const std::string ad = associated_data(kind, store_key);

  std::string out(1 + kNonceBytes + plain.s.size() + kAbytes, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  p[0] = kFormatVersion;
  randombytes_buf(p + 1, kNonceBytes);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      p + 1 + kNonceBytes, &clen, reinterpret_cast<const unsigned char*>(plain.s.data()), plain.s.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, p + 1, keys.seal);
  out.resize(1 + kNonceBytes + clen);
  return out;
}

// Opens a sealed value; false when it does not authenticate (tampered, corrupt, or not ours).
bool open(const DerivedKeys& keys, RecordKind kind, std::string_view store_key, std::string_view sealed,
          WipedString& plain) {
  if (sealed.size() < 1 + kNonceBytes + kAbytes || static_cast<uint8_t>(sealed[0]) != kFormatVersion) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  const std::string ad = associated_data(kind, store_key);
  const size_t clen = sealed.size() - 1 - kNonceBytes;
  plain.s.assign(clen - kAbytes, '\0');
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.s.data()), &plen, nullptr, p + 1 + kNonceBytes, clen,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), p + 1, keys.seal) != 0)
    return false;
  plain.s.resize(plen);
  return true;
}

Error not_found(RecordKind kind, std::string_view detail) {
  return Error(Status::not_found, std::string(what(kind)) + " " + std::string(detail));
}

Error check_binding_argument(std::optional<std::string_view> binding) {
  if (!binding) return {};
  if (binding->empty()) return Error(Status::invalid_argument, "\"binding\" must not be empty (omit it for none)");
  if (binding->size() > kMaxBindingBytes)
    return Error(Status::invalid_argument, "\"binding\" is longer than " + std::to_string(kMaxBindingBytes) + " bytes");
  return {};
}

}  // namespace

bool sodium_ready() noexcept {
  static const bool ready = sodium_init() >= 0;  // thread-safe, idempotent
  return ready;
}

std::string random_token(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string token = encoding::base64url_encode(raw);
  sodium_memzero(raw.data(), raw.size());
  return token;
}

bool is_well_formed_secret(std::string_view secret) noexcept {
  if (secret.size() != kSecretChars) return false;
  for (char c : secret) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  // 43 characters carry 258 bits: the last two must be zero in the canonical form.
  std::array<unsigned char, kSecretBytes> raw;
  size_t len = 0;
  const char* end = nullptr;
  const bool decoded = sodium_base642bin(raw.data(), raw.size(), secret.data(), secret.size(), nullptr, &len, &end,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
                       end == secret.data() + secret.size() && len == kSecretBytes;
  sodium_memzero(raw.data(), raw.size());
  return decoded;
}

Error seal_new_record(store::Store& store, RecordKind kind, std::string_view body,
                      std::optional<std::string_view> binding, int64_t ttl_seconds, std::string& secret) {
  secret.clear();
  if (!sodium_ready()) return Error(Status::internal, "libsodium could not be initialised");
  if (auto err = check_binding_argument(binding)) return err;
  if (ttl_seconds < kMinRecordTtl || ttl_seconds > kMaxRecordTtl)
    return Error(Status::invalid_argument, "\"ttl\" must be between " + std::to_string(kMinRecordTtl) + " and " +
                                               std::to_string(kMaxRecordTtl) + " seconds");
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    std::array<unsigned char, kSecretBytes> raw;
    randombytes_buf(raw.data(), raw.size());
    const DerivedKeys keys(kind, raw.data());
    std::string candidate = encoding::base64url_encode(raw.data(), raw.size());
    sodium_memzero(raw.data(), raw.size());
    const std::string key = keys.store_key(kind);
    const std::string value = seal(keys, kind, key, body, binding);
    store::PutResult result = store::PutResult::exists;
    if (auto err = store.put(key, value, ttl_seconds, /*only_if_absent=*/true, result)) {
      // Whatever the store says, no secret leaves: a record we cannot confirm as stored must
      // not be handed out. Only the store's own statuses pass through.
      if (err.status != Status::store_unavailable && err.status != Status::invalid_argument)
        return Error(Status::store_unavailable, "the store failed: " + err.message);
      return err;
    }
    if (result == store::PutResult::stored) {
      secret = std::move(candidate);
      return {};
    }
  }
  return Error(Status::internal, std::string("could not find an unused ") + std::string(what(kind)));
}

Error open_taken_record(store::Store& store, RecordKind kind, std::string_view secret,
                        std::optional<std::string_view> binding, std::string& body) {
  body.clear();
  if (!sodium_ready()) return Error(Status::internal, "libsodium could not be initialised");
  // Form first: garbage, empty or huge input never reaches the store.
  if (!is_well_formed_secret(secret))
    return not_found(kind, "is not well formed (expected " + std::to_string(kSecretChars) + " base64url characters)");
  if (binding && binding->size() > kMaxBindingBytes)
    return Error(Status::invalid_argument, "\"binding\" is longer than " + std::to_string(kMaxBindingBytes) + " bytes");

  std::array<unsigned char, kSecretBytes> raw;
  size_t len = 0;
  if (sodium_base642bin(raw.data(), raw.size(), secret.data(), secret.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len != kSecretBytes)
    return not_found(kind, "is not well formed");
  const DerivedKeys keys(kind, raw.data());
  sodium_memzero(raw.data(), raw.size());
  const std::string key = keys.store_key(kind);

  std::string sealed;
  if (auto err = store.take(key, sealed)) {
    if (err.status == Status::not_found) return not_found(kind, "is unknown, expired or already used");
    // Anything else means the outcome is unknown: never a success.
    if (err.status != Status::store_unavailable)
      return Error(Status::store_unavailable, "the store failed: " + err.message);
    return err;
  }

  WipedString plain;
  if (!open(keys, kind, key, sealed, plain) || plain.s.empty())
    return not_found(kind, "record does not authenticate (tampered or corrupt); treated as unknown");
  const auto flags = static_cast<uint8_t>(plain.s[0]);
  size_t body_at = 1;
  if (flags & kFlagBound) {
    if (plain.s.size() < 1 + kTagBytes) return not_found(kind, "record is truncated; treated as unknown");
    unsigned char expected[kTagBytes];
    // An absent binding is hashed as empty, which no bound record can have (creation refuses
    // empty bindings): the comparison runs either way.
    keys.binding_tag(binding.value_or(std::string_view()), expected);
    const bool same = sodium_memcmp(expected, plain.s.data() + 1, kTagBytes) == 0;
    sodium_memzero(expected, sizeof expected);
    if (!same) return not_found(kind, "was bound to another browser; it is now spent");
    body_at += kTagBytes;
  }
  body.assign(plain.s, body_at);
  return {};
}

}  // namespace oidcore::flow
