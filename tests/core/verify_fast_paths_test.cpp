// The pieces that keep a verification close to the cost of the bare signature check, tested
// for staying exactly as strict as the slow forms they replace:
//  * the base64url decoder (masks instead of libsodium), against a plain reference decoder;
//  * the direct r||s -> DER encoder for ECDSA, against i2d_ECDSA_SIG on Wycheproof vectors;
//  * the per-thread verification contexts, found by a key's unique id: keys never cross,
//    also across threads and when a freed key's memory goes to a new key;
//  * the duplicate-name check and the one-walk header reader.
// Suites named Thread* also run under ThreadSanitizer (ctest label "thread").
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "encoding/base64url.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "jose/openssl_support.hpp"
#include "jose/signature.hpp"
#include "json/strict_json.hpp"
#include "token_factory.hpp"
#include "vector_test_support.hpp"
#include "verifier/verifier.hpp"

namespace {

namespace jose = oidcore::jose;
namespace tf = oidcore::testing;
namespace vt = oidcore::vector_test;
using oidcore::Status;
using tf::KeyKind;
using tf::TestKey;

// ---------------------------------------------------------------------------
// base64url
// ---------------------------------------------------------------------------

// The rule in its plainest form: the URL-safe alphabet only, no padding, no lone final
// character, zero bits after the last byte.
bool reference_decode(std::string_view in, std::string& out) {
  auto value = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  out.clear();
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    const int v = value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return (acc & ((1u << bits) - 1)) == 0;
}

const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void expect_same_as_reference(const std::string& in) {
  std::string got, want;
  const bool ok = oidcore::encoding::base64url_decode(in, got);
  const bool want_ok = reference_decode(in, want);
  ASSERT_EQ(ok, want_ok) << ::testing::PrintToString(in);
  if (ok) {
    ASSERT_EQ(got, want) << ::testing::PrintToString(in);
  }
}

TEST(FastBase64url, EveryByteAtEveryPositionOfShortAndBlockSizedInputs) {
  // Lengths around the 16- and 64-character steps of the decoder, every byte value at
  // every position (the rest of the input valid).
  for (size_t len : {1, 2, 3, 4, 5, 15, 16, 17, 62, 63, 64, 65, 66, 67, 68, 127, 128, 130, 131}) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string in(len, 'Q');
        in[pos] = static_cast<char>(b);
        expect_same_as_reference(in);
      }
    }
  }
}

TEST(FastBase64url, NonAsciiBytesAreRefused) {
  // libsodium 1.0.18's decoder takes every byte from 0x80 up as a character; these must not
  // decode (a token is ASCII, and one spelling per value).
  for (int b = 0x80; b < 0x100; ++b) {
    for (size_t len : {4, 8, 66, 100}) {
      for (size_t pos : {size_t{0}, len / 2, len - 1}) {
        std::string in(len, 'A');
        in[pos] = static_cast<char>(b);
        std::string out;
        EXPECT_FALSE(oidcore::encoding::base64url_decode(in, out)) << "byte " << b << " at " << pos;
      }
    }
  }
}

TEST(FastBase64url, RandomInputsOfEveryLengthMatchTheReference) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20000; ++round) {
    const size_t len = rng() % 400;
    std::string in(len, 'A');
    for (auto& c : in) c = kAlphabet[rng() % 64];
    switch (rng() % 4) {
      case 0: break;  // valid characters (may still have bad trailing bits)
      case 1:
        if (len) in[rng() % len] = static_cast<char>(rng() & 0xFF);
        break;
      case 2:
        if (len) in[rng() % len] = "+/= \n\t.\0\x80\xff@[`{"[rng() % 14];
        break;
      default:
        // canonical: encode random bytes
        in.resize(len * 3 / 4);
        for (auto& c : in) c = static_cast<char>(rng() & 0xFF);
        in = oidcore::encoding::base64url_encode(in);
    }
    expect_same_as_reference(in);
  }
}

