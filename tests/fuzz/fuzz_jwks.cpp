// Fuzz target: JWK Set loading and RFC 7638 thumbprints.
//
// The input is parsed as a JWK Set with symmetric keys refused and then allowed, and as a
// single JWK for its thumbprint. Besides "no crash, no sanitizer report", the loading
// policy must hold for whatever comes in: no symmetric key unless allowed, no RSA key
// outside the size bounds, never more keys than the limit, every loaded key usable with at
// least one algorithm, carrying a well-formed thumbprint, and never verifying a signature
// of all zero bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "jose/jwk.hpp"
#include "jose/signature.hpp"

namespace {

using namespace oidcore::jose;

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_jwks: property violated: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

bool is_b64url_thumbprint(const std::string& t) {
  if (t.size() != 43) return false;
  for (char c : t)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

size_t signature_size(const Jwk& key, Alg a) {
  switch (key_type_for(a)) {
    case KeyType::rsa: return key.rsa_modulus_bytes;
    case KeyType::ec: return a == Alg::ES256 ? 64 : a == Alg::ES384 ? 96 : 132;
    case KeyType::okp: return 64;
    case KeyType::oct: return digest_size(a);
  }
  return 0;
}

void load(std::string_view input, const KeyPolicy& policy) {
  KeySet set;
  const oidcore::Error err = parse_jwks(input, policy, set);
  if (err) {
    if (!set.keys.empty()) fail("keys handed out with an error");
    return;
  }
  if (set.keys.size() > policy.max_keys) fail("more keys than the limit");
  static const std::vector<unsigned char> zeros(1024, 0);
  for (const auto& key : set.keys) {
    if (!key) fail("null key");
    if (key->kty == KeyType::oct && !policy.allow_symmetric) fail("symmetric key loaded although refused");
    if (key->kty == KeyType::rsa && (key->bits < policy.min_rsa_bits || key->bits > policy.max_rsa_bits))
      fail("RSA key outside the size bounds");
    if (!is_b64url_thumbprint(key->thumbprint)) fail("bad thumbprint", key->thumbprint);
    bool usable = false;
    for (int i = 0; i < kAlgCount; ++i) {
      const Alg a = static_cast<Alg>(i);
      if (!key->usable_with(a)) continue;
      usable = true;
      if (key_type_for(a) != key->kty) fail("key usable with an algorithm of another type");
      const size_t n = signature_size(*key, a);
      if (n > zeros.size()) continue;
      if (verify_signature(*key, a, "e30.e30", zeros.data(), n) == oidcore::Status::ok)
        fail("an all-zero signature verified");
    }
    // A key that fits no algorithm (alg of another type, HMAC key shorter than its hash...)
    // must have been skipped with a reason, not loaded.
    if (!usable) fail("loaded key usable with nothing");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  KeyPolicy refuse_symmetric;
  refuse_symmetric.allow_symmetric = false;
  load(input, refuse_symmetric);
  KeyPolicy allow_symmetric;
  allow_symmetric.allow_symmetric = true;
  load(input, allow_symmetric);
  KeyPolicy small_rsa;
  small_rsa.min_rsa_bits = 1024;
  small_rsa.max_keys = 4;
  load(input, small_rsa);

  std::string thumbprint;
  if (!jwk_thumbprint(input, thumbprint) && !is_b64url_thumbprint(thumbprint)) fail("bad thumbprint", thumbprint);
  return 0;
}
