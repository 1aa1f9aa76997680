// Key rotation against floods of unknown kids, and key removal, with the test identity
// provider over real HTTP. What jwks-rsa got wrong: a handful of junk kids spent its refetch
// budget (5 a minute) and a real user's token signed with a newly published key was refused
// for a minute; a key removed from the JWKS kept validating from cache for up to 10 minutes.
// Here: unknown kids cause at most one fetch per refetch interval (jwks_refetch_interval,
// default 12 s) and a new key is accepted within one interval whatever the junk traffic; kids
// already checked against the keys in use cost nothing; the keys are refreshed in the
// background before their TTL ends (cache_ttl, default 300 s), so a removed key stops
// validating within the TTL while the provider answers, and the last good keys are served
// only while fetches fail (stale-if-error).
//
// Timing: intervals and TTLs of 1 or 2 s, and every check made well after the moment it is
// about (half a second or more), never "within N ms".
#include <dirent.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>

#include "http_test_support.hpp"
#include "jwks/jwks_cache.hpp"

namespace oidcore::testing {
namespace {

using Clock = std::chrono::steady_clock;
using jwks::UnknownKids;

// ---------------------------------------------------------------------------------------
// The memory of unknown kids on its own.

jose::KeySet key_set(const std::vector<const TestKey*>& keys) {
  jose::KeySet out;
  const Error err = jose::parse_jwks(jwks_of(keys), jose::KeyPolicy{}, out);
  EXPECT_FALSE(err) << err.message;
  return out;
}

TEST(UnknownKids, AKidIsJudgedOnlyByAFetchThatStartedAfterItWasAskedFor) {
  UnknownKids u(16);
  u.note("early");
  const uint64_t fetch_started = u.mark();
  u.note("late");  // asked for while that fetch was on its way: its key may be newer
  u.new_generation(2, fetch_started, key_set({&rsa_key(1)}));
  EXPECT_TRUE(u.absent_from("early", 2));
  EXPECT_FALSE(u.absent_from("late", 2));
  EXPECT_EQ(u.absent_count(), 1u);
  EXPECT_EQ(u.waiting_count(), 1u);
  // The next fetch judges it.
  u.new_generation(3, u.mark(), key_set({&rsa_key(1)}));
  EXPECT_TRUE(u.absent_from("late", 3));
  EXPECT_TRUE(u.absent_from("early", 3));
  EXPECT_EQ(u.waiting_count(), 0u);
  // An answer holds only for the generation it was made for.
  EXPECT_FALSE(u.absent_from("early", 2));
  EXPECT_FALSE(u.absent_from("early", 4));
  EXPECT_FALSE(u.absent_from("never-asked", 3));
}

TEST(UnknownKids, ANewGenerationForgetsEveryKidItHolds) {
  UnknownKids u(16);
  u.note("rsa-2");  // a token signed with a key the provider had not published yet
  u.note("junk");
  u.new_generation(2, u.mark(), key_set({&rsa_key(1)}));
  ASSERT_TRUE(u.absent_from("rsa-2", 2));
  ASSERT_TRUE(u.absent_from("junk", 2));
  // The provider publishes rsa-2: the next generation holds it, so it is no longer refused.
  u.new_generation(3, u.mark(), key_set({&rsa_key(1), &rsa_key(2)}));
  EXPECT_FALSE(u.absent_from("rsa-2", 3));
  EXPECT_TRUE(u.absent_from("junk", 3));
  EXPECT_EQ(u.absent_count(), 1u);
  // A kid the keys hold, asked for while waiting, is forgotten too.
  u.note("rsa-1");
  u.new_generation(4, u.mark(), key_set({&rsa_key(1)}));
  EXPECT_FALSE(u.absent_from("rsa-1", 4));
  EXPECT_EQ(u.waiting_count(), 0u);
}

TEST(UnknownKids, BothSetsAreCappedAndLongKidsAreNeverKept) {
  constexpr size_t kCap = 3;
  UnknownKids u(kCap);
  for (int i = 0; i < 10; ++i) u.note("k" + std::to_string(i));
  EXPECT_EQ(u.waiting_count(), kCap);
  u.new_generation(2, u.mark(), key_set({&rsa_key(1)}));
  EXPECT_EQ(u.absent_count(), kCap);
  int remembered = 0;
  for (int i = 0; i < 10; ++i) remembered += u.absent_from("k" + std::to_string(i), 2) ? 1 : 0;
  EXPECT_EQ(remembered, static_cast<int>(kCap));
  // Full: more kids wait (up to the cap) but none is added to the absent ones.
  for (int i = 10; i < 20; ++i) u.note("k" + std::to_string(i));
  EXPECT_EQ(u.waiting_count(), kCap);
  u.new_generation(3, u.mark(), key_set({&rsa_key(1)}));
  EXPECT_EQ(u.absent_count(), kCap);
  EXPECT_EQ(u.waiting_count(), 0u);

  UnknownKids v(kCap);
  const std::string long_kid(UnknownKids::kMaxKidBytes + 1, 'x');
  const std::string longest(UnknownKids::kMaxKidBytes, 'y');
  v.note(long_kid);
  v.note(longest);
  v.note("");  // a token without kid: a new kid-less key could never be told apart
  EXPECT_EQ(v.waiting_count(), 1u);
  v.new_generation(2, v.mark(), key_set({}));
  EXPECT_FALSE(v.absent_from(long_kid, 2));
  EXPECT_FALSE(v.absent_from("", 2));
  EXPECT_TRUE(v.absent_from(longest, 2));
}

// ---------------------------------------------------------------------------------------
// Configuration of the refetch interval and the TTL bounds.

VerifierConfig parsed(const std::string& members, Error& err) {
  VerifierConfig c;
  err = parse_verifier_config(
      config_json("https://idp.example/", "\"jwks_uri\":\"https://idp.example/jwks\"" +
                                              (members.empty() ? std::string() : "," + members)),
      c);
  return c;
}

TEST(RotationConfig, DefaultsAreATwelveSecondIntervalAndFiveMinutesThatMaxAgeCannotStretch) {
  Error err;
  const auto c = parsed("", err);
  ASSERT_FALSE(err) << err.message;
  EXPECT_EQ(c.cache.refetch_interval_ms, 12000);
  EXPECT_EQ(c.cache.ttl, 300);
  EXPECT_EQ(c.cache.min_ttl, 60);
  EXPECT_EQ(c.cache.max_ttl, 300);
}

TEST(RotationConfig, RefetchIntervalInSecondsOrTheOlderRequestsPerMinute) {
  struct Case {
    const char* members;
    int64_t interval_ms;
  };
  const Case ok[] = {
      {"\"jwks_refetch_interval\":1.5", 1500},   {"\"jwks_refetch_interval\":0", 0},
      {"\"jwks_refetch_interval\":0.1", 100},    {"\"jwks_refetch_interval\":3600", 3600000},
      {"\"jwks_requests_per_minute\":5", 12000}, {"\"jwks_requests_per_minute\":60", 1000},
      {"\"jwks_requests_per_minute\":0", 0},
  };
  for (const Case& c : ok) {
    SCOPED_TRACE(c.members);
    Error err;
    const auto cfg = parsed(c.members, err);
    ASSERT_FALSE(err) << err.message;
    EXPECT_EQ(cfg.cache.refetch_interval_ms, c.interval_ms);
  }
  const char* bad[] = {
      "\"jwks_refetch_interval\":0.05", "\"jwks_refetch_interval\":-1",  "\"jwks_refetch_interval\":3601",
      "\"jwks_refetch_interval\":\"12\"", "\"jwks_requests_per_minute\":601",
      "\"jwks_refetch_interval\":12,\"jwks_requests_per_minute\":5",
  };
  for (const char* members : bad) {
    SCOPED_TRACE(members);
    Error err;
    (void)parsed(members, err);
    EXPECT_EQ(code(err), "invalid_config");
    EXPECT_NE(err.message.find("jwks_re"), std::string::npos) << err.message;
  }
}

TEST(RotationConfig, MaxTtlFollowsTheTtlUnlessGiven) {
  struct Case {
    const char* members;
    int64_t ttl, min_ttl, max_ttl;
  };
  const Case cases[] = {
      {"\"cache_ttl\":3600", 3600, 60, 3600},
      {"\"cache_ttl\":30", 30, 30, 30},
      {"\"cache_min_ttl\":600", 300, 600, 600},
      {"\"cache_max_ttl\":86400", 300, 60, 86400},
      {"\"cache_ttl\":2,\"cache_min_ttl\":1", 2, 1, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.members);
    Error err;
    const auto cfg = parsed(c.members, err);
    ASSERT_FALSE(err) << err.message;
    EXPECT_EQ(cfg.cache.ttl, c.ttl);
    EXPECT_EQ(cfg.cache.min_ttl, c.min_ttl);
    EXPECT_EQ(cfg.cache.max_ttl, c.max_ttl);
  }
  Error err;
  (void)parsed("\"cache_ttl\":0", err);  // a fetch for every verification
  EXPECT_EQ(code(err), "invalid_config");
  (void)parsed("\"cache_min_ttl\":600,\"cache_max_ttl\":300", err);
  EXPECT_EQ(code(err), "invalid_config");
}

// ---------------------------------------------------------------------------------------
// Against the provider.

class Rotation : public IdpTest {
 protected:
  std::unique_ptr<Verifier> verifier(const std::string& members) {
    return make_verifier(idp().issuer(), "\"jwks_uri\":" + json_string(idp().jwks_url()) + "," + members);
  }
  std::string token(int rsa) { return token_for(rsa_key(rsa), idp().issuer()); }
  // A token naming `kid`, made without signing anything (junk costs the attacker nothing).
  std::string junk(const std::string& kid) {
    if (junk_rest_.empty()) {
      const auto parts = split_compact(token(1));
      junk_rest_ = "." + parts.at(1) + "." + parts.at(2);
    }
    return b64url(jwt_header("RS256", kid)) + junk_rest_;
  }
  static jwks::Stats key_stats(const Verifier& v) { return v.stats().keys.value_or(jwks::Stats{}); }

