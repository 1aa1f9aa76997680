// Test-support token and key factory. See token_factory.hpp.
//
// Only OpenSSL 3 EVP-level (non-deprecated) interfaces are used. ECDSA_SIG_*,
// i2d/d2i_ECDSA_SIG, PEM_write_bio_PUBKEY, i2d_PUBKEY and the
// EVP_PKEY_CTX_set_rsa_* helpers are all non-deprecated in OpenSSL 3.
#include "token_factory.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <simdjson.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace oidcore::testing {

namespace {

// ---------------------------------------------------------------------------
// Small RAII and error helpers
// ---------------------------------------------------------------------------

struct Free {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

[[noreturn]] void throw_openssl(const std::string& what) {
  std::string msg = what;
  unsigned long code = ERR_get_error();
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  ERR_clear_error();
  throw std::runtime_error("token_factory: " + msg);
}

void check(bool ok, std::string_view what) {
  if (!ok) throw_openssl(std::string(what));
}

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("token_factory: " + what); }

void ensure_sodium() {
  static const int rc = sodium_init();  // thread-safe, idempotent
  if (rc < 0) fail("sodium_init failed");
}

const unsigned char* bytes_of(std::string_view s) {
  // Never hand OpenSSL a null pointer for an empty buffer: some code paths
  // treat NULL as "no input" rather than "zero-length input".
  static const unsigned char kEmpty[1] = {0};
  return s.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

// ---------------------------------------------------------------------------
// Algorithms
// ---------------------------------------------------------------------------

enum class Family { rs, ps, es, eddsa, hs };

struct AlgInfo {
  Family family;
  const EVP_MD* md;       // nullptr for EdDSA
  const char* md_name;    // nullptr for EdDSA
};

AlgInfo alg_info(std::string_view alg) {
  auto sha = [](int bits) -> std::pair<const EVP_MD*, const char*> {
    switch (bits) {
      case 256: return {EVP_sha256(), "SHA256"};
      case 384: return {EVP_sha384(), "SHA384"};
      default: return {EVP_sha512(), "SHA512"};
    }
  };
  if (alg == "EdDSA") return {Family::eddsa, nullptr, nullptr};
  if (alg.size() == 5) {
    std::string_view prefix = alg.substr(0, 2), bits = alg.substr(2);
    int b = bits == "256" ? 256 : bits == "384" ? 384 : bits == "512" ? 512 : 0;
    if (b != 0) {
      auto [md, name] = sha(b);
      if (prefix == "RS") return {Family::rs, md, name};
      if (prefix == "PS") return {Family::ps, md, name};
      if (prefix == "ES") return {Family::es, md, name};
      if (prefix == "HS") return {Family::hs, md, name};
    }
  }
  throw std::invalid_argument("token_factory: unsupported alg '" + std::string(alg) + "'");
}

// ---------------------------------------------------------------------------
// Big-number helpers
// ---------------------------------------------------------------------------

Ptr<BIGNUM> bn_from_bytes(std::string_view be) {
  Ptr<BIGNUM> bn(BN_bin2bn(bytes_of(be), static_cast<int>(be.size()), nullptr));
  check(bn != nullptr, "BN_bin2bn");
  return bn;
}

// Minimal big-endian bytes (empty for zero).
std::string bn_bytes(const BIGNUM* bn) {
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  if (!out.empty()) BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string bn_bytes_padded(const BIGNUM* bn, size_t width) {
  std::string out(width, '\0');
  check(BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(width)) >= 0,
        "BN_bn2binpad (value too large)");
  return out;
}

// Fetches a BIGNUM parameter; returns nullptr when absent.
Ptr<BIGNUM> get_bn(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return Ptr<BIGNUM>(bn);
}

std::string left_pad(std::string v, size_t width, const char* what) {
  if (v.size() > width) fail(std::string(what) + " is longer than the coordinate size");
  return std::string(width - v.size(), '\0') + v;
}

// ---------------------------------------------------------------------------
// Curves
// ---------------------------------------------------------------------------

struct Curve {
  const char* crv;         // JWK name
  const char* group_name;  // OpenSSL group name
  size_t coord_size;
};
constexpr Curve kCurves[] = {
    {"P-256", "prime256v1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
};

const Curve* curve_by_crv(std::string_view crv) {
  for (const auto& c : kCurves)
    if (crv == c.crv) return &c;
  return nullptr;
}

const Curve& curve_of(const EVP_PKEY* pkey) {
  char name[64] = {0};
  size_t len = 0;
  check(EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) == 1,
        "EC group name");
  std::string_view n(name, len);
  for (const auto& c : kCurves)
    if (n == c.group_name) return c;
  fail("unsupported EC group " + std::string(n));
}

size_t coord_size_of(const EVP_PKEY* pkey) { return static_cast<size_t>((EVP_PKEY_get_bits(pkey) + 7) / 8); }

// ---------------------------------------------------------------------------
// Key import
// ---------------------------------------------------------------------------

Ptr<EVP_PKEY> pkey_fromdata(const char* type, OSSL_PARAM_BLD* bld, int selection) {
  Ptr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  check(params != nullptr, "OSSL_PARAM_BLD_to_param");
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  check(ctx != nullptr, "EVP_PKEY_CTX_new_from_name");
  check(EVP_PKEY_fromdata_init(ctx.get()) == 1, "EVP_PKEY_fromdata_init");
  EVP_PKEY* raw = nullptr;
  check(EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) == 1, std::string("EVP_PKEY_fromdata ") + type);
  return Ptr<EVP_PKEY>(raw);
}

KeyKind rsa_kind(int bits) {
  if (bits <= 1024) return KeyKind::rsa1024;
  if (bits <= 2048) return KeyKind::rsa2048;
  if (bits <= 3072) return KeyKind::rsa3072;
  return KeyKind::rsa4096;
}

KeyKind ec_kind(const Curve& c) {
  if (c.coord_size == 32) return KeyKind::p256;
  if (c.coord_size == 48) return KeyKind::p384;
  return KeyKind::p521;
}

}  // namespace

