// One Verifier shared by several threads: the documented promise is "immutable after
// creation, safe to use from any number of threads without locking". These tests verify
// the same mixed sequence of tokens (valid and invalid, every key type) once on a single
// thread and then split over four threads through the same instance, and require identical
// outcomes, status and message and claims, for every position. Run under ThreadSanitizer by
// `make test-tsan` (ctest label "thread").
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "token_factory.hpp"
#include "verifier/verifier.hpp"

namespace {

namespace tf = oidcore::testing;
using oidcore::Status;
using tf::KeyKind;
using tf::TestKey;

constexpr int64_t kNow = 1'800'000'000;
constexpr int kThreads = 4;
constexpr size_t kTotalVerifications = 100'000;
const std::string kIssuer = "https://idp.example.com/application/o/app/";
const std::string kAudience = "orders-api";

struct Outcome {
  Status status = Status::ok;
  std::string message;
  std::string claims;
  std::string principal;
  std::string alg;
  std::string kid;

  bool operator==(const Outcome&) const = default;
};

std::string claims_for(const std::string& sub, int64_t iat, int64_t exp, const std::string& iss = kIssuer,
                       const std::string& aud = kAudience, const std::string& extra = "") {
  return "{\"iss\":" + tf::json_string(iss) + ",\"sub\":" + tf::json_string(sub) + ",\"aud\":" + tf::json_string(aud) +
         ",\"iat\":" + std::to_string(iat) + ",\"exp\":" + std::to_string(exp) +
         ",\"email\":\"" + sub + "@example.com\",\"groups\":[\"staff\",\"" + (sub.size() % 2 ? "admins" : "readers") +
         "\"]" + extra + "}";
}

// Keys, the verifier over their public halves, and a varied set of tokens.
class ThreadFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestKey(TestKey::generate(KeyKind::rsa2048, "rsa-1"));
    rsa_other_ = new TestKey(TestKey::generate(KeyKind::rsa2048, "rsa-1"));  // same kid, other key
    ec_ = new TestKey(TestKey::generate(KeyKind::p256, "ec-1"));
    ec384_ = new TestKey(TestKey::generate(KeyKind::p384, "ec-384"));
    ed_ = new TestKey(TestKey::generate(KeyKind::ed25519, "ed-1"));
    hs_ = new TestKey(TestKey::generate(KeyKind::hmac, "hs-1", 32));
  }
  static void TearDownTestSuite() {
    for (TestKey** k : {&rsa_, &rsa_other_, &ec_, &ec384_, &ed_, &hs_}) {
      delete *k;
      *k = nullptr;
    }
  }

  std::unique_ptr<oidcore::Verifier> make_verifier() const {
    const std::string config =
        "{\"issuer\":" + tf::json_string(kIssuer) + ",\"audience\":" + tf::json_string(kAudience) +
        ",\"algorithms\":[\"RS256\",\"PS256\",\"ES256\",\"ES384\",\"EdDSA\",\"HS256\"],\"now\":" + std::to_string(kNow) +
        ",\"principal\":{\"roles\":[{\"group\":\"admins\",\"role\":\"admin\"}]},\"jwks\":" +
        tf::make_jwks({rsa_->public_jwk(), ec_->public_jwk("\"use\":\"sig\""), ec384_->public_jwk(),
                       ed_->public_jwk("\"alg\":\"EdDSA\""), hs_->public_jwk("\"alg\":\"HS256\"")}) +
        "}";
    oidcore::Error err;
    auto v = oidcore::Verifier::create(config, err);
    EXPECT_FALSE(err) << err.message;
    return v;
  }

  // Roughly half valid, the rest failing at every stage of verification.
  std::vector<std::string> make_tokens() const {
    std::vector<std::string> t;
    const int64_t iat = kNow - 60, exp = kNow + 3600;
    // Valid, one per algorithm and key type, plus a kid-less token (key search).
    t.push_back(tf::make_jwt(*rsa_, "RS256", claims_for("alice", iat, exp)));
    t.push_back(tf::make_jwt(*rsa_, "PS256", claims_for("bob", iat, exp)));
    t.push_back(tf::make_jwt(*ec_, "ES256", claims_for("carol", iat, exp)));
    t.push_back(tf::make_jwt(*ec384_, "ES384", claims_for("dave", iat, exp)));
    t.push_back(tf::make_jwt(*ed_, "EdDSA", claims_for("erin", iat, exp)));
    t.push_back(tf::make_jwt(*hs_, "HS256", claims_for("frank", iat, exp)));
    t.push_back(tf::make_jws(*ec_, "ES256", "{\"alg\":\"ES256\"}", claims_for("grace", iat, exp)));
    t.push_back(tf::make_jws(*ed_, "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"ed-1\"}",
                             claims_for("heidi", iat, exp, kIssuer, kAudience, ",\"org\":\"o-1\",\"azp\":\"web\"")));
    // Time.
    t.push_back(tf::make_jwt(*rsa_, "RS256", claims_for("ivan", kNow - 7200, kNow - 1)));
    t.push_back(tf::make_jwt(*ec_, "ES256", claims_for("judy", kNow + 600, kNow + 7200)));
    t.push_back(tf::make_jwt(*ed_, "EdDSA", claims_for("mallory", iat, exp, kIssuer, kAudience,
                                                       ",\"nbf\":" + std::to_string(kNow + 60))));
    // Claims.
    t.push_back(tf::make_jwt(*hs_, "HS256", claims_for("niaj", iat, exp, kIssuer, "another-api")));
    t.push_back(tf::make_jwt(*rsa_, "PS256", claims_for("olivia", iat, exp, "https://evil.example/")));
    t.push_back(tf::make_jwt(*ed_, "EdDSA", "{\"iss\":" + tf::json_string(kIssuer) + ",\"aud\":\"orders-api\"}"));
    t.push_back(tf::make_jwt(*ec_, "ES256", "{\"iss\":" + tf::json_string(kIssuer) + ",\"aud\":\"orders-api\",\"exp\":\"soon\"}"));
    // Signatures and keys.
    t.push_back(tf::make_jwt(*rsa_other_, "RS256", claims_for("peggy", iat, exp)));
    {
      std::string tampered = tf::make_jwt(*ed_, "EdDSA", claims_for("rupert", iat, exp));
      const auto first = tampered.find('.'), last = tampered.rfind('.');
      tampered = tampered.substr(0, first + 1) + tf::b64url(claims_for("rupert-admin", iat, exp)) + tampered.substr(last);
      t.push_back(tampered);
    }
    t.push_back(tf::make_jws_hmac("HS256", std::string(32, 'x'), tf::jwt_header("HS256", "hs-1"), claims_for("sybil", iat, exp)));
    // alg confusion: HS256 keyed with the RSA public key's PEM, under the RSA key's kid.
    t.push_back(tf::make_jws_hmac("HS256", rsa_->spki_pem(), tf::jwt_header("HS256", "rsa-1"), claims_for("trent", iat, exp)));
    {
      // Another valid base64url character inside the signature: decodes, does not verify.
      std::string flipped = tf::make_jwt(*ec_, "ES256", claims_for("victor", iat, exp));
      char& c = flipped[flipped.size() - 3];
      c = c == 'A' ? 'B' : 'A';
      t.push_back(flipped);
    }
    t.push_back(tf::make_jws(*ed_, "EdDSA", tf::jwt_header("EdDSA", "unknown-kid"), claims_for("walter", iat, exp)));
    t.push_back(tf::make_jws(*rsa_, "RS512", tf::jwt_header("RS512", "rsa-1"), claims_for("xavier", iat, exp)));
    t.push_back(tf::make_jws_unsigned("{\"alg\":\"none\"}", claims_for("yvonne", iat, exp)));
    t.push_back(tf::make_jws_unsigned("{\"alg\":\"nOnE\"}", claims_for("zoe", iat, exp)));
    // Framing.
    t.push_back("");
    t.push_back("not-a-token");
    t.push_back("a.b.c.d.e");
    t.push_back(tf::b64url("{\"alg\":\"RS256\",\"crit\":[\"exp\"]}") + "." + tf::b64url("{}") + ".AAAA");
    t.push_back(tf::b64url("{\"alg\":\"RS256\",\"alg\":\"HS256\"}") + "." + tf::b64url("{}") + ".AAAA");
    t.push_back(std::string(20000, 'A') + ".e30.AAAA");
    return t;
  }

  static Outcome run(const oidcore::Verifier& v, const std::string& token) {
    oidcore::VerifiedToken out;
    Outcome o;
    const oidcore::Error err = v.verify(token, out);
    o.status = err.status;
    o.message = err.message;
    if (!err) {
      o.claims = out.claims;
      o.principal = out.principal;
      o.alg = std::string(oidcore::jose::alg_name(out.alg));
      o.kid = out.kid;
    }
    return o;
  }

  static TestKey* rsa_;
  static TestKey* rsa_other_;
  static TestKey* ec_;
  static TestKey* ec384_;
  static TestKey* ed_;
  static TestKey* hs_;
};