  std::string junk_rest_;
};

TEST_F(Rotation, UnderAFloodOfRandomKidsANewKeyIsAcceptedWithinOneIntervalAndFetchesStayAtOnePerInterval) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier("\"jwks_refetch_interval\":1");
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  (void)junk("x");  // prepared before the threads share it
  idp().reset_counts();

  // Junk from two threads, about 10,000 verifications a second, each with a kid never seen.
  std::atomic<bool> stop{false};
  std::atomic<long> refused{0}, other{0};
  std::vector<std::thread> flood;
  const auto flood_start = Clock::now();
  for (int t = 0; t < 2; ++t)
    flood.emplace_back([&, t] {
      std::mt19937_64 rng(std::random_device{}() + static_cast<unsigned>(t));
      while (!stop.load()) {
        const Error e = verify(*v, junk("attacker-" + std::to_string(rng())));
        (e.status == Status::key_not_found ? refused : other).fetch_add(1);
      }
    });
  sleep_for(1.5);

  // The provider rotates: its next key is published, and users' tokens are signed with it.
  idp().set_jwks(jwks_of({&rsa_key(1), &rsa_key(2)}));
  // One interval later (plus room for the fetch), the junk itself has made the refetch
  // that brings the new key: a user's token with it is accepted at its first try.
  sleep_for(1.0 + 0.8);
  const Error user = verify(*v, token(2));
  EXPECT_EQ(code(user), "ok") << user.message;
  sleep_for(1.0);
  stop.store(true);
  for (auto& th : flood) th.join();
  const double flood_seconds = elapsed_since(flood_start);

