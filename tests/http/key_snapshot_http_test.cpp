// The keys in use as each thread sees them: a key cache hands out its snapshot without a
// lock while its version is unchanged, from a copy each thread keeps. These tests check that
// a thread never gets another cache's keys (several caches on one thread, a cache destroyed
// and another created), and that every thread moves to the new keys after a refresh.
// The verified-token cache is off throughout, so each verification looks at the keys.
#include <atomic>
#include <barrier>
#include <thread>

#include "http_test_support.hpp"

namespace oidcore::testing {
namespace {

class KeySnapshots : public IdpTest {
 protected:
  // No unknown-kid refetch: a verifier keeps exactly the keys it fetched first.
  std::unique_ptr<Verifier> verifier(const std::string& extra = "") {
    return make_verifier(idp().issuer(), "\"jwks_uri\":" + json_string(idp().jwks_url()) +
                                             ",\"token_cache_size\":0,\"jwks_refetch_interval\":0" + extra);
  }
  std::string token(int rsa) { return token_for(rsa_key(rsa), idp().issuer()); }
};

TEST_F(KeySnapshots, VerifiersOnOneThreadEachKeepTheirOwnKeys) {
  // Six caches (more than a thread keeps copies of), fetched at different moments of the
  // provider's key set: rsa-1 only, rsa-2 only, rsa-3 only, then again.
  std::vector<std::unique_ptr<Verifier>> verifiers;
  std::vector<int> key_of;
  for (int i = 0; i < 6; ++i) {
    const int k = i % 3 + 1;
    idp().set_jwks(jwks_of({&rsa_key(k)}));
    verifiers.push_back(verifier());
    ASSERT_TRUE(verifiers.back());
    ASSERT_EQ(code(verify(*verifiers.back(), token(k))), "ok");
    key_of.push_back(k);
  }
  const std::string tokens[3] = {token(1), token(2), token(3)};
  for (int round = 0; round < 50; ++round) {
    for (size_t i = 0; i < verifiers.size(); ++i) {
      const size_t v = (i * 5 + static_cast<size_t>(round)) % verifiers.size();
      for (int k = 1; k <= 3; ++k)
        ASSERT_EQ(code(verify(*verifiers[v], tokens[k - 1])), k == key_of[v] ? "ok" : "key_not_found")
            << "verifier " << v << " token of rsa-" << k << " round " << round;
    }
  }
}

TEST_F(KeySnapshots, ADestroyedCachesKeysNeverReachTheNextOne) {
  for (int round = 0; round < 10; ++round) {
    const int k = round % 2 + 1, other = 3 - k;
    idp().set_jwks(jwks_of({&rsa_key(k)}));
    auto v = verifier();
    ASSERT_TRUE(v);
    ASSERT_EQ(code(verify(*v, token(k))), "ok");
    EXPECT_EQ(code(verify(*v, token(other))), "key_not_found") << "round " << round;
    // The verifier (and its key cache) goes; the next round's often takes its memory.
  }
}

TEST_F(KeySnapshots, EveryThreadMovesToTheRefreshedKeys) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier(",\"cache_ttl\":1,\"cache_min_ttl\":1");
  ASSERT_TRUE(v);
  const std::string t1 = token(1), t2 = token(2);
  ASSERT_EQ(code(verify(*v, t1)), "ok");
  constexpr int kThreads = 4;
  std::barrier sync(kThreads + 1);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      // Before: rsa-1 only, as this thread keeps seeing it.
      for (int n = 0; n < 20; ++n) {
        if (code(verify(*v, t1)) != "ok") ++wrong;
        if (code(verify(*v, t2)) != "key_not_found") ++wrong;
      }
      sync.arrive_and_wait();  // the keys rotate
      sync.arrive_and_wait();
      // After: the refreshed set (rsa-2 only), on every thread.
      for (int n = 0; n < 20; ++n) {
        if (code(verify(*v, t2)) != "ok") ++wrong;
        if (code(verify(*v, t1)) != "key_not_found") ++wrong;
      }
    });
  sync.arrive_and_wait();
  idp().set_jwks(jwks_of({&rsa_key(2)}));
  sleep_for(1.2);                          // TTL over
  EXPECT_EQ(code(verify(*v, t2)), "ok");   // refreshes
  sync.arrive_and_wait();
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(idp().requests().jwks, 2);
}

}  // namespace
}  // namespace oidcore::testing
