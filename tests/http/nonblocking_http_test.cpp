// The non-blocking verification (VerifyOptions.allow_fetch = false, the C ABI's
// oidcore_verifier_verify_cached): it answers needs_fetch exactly when the blocking call
// would go to the network, never touches the network itself, and otherwise gives the same
// answer as the blocking call.
#include "http_test_support.hpp"

namespace oidcore::testing {
namespace {

using Clock = std::chrono::steady_clock;

class NonBlocking : public IdpTest {
 protected:
  std::unique_ptr<Verifier> verifier(const std::string& members = "") {
    const std::string uri = "\"jwks_uri\":" + json_string(idp().jwks_url());
    return make_verifier(idp().issuer(), members.empty() ? uri : uri + "," + members);
  }
  std::string token(int rsa) { return token_for(rsa_key(rsa), idp().issuer()); }
  std::string cached(const Verifier& v, const std::string& t) { return code(verify(v, t, false)); }
};

TEST_F(NonBlocking, FirstUseNeedsFetchAndTouchesNothing) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier();
  ASSERT_TRUE(v);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cached(*v, token(1)), "needs_fetch");
  EXPECT_EQ(idp().requests().total, 0);
  EXPECT_EQ(v->stats().keys->fetches, 0u);
  // needs_fetch is not an outcome: nothing is counted for it.
  for (uint64_t n : v->stats().by_status) EXPECT_EQ(n, 0u);
  // The blocking call for the same token does the fetch; then the cache answers.
  EXPECT_EQ(code(verify(*v, token(1))), "ok");
  EXPECT_EQ(cached(*v, token(1)), "ok");
  EXPECT_EQ(idp().requests().jwks, 1);
}

TEST_F(NonBlocking, TokensRefusedWithoutKeysNeverNeedAFetch) {
  auto v = verifier();
  ASSERT_TRUE(v);
  const std::string iss = idp().issuer();
  const TestKey hs = TestKey::generate(KeyKind::hmac, "hs");
  const std::string payload = claims_for(iss);
  const std::string junk[] = {
      "not a token",
      "a.b.c",
      make_jws_unsigned("{\"alg\":\"none\"}", payload),
      make_jws_hmac("HS256", hs.secret(), jwt_header("HS256", "hs"), payload),
      std::string(20000, 'a') + ".b.c",
  };
  const char* expected[] = {"malformed", "malformed", "unsupported_alg", "alg_not_allowed", "too_large"};
  for (size_t i = 0; i < std::size(junk); ++i) {
    SCOPED_TRACE(expected[i]);
    EXPECT_EQ(cached(*v, junk[i]), expected[i]);
    EXPECT_EQ(code(verify(*v, junk[i])), expected[i]);
  }
  EXPECT_EQ(idp().requests().total, 0);  // junk never reaches the provider
}

TEST_F(NonBlocking, UnknownKidNeedsFetchOnlyWhenTheBlockingCallWouldFetch) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier("\"jwks_refetch_interval\":1");
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  EXPECT_EQ(cached(*v, token(1)), "ok");
  const std::string unknown = token_with_kid("rotated-away", idp().issuer());
  EXPECT_EQ(cached(*v, unknown), "needs_fetch");
  const auto refetched = Clock::now();
  EXPECT_EQ(code(verify(*v, unknown)), "key_not_found");
  EXPECT_EQ(idp().requests().jwks, 2);
  // Another kid within the interval: the blocking call would not fetch, so neither asks.
  const std::string other = token_with_kid("other", idp().issuer());
  EXPECT_EQ(cached(*v, other), "key_not_found");
  EXPECT_EQ(code(verify(*v, other)), "key_not_found");
  EXPECT_EQ(idp().requests().jwks, 2);
  sleep_for(1.3 - elapsed_since(refetched));
  // The interval is over: "rotated-away" was checked by keys fetched after it was asked for,
  // so it needs nothing; "other" was not, and gets its refetch.
  EXPECT_EQ(cached(*v, unknown), "key_not_found");
  EXPECT_EQ(code(verify(*v, unknown)), "key_not_found");
  EXPECT_EQ(idp().requests().jwks, 2);
  EXPECT_EQ(cached(*v, other), "needs_fetch");
  EXPECT_EQ(code(verify(*v, other)), "key_not_found");
  EXPECT_EQ(idp().requests().jwks, 3);
  // A kid that is known needs nothing, whatever the interval.
  EXPECT_EQ(cached(*v, token(1)), "ok");
}

TEST_F(NonBlocking, RotatedKeyFoundAfterTheFetchItAskedFor) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier();
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  idp().set_jwks(jwks_of({&rsa_key(1), &rsa_key(2)}));
  EXPECT_EQ(cached(*v, token(2)), "needs_fetch");
  EXPECT_EQ(idp().requests().jwks, 1);
  EXPECT_EQ(code(verify(*v, token(2))), "ok");
  EXPECT_EQ(cached(*v, token(2)), "ok");
  EXPECT_EQ(idp().requests().jwks, 2);
}

TEST_F(NonBlocking, ExpiredKeysNeedFetchButStaleKeysServeWhileBackingOff) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier("\"cache_ttl\":1,\"cache_min_ttl\":1,\"cache_max_ttl\":1,\"jwks_retry_interval\":30");
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  sleep_for(1.1);
  EXPECT_EQ(cached(*v, token(1)), "needs_fetch");  // past the TTL: a refresh is due
  EXPECT_EQ(idp().requests().jwks, 1);
  idp().set_mode("/jwks", "\"mode\":\"status\",\"status\":500");
  EXPECT_EQ(code(verify(*v, token(1))), "ok");  // refresh failed, stale keys
  EXPECT_EQ(idp().requests().jwks, 2);
  // The provider is being left alone: the stale keys answer without any fetch.
  EXPECT_EQ(cached(*v, token(1)), "ok");
  EXPECT_EQ(code(verify(*v, token(1))), "ok");
  EXPECT_EQ(idp().requests().jwks, 2);
}

TEST_F(NonBlocking, NothingCachedWhileBackingOffIsJwksUnavailableNotNeedsFetch) {
  idp().set_mode("/jwks", "\"mode\":\"status\",\"status\":500");
  auto v = verifier("\"jwks_retry_interval\":30");
  ASSERT_TRUE(v);
  EXPECT_EQ(cached(*v, token(1)), "needs_fetch");
  const Error blocking = verify(*v, token(1));
  EXPECT_EQ(code(blocking), "jwks_unavailable");
  EXPECT_EQ(idp().requests().jwks, 1);
  // The blocking call would not fetch now (retry interval): the same answer, at once,
  // rather than sending every request to a worker thread for nothing.
  const Error e = verify(*v, token(1), false);
  EXPECT_EQ(code(e), "jwks_unavailable") << e.message;
  EXPECT_NE(e.message.find("500"), std::string::npos) << e.message;
  EXPECT_EQ(code(verify(*v, token(1))), "jwks_unavailable");
  EXPECT_EQ(idp().requests().jwks, 1);
}

TEST_F(NonBlocking, InlineKeysNeverNeedAFetch) {
  Error err;
  auto v = Verifier::create(config_json(idp().issuer(), "\"jwks\":" + jwks_of({&rsa_key(1)})), err);
  ASSERT_TRUE(v) << err.message;
  EXPECT_EQ(cached(*v, token(1)), "ok");
  EXPECT_EQ(cached(*v, token(2)), "key_not_found");
  EXPECT_FALSE(v->stats().keys.has_value());
}

}  // namespace
}  // namespace oidcore::testing