  EXPECT_GT(refused.load(), 1000);
  EXPECT_EQ(other.load(), 0);
  // At most one fetch per started interval of the flood (and the flood did cause refetches,
  // the first at once).
  const int fetches = idp().requests().jwks;
  EXPECT_GE(fetches, 2);
  EXPECT_LE(fetches, static_cast<int>(std::floor(flood_seconds / 1.0)) + 1) << "over " << flood_seconds << " s";
  const auto s = key_stats(*v);
  EXPECT_EQ(s.fetches, static_cast<uint64_t>(fetches) + 1);
  EXPECT_EQ(s.fetch_failures, 0u);
  EXPECT_GT(s.rate_limited, 1000u);
  // Both keys are in use now; the user's later tokens need nothing.
  EXPECT_EQ(s.key_count, 2u);
  EXPECT_EQ(code(verify(*v, token(2))), "ok");
  EXPECT_EQ(code(verify(*v, token(1))), "ok");
}

TEST_F(Rotation, JunkJustBeforeTheUserDelaysANewKeyByOneIntervalAtMost) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier("\"jwks_refetch_interval\":1");
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  ASSERT_EQ(idp().requests().jwks, 1);

  // The worst moment: junk takes the interval's refetch just before the rotation.
  EXPECT_EQ(code(verify(*v, junk("junk-0"))), "key_not_found");
  const auto junk_refetch = Clock::now();
  EXPECT_EQ(idp().requests().jwks, 2);
  idp().set_jwks(jwks_of({&rsa_key(1), &rsa_key(2)}));
  // The user's token is refused for the rest of the interval, without waiting and without a
  // fetch, however much junk comes meanwhile...
  const Error early = verify(*v, token(2));
  EXPECT_EQ(code(early), "key_not_found");
  EXPECT_NE(early.message.find("jwks_refetch_interval"), std::string::npos) << early.message;
  for (int i = 1; i <= 50; ++i) EXPECT_EQ(code(verify(*v, junk("junk-" + std::to_string(i)))), "key_not_found");
  EXPECT_EQ(code(verify(*v, token(2))), "key_not_found");
  EXPECT_EQ(idp().requests().jwks, 2);
  // ...and accepted once it is over: its own refetch brings the key. Having been refused
  // before does not count against it.
  sleep_for(1.3 - elapsed_since(junk_refetch));
  const Error later = verify(*v, token(2));
  EXPECT_EQ(code(later), "ok") << later.message;
  EXPECT_EQ(idp().requests().jwks, 3);
  EXPECT_EQ(key_stats(*v).rate_limited, 52u);
}