TEST(FastBase64url, TrailingBitsMustBeZeroAfterLongInputs) {
  const std::string body(128, 'A');
  std::string out;
  EXPECT_TRUE(oidcore::encoding::base64url_decode(body + "AA", out));
  EXPECT_FALSE(oidcore::encoding::base64url_decode(body + "AB", out));
  EXPECT_TRUE(oidcore::encoding::base64url_decode(body + "AAA", out));
  EXPECT_FALSE(oidcore::encoding::base64url_decode(body + "AAB", out));
  EXPECT_TRUE(oidcore::encoding::base64url_decode(body + "AAE", out));
  EXPECT_FALSE(oidcore::encoding::base64url_decode(body + "A", out));
}

TEST(FastBase64url, ANonAsciiByteInAnySegmentIsMalformed) {
  const TestKey key = TestKey::generate(KeyKind::p256, "k1");
  const std::string token = tf::make_jwt(key, "ES256", R"({"iss":"i","aud":"a","exp":9999999999})");
  const std::string jwks = tf::make_jwks({key.public_jwk()});
  oidcore::Error err;
  auto v = oidcore::Verifier::create(R"({"issuer":"i","audience":"a","token_cache_size":0,"jwks":)" + jwks + "}", err);
  ASSERT_TRUE(v) << err.message;
  oidcore::VerifiedToken out;
  ASSERT_FALSE(v->verify(token, out));
  const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  for (size_t pos : {size_t{3}, dot1 + 5, dot2 + 1, token.size() - 2}) {
    for (int b : {0x80, 0xAD, 0xDF, 0xFF}) {
      std::string bad = token;
      bad[pos] = static_cast<char>(b);
      const auto e = v->verify(bad, out);
      EXPECT_EQ(e.status, Status::malformed) << "byte " << b << " at " << pos << ": " << e.message;
    }
  }
}

TEST(FastBase64url, NonAsciiInAnX5cLeafIsNotBase64) {
  auto doc = vt::load_json(vt::vectors_dir() + "/rfc-jws-vectors.json");
  std::string jwk;
  for (simdjson::dom::element v : vt::array(doc->root, "vectors"))
    if (vt::str(v, "name") == "rfc7517-B-x5c-jwk") jwk = simdjson::minify(vt::member(v, "jwk"));
  ASSERT_FALSE(jwk.empty());
  const jose::KeyPolicy policy;
  const auto good = jose::parse_jwk(jwk, policy);
  ASSERT_TRUE(good.key) << good.error.message;
  ASSERT_TRUE(good.key->has_x5c);
  const size_t at = jwk.find("\"x5c\":[\"") + 40;
  std::string bad = jwk;
  bad.replace(at, 2, "\xc3\xa9");  // valid UTF-8 in the JSON, not base64
  const auto refused = jose::parse_jwk(bad, policy);
  EXPECT_FALSE(refused.key);
  EXPECT_NE(refused.error.message.find("\"x5c\" leaf is not base64"), std::string::npos) << refused.error.message;
}

// ---------------------------------------------------------------------------
// ECDSA r || s -> DER
// ---------------------------------------------------------------------------

std::string der_by_openssl(const unsigned char* r, const unsigned char* s, size_t coord) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* br = BN_bin2bn(r, static_cast<int>(coord), nullptr);
  BIGNUM* bs = BN_bin2bn(s, static_cast<int>(coord), nullptr);
  if (!sig || !br || !bs || ECDSA_SIG_set0(sig, br, bs) != 1) {
    ADD_FAILURE() << "ECDSA_SIG";
    return "";
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  std::string out = len > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<size_t>(len)) : "";
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

std::string der_direct(const unsigned char* r, const unsigned char* s, size_t coord) {
  unsigned char out[jose::kMaxEcdsaDer];
  const size_t len = jose::ecdsa_der_from_raw(r, s, coord, out);
  return std::string(reinterpret_cast<char*>(out), len);
}

void expect_der_matches(const std::string& raw, size_t coord) {
  ASSERT_EQ(raw.size(), 2 * coord);
  const auto* r = reinterpret_cast<const unsigned char*>(raw.data());
  const std::string want = der_by_openssl(r, r + coord, coord);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(tf::hex(der_direct(r, r + coord, coord)), tf::hex(want)) << "coord " << coord << " raw " << tf::hex(raw);
}