// ---------------------------------------------------------------------------
// Encoding helpers
// ---------------------------------------------------------------------------

std::string b64url(std::string_view bytes) {
  ensure_sodium();
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes_of(bytes), bytes.size(), variant);
  out.resize(out.size() - 1);  // drop the NUL terminator counted by ENCODED_LEN
  return out;
}

std::string b64url_decode(std::string_view s) {
  ensure_sodium();
  // Normalise: drop whitespace, map the standard alphabet onto the URL-safe
  // one, and strip trailing padding. libsodium then does the strict part
  // (alphabet, length, zero unused bits).
  std::string norm;
  norm.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case ' ': case '\t': case '\r': case '\n': break;
      case '+': norm.push_back('-'); break;
      case '/': norm.push_back('_'); break;
      default: norm.push_back(c);
    }
  }
  while (!norm.empty() && norm.back() == '=') norm.pop_back();

  std::string out(norm.size() / 4 * 3 + 3, '\0');
  size_t out_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), norm.data(), norm.size(),
                        nullptr, &out_len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != norm.data() + norm.size()) {
    fail("invalid base64url input '" + std::string(s.substr(0, 64)) + (s.size() > 64 ? "...'" : "'"));
  }
  out.resize(out_len);
  return out;
}

std::string json_string(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string hex(std::string_view bytes) {
  ensure_sodium();
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes_of(bytes), bytes.size());
  out.pop_back();
  return out;
}

std::string unhex(std::string_view hex_text) {
  ensure_sodium();
  std::string out(hex_text.size() / 2 + 1, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex_text.data(), hex_text.size(),
                     nullptr, &len, &end) != 0 ||
      end != hex_text.data() + hex_text.size()) {
    fail("invalid hex input");
  }
  out.resize(len);
  return out;
}