TEST_F(Rotation, ReplayedJunkKidsCostNothingOnceKeysFetchedAfterThemLackThem) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = verifier("\"jwks_refetch_interval\":1");
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(1))), "ok");
  idp().reset_counts();
  // The same twenty bad tokens sent again and again for three intervals (a client of
  // another environment, or a replaying bot).
  std::vector<std::string> replayed;
  for (int i = 0; i < 20; ++i) replayed.push_back(junk("stale-" + std::to_string(i)));
  const auto start = Clock::now();
  long sent = 0;
  while (elapsed_since(start) < 3.5) {
    for (const auto& t : replayed) EXPECT_EQ(code(verify(*v, t)), "key_not_found");
    sent += static_cast<long>(replayed.size());
    sleep_for(0.01);
  }
  // One refetch for the first kid; the next interval's refetch judges the other nineteen
  // (asked for before it started); after that every one of them is answered from memory.
  EXPECT_EQ(idp().requests().jwks, 2);
  const auto s = key_stats(*v);
  EXPECT_GT(s.unknown_kid_cached, static_cast<uint64_t>(sent / 2));
  EXPECT_EQ(code(verify(*v, token(1))), "ok");
  // A kid nobody asked for before still gets its refetch (the interval is long over).
  EXPECT_EQ(code(verify(*v, junk("fresh"))), "key_not_found");
  EXPECT_EQ(idp().requests().jwks, 3);
  // And the memory never holds a key the provider publishes later.
  idp().set_jwks(jwks_of({&rsa_key(1), &rsa_key(2)}));
  sleep_for(1.1);
  EXPECT_EQ(code(verify(*v, token(2))), "ok");
}

