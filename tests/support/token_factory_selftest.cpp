// Sanity tests for the test-support token factory: every token it signs must
// verify under OpenSSL used directly (independently of the factory's own
// code paths), and deterministic algorithms must reproduce published RFC
// examples byte for byte.
#include "token_factory.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tf = oidcore::testing;
using tf::KeyKind;
using tf::TestKey;

namespace {

// ---------------------------------------------------------------------------
// Independent OpenSSL verification (does not call into the factory)
// ---------------------------------------------------------------------------

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(EVP_MD* p) const { EVP_MD_free(p); }
  void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

const char* digest_name(std::string_view alg) {
  std::string_view bits = alg.substr(2);
  if (bits == "256") return "SHA256";
  if (bits == "384") return "SHA384";
  return "SHA512";
}

// Raw r||s -> DER, written here independently of tf::ecdsa_raw_to_der.
std::string raw_to_der_independent(std::string_view raw) {
  const int half = static_cast<int>(raw.size() / 2);
  Ptr<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(u8(raw), half, nullptr);
  BIGNUM* s = BN_bin2bn(u8(raw) + half, half, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) throw std::runtime_error("ECDSA_SIG");
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) throw std::runtime_error("i2d_ECDSA_SIG");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string hmac_independent(std::string_view alg, std::string_view key, std::string_view data) {
  Ptr<EVP_MAC> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  Ptr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(mac.get()));
  std::string digest = digest_name(alg);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
                         OSSL_PARAM_construct_end()};
  static const unsigned char kZero = 0;
  if (!ctx || EVP_MAC_init(ctx.get(), key.empty() ? &kZero : u8(key), key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), u8(data), data.size()) != 1)
    throw std::runtime_error("EVP_MAC");
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out, &len, sizeof out) != 1) throw std::runtime_error("EVP_MAC_final");
  return std::string(reinterpret_cast<char*>(out), len);
}

// Verifies a JWS signature with OpenSSL directly. The public key comes from
// SPKI DER (d2i_PUBKEY); HS* uses `hmac_key` and EVP_MAC.
bool openssl_verify(std::string_view alg, std::string_view spki_der, std::string_view hmac_key,
                    std::string_view signing_input, std::string_view sig,
                    int pss_saltlen = RSA_PSS_SALTLEN_DIGEST) {
  if (alg.substr(0, 2) == "HS") {
    std::string mac = hmac_independent(alg, hmac_key, signing_input);
    return mac.size() == sig.size() && CRYPTO_memcmp(mac.data(), sig.data(), mac.size()) == 0;
  }
  const unsigned char* p = u8(spki_der);
  Ptr<EVP_PKEY> pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (!pkey) throw std::runtime_error("d2i_PUBKEY");

  Ptr<EVP_MD_CTX> mctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const bool eddsa = alg == "EdDSA";
  const char* md = eddsa ? nullptr : digest_name(alg);
  if (EVP_DigestVerifyInit_ex(mctx.get(), &pctx, md, nullptr, nullptr, pkey.get(), nullptr) != 1)
    throw std::runtime_error("EVP_DigestVerifyInit_ex");

  std::string sig_bytes(sig);
  if (alg.substr(0, 2) == "PS") {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md, nullptr) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_saltlen) != 1)
      throw std::runtime_error("PSS params");
  } else if (alg.substr(0, 2) == "RS") {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) throw std::runtime_error("PKCS1 padding");
  } else if (alg.substr(0, 2) == "ES") {
    const size_t coord = static_cast<size_t>((EVP_PKEY_get_bits(pkey.get()) + 7) / 8);
    if (sig.size() != 2 * coord) return false;  // JWS requires fixed-length r||s
    sig_bytes = raw_to_der_independent(sig);
  }
  int rc = EVP_DigestVerify(mctx.get(), u8(sig_bytes), sig_bytes.size(), u8(signing_input), signing_input.size());
  ERR_clear_error();
  return rc == 1;
}

