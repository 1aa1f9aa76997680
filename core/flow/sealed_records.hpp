// One-time records kept in a store under a secret that only their holder knows: login
// state (the secret is the `state` parameter) and exchange codes (the secret is the code).
//
// The store never sees the secret, nor the record in clear. From the secret's 32 random
// bytes S, three independent keys are derived with libsodium's crypto_kdf, which is keyed
// BLAKE2b (key = S, salt = subkey id, personalization = an 8-byte context per record kind,
// "oidcstat" or "oidcxcod"):
//
//   lookup  = KDF(S, id 1)  ->  store key "<kind>:" + base64url(lookup)
//   seal    = KDF(S, id 2)  ->  XChaCha20-Poly1305 key for the record
//   binding = KDF(S, id 3)  ->  BLAKE2b key for the optional browser-binding tag
//
// The derivation uses nothing but S and fixed constants, so every process sharing a Redis
// store computes the same keys with no shared secret to distribute. S carries 256 bits from
// libsodium's CSPRNG, so no salt or stretching is needed: the lookup key reveals nothing
// about S, and without S the seal key cannot be computed. Whoever reads the store (a dump,
// MONITOR, a replica) gets neither a usable secret nor the record.
//
// At rest, the value is: version byte (1) || 24-byte random nonce || AEAD ciphertext of
// (flags byte || [32-byte binding tag] || body), with the version, the record kind and the
// store key as associated data, so that a ciphertext moved to another key does not open.
// The binding tag is keyed BLAKE2b-256 of the browser binding; only the tag is kept and it
// is compared in constant time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "status.hpp"
#include "store/store.hpp"

namespace oidcore::flow {

enum class RecordKind : uint8_t { login_state = 1, exchange_code = 2 };

// Secrets: 32 bytes, base64url without padding.
inline constexpr size_t kSecretBytes = 32;
inline constexpr size_t kSecretChars = 43;
// Longest browser binding accepted (it is hashed; this only bounds the work).
inline constexpr size_t kMaxBindingBytes = 4096;
// TTL bounds for records, in seconds.
inline constexpr int64_t kMinRecordTtl = 1;
inline constexpr int64_t kMaxRecordTtl = 86'400;

// libsodium initialised (once, thread-safe). False only if libsodium cannot run at all.
[[nodiscard]] bool sodium_ready() noexcept;

// `bytes` bytes from libsodium's CSPRNG as base64url without padding.
std::string random_token(size_t bytes = kSecretBytes);

// Whether `secret` has the exact form of one this module hands out: kSecretChars characters
// of the URL-safe alphabet, canonical base64url. Checked before any store round trip.
[[nodiscard]] bool is_well_formed_secret(std::string_view secret) noexcept;

// Seals `body` (with the tag of `binding`, when given) under a new secret and stores it for
// `ttl_seconds` with put(only_if_absent); on the astronomically unlikely `exists`, another
// secret is drawn. On success `secret` holds the new secret; on failure it is empty and
// nothing usable was handed out. An empty or oversized binding is Status::invalid_argument.
[[nodiscard]] Error seal_new_record(store::Store& store, RecordKind kind, std::string_view body,
                                    std::optional<std::string_view> binding, int64_t ttl_seconds, std::string& secret);

// Takes the record of `secret` from the store (atomically: at most one caller ever gets
// it), opens it and checks the binding. A secret of the wrong form is Status::not_found
// without a store round trip. When the record was bound, `binding` must be the same bytes;
// otherwise the record, already taken, is spent and the answer is Status::not_found.
// Store failures are Status::store_unavailable and never yield a record.
[[nodiscard]] Error open_taken_record(store::Store& store, RecordKind kind, std::string_view secret,
                                      std::optional<std::string_view> binding, std::string& body);

}  // namespace oidcore::flow
