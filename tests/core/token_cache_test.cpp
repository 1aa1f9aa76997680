// The verified-token cache, from the attacker's side: it never answers for a token that
// differs from a verified one in a single byte, never past the token's exp (or before its
// nbf, or past max_age), never for a nonce check, and stays bounded. Key removal over HTTP
// is in tests/http/jwks_http_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "token_factory.hpp"
#include "verifier/token_cache.hpp"
#include "verifier/verifier.hpp"

namespace {

namespace tf = oidcore::testing;
using oidcore::Error;
using oidcore::Status;
using oidcore::status_name;
using oidcore::TokenCache;
using oidcore::Verifier;
using oidcore::VerifiedToken;

const std::string kIssuer = "https://auth.example.com/application/o/app/";

int64_t unix_now() { return static_cast<int64_t>(std::time(nullptr)); }

std::string claims(int64_t exp, const std::string& extra = "") {
  const int64_t now = unix_now();
  return "{\"iss\":" + tf::json_string(kIssuer) + ",\"sub\":\"u1\",\"aud\":\"app\",\"iat\":" + std::to_string(now - 10) +
         ",\"exp\":" + std::to_string(exp) + extra + "}";
}

struct Signer {
  tf::TestKey key = tf::TestKey::generate(tf::KeyKind::p256, "k1");
  std::unique_ptr<Verifier> verifier;
  explicit Signer(const std::string& extra_config = "") {
    Error err;
    verifier = Verifier::create("{\"issuer\":" + tf::json_string(kIssuer) + ",\"audience\":\"app\",\"jwks\":" +
                                    key.jwks() + extra_config + "}",
                                err);
    EXPECT_TRUE(verifier) << err.message;
  }
  std::string token(const std::string& payload) const {
    return tf::make_jws(key, "ES256", R"({"alg":"ES256","kid":"k1","typ":"JWT"})", payload);
  }
  uint64_t hits() const { return verifier->stats().token_cache_hits; }
};

Status verify(const Verifier& v, const std::string& token, VerifiedToken* out = nullptr) {
  VerifiedToken t;
  return v.verify(token, out ? *out : t).status;
}

TEST(TokenCache, ASecondVerificationOfTheSameBytesIsAHit) {
  Signer s;
  const std::string token = s.token(claims(unix_now() + 3600));
  VerifiedToken first, second;
  ASSERT_EQ(verify(*s.verifier, token, &first), Status::ok);
  EXPECT_EQ(s.hits(), 0u);
  ASSERT_EQ(verify(*s.verifier, token, &second), Status::ok);
  EXPECT_EQ(s.hits(), 1u);
  EXPECT_EQ(second.claims, first.claims);
  EXPECT_EQ(second.kid, "k1");
  EXPECT_EQ(second.alg, first.alg);
  EXPECT_EQ(s.verifier->stats().by_status[0], 2u) << "hits count as ok verifications";
}

TEST(TokenCache, NoTokenDifferingInOneByteIsAnswered) {
  Signer s;
  const std::string token = s.token(claims(unix_now() + 3600));
  ASSERT_EQ(verify(*s.verifier, token), Status::ok);
  ASSERT_EQ(verify(*s.verifier, token), Status::ok);
  const uint64_t hits = s.hits();
  // Every position of the token, one byte changed: none is answered from the cache, and
  // none verifies (a change in the header or payload breaks the signature, one in the
  // signature breaks it too, one in a dot breaks the framing).
  size_t checked = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    std::string forged = token;
    forged[i] = forged[i] == 'A' ? 'B' : 'A';
    if (forged == token) continue;
    EXPECT_NE(verify(*s.verifier, forged), Status::ok) << "byte " << i;
    ++checked;
  }
  EXPECT_GT(checked, 200u);
  // Prefixes, suffixes and padding of a cached token are other tokens too.
  EXPECT_NE(verify(*s.verifier, token + "A"), Status::ok);
  EXPECT_NE(verify(*s.verifier, token.substr(0, token.size() - 1)), Status::ok);
  EXPECT_NE(verify(*s.verifier, " " + token), Status::ok);
  EXPECT_EQ(s.hits(), hits);
  ASSERT_EQ(verify(*s.verifier, token), Status::ok);
  EXPECT_EQ(s.hits(), hits + 1);
}

