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
  std::string c, p, kid;
  int alg = 0;
  EXPECT_FALSE(cache.lookup("tok", 99, 7, c, p, alg, kid)) << "before nbf";
  EXPECT_TRUE(cache.lookup("tok", 100, 7, c, p, alg, kid));
  EXPECT_TRUE(cache.lookup("tok", 199, 7, c, p, alg, kid));
  EXPECT_FALSE(cache.lookup("tok", 200, 7, c, p, alg, kid)) << "at exp";
  cache.insert("tok", v, {100, 200}, 7);
  EXPECT_FALSE(cache.lookup("tok", 150, 8, c, p, alg, kid)) << "another key generation";
  EXPECT_FALSE(cache.lookup("tok", 150, 7, c, p, alg, kid)) << "dropped by the mismatch";
  EXPECT_FALSE(cache.lookup("tok2", 150, 7, c, p, alg, kid));
  // An empty window is never stored.
  cache.insert("never", v, {5, 5}, 7);
  EXPECT_FALSE(cache.lookup("never", 5, 7, c, p, alg, kid));
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
}

}  // namespace
