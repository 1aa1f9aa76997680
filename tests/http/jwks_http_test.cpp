// The JWKS cache against a real HTTP server: rotation, unknown-kid floods, outages, hostile
// responses, Cache-Control, stale-if-error, failure backoff. Every test states how many
// requests the provider must have seen, since "how often do we call the IdP" is exactly
// what an attacker (kid flood) or an outage (hammering a sick server) would change.
#include <atomic>
#include <barrier>
#include <random>
#include <thread>

#include "http_test_support.hpp"

namespace oidcore::testing {
namespace {

using Clock = std::chrono::steady_clock;

class JwksOverHttp : public IdpTest {
 protected:
  // A verifier on the server's /jwks with these extra configuration members.
  std::unique_ptr<Verifier> verifier(const std::string& members = "") {
    const std::string uri = "\"jwks_uri\":" + json_string(idp().jwks_url());
    return make_verifier(issuer(), members.empty() ? uri : uri + "," + members);
  }
  std::string issuer() { return idp().issuer(); }
  std::string token(int rsa) { return token_for(rsa_key(rsa), issuer()); }
  jwks::Stats key_stats(const Verifier& v) {
    auto s = v.stats().keys;
    EXPECT_TRUE(s.has_value());
    return s.value_or(jwks::Stats{});
  }
};

TEST_F(JwksOverHttp, FirstUseFetchesOnceThenServesFromCache) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier();
  ASSERT_TRUE(v);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(code(verify(*v, token(1))), "ok");
  EXPECT_EQ(idp().requests().jwks, 1);
  const auto s = key_stats(*v);
  EXPECT_EQ(s.fetches, 1u);
  EXPECT_EQ(s.fetch_failures, 0u);
  EXPECT_EQ(s.key_count, 1u);
  EXPECT_GE(s.cache_age, 0);
  EXPECT_FALSE(s.stale);
  EXPECT_GT(s.last_success_unix, 0);
  EXPECT_EQ(v->stats().by_status[static_cast<int>(Status::ok)], 5u);
}

TEST_F(JwksOverHttp, ConcurrentFirstUseSharesOneFetch) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  idp().set_delay("/jwks", 0.3);  // every caller arrives while the first fetch is in flight
  auto v = verifier();
  ASSERT_TRUE(v);
  const std::string t = token(1);
  constexpr int kThreads = 32;
  std::atomic<int> ok{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      if (!verify(*v, t)) ++ok;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(idp().requests().jwks, 1);
  EXPECT_EQ(key_stats(*v).fetches, 1u);
}

TEST_F(JwksOverHttp, RotationNewKeyAcceptedAfterExactlyOneRefetchOldKeyKeepsWorking) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier();
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  ASSERT_EQ(idp().requests().jwks, 1);

  // The provider publishes its next key next to the current one and starts signing with it.
  idp().set_jwks(jwks_of({&rsa_key(1), &rsa_key(2)}));
  EXPECT_EQ(code(verify(*v, token(2))), "ok");
  EXPECT_EQ(idp().requests().jwks, 2);  // exactly one refetch
  // Tokens signed before the rotation keep working while the old key is published, and
  // nothing is fetched for either of them any more.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(code(verify(*v, token(1))), "ok");
    EXPECT_EQ(code(verify(*v, token(2))), "ok");
  }
  EXPECT_EQ(idp().requests().jwks, 2);
  EXPECT_EQ(key_stats(*v).key_count, 2u);
  EXPECT_EQ(key_stats(*v).rate_limited, 0u);
}

TEST_F(JwksOverHttp, RetiredKeyRefusedOnceUnpublishedAndTheCacheRefreshed) {
  idp().set_jwks(jwks_of({&rsa_key(1), &rsa_key(2)}));
  auto v = verifier("\"cache_ttl\":2,\"cache_min_ttl\":1");
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  idp().set_jwks(jwks_of({&rsa_key(2)}));       // rsa-1 retired
  EXPECT_EQ(code(verify(*v, token(1))), "ok");  // still cached: no request yet
  EXPECT_EQ(idp().requests().jwks, 1);
  sleep_for(2.1);
  // TTL over: refresh (request 2), rsa-1 is gone, one unknown-kid refetch (request 3).
  EXPECT_EQ(code(verify(*v, token(1))), "key_not_found");
  EXPECT_EQ(idp().requests().jwks, 3);
  // Keys fetched after rsa-1 was asked for lack it: refused again at once, without any
  // request, for as long as these keys are in use.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(code(verify(*v, token(1))), "key_not_found");
  EXPECT_EQ(idp().requests().jwks, 3);
  EXPECT_EQ(code(verify(*v, token(2))), "ok");
  EXPECT_EQ(key_stats(*v).unknown_kid_cached, 5u);
  EXPECT_EQ(key_stats(*v).rate_limited, 0u);
  EXPECT_EQ(key_stats(*v).key_count, 1u);
}