TEST(TokenCache, NeverAnswersAfterExp) {
  Signer s;
  const std::string token = s.token(claims(unix_now() + 2));
  ASSERT_EQ(verify(*s.verifier, token), Status::ok);
  ASSERT_EQ(verify(*s.verifier, token), Status::ok);
  EXPECT_EQ(s.hits(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  EXPECT_EQ(verify(*s.verifier, token), Status::expired);
  EXPECT_EQ(s.hits(), 1u);
}

TEST(TokenCache, WindowBoundsAreCheckedOnEveryHit) {
  // The cache itself, with an explicit clock: nbf, exp and generation.
  TokenCache cache(64);
  VerifiedToken v;
  v.claims = "{}";
  v.kid = "k";
  cache.insert("tok", v, {100, 200}, 7);
  VerifiedToken out;
  EXPECT_FALSE(cache.lookup("tok", 99, 7, out)) << "before nbf";
  EXPECT_TRUE(cache.lookup("tok", 100, 7, out));
  EXPECT_TRUE(cache.lookup("tok", 199, 7, out));
  EXPECT_FALSE(cache.lookup("tok", 200, 7, out)) << "at exp";
  cache.insert("tok", v, {100, 200}, 7);
  EXPECT_FALSE(cache.lookup("tok", 150, 8, out)) << "another key generation";
  EXPECT_FALSE(cache.lookup("tok", 150, 7, out)) << "dropped by the mismatch";
  EXPECT_FALSE(cache.lookup("tok2", 150, 7, out));
  // An empty window is never stored.
  cache.insert("never", v, {5, 5}, 7);
  EXPECT_FALSE(cache.lookup("never", 5, 7, out));
}

TEST(TokenCache, AHitCarriesTheDenyListListingWorkedOutAtInsertion) {
  TokenCache cache(64);
  VerifiedToken v;
  v.claims = R"({"sid":"s1"})";
  v.principal = R"({"sub":"u"})";
  v.kid = "k";
  v.listing = {"deny:abc", "sid"};
  cache.insert("tok", v, {0, 1000}, 1);
  VerifiedToken out;
  out.listing = {"stale", "token"};
  ASSERT_TRUE(cache.lookup("tok", 10, 1, out));
  EXPECT_EQ(out.claims, v.claims);
  EXPECT_EQ(out.principal, v.principal);
  EXPECT_EQ(out.kid, "k");
  EXPECT_EQ(out.listing.key, "deny:abc");
  EXPECT_EQ(out.listing.kind, "sid");
  // An entry made without a deny list carries none.
  VerifiedToken plain;
  plain.claims = "{}";
  cache.insert("tok2", plain, {0, 1000}, 1);
  ASSERT_TRUE(cache.lookup("tok2", 10, 1, out));
  EXPECT_EQ(out.listing.key, "");
}

TEST(TokenCache, MaxAgeAndNbfAreKeptAsBounds) {
  Signer s(",\"max_age\":2");
  const int64_t now = unix_now();
  const std::string token = s.token(claims(now + 3600, ",\"auth_time\":" + std::to_string(now)));
  ASSERT_EQ(verify(*s.verifier, token), Status::ok);
  ASSERT_EQ(verify(*s.verifier, token), Status::ok);
  EXPECT_EQ(s.hits(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(3200));
  EXPECT_EQ(verify(*s.verifier, token), Status::too_old);
}

TEST(TokenCache, NonceChecksAndDisabledCacheTakeTheLongWay) {
  Signer s;
  const std::string token = s.token(claims(unix_now() + 3600, ",\"nonce\":\"n-1\""));
  ASSERT_EQ(verify(*s.verifier, token), Status::ok);
  const std::string wrong = "n-2";
  oidcore::VerifyOptions o;
  o.nonce = &wrong;
  VerifiedToken out;
  EXPECT_EQ(s.verifier->verify(token, out, o).status, Status::bad_nonce) << "a cached token still fails its nonce";
  EXPECT_EQ(s.hits(), 0u);

  Signer off(",\"token_cache_size\":0");
  const std::string t2 = off.token(claims(unix_now() + 3600));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(verify(*off.verifier, t2), Status::ok);
  EXPECT_EQ(off.hits(), 0u);
  EXPECT_EQ(off.verifier->stats().token_cache_capacity, 0u);

  Error err;
  EXPECT_FALSE(Verifier::create("{\"issuer\":\"x\",\"audience\":\"a\",\"jwks\":" + s.key.jwks() +
                                    ",\"token_cache_size\":-1}",
                                err));
  EXPECT_EQ(err.status, Status::invalid_config);
  EXPECT_NE(err.message.find("token_cache_size"), std::string::npos);
}

TEST(TokenCache, BoundedByEntries) {
  Signer s(",\"token_cache_size\":32");
  std::vector<std::string> tokens;
  for (int i = 0; i < 300; ++i)
    tokens.push_back(s.token(claims(unix_now() + 3600, ",\"n\":" + std::to_string(i))));
  for (const auto& t : tokens) ASSERT_EQ(verify(*s.verifier, t), Status::ok);
  const auto st = s.verifier->stats();
  EXPECT_LE(st.token_cache_entries, 32u);
  EXPECT_GT(st.token_cache_entries, 0u);
  // The most recent tokens are still answered from the cache.
  ASSERT_EQ(verify(*s.verifier, tokens.back()), Status::ok);
  EXPECT_EQ(s.hits(), 1u);
}

TEST(TokenCache, ConcurrentHitsAndForgeries) {
  Signer s(",\"token_cache_size\":64");
  std::vector<std::string> good;
  for (int i = 0; i < 8; ++i) good.push_back(s.token(claims(unix_now() + 3600, ",\"n\":" + std::to_string(i))));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string& tok = good[(i + t) % good.size()];
        if (verify(*s.verifier, tok) != Status::ok) ++wrong;
        std::string forged = tok;
        forged[forged.size() - 5] ^= 1;
        if (verify(*s.verifier, forged) == Status::ok) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(s.hits(), 7000u);
  // The counters are kept per thread and summed: exact all the same.
  const auto st = s.verifier->stats();
  uint64_t total = 0;
  for (uint64_t n : st.by_status) total += n;
  EXPECT_EQ(st.by_status[static_cast<int>(Status::ok)], 4u * 2000u);
  EXPECT_EQ(total, 4u * 2000u * 2u);
  EXPECT_LE(st.token_cache_hits, 4u * 2000u);
}

TEST(TokenCache, CountersFromManyThreadsAddUp) {
  // More threads than the counters have stripes, each counting a known number of hits.
  TokenCache cache(64);
  VerifiedToken v;
  v.claims = "{}";
  cache.insert("tok", v, {0, 1000}, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 40; ++t) {
    threads.emplace_back([&cache, t] {
      VerifiedToken out;
      for (int i = 0; i < 100 + t; ++i) ASSERT_TRUE(cache.lookup("tok", 10, 1, out));
    });
  }
  for (auto& th : threads) th.join();
  uint64_t expected = 0;
  for (int t = 0; t < 40; ++t) expected += 100 + t;
  EXPECT_EQ(cache.hits(), expected);
}

// The slot is chosen from the token's length and its last bytes only; tokens that share
// them (same length, same end, different elsewhere) are still told apart byte for byte.
TEST(TokenCache, TokensSharingTheirEndAreToldApart) {
  TokenCache cache(64);
  const std::string tail(40, 'S');
  std::string a = std::string(1000, 'a') + tail;
  std::string b = a;
  b[500] = 'b';
  std::string c = a;
  c[0] = 'c';
  VerifiedToken va, vb;
  va.claims = "{\"who\":\"a\"}";
  va.kid = "ka";
  vb.claims = "{\"who\":\"b\"}";
  vb.kid = "kb";
  VerifiedToken out;
  cache.insert(a, va, {0, 1000}, 1);
  EXPECT_FALSE(cache.lookup(b, 10, 1, out));
  EXPECT_FALSE(cache.lookup(c, 10, 1, out));
  ASSERT_TRUE(cache.lookup(a, 10, 1, out));
  EXPECT_EQ(out.claims, va.claims);
  EXPECT_EQ(out.kid, "ka");
  // b verified too (it takes a's slot): each answers for itself only.
  cache.insert(b, vb, {0, 1000}, 1);
  ASSERT_TRUE(cache.lookup(b, 10, 1, out));
  EXPECT_EQ(out.claims, vb.claims);
  EXPECT_EQ(out.kid, "kb");
  out.claims.clear();
  if (cache.lookup(a, 10, 1, out)) EXPECT_EQ(out.claims, va.claims);
  EXPECT_FALSE(cache.lookup(c, 10, 1, out));
  // Shorter than the hashed end, and empty.
  cache.insert("xy", va, {0, 1000}, 1);
  EXPECT_TRUE(cache.lookup("xy", 10, 1, out));
  EXPECT_FALSE(cache.lookup("xz", 10, 1, out));
  EXPECT_FALSE(cache.lookup("", 10, 1, out));
  // An empty view without data (a null pointer), as a caller's empty buffer may be.
  EXPECT_FALSE(cache.lookup(std::string_view(), 10, 1, out));
}

// A token dropped by a lookup (another key generation) and verified again is kept like a
// new one, and the cache stays within its bound through any number of such rounds.
TEST(TokenCache, DroppedAndReinsertedTokensStayBounded) {
  TokenCache cache(32);
  VerifiedToken v;
  v.claims = "{}";
  VerifiedToken out;
  for (int round = 0; round < 200; ++round) {
    const std::string tok = "token-" + std::to_string(round % 50);
    cache.insert(tok, v, {0, 1000}, round / 50);
    EXPECT_FALSE(cache.lookup(tok, 10, round / 50 + 1, out));  // dropped
    cache.insert(tok, v, {0, 1000}, round / 50);
    EXPECT_TRUE(cache.lookup(tok, 10, round / 50, out)) << round;
    EXPECT_LE(cache.size(), 32u);
  }
  EXPECT_GT(cache.size(), 0u);
}

}  // namespace
