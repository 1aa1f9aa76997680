#include "jose/openssl_support.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "jose/jwk.hpp"

namespace oidcore::jose {
namespace {

struct Digests {
  const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  const EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
};

const Digests& digests() {
  // Fetched once; the references are held for the life of the process on purpose.
  static const Digests d;
  return d;
}

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

EVP_PKEY* from_params(const char* type, OSSL_PARAM* params) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0) return nullptr;
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) return nullptr;
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    EVP_PKEY_free(pkey);
    return nullptr;
  }
  return pkey;
}

}  // namespace

const EVP_MD* digest_for(Alg a) noexcept {
  switch (digest_size(a)) {
    case 32: return digests().sha256;
    case 48: return digests().sha384;
    case 64: return digests().sha512;
    default: return nullptr;
  }
}

bool sha256(const void* data, size_t len, unsigned char out[32]) noexcept {
  unsigned int out_len = 0;
  return EVP_Digest(data, len, out, &out_len, digests().sha256, nullptr) == 1 && out_len == 32;
}

EVP_PKEY* rsa_public_key(const unsigned char* n, size_t n_len, const unsigned char* e, size_t e_len) noexcept {
  std::unique_ptr<BIGNUM, BnFree> bn_n(BN_bin2bn(n, static_cast<int>(n_len), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(BN_bin2bn(e, static_cast<int>(e_len), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld) return nullptr;
  if (!OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
    return nullptr;
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return nullptr;
  return from_params("RSA", params.get());
}

EVP_PKEY* ec_public_key(Curve curve, const unsigned char* x, const unsigned char* y, size_t coord) noexcept {
  const char* group = curve == Curve::p256 ? "P-256" : curve == Curve::p384 ? "P-384" : "P-521";
  std::vector<unsigned char> point(1 + 2 * coord);
  point[0] = 0x04;  // uncompressed
  std::memcpy(point.data() + 1, x, coord);
  std::memcpy(point.data() + 1 + coord, y, coord);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  return from_params("EC", params);
}

EVP_PKEY_CTX* prepare_rsa_context(EVP_PKEY* pkey, Alg a) noexcept {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) <= 0) return nullptr;
  const EVP_MD* md = digest_for(a);
  const bool pss = a == Alg::PS256 || a == Alg::PS384 || a == Alg::PS512;
  if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) <= 0) return nullptr;
  if (EVP_PKEY_CTX_set_signature_md(ctx.get(), md) <= 0) return nullptr;
  if (pss) {
    // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash; checked exactly.
    if (EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) <= 0) return nullptr;
    if (EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) <= 0) return nullptr;
  }
  return ctx.release();
}

EVP_PKEY_CTX* prepare_ec_context(EVP_PKEY* pkey) noexcept {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) <= 0) return nullptr;
  return ctx.release();
}

EVP_MAC_CTX* prepare_hmac_context(const unsigned char* secret, size_t len, Alg a) noexcept {
  static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // held for the process
  const EVP_MD* md = digest_for(a);
  if (!hmac || !md || len == 0) return nullptr;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac);
  if (!ctx) return nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(EVP_MD_get0_name(md)), 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(ctx, secret, len, params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

namespace {

// One DER INTEGER of a non-negative big-endian value; returns the bytes written.
size_t der_integer(const unsigned char* v, size_t len, unsigned char* out) {
  size_t skip = 0;
  while (skip + 1 < len && v[skip] == 0) ++skip;
  const size_t body = len - skip;
  const bool pad = (v[skip] & 0x80) != 0;
  out[0] = 0x02;
  out[1] = static_cast<unsigned char>(body + pad);
  out[2] = 0x00;
  std::memcpy(out + 2 + pad, v + skip, body);
  return 2 + pad + body;
}

}  // namespace

size_t ecdsa_der_from_raw(const unsigned char* r, const unsigned char* s, size_t coord, unsigned char* out) noexcept {
  if (coord == 0 || coord > 66) return 0;
  unsigned char ints[2 * (2 + 67)];
  size_t n = der_integer(r, coord, ints);
  n += der_integer(s, coord, ints + n);
  // SEQUENCE: short-form length up to 127, else 0x81 and one length byte (n <= 138).
  size_t head = 0;
  out[head++] = 0x30;
  if (n >= 0x80) out[head++] = 0x81;
  out[head++] = static_cast<unsigned char>(n);
  std::memcpy(out + head, ints, n);
  return head + n;
}

bool x509_leaf_matches(const unsigned char* der, size_t len, const Jwk& key) noexcept {
  const unsigned char* p = der;
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(len));
  if (!cert) return false;
  bool match = false;
  if (p == der + len) {
    EVP_PKEY* cert_key = X509_get0_pubkey(cert);
    if (cert_key) {
      if (key.kty == KeyType::okp) {
        unsigned char raw[32];
        size_t raw_len = sizeof raw;
        match = EVP_PKEY_is_a(cert_key, "ED25519") &&
                EVP_PKEY_get_raw_public_key(cert_key, raw, &raw_len) == 1 && raw_len == 32 &&
                std::memcmp(raw, key.ed25519.data(), 32) == 0;
      } else if (key.pkey) {
        match = EVP_PKEY_eq(cert_key, key.pkey) == 1;
      }
    }
  }
  X509_free(cert);
  return match;
}

bool rsa_modulus_is_roca(const unsigned char* n, size_t len) noexcept {
  static constexpr unsigned kPrimes[] = {3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
                                         47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103,
                                         107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
  std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(n, static_cast<int>(len), nullptr));
  if (!bn) return false;
  for (unsigned p : kPrimes) {
    const BN_ULONG r = BN_mod_word(bn.get(), p);
    if (r == static_cast<BN_ULONG>(-1)) return false;
    // Walk the subgroup generated by 65537 mod p; a residue outside it clears the key.
    const unsigned g = 65537 % p;
    unsigned x = 1;
    bool in_subgroup = false;
    for (unsigned i = 0; i < p; ++i) {
      if (x == r) {
        in_subgroup = true;
        break;
      }
      x = (x * g) % p;
      if (x == 1) break;
    }
    if (!in_subgroup) return false;
  }
  return true;
}

namespace {

struct CurveOrders {
  std::array<unsigned char, 32> p256{};
  std::array<unsigned char, 48> p384{};
  std::array<unsigned char, 66> p521{};
  CurveOrders() {
    fill(NID_X9_62_prime256v1, p256.data(), p256.size());
    fill(NID_secp384r1, p384.data(), p384.size());
    fill(NID_secp521r1, p521.data(), p521.size());
  }
  static void fill(int nid, unsigned char* out, size_t len) {
    EC_GROUP* group = EC_GROUP_new_by_curve_name(nid);
    if (group) BN_bn2binpad(EC_GROUP_get0_order(group), out, static_cast<int>(len));
    EC_GROUP_free(group);
  }
};

}  // namespace

const unsigned char* ec_order(Curve c) noexcept {
  static const CurveOrders orders;
  switch (c) {
    case Curve::p256: return orders.p256.data();
    case Curve::p384: return orders.p384.data();
    case Curve::p521: return orders.p521.data();
    default: return nullptr;
  }
}

}  // namespace oidcore::jose