TEST_F(Rotation, RemovedKeyStopsValidatingWithinTheTtlWhileNoCallerWaitsForARefresh) {
  idp().set_jwks(jwks_of({&rsa_key(1), &rsa_key(2)}));
  // TTL 2 s: the background refresh starts in its second half.
  auto v = verifier("\"cache_ttl\":2,\"cache_min_ttl\":1");
  ASSERT_TRUE(v);
  const std::string t1 = token(1), t2 = token(2);
  ASSERT_EQ(code(verify(*v, t1)), "ok");
  ASSERT_EQ(code(verify(*v, t2)), "ok");

  idp().set_jwks(jwks_of({&rsa_key(2)}));  // rsa-1 removed
  const auto removed = Clock::now();
  // Steady traffic past the TTL, through the call that never waits for the network: it never
  // has to ask for a fetch, because the keys are refreshed ahead of their TTL.
  int needs_fetch = 0, not_ok = 0, calls = 0;
  while (elapsed_since(removed) < 2.0 + 1.0) {
    const Error e = verify(*v, t2, /*allow_fetch=*/false);
    if (e.status == Status::needs_fetch) ++needs_fetch;
    else if (e) ++not_ok;
    ++calls;
    sleep_for(0.02);
  }
  EXPECT_EQ(needs_fetch, 0) << "of " << calls;
  EXPECT_EQ(not_ok, 0);
  auto s = key_stats(*v);
  EXPECT_GE(s.background_refreshes, 1u);
  EXPECT_FALSE(s.stale);
  EXPECT_EQ(s.key_count, 1u);
  // The attacker's side: a token signed by the removed key (the verified-token cache has
  // seen it, byte for byte) is refused after the bound.
  const Error e = verify(*v, t1);
  EXPECT_EQ(code(e), "key_not_found") << e.message;
  EXPECT_EQ(code(verify(*v, t1, /*allow_fetch=*/false)), "key_not_found");
}

TEST_F(Rotation, RemovedKeyStopsValidatingAfterAnIdleTtlAndMaxAgeCannotStretchIt) {
  // The provider says its keys may be cached for a day; the configured TTL still bounds them
  // unless cache_max_ttl raises the ceiling explicitly.
  idp().set_headers("/jwks", "{\"Cache-Control\":\"public, max-age=86400\"}");
  idp().set_jwks(jwks_of({&rsa_key(1), &rsa_key(2)}));
  auto bounded = verifier("\"cache_ttl\":1,\"cache_min_ttl\":1");
  auto stretched = verifier("\"cache_ttl\":1,\"cache_min_ttl\":1,\"cache_max_ttl\":86400");
  ASSERT_TRUE(bounded && stretched);
  const std::string t1 = token(1);
  ASSERT_EQ(code(verify(*bounded, t1)), "ok");
  ASSERT_EQ(code(verify(*stretched, t1)), "ok");
  idp().set_jwks(jwks_of({&rsa_key(2)}));  // rsa-1 removed
  sleep_for(1.5);  // no traffic at all: nothing was refreshed in the background
  // The first verification after the TTL waits for the refresh instead of using stale keys.
  const Error e = verify(*bounded, t1);
  EXPECT_EQ(code(e), "key_not_found") << e.message;
  EXPECT_EQ(key_stats(*bounded).background_refreshes, 0u);
  // The explicit day-long ceiling is honoured: the operator asked for it.
  EXPECT_EQ(code(verify(*stretched, t1)), "ok");
  EXPECT_EQ(key_stats(*stretched).fetches, 1u);
}