TEST_F(JwksOverHttp, VerifiedTokenCacheStopsAnsweringOnceTheKeyIsRemoved) {
  idp().set_jwks(jwks_of({&rsa_key(1), &rsa_key(2)}));
  auto v = verifier("\"cache_ttl\":1,\"cache_min_ttl\":1,\"jwks_refetch_interval\":0");
  ASSERT_TRUE(v);
  const std::string t1 = token(1);
  ASSERT_EQ(code(verify(*v, t1)), "ok");
  ASSERT_EQ(code(verify(*v, t1)), "ok");
  EXPECT_EQ(v->stats().token_cache_hits, 1u) << "the second answer came from the cache";
  idp().set_jwks(jwks_of({&rsa_key(2)}));  // rsa-1 removed
  sleep_for(1.2);
  // The key set is due for a refresh: the cached answer is not given, the refetched set has
  // no rsa-1, and the token is refused although its bytes were verified before.
  EXPECT_EQ(code(verify(*v, t1)), "key_not_found");
  EXPECT_EQ(code(verify(*v, t1)), "key_not_found");
  EXPECT_EQ(v->stats().token_cache_hits, 1u);
}

TEST_F(JwksOverHttp, UnknownKidsCauseOneRefetchPerDefaultIntervalOfTwelveSeconds) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier();
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  // The first unknown kid refetches; the other 19, within the same 12 s, are refused at
  // once, saying when the next refetch may happen.
  for (int i = 0; i < 20; ++i) {
    const Error e = verify(*v, token_with_kid("unknown-" + std::to_string(i), issuer()));
    EXPECT_EQ(code(e), "key_not_found");
    if (i > 0) {
      EXPECT_NE(e.message.find("jwks_refetch_interval"), std::string::npos) << e.message;
    }
  }
  EXPECT_EQ(idp().requests().jwks, 1 + 1);
  EXPECT_EQ(key_stats(*v).rate_limited, 19u);
  EXPECT_EQ(code(verify(*v, token(1))), "ok");
  EXPECT_EQ(idp().requests().jwks, 2);
}

TEST_F(JwksOverHttp, KidFloodOfAThousandConcurrentVerificationsCausesOneRefetch) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier();
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  idp().set_delay("/jwks", 0.2);  // keeps refetches in flight while the flood arrives

  // A thousand verifications in flight at once: one thread each, released together.
  constexpr int kThreads = 1000, kPerThread = 1;
  std::vector<std::vector<std::string>> tokens(kThreads);
  std::mt19937_64 rng(std::random_device{}());
  for (auto& list : tokens)
    for (int i = 0; i < kPerThread; ++i) list.push_back(token_with_kid("attacker-" + std::to_string(rng()), issuer()));
  std::atomic<int> key_not_found{0};
  std::atomic<int> other{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (const auto& tok : tokens[t]) {
        const Error e = verify(*v, tok);
        if (e.status == Status::key_not_found)
          ++key_not_found;
        else
          ++other;
      }
    });
  for (auto& th : threads) th.join();
  const double took = elapsed_since(t0);

  EXPECT_EQ(key_not_found.load(), kThreads * kPerThread);
  EXPECT_EQ(other.load(), 0);
  RequestLog log = idp().requests();
  EXPECT_EQ(log.jwks, 1 + 1);  // the first miss refetches; nobody else fetches or waits for it
  EXPECT_LT(took, 5.0);

  // The attacker keeps going within the interval: nothing more is fetched.
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(code(verify(*v, token_with_kid("attacker-more-" + std::to_string(i), issuer()))), "key_not_found");
  log = idp().requests();
  EXPECT_EQ(log.jwks, 1 + 1);
  const auto s = key_stats(*v);
  EXPECT_EQ(s.fetches, static_cast<uint64_t>(log.jwks));
  EXPECT_GT(s.rate_limited, 0u);
  // Legitimate tokens are unaffected.
  idp().set_delay("/jwks", 0);
  EXPECT_EQ(code(verify(*v, token(1))), "ok");
  EXPECT_EQ(idp().requests().jwks, log.jwks);
}