TestKey* ThreadFixture::rsa_ = nullptr;
TestKey* ThreadFixture::rsa_other_ = nullptr;
TestKey* ThreadFixture::ec_ = nullptr;
TestKey* ThreadFixture::ec384_ = nullptr;
TestKey* ThreadFixture::ed_ = nullptr;
TestKey* ThreadFixture::hs_ = nullptr;

// The sequence of token indices verified: a fixed pseudo-random order, so that threads
// hit different keys and failure paths at the same moment.
std::vector<uint32_t> schedule(size_t n, size_t distinct) {
  std::vector<uint32_t> s(n);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (auto& i : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    i = static_cast<uint32_t>(x % distinct);
  }
  return s;
}

using ThreadVerify = ThreadFixture;

TEST_F(ThreadVerify, TokenSetCoversEveryOutcome) {
  auto v = make_verifier();
  ASSERT_TRUE(v);
  const auto tokens = make_tokens();
  std::vector<Status> got;
  for (const auto& t : tokens) got.push_back(run(*v, t).status);
  const std::vector<Status> want = {
      Status::ok,              Status::ok,            Status::ok,            Status::ok,
      Status::ok,              Status::ok,            Status::ok,            Status::ok,
      Status::expired,         Status::issued_in_future, Status::not_yet_valid, Status::bad_audience,
      Status::bad_issuer,      Status::missing_claim, Status::missing_claim, Status::bad_signature,
      Status::bad_signature,   Status::bad_signature, Status::key_not_found, Status::bad_signature,
      Status::key_not_found,   Status::alg_not_allowed, Status::unsupported_alg, Status::unsupported_alg,
      Status::malformed,       Status::malformed,     Status::malformed,     Status::malformed,
      Status::malformed,       Status::too_large};
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(got[i], want[i]) << "token #" << i << ": " << oidcore::status_name(got[i]) << " instead of "
                               << oidcore::status_name(want[i]);
}