TEST_F(Rotation, ProviderDownTheLastGoodKeysAreServedOnlyWhileFetchesFail) {
  TestIdp provider;
  std::string error;
  ASSERT_TRUE(provider.start({}, error)) << error;
  provider.set_jwks(jwks_of({&rsa_key(1)}));
  auto v = make_verifier(provider.issuer(), "\"jwks_uri\":" + json_string(provider.jwks_url()) +
                                                ",\"cache_ttl\":1,\"cache_min_ttl\":1,\"stale_if_error\":60,"
                                                "\"jwks_retry_interval\":1,\"connect_timeout\":0.5");
  ASSERT_TRUE(v);
  const std::string t1 = token_for(rsa_key(1), provider.issuer());
  ASSERT_EQ(code(verify(*v, t1)), "ok");
  ASSERT_EQ(provider.stop(), 0);  // down: nothing listens any more
  sleep_for(1.5);                 // past the TTL
  // Stale-if-error: the refresh fails, the last good keys keep validating.
  for (int i = 0; i < 3; ++i) {
    const Error e = verify(*v, t1);
    EXPECT_EQ(code(e), "ok") << e.message;
    sleep_for(0.6);  // past the retry interval now and then: it tries again, and fails again
  }
  const auto s = key_stats(*v);
  EXPECT_TRUE(s.stale);
  EXPECT_GE(s.fetch_failures, 2u);
  EXPECT_EQ(s.key_count, 1u);
  EXPECT_FALSE(s.last_error.empty());
  // A key it never fetched is still unknown: nothing new comes from a provider that is down.
  EXPECT_EQ(code(verify(*v, token_for(rsa_key(2), provider.issuer()))), "key_not_found");
}

TEST_F(Rotation, BackgroundRefreshLeavesNoThreadAndIsWaitedForOnDestruction) {
  const auto threads_now = [] {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/task")) {
      while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
      ::closedir(d);
    }
    return n;
  };
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  const std::string t1 = token(1);
  const int before = threads_now();
  {
    auto v = verifier("\"cache_ttl\":1,\"cache_min_ttl\":1");
    ASSERT_TRUE(v);
    ASSERT_EQ(code(verify(*v, t1)), "ok");
    // Traffic through the second half of the TTL: one refresh in the background.
    const auto start = Clock::now();
    while (elapsed_since(start) < 0.9) {
      EXPECT_EQ(code(verify(*v, t1, false)), "ok");
      sleep_for(0.02);
    }
    sleep_for(0.3);
    EXPECT_GE(key_stats(*v).background_refreshes, 1u);
    EXPECT_EQ(threads_now(), before) << "an idle verifier owns no thread";
  }
  {
    // A background refresh still on its way when the verifier goes, the provider hanging:
    // the fetch is abandoned and its thread joined, without waiting out http_timeout (20 s).
    auto v = verifier("\"cache_ttl\":1,\"cache_min_ttl\":1,\"http_timeout\":20");
    ASSERT_TRUE(v);
    ASSERT_EQ(code(verify(*v, t1)), "ok");
    idp().set_mode("/jwks", "\"mode\":\"hang\"");
    sleep_for(0.6);  // into the second half of the TTL
    EXPECT_EQ(code(verify(*v, t1, false)), "ok");
    sleep_for(0.3);
    EXPECT_EQ(threads_now(), before + 1) << "the refresh is on its way";
    const auto destroying = Clock::now();
    v.reset();
    EXPECT_LT(elapsed_since(destroying), 5.0) << "the hanging fetch was waited out";
    EXPECT_GE(idp().requests().jwks, 2) << "the refresh did reach the provider";
  }
  EXPECT_EQ(threads_now(), before);
}

}  // namespace
}  // namespace oidcore::testing