const char* to_string(KeyKind kind) {
  switch (kind) {
    case KeyKind::rsa2048: return "rsa2048";
    case KeyKind::rsa3072: return "rsa3072";
    case KeyKind::rsa4096: return "rsa4096";
    case KeyKind::rsa1024: return "rsa1024";
    case KeyKind::p256: return "p256";
    case KeyKind::p384: return "p384";
    case KeyKind::p521: return "p521";
    case KeyKind::ed25519: return "ed25519";
    case KeyKind::hmac: return "hmac";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// TestKey: lifetime
// ---------------------------------------------------------------------------

TestKey::TestKey(const TestKey& other)
    : kind_(other.kind_),
      kid_(other.kid_),
      pkey_(other.pkey_),
      secret_(other.secret_),
      has_private_(other.has_private_) {
  if (pkey_ != nullptr) EVP_PKEY_up_ref(pkey_);
}

TestKey::TestKey(TestKey&& other) noexcept
    : kind_(other.kind_),
      kid_(std::move(other.kid_)),
      pkey_(std::exchange(other.pkey_, nullptr)),
      secret_(std::move(other.secret_)),
      has_private_(other.has_private_) {}

TestKey& TestKey::operator=(const TestKey& other) {
  if (this != &other) {
    TestKey copy(other);
    *this = std::move(copy);
  }
  return *this;
}

TestKey& TestKey::operator=(TestKey&& other) noexcept {
  if (this != &other) {
    if (pkey_ != nullptr) EVP_PKEY_free(pkey_);
    kind_ = other.kind_;
    kid_ = std::move(other.kid_);
    pkey_ = std::exchange(other.pkey_, nullptr);
    secret_ = std::move(other.secret_);
    has_private_ = other.has_private_;
  }
  return *this;
}

TestKey::~TestKey() {
  if (pkey_ != nullptr) EVP_PKEY_free(pkey_);
}

// ---------------------------------------------------------------------------
// TestKey: construction
// ---------------------------------------------------------------------------

TestKey TestKey::generate(KeyKind kind, std::string kid, size_t hmac_len) {
  TestKey key;
  key.kind_ = kind;
  key.kid_ = std::move(kid);
  key.has_private_ = true;
  EVP_PKEY* pkey = nullptr;
  switch (kind) {
    case KeyKind::rsa1024: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024)); break;
    case KeyKind::rsa2048: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)); break;
    case KeyKind::rsa3072: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072)); break;
    case KeyKind::rsa4096: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(4096)); break;
    case KeyKind::p256: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1"); break;
    case KeyKind::p384: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp384r1"); break;
    case KeyKind::p521: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp521r1"); break;
    case KeyKind::ed25519: pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    case KeyKind::hmac: {
      key.secret_.assign(hmac_len, '\0');
      if (hmac_len > 0)
        check(RAND_bytes(reinterpret_cast<unsigned char*>(key.secret_.data()), static_cast<int>(hmac_len)) == 1,
              "RAND_bytes");
      return key;
    }
  }
  check(pkey != nullptr, std::string("key generation for ") + to_string(kind));
  key.pkey_ = pkey;
  return key;
}

TestKey TestKey::from_secret(std::string secret, std::string kid) {
  TestKey key;
  key.kind_ = KeyKind::hmac;
  key.kid_ = std::move(kid);
  key.secret_ = std::move(secret);
  key.has_private_ = true;
  return key;
}

