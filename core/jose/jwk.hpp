// JSON Web Keys (RFC 7517) turned once, at load time, into ready-to-verify objects.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jose/algorithm.hpp"
#include "status.hpp"

namespace oidcore::jose {

// Policy applied while loading keys.
struct KeyPolicy {
  int min_rsa_bits = 2048;   // RFC 7518 §3.3: 2048 or larger
  int max_rsa_bits = 8192;   // larger moduli only cost CPU (a denial-of-service lever)
  bool allow_symmetric = false;  // `oct` keys; only for explicitly configured HS* secrets
  bool reject_private = true;    // a verification key set must not carry private material
  size_t max_keys = 100;         // more entries than this: the set is refused (too_large)
};

// One verification key. Immutable after loading and shared between threads.
class Jwk {
 public:
  Jwk();
  ~Jwk();
  Jwk(const Jwk&) = delete;
  Jwk& operator=(const Jwk&) = delete;

  // Unique for the life of the process and never reused (a 64-bit counter), unlike the
  // object's address: verification contexts cached per thread are found by this id, so a
  // context made for a key that is gone can never be picked up for another key.
  const uint64_t id;

  KeyType kty = KeyType::rsa;
  Curve crv = Curve::none;
  std::string kid;
  bool has_kid = false;
  std::optional<Alg> alg;  // when the JWK names one, the only algorithm it may be used with
  std::string use;         // as given ("" when absent)
  int bits = 0;            // RSA modulus / curve size / HMAC key size, in bits
  std::string thumbprint;  // RFC 7638, SHA-256, base64url
  bool has_x5c = false;

  // Whether this key may verify `a`: type, curve, the JWK's own alg, HMAC key length.
  [[nodiscard]] bool usable_with(Alg a) const noexcept;

  // Verification material. Exactly one of these is set, by kty.
  EVP_PKEY* pkey = nullptr;             // RSA and EC
  std::array<unsigned char, 32> ed25519{};  // OKP Ed25519 public key
  std::vector<unsigned char> secret;    // oct (wiped on destruction)
  size_t rsa_modulus_bytes = 0;
  // Contexts initialised once per algorithm when the key is loaded: RSA and EC verification
  // (padding, digest), HMAC keyed with the secret. Never used directly: each thread verifies
  // with its own copy, made once and kept for the next tokens (see signature.cpp).
  std::array<EVP_PKEY_CTX*, kAlgCount> prepared{};
  std::array<EVP_MAC_CTX*, kAlgCount> prepared_mac{};
};

using JwkPtr = std::shared_ptr<const Jwk>;

struct SkippedKey {
  size_t index;
  std::string kid;
  std::string reason;
};

struct KeySet {
  std::vector<JwkPtr> keys;
  std::vector<SkippedKey> skipped;
};

// Parses one JWK object. A key that is well-formed but excluded by policy (use "enc", weak,
// unknown kty...) gives an Error whose message is the reason; `skippable` tells the caller
// whether the key set may go on without it.
struct JwkLoad {
  JwkPtr key;
  Error error;
  bool skippable = true;
};
JwkLoad parse_jwk(std::string_view json, const KeyPolicy& policy);

// Parses a JWK Set: {"keys":[...]}. `{}` (no "keys", as Authentik serves when it signs with
// the client secret) is a valid empty set. Individual keys that cannot be used are skipped
// and listed with their reason; structural problems (not an object, `keys` not an array,
// private key material, too many keys) refuse the whole set.
// A single JWK object (with "kty") is accepted as a set of one.
[[nodiscard]] Error parse_jwks(std::string_view json, const KeyPolicy& policy, KeySet& out);

// A key set as JSON, for diagnostics: {"keys":[{"kid","kty","alg","use","crv","bits",
// "thumbprint"}...],"skipped":[{"index","kid","reason"}...]}.
std::string describe_key_set(const KeySet& set);

// RFC 7638 thumbprint of a JWK given as JSON (required members only, SHA-256, base64url).
[[nodiscard]] Error jwk_thumbprint(std::string_view json, std::string& out);

}  // namespace oidcore::jose