bool verify_token(const TestKey& key, std::string_view alg, std::string_view token) {
  auto parts = tf::split_compact(token);
  if (parts.size() != 3) return false;
  std::string input = parts[0] + "." + parts[1];
  std::string spki = key.kind() == KeyKind::hmac ? std::string() : key.spki_der();
  return openssl_verify(alg, spki, key.secret(), input, tf::b64url_decode(parts[2]));
}

// One key per kind, generated once (RSA-4096 generation is slow).
const TestKey& cached_key(KeyKind kind) {
  static std::mutex mu;
  static std::map<KeyKind, TestKey> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(kind);
  if (it == cache.end())
    it = cache.emplace(kind, TestKey::generate(kind, std::string("kid-") + tf::to_string(kind))).first;
  return it->second;
}

// ---------------------------------------------------------------------------
// Round trip for every algorithm
// ---------------------------------------------------------------------------

struct AlgCase {
  const char* alg;
  KeyKind kind;
  size_t sig_size;
};

// Readable parameter names in gtest output.
void PrintTo(const AlgCase& c, std::ostream* os) { *os << c.alg << "/" << tf::to_string(c.kind); }

class RoundTrip : public ::testing::TestWithParam<AlgCase> {};

TEST_P(RoundTrip, SignsWhatOpenSslVerifies) {
  const AlgCase& c = GetParam();
  const TestKey& key = cached_key(c.kind);
  const std::string header = tf::jwt_header(c.alg, key.kid());
  const std::string payload = R"({"iss":"https://issuer.example","sub":"alice","aud":"client-1","exp":4102444800})";

  const std::string token = tf::make_jws(key, c.alg, header, payload);
  auto parts = tf::split_compact(token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(tf::b64url_decode(parts[0]), header);
  EXPECT_EQ(tf::b64url_decode(parts[1]), payload);
  const std::string sig = tf::b64url_decode(parts[2]);
  EXPECT_EQ(sig.size(), c.sig_size);
  EXPECT_EQ(tf::b64url(sig), parts[2]);

  const std::string input = parts[0] + "." + parts[1];
  const std::string spki = c.kind == KeyKind::hmac ? std::string() : key.spki_der();
  EXPECT_TRUE(openssl_verify(c.alg, spki, key.secret(), input, sig));

  // The verifier is not trivially true: tampering must be detected.
  std::string bad_input = input;
  bad_input[bad_input.size() - 1] ^= 0x01;
  EXPECT_FALSE(openssl_verify(c.alg, spki, key.secret(), bad_input, sig));
  std::string bad_sig = sig;
  bad_sig[bad_sig.size() / 2] ^= 0x01;
  EXPECT_FALSE(openssl_verify(c.alg, spki, key.secret(), input, bad_sig));

  // make_jwt builds the documented header.
  const std::string jwt = tf::make_jwt(key, c.alg, payload);
  auto jwt_parts = tf::split_compact(jwt);
  ASSERT_EQ(jwt_parts.size(), 3u);
  EXPECT_EQ(tf::b64url_decode(jwt_parts[0]),
            std::string("{\"alg\":\"") + c.alg + "\",\"typ\":\"JWT\",\"kid\":\"" + key.kid() + "\"}");
  EXPECT_TRUE(verify_token(key, c.alg, jwt));

  const std::string family = std::string(c.alg).substr(0, 2);
  if (family == "PS") {
    // Salt length is exactly the digest length: a verifier insisting on an
    // empty salt must refuse the signature.
    EXPECT_FALSE(openssl_verify(c.alg, spki, "", input, sig, 0));
  }
  if (family == "ES") {
    // Raw r||s converts to the same DER as an independent conversion, and back.
    const std::string der = tf::ecdsa_raw_to_der(sig);
    EXPECT_EQ(der, raw_to_der_independent(sig));
    EXPECT_EQ(tf::ecdsa_der_to_raw(der, sig.size() / 2), sig);
  }
  if (family == "HS") {
    // Deterministic: the key-based and the secret-based paths agree.
    EXPECT_EQ(tf::make_jws_hmac(c.alg, key.secret(), header, payload), token);
  }
  if (family == "RS" || c.kind == KeyKind::ed25519) {
    EXPECT_EQ(tf::make_jws(key, c.alg, header, payload), token) << "deterministic algorithm";
  }
}

const AlgCase kAlgCases[] = {
    {"RS256", KeyKind::rsa2048, 256}, {"RS384", KeyKind::rsa3072, 384}, {"RS512", KeyKind::rsa4096, 512},
    {"RS256", KeyKind::rsa1024, 128}, {"PS256", KeyKind::rsa2048, 256}, {"PS384", KeyKind::rsa3072, 384},
    {"PS512", KeyKind::rsa4096, 512}, {"ES256", KeyKind::p256, 64},     {"ES384", KeyKind::p384, 96},
    {"ES512", KeyKind::p521, 132},    {"EdDSA", KeyKind::ed25519, 64},  {"HS256", KeyKind::hmac, 32},
    {"HS384", KeyKind::hmac, 48},     {"HS512", KeyKind::hmac, 64},
};

INSTANTIATE_TEST_SUITE_P(AllAlgs, RoundTrip, ::testing::ValuesIn(kAlgCases),
                         [](const ::testing::TestParamInfo<AlgCase>& info) {
                           return std::string(info.param.alg) + "_" + tf::to_string(info.param.kind);
                         });

// ---------------------------------------------------------------------------
// JWK export / import
// ---------------------------------------------------------------------------

class JwkRoundTrip : public ::testing::TestWithParam<KeyKind> {};

TEST_P(JwkRoundTrip, PrivateJwkReimportsToTheSameKey) {
  const TestKey& key = cached_key(GetParam());
  const TestKey back = TestKey::from_private_jwk(key.private_jwk());
  EXPECT_EQ(back.kind(), key.kind());
  EXPECT_EQ(back.kid(), key.kid());
  EXPECT_TRUE(back.has_private());
  EXPECT_EQ(back.public_jwk(), key.public_jwk());
  EXPECT_EQ(back.private_jwk(), key.private_jwk());

  const char* alg = nullptr;
  switch (GetParam()) {
    case KeyKind::p256: alg = "ES256"; break;
    case KeyKind::p384: alg = "ES384"; break;
    case KeyKind::p521: alg = "ES512"; break;
    case KeyKind::ed25519: alg = "EdDSA"; break;
    case KeyKind::hmac: alg = "HS256"; break;
    default: alg = "PS256";
  }
  EXPECT_TRUE(verify_token(key, alg, tf::make_jwt(back, alg, R"({"sub":"x"})")));

  if (GetParam() != KeyKind::hmac) {
    EXPECT_EQ(back.spki_der(), key.spki_der());
    const TestKey pub = TestKey::from_private_jwk(key.public_jwk());
    EXPECT_FALSE(pub.has_private());
    EXPECT_EQ(pub.spki_der(), key.spki_der());
    EXPECT_EQ(pub.public_jwk(), key.public_jwk());
    EXPECT_THROW(pub.sign(alg, "x.y"), std::invalid_argument);
    EXPECT_THROW(pub.private_jwk(), std::runtime_error);
  }
}

INSTANTIATE_TEST_SUITE_P(AllKinds, JwkRoundTrip,
                         ::testing::Values(KeyKind::rsa2048, KeyKind::p256, KeyKind::p384, KeyKind::p521,
                                           KeyKind::ed25519, KeyKind::hmac),
                         [](const ::testing::TestParamInfo<KeyKind>& info) { return tf::to_string(info.param); });

TEST(TokenFactory, PublicJwkShape) {
  TestKey ec = TestKey::generate(KeyKind::p256, "k\"1");
  const std::string jwk = ec.public_jwk(R"("alg":"ES256","use":"sig")");
  EXPECT_EQ(jwk.rfind(R"({"kty":"EC","kid":"k\"1","crv":"P-256","x":")", 0), 0u) << jwk;
  EXPECT_NE(jwk.find(R"(,"alg":"ES256","use":"sig"})"), std::string::npos) << jwk;
  EXPECT_EQ(jwk.find("\"d\""), std::string::npos);
  EXPECT_EQ(ec.jwks(), "{\"keys\":[" + ec.public_jwk() + "]}");

  TestKey oct = TestKey::from_secret("secret", "");
  EXPECT_EQ(oct.public_jwk(), R"({"kty":"oct","k":"c2VjcmV0"})");
  EXPECT_THROW(oct.spki_pem(), std::runtime_error);

  TestKey ed = TestKey::generate(KeyKind::ed25519);
  EXPECT_EQ(ed.public_jwk().rfind(R"({"kty":"OKP","crv":"Ed25519","x":")", 0), 0u);
  EXPECT_EQ(ed.spki_pem().rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);

  EXPECT_EQ(tf::make_jwks({"{\"a\":1}", "{\"b\":2}"}), R"({"keys":[{"a":1},{"b":2}]})");
  EXPECT_EQ(TestKey::generate(KeyKind::hmac, "", 0).secret(), "");
  EXPECT_EQ(TestKey::generate(KeyKind::hmac, "", 17).secret().size(), 17u);
}

TEST(TokenFactory, CopyAndMoveShareTheKey) {
  TestKey a = TestKey::generate(KeyKind::p256, "a");
  TestKey b = a;  // EVP_PKEY_up_ref
  TestKey c = std::move(a);
  EXPECT_EQ(b.public_jwk(), c.public_jwk());
  b = c;
  c = TestKey::generate(KeyKind::hmac);
  EXPECT_EQ(b.kid(), "a");
  EXPECT_TRUE(verify_token(b, "ES256", tf::make_jwt(b, "ES256", "{}")));
}

TEST(TokenFactory, RejectsMisuse) {
  const TestKey& rsa = cached_key(KeyKind::rsa2048);
  const TestKey& ec = cached_key(KeyKind::p256);
  EXPECT_THROW(ec.sign("RS256", "a.b"), std::invalid_argument);
  EXPECT_THROW(rsa.sign("ES256", "a.b"), std::invalid_argument);
  EXPECT_THROW(rsa.sign("HS256", "a.b"), std::invalid_argument);
  EXPECT_THROW(rsa.sign("none", "a.b"), std::invalid_argument);
  EXPECT_THROW(rsa.sign("RS1", "a.b"), std::invalid_argument);
  EXPECT_THROW(tf::hmac("RS256", "k", "d"), std::invalid_argument);
  EXPECT_THROW(TestKey::from_private_jwk("not json"), std::runtime_error);
  EXPECT_THROW(TestKey::from_private_jwk(R"({"kty":"EC","crv":"P-256"})"), std::runtime_error);
  EXPECT_THROW(TestKey::from_private_jwk(R"({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})"),
               std::runtime_error);
  EXPECT_THROW(TestKey::from_private_jwk(R"({"kty":"oct","k":7})"), std::runtime_error);
  // EC "d" that does not belong to x/y.
  std::string other_d = tf::b64url(std::string(31, '\0') + "\x05");
  std::string jwk = ec.public_jwk(R"("d":")" + other_d + "\"");
  EXPECT_THROW(TestKey::from_private_jwk(jwk), std::runtime_error);
}

// An ES256 signature made with a P-384 key: the factory does not enforce the
// curve/alg pairing, so mismatch tests can be built.
TEST(TokenFactory, AllowsCurveMismatchForAttackTests) {
  const TestKey& p384 = cached_key(KeyKind::p384);
  const std::string sig = p384.sign("ES256", "a.b");
  EXPECT_EQ(sig.size(), 96u);
}

// ---------------------------------------------------------------------------
// Encoding helpers
// ---------------------------------------------------------------------------

TEST(TokenFactory, Base64Url) {
  // RFC 4648 section 10 (without padding).
  const std::pair<const char*, const char*> v[] = {{"", ""},         {"f", "Zg"},         {"fo", "Zm8"},
                                                   {"foo", "Zm9v"},  {"foob", "Zm9vYg"},  {"fooba", "Zm9vYmE"},
                                                   {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : v) {
    EXPECT_EQ(tf::b64url(plain), enc);
    EXPECT_EQ(tf::b64url_decode(enc), plain);
  }
  EXPECT_EQ(tf::b64url("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(tf::b64url(std::string("\0\0", 2)), "AAA");
  // Lenient decoding: padding, standard alphabet, whitespace.
  EXPECT_EQ(tf::b64url_decode("Zg=="), "f");
  EXPECT_EQ(tf::b64url_decode("+/+/"), "\xfb\xff\xbf");
  EXPECT_EQ(tf::b64url_decode("Zm9v\nYmFy "), "foobar");
  // Still rejects garbage.
  EXPECT_THROW(tf::b64url_decode("Zm9v!"), std::runtime_error);
  EXPECT_THROW(tf::b64url_decode("Z"), std::runtime_error);
  EXPECT_THROW(tf::b64url_decode("Zh"), std::runtime_error);  // non-zero unused bits
  EXPECT_THROW(tf::b64url_decode("Zg=A"), std::runtime_error);

  EXPECT_EQ(tf::hex("\x01\xab"), "01ab");
  EXPECT_EQ(tf::unhex("01AB"), "\x01\xab");
  EXPECT_THROW(tf::unhex("0g"), std::runtime_error);
  EXPECT_EQ(tf::json_string("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
  EXPECT_EQ(tf::split_compact("a.b..c.").size(), 5u);
  EXPECT_EQ(tf::make_jws_unsigned(R"({"alg":"none"})", "{}"), "eyJhbGciOiJub25lIn0.e30.");
}

// RFC 4231 test case 1 and HMAC with an empty key.
TEST(TokenFactory, HmacKnownAnswers) {
  const std::string key(20, '\x0b');
  EXPECT_EQ(tf::hex(tf::hmac("HS256", key, "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(tf::hex(tf::hmac("HS384", key, "Hi There")),
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
            "faea9ea9076ede7f4af152e8b2fa9cb6");
  EXPECT_EQ(tf::hex(tf::hmac("HS512", key, "Hi There")),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
  EXPECT_EQ(tf::hex(tf::hmac("HS256", "", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(tf::hmac("HS256", "", "x"), hmac_independent("HS256", "", "x"));
}

// ---------------------------------------------------------------------------
// Known answers from the RFCs (deterministic algorithms reproduce the
// published tokens exactly; ECDSA tokens must verify)
// ---------------------------------------------------------------------------

// Rebuilds a published compact token from its decoded header and payload.
std::string rebuild(const TestKey& key, std::string_view alg, std::string_view token) {
  auto parts = tf::split_compact(token);
  return tf::make_jws(key, alg, tf::b64url_decode(parts[0]), tf::b64url_decode(parts[1]));
}

constexpr const char* kRfc7515A1Token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

constexpr const char* kRfc7515A2Jwk =
    R"({"kty":"RSA",)"
    R"("n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",)"
    R"("e":"AQAB",)"
    R"("d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",)"
    R"("p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",)"
    R"("q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",)"
    R"("dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",)"
    R"("dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",)"
    R"("qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"})";

constexpr const char* kRfc7515A2Token =
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t"
    "1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jz"
    "DwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe"
    "77Rw";

// Derived attack vector: A.2 payload, header {"alg":"HS256"}, MAC keyed with
// the PEM text of the A.2 RSA public key.
constexpr const char* kRfc7515A2AlgConfusionToken =
    "eyJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "c8Tg3ipPrf5_HrYg61gCx0plq6GU74R-LeYmADiLgfs";

constexpr const char* kRfc7515A3Jwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";

constexpr const char* kRfc7515A3Token =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// Derived attack vector: the A.3 signature re-encoded as DER.
constexpr const char* kRfc7515A3DerSig =
    "MEUCIA7RIVN5Y2xIPC9_FVgH1AKjsigDOvl8fheBmsMWnqZlAiEAxQoH04w8cOXY8S2vCEpUgKZlkMXyk1Cajz9_ioOjVNU";

constexpr const char* kRfc7520Oct =
    R"({"kty":"oct","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037","use":"sig","alg":"HS256",)"
    R"("k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"})";

constexpr const char* kRfc7520HsToken =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9."
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5k"
    "IGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4."
    "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";

constexpr const char* kRfc8037Jwk =
    R"({"kty":"OKP","use":"sig","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",)"
    R"("d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"})";

constexpr const char* kRfc8037Token =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

TEST(RfcKnownAnswers, Rfc7515A1Hs256) {
  const TestKey key = TestKey::from_private_jwk(
      R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})");
  EXPECT_EQ(rebuild(key, "HS256", kRfc7515A1Token), kRfc7515A1Token);
  auto parts = tf::split_compact(kRfc7515A1Token);
  EXPECT_EQ(tf::make_jws_hmac("HS256", key.secret(), tf::b64url_decode(parts[0]), tf::b64url_decode(parts[1])),
            kRfc7515A1Token);
}

TEST(RfcKnownAnswers, Rfc7515A2Rs256) {
  const TestKey key = TestKey::from_private_jwk(kRfc7515A2Jwk);
  EXPECT_EQ(key.kind(), KeyKind::rsa2048);
  EXPECT_EQ(rebuild(key, "RS256", kRfc7515A2Token), kRfc7515A2Token);
  EXPECT_TRUE(verify_token(key, "RS256", kRfc7515A2Token));
  const std::string pub = key.public_jwk();
  EXPECT_EQ(pub.rfind(R"({"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-)", 0),
            0u);
  EXPECT_NE(pub.find(R"(54h4FRWyuXpoQ","e":"AQAB"})"), std::string::npos) << pub;

  // RSA import from n, e, d only (no CRT parameters) still signs correctly.
  std::string ned = std::string(kRfc7515A2Jwk);
  ned = ned.substr(0, ned.find(",\"p\":")) + "}";
  EXPECT_EQ(rebuild(TestKey::from_private_jwk(ned), "RS256", kRfc7515A2Token), kRfc7515A2Token);
}

TEST(RfcKnownAnswers, AlgConfusionWithPemAsHmacKey) {
  const TestKey key = TestKey::from_private_jwk(kRfc7515A2Jwk);
  const std::string pem = key.spki_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
  EXPECT_EQ(pem.substr(pem.size() - 25), "-----END PUBLIC KEY-----\n");
  auto parts = tf::split_compact(kRfc7515A2AlgConfusionToken);
  EXPECT_EQ(tf::make_jws_hmac("HS256", pem, R"({"alg":"HS256"})", tf::b64url_decode(parts[1])),
            kRfc7515A2AlgConfusionToken);
}

TEST(RfcKnownAnswers, Rfc7515A3Es256) {
  const TestKey key = TestKey::from_private_jwk(kRfc7515A3Jwk);
  EXPECT_EQ(key.kind(), KeyKind::p256);
  EXPECT_TRUE(verify_token(key, "ES256", kRfc7515A3Token));
  EXPECT_TRUE(verify_token(key, "ES256", rebuild(key, "ES256", kRfc7515A3Token)));
  // "DER instead of raw" attack vector.
  auto parts = tf::split_compact(kRfc7515A3Token);
  const std::string raw = tf::b64url_decode(parts[2]);
  EXPECT_EQ(tf::b64url(tf::ecdsa_raw_to_der(raw)), kRfc7515A3DerSig);
  EXPECT_EQ(tf::ecdsa_der_to_raw(tf::b64url_decode(kRfc7515A3DerSig), 32), raw);
}

TEST(RfcKnownAnswers, Rfc7520Hs256WithKid) {
  const TestKey key = TestKey::from_private_jwk(kRfc7520Oct);
  EXPECT_EQ(key.kid(), "018c0ae5-4d9b-471b-bfd6-eef314bc7037");
  EXPECT_EQ(rebuild(key, "HS256", kRfc7520HsToken), kRfc7520HsToken);
}

TEST(RfcKnownAnswers, Rfc8037Ed25519) {
  const TestKey key = TestKey::from_private_jwk(kRfc8037Jwk);
  EXPECT_EQ(key.kind(), KeyKind::ed25519);
  EXPECT_EQ(rebuild(key, "EdDSA", kRfc8037Token), kRfc8037Token);
  EXPECT_EQ(key.public_jwk(), R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  // x that does not match d is refused.
  std::string bad = kRfc8037Jwk;
  bad.replace(bad.find("11qY"), 4, "21qY");
  EXPECT_THROW(TestKey::from_private_jwk(bad), std::runtime_error);
}

}  // namespace