TEST_F(JwksOverHttp, OutageWithCachedKeysErrorStatusServesStaleKeysVisibleInStats) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier(
      "\"cache_ttl\":1,\"cache_min_ttl\":1,\"cache_max_ttl\":1,\"stale_if_error\":2,\"jwks_retry_interval\":0");
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  const auto fetched = Clock::now();
  idp().set_mode("/jwks", "\"mode\":\"status\",\"status\":500");

  sleep_for(1.1);  // TTL over, stale window (2 s) not
  EXPECT_EQ(code(verify(*v, token(1))), "ok");
  EXPECT_EQ(idp().requests().jwks, 2);  // it did try
  auto s = key_stats(*v);
  EXPECT_TRUE(s.stale);
  EXPECT_EQ(s.fetch_failures, 1u);
  EXPECT_NE(s.last_error.find("500"), std::string::npos) << s.last_error;
  EXPECT_GT(s.last_failure_unix, 0);
  EXPECT_GE(s.cache_age, 1);
  EXPECT_EQ(s.key_count, 1u);

  // Past TTL + stale_if_error the keys are no longer trusted.
  sleep_for(3.1 - elapsed_since(fetched));
  const Error late = verify(*v, token(1));
  EXPECT_EQ(code(late), "jwks_unavailable") << late.message;
  EXPECT_NE(late.message.find("500"), std::string::npos) << late.message;

  // The provider recovers: keys are fresh again.
  idp().set_mode("/jwks", "\"mode\":\"normal\"");
  EXPECT_EQ(code(verify(*v, token(1))), "ok");
  s = key_stats(*v);
  EXPECT_FALSE(s.stale);
  EXPECT_LE(s.cache_age, 1);
}

TEST_F(JwksOverHttp, OutageWithCachedKeysHangingServerCostsOneTimeoutThenBacksOff) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier(
      "\"cache_ttl\":1,\"cache_min_ttl\":1,\"cache_max_ttl\":1,\"http_timeout\":0.5,\"jwks_retry_interval\":30");
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  idp().set_mode("/jwks", "\"mode\":\"hang\",\"seconds\":30");
  sleep_for(1.1);

  auto t0 = Clock::now();
  EXPECT_EQ(code(verify(*v, token(1))), "ok");  // waited for the refresh, then stale keys
  const double first = elapsed_since(t0);
  EXPECT_GE(first, 0.45);
  EXPECT_LT(first, 0.5 + 1.0);
  // Backing off: no more waiting and no more requests, blocking or not.
  t0 = Clock::now();
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(code(verify(*v, token(1))), "ok");
    EXPECT_EQ(code(verify(*v, token(1), /*allow_fetch=*/false)), "ok");
  }
  EXPECT_LT(elapsed_since(t0), 0.4);
  EXPECT_EQ(idp().requests().jwks, 2);
  const auto s = key_stats(*v);
  EXPECT_TRUE(s.stale);
  EXPECT_NE(s.last_error.find("timed out"), std::string::npos) << s.last_error;
}

TEST_F(JwksOverHttp, OutageWithNothingCachedHangIsJwksUnavailableWithinTheTimeout) {
  idp().set_mode("/jwks", "\"mode\":\"hang\",\"seconds\":30");
  auto v = verifier("\"http_timeout\":0.5");
  ASSERT_TRUE(v);
  const auto t0 = Clock::now();
  const Error e = verify(*v, token(1));
  const double took = elapsed_since(t0);
  EXPECT_EQ(code(e), "jwks_unavailable") << e.message;
  EXPECT_NE(e.message.find("timed out"), std::string::npos) << e.message;
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 0.5 + 1.0);
  EXPECT_EQ(idp().requests().jwks, 1);
}

TEST_F(JwksOverHttp, OutageWithNothingCachedSlowBodyIsCutByTheTotalTimeout) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  idp().set_mode("/jwks", "\"mode\":\"slow\",\"interval\":0.05");  // ~1.7 KB at 20 B/s
  auto v = verifier("\"http_timeout\":0.5");
  ASSERT_TRUE(v);
  const auto t0 = Clock::now();
  EXPECT_EQ(code(verify(*v, token(1))), "jwks_unavailable");
  EXPECT_LT(elapsed_since(t0), 0.5 + 1.0);
}

