#include "jose/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <cstring>
#include <memory>

#include "jose/openssl_support.hpp"

namespace oidcore::jose {
namespace {

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

bool digest(Alg alg, std::string_view input, unsigned char* out, unsigned int* out_len) {
  return EVP_Digest(input.data(), input.size(), out, out_len, digest_for(alg), nullptr) == 1;
}

bool verify_digest(EVP_PKEY_CTX* prepared, const unsigned char* sig, size_t sig_len, const unsigned char* md,
                   size_t md_len) {
  // The prepared context is shared; each verification works on its own copy.
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_dup(prepared));
  if (!ctx) return false;
  return EVP_PKEY_verify(ctx.get(), sig, sig_len, md, md_len) == 1;
}

Status verify_rsa(const Jwk& key, Alg alg, std::string_view input, const unsigned char* sig, size_t sig_len) {
  // RFC 8017 §8.2.2 step 1: the signature is exactly as long as the modulus.
  if (sig_len != key.rsa_modulus_bytes) return Status::bad_signature;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!digest(alg, input, md, &md_len)) return Status::internal;
  // PKCS#1 v1.5: OpenSSL re-encodes the DigestInfo and compares it whole (no lenient
  // ASN.1 parsing); PSS: salt length and MGF1 hash fixed by the prepared context.
  return verify_digest(key.prepared[static_cast<int>(alg)], sig, sig_len, md, md_len) ? Status::ok
                                                                                      : Status::bad_signature;
}

// Big-endian a < b for equal-length buffers; the inputs are public, no need for constant time.
bool less_than(const unsigned char* a, const unsigned char* b, size_t len) {
  return std::memcmp(a, b, len) < 0;
}

bool all_zero(const unsigned char* a, size_t len) {
  for (size_t i = 0; i < len; ++i)
    if (a[i]) return false;
  return true;
}

Status verify_ec(const Jwk& key, Alg alg, std::string_view input, const unsigned char* sig, size_t sig_len) {
  const size_t coord = key.crv == Curve::p256 ? 32 : key.crv == Curve::p384 ? 48 : 66;
  // RFC 7518 §3.4: raw r || s, each exactly the coordinate size. DER or trimmed forms fail.
  if (sig_len != 2 * coord) return Status::bad_signature;
  const unsigned char* r = sig;
  const unsigned char* s = sig + coord;
  const unsigned char* n = ec_order(key.crv);
  if (!n) return Status::internal;
  // 0 < r, s < n, checked before any arithmetic ("psychic signatures", CVE-2022-21449).
  if (all_zero(r, coord) || all_zero(s, coord) || !less_than(r, n, coord) || !less_than(s, n, coord))
    return Status::bad_signature;

  ECDSA_SIG* ecsig = ECDSA_SIG_new();
  BIGNUM* br = BN_bin2bn(r, static_cast<int>(coord), nullptr);
  BIGNUM* bs = BN_bin2bn(s, static_cast<int>(coord), nullptr);
  if (!ecsig || !br || !bs || ECDSA_SIG_set0(ecsig, br, bs) != 1) {
    BN_free(br);
    BN_free(bs);
    ECDSA_SIG_free(ecsig);
    return Status::internal;
  }
  unsigned char der[160];
  unsigned char* p = der;
  const int der_len = i2d_ECDSA_SIG(ecsig, nullptr) <= static_cast<int>(sizeof der) ? i2d_ECDSA_SIG(ecsig, &p) : -1;
  ECDSA_SIG_free(ecsig);
  if (der_len <= 0) return Status::internal;

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!digest(alg, input, md, &md_len)) return Status::internal;
  return verify_digest(key.prepared[static_cast<int>(alg)], der, static_cast<size_t>(der_len), md, md_len)
             ? Status::ok
             : Status::bad_signature;
}

Status verify_eddsa(const Jwk& key, std::string_view input, const unsigned char* sig, size_t sig_len) {
  if (sig_len != crypto_sign_ed25519_BYTES) return Status::bad_signature;
  // libsodium rejects S >= L, small-order R and A, and non-canonical encodings (RFC 8032 §5.1.7).
  return crypto_sign_ed25519_verify_detached(sig, reinterpret_cast<const unsigned char*>(input.data()),
                                             input.size(), key.ed25519.data()) == 0
             ? Status::ok
             : Status::bad_signature;
}

Status verify_hmac(const Jwk& key, Alg alg, std::string_view input, const unsigned char* sig, size_t sig_len) {
  const size_t want = digest_size(alg);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(digest_for(alg), key.secret.data(), static_cast<int>(key.secret.size()),
            reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len) ||
      mac_len != want)
    return Status::internal;
  // Length is public; the comparison of the bytes is constant-time.
  const bool ok = sig_len == want && CRYPTO_memcmp(mac, sig, want) == 0;
  OPENSSL_cleanse(mac, sizeof mac);
  return ok ? Status::ok : Status::bad_signature;
}

}  // namespace

Status verify_signature(const Jwk& key, Alg alg, std::string_view input, const unsigned char* sig,
                        size_t sig_len) noexcept {
  if (!key.usable_with(alg)) return Status::key_not_found;
  Status st;
  switch (key.kty) {
    case KeyType::rsa: st = verify_rsa(key, alg, input, sig, sig_len); break;
    case KeyType::ec: st = verify_ec(key, alg, input, sig, sig_len); break;
    case KeyType::okp: st = verify_eddsa(key, input, sig, sig_len); break;
    case KeyType::oct: st = verify_hmac(key, alg, input, sig, sig_len); break;
    default: st = Status::internal;
  }
  // A failed verification leaves reasons in OpenSSL's thread-local queue; inside Node they
  // would leak into Node's own crypto error messages.
  if (st != Status::ok) ERR_clear_error();
  return st;
}

Error verify_with_key_set(const CompactJws& jws, const JwsHeader& header, const KeySet& keys,
                          const Jwk*& used) noexcept {
  used = nullptr;
  const Alg alg = header.alg;
  const auto* sig = reinterpret_cast<const unsigned char*>(jws.signature.data());
  size_t candidates = 0;
  for (const auto& key : keys.keys) {
    if (header.has_kid && !(key->has_kid && key->kid == header.kid)) continue;
    if (!key->usable_with(alg)) continue;
    if (!header.has_kid && candidates >= kMaxKidlessCandidates) break;
    ++candidates;
    const Status st = verify_signature(*key, alg, jws.signing_input, sig, jws.signature.size());
    if (st == Status::ok) {
      used = key.get();
      return {};
    }
    if (st != Status::bad_signature) return Error(st, "signature verification failed");
  }
  if (candidates == 0)
    return Error(Status::key_not_found,
                 header.has_kid ? "no " + std::string(alg_name(alg)) + " key with kid \"" + printable(header.kid) + "\""
                                : "no key for " + std::string(alg_name(alg)));
  return Error(Status::bad_signature, "signature does not verify");
}

}  // namespace oidcore::jose