TestKey TestKey::from_private_jwk(std::string_view jwk_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(jwk_json.data(), jwk_json.size()).get(root) != simdjson::SUCCESS) fail("JWK is not valid JSON");
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) fail("JWK is not a JSON object");

  // Optional string member; throws if present with a non-string value.
  auto member = [&](const char* name) -> std::optional<std::string> {
    auto field = obj[name];
    if (field.error() == simdjson::NO_SUCH_FIELD) return std::nullopt;
    std::string_view v;
    if (field.get_string().get(v) != simdjson::SUCCESS) fail(std::string("JWK member '") + name + "' is not a string");
    return std::string(v);
  };
  auto required_b64 = [&](const char* name) -> std::string {
    auto v = member(name);
    if (!v) fail(std::string("JWK lacks '") + name + "'");
    return b64url_decode(*v);
  };
  auto optional_b64 = [&](const char* name) -> std::optional<std::string> {
    auto v = member(name);
    if (!v) return std::nullopt;
    return b64url_decode(*v);
  };

  auto kty = member("kty");
  if (!kty) fail("JWK lacks 'kty'");

  TestKey key;
  key.kid_ = member("kid").value_or("");

  if (*kty == "oct") {
    key.kind_ = KeyKind::hmac;
    key.secret_ = required_b64("k");
    key.has_private_ = true;
    return key;
  }

  if (*kty == "RSA") {
    std::string n = required_b64("n"), e = required_b64("e");
    std::optional<std::string> d = optional_b64("d");
    const char* crt_names[] = {"p", "q", "dp", "dq", "qi"};
    const char* crt_params[] = {OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
                                OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
                                OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    std::vector<std::string> crt;
    for (const char* name : crt_names) {
      auto v = optional_b64(name);
      if (v) crt.push_back(std::move(*v));
    }
    if (!crt.empty() && crt.size() != 5) fail("RSA JWK has some but not all of p, q, dp, dq, qi");
    if (!crt.empty() && !d) fail("RSA JWK has CRT parameters but no 'd'");

    std::vector<Ptr<BIGNUM>> bns;  // must outlive OSSL_PARAM_BLD_to_param
    Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    check(bld != nullptr, "OSSL_PARAM_BLD_new");
    auto push = [&](const char* param, const std::string& value) {
      bns.push_back(bn_from_bytes(value));
      check(OSSL_PARAM_BLD_push_BN(bld.get(), param, bns.back().get()) == 1, "OSSL_PARAM_BLD_push_BN");
    };
    push(OSSL_PKEY_PARAM_RSA_N, n);
    push(OSSL_PKEY_PARAM_RSA_E, e);
    if (d) push(OSSL_PKEY_PARAM_RSA_D, *d);
    for (size_t i = 0; i < crt.size(); ++i) push(crt_params[i], crt[i]);

    Ptr<EVP_PKEY> pkey = pkey_fromdata("RSA", bld.get(), d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
    key.kind_ = rsa_kind(EVP_PKEY_get_bits(pkey.get()));
    key.has_private_ = d.has_value();
    key.pkey_ = pkey.release();
    return key;
  }

  if (*kty == "EC") {
    auto crv = member("crv");
    if (!crv) fail("EC JWK lacks 'crv'");
    const Curve* curve = curve_by_crv(*crv);
    if (curve == nullptr) fail("unsupported EC crv '" + *crv + "'");
    std::string x = left_pad(required_b64("x"), curve->coord_size, "x");
    std::string y = left_pad(required_b64("y"), curve->coord_size, "y");
    std::optional<std::string> d = optional_b64("d");
    std::string point = "\x04" + x + y;

    Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    check(bld != nullptr, "OSSL_PARAM_BLD_new");
    check(OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->group_name, 0) == 1,
          "push group");
    check(OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1,
          "push pub");
    Ptr<BIGNUM> priv;
    if (d) {
      priv = bn_from_bytes(*d);
      check(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) == 1, "push priv");
    }
    Ptr<EVP_PKEY> pkey = pkey_fromdata("EC", bld.get(), d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
    if (d) {
      // Make sure x/y really belong to d, otherwise the published key would
      // not verify what sign() produces.
      Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
      check(ctx != nullptr && EVP_PKEY_pairwise_check(ctx.get()) == 1, "EC JWK: d does not match x/y");
    }
    key.kind_ = ec_kind(*curve);
    key.has_private_ = d.has_value();
    key.pkey_ = pkey.release();
    return key;
  }

  if (*kty == "OKP") {
    auto crv = member("crv");
    if (!crv || *crv != "Ed25519") fail("only OKP crv 'Ed25519' is supported");
    std::string x = required_b64("x");
    std::optional<std::string> d = optional_b64("d");
    EVP_PKEY* raw = nullptr;
    if (d) {
      if (d->size() != 32) fail("Ed25519 'd' must be 32 bytes");
      raw = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(*d), d->size());
    } else {
      if (x.size() != 32) fail("Ed25519 'x' must be 32 bytes");
      raw = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(x), x.size());
    }
    check(raw != nullptr, "Ed25519 import");
    Ptr<EVP_PKEY> pkey(raw);
    if (d) {
      std::string pub(32, '\0');
      size_t len = pub.size();
      check(EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(pub.data()), &len) == 1,
            "EVP_PKEY_get_raw_public_key");
      if (pub != x) fail("Ed25519 JWK: x does not match d");
    }
    key.kind_ = KeyKind::ed25519;
    key.has_private_ = d.has_value();
    key.pkey_ = pkey.release();
    return key;
  }

  fail("unsupported kty '" + *kty + "'");
}