TEST_F(JwksOverHttp, OutageWithNothingCachedErrorsAreJwksUnavailableAndRetriedOnlyAfterTheInterval) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  idp().set_mode("/jwks", "\"mode\":\"status\",\"status\":503");
  auto v = verifier("\"jwks_retry_interval\":2");
  ASSERT_TRUE(v);
  const auto failed = Clock::now();
  Error e = verify(*v, token(1));
  EXPECT_EQ(code(e), "jwks_unavailable");
  EXPECT_NE(e.message.find("503"), std::string::npos) << e.message;
  // Within the retry interval nobody hammers the sick provider.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(code(verify(*v, token(1))), "jwks_unavailable");
  EXPECT_EQ(idp().requests().jwks, 1);
  EXPECT_EQ(key_stats(*v).fetch_failures, 1u);
  EXPECT_EQ(key_stats(*v).key_count, 0u);
  EXPECT_EQ(key_stats(*v).cache_age, -1);

  idp().set_mode("/jwks", "\"mode\":\"normal\"");
  sleep_for(2.1 - elapsed_since(failed));
  EXPECT_EQ(code(verify(*v, token(1))), "ok");
  EXPECT_EQ(idp().requests().jwks, 2);

  // A dropped connection is the same kind of failure.
  auto w = verifier();
  idp().set_mode("/jwks", "\"mode\":\"close\",\"reset\":true");
  EXPECT_EQ(code(verify(*w, token(1))), "jwks_unavailable");
}

TEST_F(JwksOverHttp, NothingListeningIsJwksUnavailable) {
  TestIdp gone;
  std::string error;
  ASSERT_TRUE(gone.start({}, error)) << error;
  const std::string uri = gone.jwks_url();
  ASSERT_EQ(gone.stop(), 0);
  auto v = make_verifier(issuer(), "\"jwks_uri\":" + json_string(uri) + ",\"connect_timeout\":0.5");
  ASSERT_TRUE(v);
  const auto t0 = Clock::now();
  EXPECT_EQ(code(verify(*v, token(1))), "jwks_unavailable");
  EXPECT_LT(elapsed_since(t0), 1.5);
}

struct Hostile {
  const char* name;
  const char* mode;      // members of the /_control/mode request
  const char* expected;  // status of refresh_keys()
  const char* hint;      // what the message must contain
  int max_requests;      // a dropped reused connection is retried once on a new one
};

const Hostile kHostile[] = {
    {"oversized", "\"mode\":\"huge\",\"bytes\":52428800", "too_large", "larger than 65536 bytes", 1},
    {"oversized_chunked", "\"mode\":\"huge\",\"bytes\":52428800,\"chunked\":true", "too_large",
     "larger than 65536 bytes", 1},
    {"invalid_json", "\"mode\":\"invalid_json\"", "jwks_unavailable", "JWKS refused: invalid JSON", 1},
    {"wrong_content", "\"mode\":\"wrong_content\"", "jwks_unavailable", "text/html", 1},
    {"empty_set", "\"mode\":\"empty_set\"", "jwks_unavailable", "empty set", 1},
    {"server_error", "\"mode\":\"status\",\"status\":500", "http_error", "HTTP 500", 1},
    {"not_found", "\"mode\":\"status\",\"status\":404,\"body\":\"gone\",\"content_type\":\"text/plain\"", "http_error",
     "HTTP 404", 1},
    {"closed", "\"mode\":\"close\"", "http_error", "Empty reply", 2},
};

TEST_F(JwksOverHttp, HostileResponsesAreClearErrorsAndTheGoodKeysAreKept) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier("\"max_response_bytes\":65536,\"jwks_retry_interval\":0");
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  idp().reset_counts();
  for (const Hostile& h : kHostile) {
    SCOPED_TRACE(h.name);
    idp().set_mode("/jwks", h.mode);
    const auto t0 = Clock::now();
    const Error e = v->refresh_keys();
    EXPECT_EQ(code(e), h.expected) << e.message;
    EXPECT_NE(e.message.find(h.hint), std::string::npos) << e.message;
    EXPECT_LT(elapsed_since(t0), 2.0);  // 50 MB are not downloaded to find out
    const int requests = idp().requests().jwks;
    EXPECT_GE(requests, 1);
    EXPECT_LE(requests, h.max_requests);
    idp().reset_counts();
    // The keys in use are untouched: same key, no new fetch to verify with it.
    EXPECT_EQ(code(verify(*v, token(1))), "ok");
    const auto s = key_stats(*v);
    EXPECT_EQ(s.key_count, 1u);
    EXPECT_EQ(s.last_error, e.message);
    EXPECT_EQ(idp().requests().jwks, 0);
  }
  EXPECT_EQ(key_stats(*v).fetch_failures, std::size(kHostile));
  // A rotation still gets through afterwards.
  idp().set_mode("/jwks", "\"mode\":\"normal\"");
  idp().set_jwks(jwks_of({&rsa_key(2)}));
  EXPECT_EQ(code(verify(*v, token(2))), "ok");
}