TEST(FastEcdsaDer, MatchesI2dOnEveryWycheproofP1363SignatureOfTheRightLength) {
  size_t checked = 0;
  for (const auto& [file, coord] : {std::pair<const char*, size_t>{"ecdsa_secp256r1_sha256_p1363_test.json", 32},
                                    {"ecdsa_secp384r1_sha384_p1363_test.json", 48},
                                    {"ecdsa_secp521r1_sha512_p1363_test.json", 66}}) {
    auto doc = vt::load_json(vt::vectors_dir() + "/wycheproof/" + file);
    for (simdjson::dom::element group : vt::array(doc->root, "testGroups")) {
      for (simdjson::dom::element test : vt::array(group, "tests")) {
        const std::string sig = tf::unhex(vt::str(test, "sig"));
        if (sig.size() != 2 * coord) continue;  // refused by length before any encoding
        expect_der_matches(sig, coord);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 600u);
}

TEST(FastEcdsaDer, MatchesI2dOnEdgeValues) {
  for (size_t coord : {size_t{32}, size_t{48}, size_t{66}}) {
    std::vector<std::string> halves;
    halves.push_back(std::string(coord, '\0'));                              // zero
    halves.push_back(std::string(coord - 1, '\0') + '\x01');                 // one
    halves.push_back(std::string(coord - 1, '\0') + '\x80');                 // one byte, high bit
    halves.push_back(std::string(coord, '\xff'));                            // all ones
    halves.push_back('\x80' + std::string(coord - 1, '\0'));                 // full width, high bit
    halves.push_back('\x7f' + std::string(coord - 1, '\xff'));               // full width, no pad
    halves.push_back(std::string(coord / 2, '\0') + std::string(coord - coord / 2, '\x81'));
    halves.push_back('\x00' + std::string(1, '\x80') + std::string(coord - 2, '\x01'));
    halves.push_back('\x01' + std::string(coord - 1, '\xff'));               // P-521 style top byte
    std::mt19937 rng(static_cast<unsigned>(coord));
    for (int i = 0; i < 200; ++i) {
      std::string h(coord, '\0');
      for (auto& c : h) c = static_cast<char>(rng() & 0xFF);
      for (size_t z = 0; z < static_cast<size_t>(i % 5); ++z) h[z] = 0;
      halves.push_back(h);
    }
    for (const auto& r : halves)
      for (const auto& s : {halves[0], halves[2], halves[3], halves[5], halves[halves.size() - 1]}) expect_der_matches(r + s, coord);
  }
}

// ---------------------------------------------------------------------------
// Per-thread verification contexts
// ---------------------------------------------------------------------------

jose::JwkPtr load(const std::string& jwk, bool symmetric = false) {
  jose::KeyPolicy policy;
  policy.allow_symmetric = symmetric;
  auto r = jose::parse_jwk(jwk, policy);
  EXPECT_TRUE(r.key) << r.error.message;
  return r.key;
}

Status check(const jose::Jwk& key, jose::Alg alg, const std::string& input, const std::string& sig) {
  return jose::verify_signature(key, alg, input, reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

struct Signed {
  std::string input, sig;
};

Signed sign(const TestKey& key, const std::string& alg, const std::string& input) { return {input, key.sign(alg, input)}; }

TEST(FastContexts, KeyIdsAreUniqueAndNeverReused) {
  const TestKey k = TestKey::generate(KeyKind::ed25519, "e");
  std::set<uint64_t> ids;
  uint64_t last = 0;
  for (int i = 0; i < 200; ++i) {
    auto key = load(k.public_jwk());
    ASSERT_TRUE(key);
    EXPECT_GT(key->id, last);
    last = key->id;
    EXPECT_TRUE(ids.insert(key->id).second);
  }
}

// The case an address-keyed cache would get wrong: key A verifies (its context is kept),
// A is freed, B is created, often at A's address. B must verify B's signatures and refuse
// A's, for every algorithm family with a context.
TEST(FastContexts, AFreedKeysContextNeverServesTheKeyThatReplacesIt) {
  struct Family {
    KeyKind kind;
    const char* alg;
    jose::Alg a;
  };
  for (const Family& f : {Family{KeyKind::rsa2048, "RS256", jose::Alg::RS256}, Family{KeyKind::rsa2048, "PS384", jose::Alg::PS384},
                          Family{KeyKind::p256, "ES256", jose::Alg::ES256}, Family{KeyKind::p521, "ES512", jose::Alg::ES512},
                          Family{KeyKind::hmac, "HS256", jose::Alg::HS256}, Family{KeyKind::hmac, "HS512", jose::Alg::HS512}}) {
    SCOPED_TRACE(f.alg);
    const bool sym = f.kind == KeyKind::hmac;
    const TestKey ka = TestKey::generate(f.kind, "same-kid", 64);
    const TestKey kb = TestKey::generate(f.kind, "same-kid", 64);
    const Signed by_a = sign(ka, f.alg, "eyJhbGciOiJ9.eyJzdWIiOiJhIn0");
    const Signed by_b = sign(kb, f.alg, "eyJhbGciOiJ9.eyJzdWIiOiJhIn0");
    int same_address = 0;
    for (int round = 0; round < 20; ++round) {
      auto a = load(ka.public_jwk(), sym);
      ASSERT_TRUE(a);
      ASSERT_EQ(check(*a, f.a, by_a.input, by_a.sig), Status::ok);
      ASSERT_EQ(check(*a, f.a, by_b.input, by_b.sig), Status::bad_signature);
      ASSERT_EQ(check(*a, f.a, by_a.input, by_a.sig), Status::ok);
      const void* where = a.get();
      a.reset();
      auto b = load(kb.public_jwk(), sym);
      ASSERT_TRUE(b);
      same_address += b.get() == where;
      EXPECT_EQ(check(*b, f.a, by_b.input, by_b.sig), Status::ok);
      EXPECT_EQ(check(*b, f.a, by_a.input, by_a.sig), Status::bad_signature);
      EXPECT_EQ(check(*b, f.a, by_b.input, by_b.sig), Status::ok);
    }
    // Not a requirement of the code, a check that the test tests something: the allocator
    // does hand the freed memory to the next key now and then.
    RecordProperty(std::string("same_address_") + f.alg, same_address);
  }
}

TEST(FastContexts, AtMostSixteenContextsPerThreadAndEvictionKeepsVerifying) {
  std::vector<TestKey> keys;
  std::vector<jose::JwkPtr> loaded;
  std::vector<Signed> sigs;
  for (int i = 0; i < 20; ++i) {
    keys.push_back(TestKey::generate(KeyKind::p256, "k" + std::to_string(i)));
    loaded.push_back(load(keys.back().public_jwk()));
    sigs.push_back(sign(keys.back(), "ES256", "input-" + std::to_string(i)));
  }
  std::thread([&] {
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(check(*loaded[i], jose::Alg::ES256, sigs[i].input, sigs[i].sig), Status::ok);
        EXPECT_EQ(check(*loaded[i], jose::Alg::ES256, sigs[(i + 1) % 20].input, sigs[(i + 1) % 20].sig),
                  Status::bad_signature);
        EXPECT_LE(jose::thread_context_count(), 16u);
      }
    }
    // A failed verification drops its context; a good one leaves one in place.
    EXPECT_EQ(check(*loaded[0], jose::Alg::ES256, sigs[0].input, sigs[0].sig), Status::ok);
    EXPECT_GE(jose::thread_context_count(), 1u);
  }).join();
}

TEST(FastContexts, AFailedVerificationDoesNotSpoilTheNext) {
  const TestKey k = TestKey::generate(KeyKind::rsa2048, "r");
  auto key = load(k.public_jwk());
  ASSERT_TRUE(key);
  const Signed good = sign(k, "PS256", "a.b");
  std::string wrong = good.sig;
  wrong[10] ^= 1;
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(check(*key, jose::Alg::PS256, good.input, wrong), Status::bad_signature);
    EXPECT_EQ(check(*key, jose::Alg::PS256, good.input, good.sig), Status::ok);
    EXPECT_EQ(check(*key, jose::Alg::PS256, "a.c", good.sig), Status::bad_signature);
    EXPECT_EQ(check(*key, jose::Alg::RS256, good.input, good.sig), Status::bad_signature);
  }
}

// Two keys of each family alternating on four threads, each verification checked both ways.
TEST(ThreadFastContexts, KeysAlternatingAcrossThreadsNeverCross) {
  struct Case {
    jose::JwkPtr a, b;
    jose::Alg alg;
    Signed by_a, by_b;
  };
  std::vector<Case> cases;
  for (auto [kind, alg, a] : {std::tuple{KeyKind::rsa2048, "RS256", jose::Alg::RS256},
                              std::tuple{KeyKind::p256, "ES256", jose::Alg::ES256},
                              std::tuple{KeyKind::ed25519, "EdDSA", jose::Alg::EdDSA},
                              std::tuple{KeyKind::hmac, "HS256", jose::Alg::HS256}}) {
    const TestKey ka = TestKey::generate(kind, "x", 32), kb = TestKey::generate(kind, "x", 32);
    const bool sym = kind == KeyKind::hmac;
    cases.push_back({load(ka.public_jwk(), sym), load(kb.public_jwk(), sym), a, sign(ka, alg, "h.p1"),
                     sign(kb, alg, "h.p1")});
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const Case& c = cases[(i + t) % cases.size()];
        const bool flip = ((i / cases.size()) + t) % 2 != 0;
        const jose::Jwk& first = flip ? *c.b : *c.a;
        const jose::Jwk& second = flip ? *c.a : *c.b;
        const Signed& own_first = flip ? c.by_b : c.by_a;
        const Signed& own_second = flip ? c.by_a : c.by_b;
        if (check(first, c.alg, own_first.input, own_first.sig) != Status::ok) ++failures;
        if (check(second, c.alg, own_first.input, own_first.sig) != Status::bad_signature) ++failures;
        if (check(second, c.alg, own_second.input, own_second.sig) != Status::ok) ++failures;
        if (check(first, c.alg, own_second.input, own_second.sig) != Status::bad_signature) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// Keys loaded and freed on one thread while others verify with their own keys: no context
// ever verifies for the wrong key, whatever the allocator does with the freed memory.
TEST(ThreadFastContexts, KeysReplacedWhileOtherThreadsVerify) {
  const TestKey ka = TestKey::generate(KeyKind::p256, "a"), kb = TestKey::generate(KeyKind::p256, "b");
  const Signed by_a = sign(ka, "ES256", "x.y"), by_b = sign(kb, "ES256", "x.y");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        const bool use_a = (i + t) % 2 == 0;
        auto key = load((use_a ? ka : kb).public_jwk());
        if (!key) {
          ++failures;
          continue;
        }
        const Signed& own = use_a ? by_a : by_b;
        const Signed& other = use_a ? by_b : by_a;
        if (check(*key, jose::Alg::ES256, own.input, own.sig) != Status::ok) ++failures;
        if (check(*key, jose::Alg::ES256, other.input, other.sig) != Status::bad_signature) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---------------------------------------------------------------------------
// JSON: duplicate names, the header in one walk
// ---------------------------------------------------------------------------

bool parses(const std::string& text) {
  oidcore::json::StrictParser parser;
  simdjson::dom::element root;
  return !parser.parse(text, root);
}

std::string object_with(size_t members, const std::string& last_name) {
  std::string s = "{";
  for (size_t i = 0; i + 1 < members; ++i) s += "\"member_" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  return s + "\"" + last_name + "\":true}";
}

TEST(FastJson, DuplicateNamesAreFoundInSmallAndLargeObjects) {
  for (size_t n : {size_t{2}, size_t{16}, size_t{17}, size_t{32}, size_t{33}, size_t{80}}) {
    SCOPED_TRACE(n);
    EXPECT_FALSE(parses(object_with(n, "member_0"))) << "duplicate of the first member";
    EXPECT_TRUE(parses(object_with(n, "member_x")));
    EXPECT_FALSE(parses("{\"a\":[1,{\"x\":" + object_with(n, "member_0") + "}]}")) << "nested";
    EXPECT_TRUE(parses("{\"a\":[1,{\"x\":" + object_with(n, "member_x") + "}]}"));
  }
  // Names that agree on their length and first seven bytes are still told apart.
  EXPECT_TRUE(parses(R"({"abcdefgX":1,"abcdefgY":2})"));
  EXPECT_FALSE(parses(R"({"abcdefgX":1,"abcdefgX":2})"));
  EXPECT_TRUE(parses(R"({"":1,"a":2})"));
  EXPECT_FALSE(parses(R"({"":1,"":2})"));
  EXPECT_FALSE(parses(R"({"a":{"b":[{"c":1,"c":1}]}})"));
  EXPECT_FALSE(parses(R"([[{"a\u0000b":1,"a\u0000b":1}]])"));
  EXPECT_TRUE(parses(R"([[{"a\u0000b":1,"a\u0000c":1}]])"));
}

oidcore::Error header_error(const std::string& json) {
  std::string h = json;
  h.reserve(oidcore::json::padded_capacity(h.size()));
  jose::JwsHeader out;
  return jose::parse_header(h, out);
}

TEST(FastJson, HeaderChecksKeepTheirOrder) {
  EXPECT_EQ(header_error(R"({"crit":["x"],"enc":"A","kid":1})").status, Status::malformed);
  EXPECT_NE(header_error(R"({"alg":"RS256","enc":"A","crit":["x"],"kid":1})").message.find("crit"), std::string::npos);
  EXPECT_NE(header_error(R"({"alg":"RS256","zip":"DEF","enc":"A"})").message.find("\"enc\""), std::string::npos);
  EXPECT_NE(header_error(R"({"alg":"RS256","zip":"DEF"})").message.find("\"zip\""), std::string::npos);
  EXPECT_NE(header_error(R"({"alg":"RS256","typ":1,"kid":2})").message.find("\"kid\""), std::string::npos);
  EXPECT_NE(header_error(R"({"alg":"RS256","cty":1,"typ":2})").message.find("\"typ\""), std::string::npos);
  EXPECT_NE(header_error(R"({"alg":"RS256","cty":1})").message.find("\"cty\""), std::string::npos);
  EXPECT_EQ(header_error(R"({"kid":"k","alg":"none","crit":[]})").status, Status::unsupported_alg);
  EXPECT_EQ(header_error(R"({"alg":1,"crit":[]})").status, Status::malformed);
  EXPECT_NE(header_error(R"({"kid":"k"})").message.find("no \"alg\""), std::string::npos);
  EXPECT_EQ(header_error(R"({"alg":"RS256 "})").status, Status::unsupported_alg);
  EXPECT_EQ(header_error(R"({"alg":"rs256"})").status, Status::unsupported_alg);
  EXPECT_EQ(header_error(R"({"alg":"RS25"})").status, Status::unsupported_alg);
  EXPECT_EQ(header_error(R"({"alg":"RS256\u0000"})").status, Status::unsupported_alg);
  EXPECT_EQ(header_error(R"({"alg":"RS256","b64":true,"Alg":"none","KID":1})").status, Status::ok);
  EXPECT_EQ(header_error(R"({"alg":"HS512","b64":false})").status, Status::malformed);
  for (int i = 0; i < jose::kAlgCount; ++i) {
    const auto a = static_cast<jose::Alg>(i);
    std::string h = "{\"alg\":\"" + std::string(jose::alg_name(a)) + "\",\"kid\":\"k\",\"typ\":\"JWT\"}";
    h.reserve(oidcore::json::padded_capacity(h.size()));
    jose::JwsHeader out;
    ASSERT_FALSE(jose::parse_header(h, out));
    EXPECT_EQ(out.alg, a);
    EXPECT_TRUE(out.has_kid && out.kid == "k" && out.has_typ && out.typ == "JWT");
  }
}

}  // namespace