TEST_F(ThreadVerify, FourThreadsOneVerifierMatchSingleThread) {
  auto v = make_verifier();
  ASSERT_TRUE(v);
  const auto tokens = make_tokens();
  const auto order = schedule(kTotalVerifications, tokens.size());

  // Reference: the whole sequence on this thread.
  std::vector<Outcome> reference(order.size());
  for (size_t i = 0; i < order.size(); ++i) reference[i] = run(*v, tokens[order[i]]);

  // The same sequence interleaved over four threads (thread k takes positions k, k+4, ...),
  // all released at once.
  std::vector<Outcome> concurrent(order.size());
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      for (size_t i = static_cast<size_t>(k); i < order.size(); i += kThreads) concurrent[i] = run(*v, tokens[order[i]]);
    });
  }
  while (ready.load() < kThreads) std::this_thread::yield();
  go.store(true);
  for (auto& t : threads) t.join();

  size_t mismatches = 0, valid = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (reference[i].status == Status::ok) ++valid;
    if (concurrent[i] == reference[i]) continue;
    if (++mismatches <= 5)
      ADD_FAILURE() << "position " << i << " (token #" << order[i] << "): single-threaded "
                    << oidcore::status_name(reference[i].status) << " \"" << reference[i].message << "\", concurrent "
                    << oidcore::status_name(concurrent[i].status) << " \"" << concurrent[i].message << "\"";
  }
  EXPECT_EQ(mismatches, 0u);
  // Both outcomes are well represented in the mix.
  EXPECT_GT(valid, order.size() / 5);
  EXPECT_LT(valid, order.size() * 4 / 5);
}

// Verifiers created and destroyed while other threads verify through their own: nothing is
// shared between instances that would need a lock (parsers and buffers are per thread).
TEST_F(ThreadVerify, ManyVerifiersAcrossThreads) {
  const auto tokens = make_tokens();
  std::vector<Status> reference;
  {
    auto v = make_verifier();
    ASSERT_TRUE(v);
    for (const auto& t : tokens) reference.push_back(run(*v, t).status);
  }
  std::atomic<size_t> mismatches{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round) {
        auto v = make_verifier();
        if (!v) {
          mismatches.fetch_add(1);
          return;
        }
        for (size_t i = 0; i < tokens.size(); ++i)
          if (run(*v, tokens[i]).status != reference[i]) mismatches.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0u);
}

}  // namespace