// ---------------------------------------------------------------------------
// TestKey: export
// ---------------------------------------------------------------------------

const char* TestKey::kty() const {
  switch (kind_) {
    case KeyKind::rsa1024:
    case KeyKind::rsa2048:
    case KeyKind::rsa3072:
    case KeyKind::rsa4096: return "RSA";
    case KeyKind::p256:
    case KeyKind::p384:
    case KeyKind::p521: return "EC";
    case KeyKind::ed25519: return "OKP";
    case KeyKind::hmac: return "oct";
  }
  return "?";
}

std::string TestKey::jwk_common(bool with_private, std::string_view extra_members) const {
  if (with_private && !has_private_) fail("private_jwk() on a public-only key");
  std::string out = "{\"kty\":";
  out += json_string(kty());
  if (!kid_.empty()) out += ",\"kid\":" + json_string(kid_);
  auto add = [&](const char* name, std::string_view raw_bytes) {
    out += ",\"";
    out += name;
    out += "\":\"";
    out += b64url(raw_bytes);
    out += '"';
  };

  if (kind_ == KeyKind::hmac) {
    add("k", secret_);
  } else if (EVP_PKEY_is_a(pkey_, "RSA")) {
    auto n = get_bn(pkey_, OSSL_PKEY_PARAM_RSA_N), e = get_bn(pkey_, OSSL_PKEY_PARAM_RSA_E);
    if (!n || !e) fail("RSA key without n/e");
    add("n", bn_bytes(n.get()));
    add("e", bn_bytes(e.get()));
    if (with_private) {
      auto d = get_bn(pkey_, OSSL_PKEY_PARAM_RSA_D);
      if (!d) fail("RSA key without d");
      add("d", bn_bytes(d.get()));
      const std::pair<const char*, const char*> crt[] = {
          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},     {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
          {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},  {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
          {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
      std::vector<std::pair<const char*, std::string>> values;
      for (const auto& [jwk_name, param] : crt) {
        auto v = get_bn(pkey_, param);
        if (v) values.emplace_back(jwk_name, bn_bytes(v.get()));
      }
      if (values.size() == 5)
        for (const auto& [jwk_name, v] : values) add(jwk_name, v);
    }
  } else if (EVP_PKEY_is_a(pkey_, "EC")) {
    const Curve& c = curve_of(pkey_);
    out += ",\"crv\":" + json_string(c.crv);
    auto x = get_bn(pkey_, OSSL_PKEY_PARAM_EC_PUB_X), y = get_bn(pkey_, OSSL_PKEY_PARAM_EC_PUB_Y);
    if (!x || !y) fail("EC key without public point");
    add("x", bn_bytes_padded(x.get(), c.coord_size));
    add("y", bn_bytes_padded(y.get(), c.coord_size));
    if (with_private) {
      auto d = get_bn(pkey_, OSSL_PKEY_PARAM_PRIV_KEY);
      if (!d) fail("EC key without d");
      add("d", bn_bytes_padded(d.get(), c.coord_size));
    }
  } else if (EVP_PKEY_is_a(pkey_, "ED25519")) {
    out += ",\"crv\":\"Ed25519\"";
    std::string pub(32, '\0');
    size_t len = pub.size();
    check(EVP_PKEY_get_raw_public_key(pkey_, reinterpret_cast<unsigned char*>(pub.data()), &len) == 1,
          "EVP_PKEY_get_raw_public_key");
    add("x", std::string_view(pub).substr(0, len));
    if (with_private) {
      std::string priv(32, '\0');
      len = priv.size();
      check(EVP_PKEY_get_raw_private_key(pkey_, reinterpret_cast<unsigned char*>(priv.data()), &len) == 1,
            "EVP_PKEY_get_raw_private_key");
      add("d", std::string_view(priv).substr(0, len));
    }
  } else {
    fail("unsupported key type");
  }

  if (!extra_members.empty()) {
    out += ',';
    out += extra_members;
  }
  out += '}';
  return out;
}

std::string TestKey::public_jwk(std::string_view extra_members) const { return jwk_common(false, extra_members); }

std::string TestKey::private_jwk(std::string_view extra_members) const { return jwk_common(true, extra_members); }

std::string TestKey::jwks(std::string_view extra_members) const {
  return "{\"keys\":[" + public_jwk(extra_members) + "]}";
}

std::string TestKey::spki_pem() const {
  if (pkey_ == nullptr) fail("spki_pem() on an oct key");
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  check(bio != nullptr, "BIO_new");
  check(PEM_write_bio_PUBKEY(bio.get(), pkey_) == 1, "PEM_write_bio_PUBKEY");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string TestKey::spki_der() const {
  if (pkey_ == nullptr) fail("spki_der() on an oct key");
  int len = i2d_PUBKEY(pkey_, nullptr);
  check(len > 0, "i2d_PUBKEY");
  std::string out(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  check(i2d_PUBKEY(pkey_, &p) == len, "i2d_PUBKEY");
  return out;
}

// ---------------------------------------------------------------------------
// TestKey: signing
// ---------------------------------------------------------------------------

std::string TestKey::sign(std::string_view alg, std::string_view signing_input) const {
  const AlgInfo info = alg_info(alg);
  const std::string alg_s(alg);

  if (info.family == Family::hs) {
    if (kind_ != KeyKind::hmac)
      throw std::invalid_argument("token_factory: " + alg_s + " needs an oct key (use hmac() for alg confusion)");
    return hmac(alg, secret_, signing_input);
  }

  if (pkey_ == nullptr || !has_private_)
    throw std::invalid_argument("token_factory: " + alg_s + " needs an asymmetric private key");
  const char* want = info.family == Family::es ? "EC" : info.family == Family::eddsa ? "ED25519" : "RSA";
  if (!EVP_PKEY_is_a(pkey_, want))
    throw std::invalid_argument("token_factory: " + alg_s + " needs a " + want + " key, not " + kty());

  Ptr<EVP_MD_CTX> mctx(EVP_MD_CTX_new());
  check(mctx != nullptr, "EVP_MD_CTX_new");
  EVP_PKEY_CTX* pctx = nullptr;  // owned by mctx
  check(EVP_DigestSignInit(mctx.get(), &pctx, info.md, nullptr, pkey_) == 1, "EVP_DigestSignInit");
  if (info.family == Family::rs) {
    check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1, "set PKCS#1 v1.5 padding");
  } else if (info.family == Family::ps) {
    check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1, "set PSS padding");
    check(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, info.md) == 1, "set MGF1 digest");
    check(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1, "set PSS salt length");
  }

  size_t len = 0;
  check(EVP_DigestSign(mctx.get(), nullptr, &len, bytes_of(signing_input), signing_input.size()) == 1,
        "EVP_DigestSign (size)");
  std::string sig(len, '\0');
  check(EVP_DigestSign(mctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes_of(signing_input),
                       signing_input.size()) == 1,
        "EVP_DigestSign");
  sig.resize(len);

  if (info.family == Family::es) return ecdsa_der_to_raw(sig, coord_size_of(pkey_));
  return sig;
}

// ---------------------------------------------------------------------------
// Free functions
// ---------------------------------------------------------------------------

std::string hmac(std::string_view alg, std::string_view key, std::string_view data) {
  const AlgInfo info = alg_info(alg);
  if (info.family != Family::hs) throw std::invalid_argument("token_factory: hmac() needs HS256/HS384/HS512");
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t out_len = 0;
  check(EVP_Q_mac(nullptr, "HMAC", nullptr, info.md_name, nullptr, bytes_of(key), key.size(), bytes_of(data),
                  data.size(), out, sizeof out, &out_len) != nullptr,
        "EVP_Q_mac");
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

std::string make_jws(const TestKey& key, std::string_view alg, std::string_view header_json,
                     std::string_view payload_json) {
  std::string input = b64url(header_json) + "." + b64url(payload_json);
  std::string sig = key.sign(alg, input);
  return input + "." + b64url(sig);
}

std::string make_jws_hmac(std::string_view alg, std::string_view secret, std::string_view header_json,
                          std::string_view payload_json) {
  std::string input = b64url(header_json) + "." + b64url(payload_json);
  return input + "." + b64url(hmac(alg, secret, input));
}

std::string make_jws_unsigned(std::string_view header_json, std::string_view payload_json) {
  return b64url(header_json) + "." + b64url(payload_json) + ".";
}

std::string jwt_header(std::string_view alg, std::string_view kid) {
  std::string h = "{\"alg\":" + json_string(alg) + ",\"typ\":\"JWT\"";
  if (!kid.empty()) h += ",\"kid\":" + json_string(kid);
  h += '}';
  return h;
}

std::string make_jwt(const TestKey& key, std::string_view alg, std::string_view payload_json) {
  return make_jws(key, alg, jwt_header(alg, key.kid()), payload_json);
}

std::string make_jwks(const std::vector<std::string>& jwk_objects) {
  std::string out = "{\"keys\":[";
  for (size_t i = 0; i < jwk_objects.size(); ++i) {
    if (i != 0) out += ',';
    out += jwk_objects[i];
  }
  out += "]}";
  return out;
}

std::vector<std::string> split_compact(std::string_view token) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = token.find('.', start);
    if (dot == std::string_view::npos) {
      parts.emplace_back(token.substr(start));
      return parts;
    }
    parts.emplace_back(token.substr(start, dot - start));
    start = dot + 1;
  }
}

std::string ecdsa_raw_to_der(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0) fail("ecdsa_raw_to_der: raw signature must have a non-zero even length");
  const size_t half = raw.size() / 2;
  Ptr<BIGNUM> r = bn_from_bytes(raw.substr(0, half));
  Ptr<BIGNUM> s = bn_from_bytes(raw.substr(half));
  Ptr<ECDSA_SIG> sig(ECDSA_SIG_new());
  check(sig != nullptr, "ECDSA_SIG_new");
  check(ECDSA_SIG_set0(sig.get(), r.get(), s.get()) == 1, "ECDSA_SIG_set0");
  r.release();  // now owned by sig
  s.release();
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  check(len > 0, "i2d_ECDSA_SIG");
  std::string out(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  check(i2d_ECDSA_SIG(sig.get(), &p) == len, "i2d_ECDSA_SIG");
  return out;
}

std::string ecdsa_der_to_raw(std::string_view der, size_t coord_size) {
  const unsigned char* p = bytes_of(der);
  Ptr<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  check(sig != nullptr, "d2i_ECDSA_SIG");
  if (p != bytes_of(der) + der.size()) fail("ecdsa_der_to_raw: trailing bytes after ECDSA-Sig-Value");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  return bn_bytes_padded(r, coord_size) + bn_bytes_padded(s, coord_size);
}

}  // namespace oidcore::testing