TEST_F(JwksOverHttp, HostileResponsesWithNothingCachedAreJwksUnavailable) {
  for (const Hostile& h : kHostile) {
    SCOPED_TRACE(h.name);
    idp().set_mode("/jwks", h.mode);
    auto v = verifier("\"max_response_bytes\":65536");
    ASSERT_TRUE(v);
    const Error e = verify(*v, token(1));
    if (std::string(h.name) == "empty_set") {
      // An empty set is a valid answer (Authentik serves one when it signs with the client
      // secret): there is simply no key for this token.
      EXPECT_EQ(code(e), "key_not_found") << e.message;
      continue;
    }
    EXPECT_EQ(code(e), "jwks_unavailable") << e.message;
    EXPECT_NE(e.message.find(h.hint), std::string::npos) << e.message;
  }
}

TEST_F(JwksOverHttp, FetchedSetsCannotSupplyHmacSecretsOrWeakRsaKeys) {
  // A provider (or whoever controls its responses) cannot slip an HMAC secret or a weak RSA
  // key into the cache.
  const TestKey weak = TestKey::generate(KeyKind::rsa1024, "weak");
  const TestKey secret = TestKey::generate(KeyKind::hmac, "secret");
  idp().set_jwks(make_jwks({weak.public_jwk(), secret.public_jwk()}));
  auto v = verifier();
  ASSERT_TRUE(v);
  EXPECT_EQ(code(verify(*v, token_for(weak, issuer()))), "key_not_found");
  const std::string hs = make_jws_hmac("HS256", secret.secret(), jwt_header("HS256", "secret"), claims_for(issuer()));
  EXPECT_EQ(code(verify(*v, hs)), "alg_not_allowed");
  EXPECT_EQ(key_stats(*v).key_count, 0u);
}

TEST_F(JwksOverHttp, CacheControlMaxAgeIsHonouredWithinTheConfiguredBounds) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  struct Case {
    const char* header;
    const char* bounds;
  };
  // ttl 2 from max-age; 3600 cut to the 2 s maximum; 0 / no-store raised to the 2 s
  // minimum; directive names are case-insensitive (RFC 9111 5.2). The 600 s default
  // cache_ttl applies to none of them.
  const Case cases[] = {
      {"max-age=2", "\"cache_min_ttl\":1,\"cache_max_ttl\":60"},
      {"public, max-age=3600", "\"cache_min_ttl\":1,\"cache_max_ttl\":2"},
      {"max-age=0", "\"cache_min_ttl\":2,\"cache_max_ttl\":60"},
      {"no-store", "\"cache_min_ttl\":2,\"cache_max_ttl\":60"},
      {"Public, Max-Age=2", "\"cache_min_ttl\":1,\"cache_max_ttl\":60"},
  };
  std::vector<std::unique_ptr<Verifier>> verifiers;
  for (const Case& c : cases) {
    idp().set_headers("/jwks", std::string("{\"Cache-Control\":") + json_string(c.header) + "}");
    verifiers.push_back(verifier(c.bounds));
    ASSERT_TRUE(verifiers.back());
    ASSERT_EQ(code(verify(*verifiers.back(), token(1))), "ok");
  }
  const auto fetched = Clock::now();
  const int n = static_cast<int>(std::size(cases));
  // Well within every TTL: nothing is fetched again (a max-age of 0 obeyed literally would).
  for (auto& v : verifiers) EXPECT_EQ(code(verify(*v, token(1))), "ok");
  EXPECT_EQ(idp().requests().jwks, n);
  sleep_for(2.1 - elapsed_since(fetched));
  for (size_t i = 0; i < verifiers.size(); ++i) {
    SCOPED_TRACE(cases[i].header);
    EXPECT_TRUE(key_stats(*verifiers[i]).stale);
    EXPECT_EQ(code(verify(*verifiers[i], token(1))), "ok");
    EXPECT_EQ(key_stats(*verifiers[i]).fetches, 2u);
    EXPECT_FALSE(key_stats(*verifiers[i]).stale);
  }
  EXPECT_EQ(idp().requests().jwks, 2 * n);
}

TEST_F(JwksOverHttp, WithoutMaxAgeTheConfiguredTtlApplies) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier("\"cache_ttl\":3600,\"cache_min_ttl\":1");
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  sleep_for(1.1);
  EXPECT_EQ(code(verify(*v, token(1))), "ok");
  EXPECT_FALSE(key_stats(*v).stale);
  EXPECT_EQ(idp().requests().jwks, 1);
}

}  // namespace
}  // namespace oidcore::testing
