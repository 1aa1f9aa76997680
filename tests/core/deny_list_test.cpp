// The deny list of ended sessions, with the memory store and a clock the test moves: a
// listed session is refused (revoked) until its token's exp and not a second longer; the key
// is the sid, else the jti, else the token, and never shows them; a token answered from the
// verified-token cache is refused all the same; a store that fails refuses the token
// (store_unavailable); junk never reaches the store; and nothing is looked up unless the
// deny list is configured.
#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "store/memory_store.hpp"
#include "store_doubles.hpp"
#include "token_factory.hpp"
#include "verifier/deny_list.hpp"
#include "verifier/verifier.hpp"

namespace {

namespace tf = oidcore::testing;
namespace deny_list = oidcore::deny_list;
using oidcore::Error;
using oidcore::Status;
using oidcore::status_name;
using oidcore::Verifier;
using oidcore::VerifiedToken;
using oidcore::VerifyOptions;
using oidcore::store::MemoryStore;
using oidcore::testing::ManualClock;
using oidcore::testing::ProbeStore;
using oidcore::testing::UnreachableStore;

const std::string kIssuer = "https://auth.example.com/application/o/app/";
constexpr int64_t kNow = 1'900'000'000;  // the verifiers' clock ("now")

std::string claims(int64_t exp, const std::string& extra = "", const std::string& iss = kIssuer) {
  return "{\"iss\":" + tf::json_string(iss) + ",\"sub\":\"u1\",\"aud\":\"app\",\"iat\":" + std::to_string(kNow - 10) +
         ",\"exp\":" + std::to_string(exp) + extra + "}";
}

struct Fixture {
  ManualClock clock{5'000};
  std::unique_ptr<MemoryStore> memory;
  std::unique_ptr<ProbeStore> store;  // counts the lookups
  tf::TestKey key = tf::TestKey::generate(tf::KeyKind::p256, "k1");

  Fixture() {
    oidcore::store::MemoryStoreConfig config;
    config.clock = clock.clock();
    Error err;
    memory = MemoryStore::create(config, err);
    EXPECT_TRUE(memory) << err.message;
    store = std::make_unique<ProbeStore>(*memory);
  }
  std::string config(int64_t now, const std::string& extra = "") const {
    return "{\"issuer\":" + tf::json_string(kIssuer) + ",\"audience\":\"app\",\"now\":" + std::to_string(now) +
           ",\"jwks\":" + key.jwks() + extra + "}";
  }
  // A verifier consulting the deny list (the default cache on), its clock at `now`.
  std::unique_ptr<Verifier> verifier(int64_t now = kNow, oidcore::store::Store* s = nullptr,
                                     const std::string& extra = "") const {
    Error err;
    auto v = Verifier::create(config(now, ",\"deny_list\":true" + extra), s ? s : store.get(), err);
    EXPECT_TRUE(v) << err.message;
    return v;
  }
  std::string token(const std::string& payload) const {
    return tf::make_jws(key, "ES256", R"({"alg":"ES256","kid":"k1","typ":"JWT"})", payload);
  }
  // Logs the token's session out as the relying party does: listed until exp.
  bool deny(const std::string& token, int64_t now = kNow, int64_t tolerance = 0) {
    VerifiedToken vt;
    auto v = verifier(now);
    Error err = v->verify(token, vt);
    EXPECT_TRUE(err.ok()) << status_name(err.status) << ": " << err.message;
    bool listed = false;
    err = deny_list::add(*store, vt.claims, token, now, tolerance, listed);
    EXPECT_TRUE(err.ok()) << err.message;
    return listed;
  }
};

Error verify(const Verifier& v, const std::string& token, VerifyOptions options = {}) {
  VerifiedToken out;
  return v.verify(token, out, options);
}

std::string outcome(const Error& e) { return std::string(status_name(e.status)) + ": " + e.message; }

#define EXPECT_STATUS(expr, expected) \
  EXPECT_EQ(status_name((expr).status), status_name(Status::expected))

TEST(DenyList, ATokenIsListedUntilItsExpThenTheEntryIsGone) {
  Fixture f;
  const std::string token = f.token(claims(kNow + 100, ",\"jti\":\"token-1\""));
  auto v = f.verifier();
  EXPECT_STATUS(verify(*v, token), ok);

  ASSERT_TRUE(f.deny(token));
  EXPECT_EQ(f.store->last_ttl, 100) << "TTL = exp - now";
  EXPECT_FALSE(f.store->last_only_if_absent);
  const Error refused = verify(*v, token);
  EXPECT_STATUS(refused, revoked) << outcome(refused);
  EXPECT_NE(refused.message.find("jti"), std::string::npos) << refused.message;
  EXPECT_EQ(v->stats().by_status[static_cast<int>(Status::revoked)], 1u);

  // One second before exp: still refused. At exp the entry is gone from the store, and a
  // verifier whose clock reached exp refuses the token as expired, without the store.
  f.clock.advance(99);
  EXPECT_STATUS(verify(*v, token), revoked);
  f.clock.advance(1);
  EXPECT_EQ(f.memory->size(), 1u) << "not reclaimed yet";
  std::string value;
  EXPECT_EQ(f.memory->get(deny_list::key_for(claims(kNow + 100, ",\"jti\":\"token-1\""), token), value).status,
            Status::not_found);
  EXPECT_EQ(f.memory->size(), 0u) << "the expired entry went with the lookup";
  auto later = f.verifier(kNow + 100);
  const int gets = f.store->gets;
  EXPECT_STATUS(verify(*later, token), expired);
  EXPECT_EQ(f.store->gets, gets) << "an expired token costs no store lookup";
}

TEST(DenyList, ASessionStaysListedUntilEveryTokenIssuedBeforeTheLogoutHasExpired) {
  // Two access tokens of one session, 110 s lifetimes: the second was refreshed 50 s after
  // the first, just before the logout, which presents the first (the one in the cookie).
  Fixture f;
  const std::string first = f.token(claims(kNow + 100, ",\"sid\":\"session-1\""));  // iat kNow - 10
  const std::string refreshed = f.token("{\"iss\":" + tf::json_string(kIssuer) +
                                        ",\"sub\":\"u1\",\"aud\":\"app\",\"iat\":" + std::to_string(kNow + 40) +
                                        ",\"exp\":" + std::to_string(kNow + 150) + ",\"sid\":\"session-1\"}");
  f.clock.advance(40);  // the store's clock: the logout happens at kNow + 40
  auto v = f.verifier(kNow + 40);
  EXPECT_STATUS(verify(*v, refreshed), ok);
  ASSERT_TRUE(f.deny(first, kNow + 40));
  EXPECT_EQ(f.store->last_ttl, 110) << "the first token's lifetime, from the logout on";
  EXPECT_STATUS(verify(*v, first), revoked);
  EXPECT_STATUS(verify(*v, refreshed), revoked);
  // Past the first token's exp, the refreshed one is still refused, to its own last second.
  f.clock.advance(70);
  EXPECT_STATUS(verify(*f.verifier(kNow + 110), first), expired);
  EXPECT_STATUS(verify(*f.verifier(kNow + 110), refreshed), revoked);
  f.clock.advance(39);
  EXPECT_STATUS(verify(*f.verifier(kNow + 149), refreshed), revoked);
  // A jti or the token itself lists that token alone: its exp is enough.
  const std::string by_jti = f.token(claims(kNow + 200, ",\"jti\":\"j-2\""));
  ASSERT_TRUE(f.deny(by_jti, kNow + 149));
  EXPECT_EQ(f.store->last_ttl, 51);
}

TEST(DenyList, TheClockToleranceExtendsTheListing) {
  Fixture f;
  const std::string token = f.token(claims(kNow + 100, ",\"jti\":\"j-1\""));
  ASSERT_TRUE(f.deny(token, kNow, 30));
  EXPECT_EQ(f.store->last_ttl, 130) << "a verifier with 30 s of tolerance accepts the token until exp + 30";
}

TEST(DenyList, NothingIsListedForATokenPastItsExp) {
  Fixture f;
  const std::string claims_json = claims(kNow - 1, ",\"sid\":\"s\"");
  bool listed = true;
  ASSERT_TRUE(deny_list::add(*f.store, claims_json, "t", kNow, 0, listed).ok());
  EXPECT_FALSE(listed);
  ASSERT_TRUE(deny_list::add(*f.store, claims(kNow, ",\"sid\":\"s\""), "t", kNow, 0, listed).ok());
  EXPECT_FALSE(listed) << "exp == now: already expired";
  ASSERT_TRUE(deny_list::add(*f.store, "{\"sid\":\"s\"}", "t", kNow, 0, listed).ok());
  EXPECT_FALSE(listed) << "no exp: nothing to bound the entry by";
  ASSERT_TRUE(deny_list::add(*f.store, "{\"sid\":\"s\",\"exp\":\"soon\"}", "t", kNow, 0, listed).ok());
  EXPECT_FALSE(listed);
  EXPECT_EQ(f.store->puts, 0);
  // A fractional exp is rounded up: the token is refused to its last accepted second.
  ASSERT_TRUE(deny_list::add(*f.store, "{\"sid\":\"s\",\"exp\":" + std::to_string(kNow) + ".5}", "t", kNow, 0, listed)
                  .ok());
  EXPECT_TRUE(listed);
  EXPECT_EQ(f.store->last_ttl, 1);
}

TEST(DenyList, KeyedBySidElseJtiElseTheToken) {
  const int64_t exp = kNow + 100;
  EXPECT_EQ(deny_list::keyed_by(claims(exp, ",\"sid\":\"s1\",\"jti\":\"j1\"")), "sid");
  EXPECT_EQ(deny_list::keyed_by(claims(exp, ",\"jti\":\"j1\"")), "jti");
  EXPECT_EQ(deny_list::keyed_by(claims(exp)), "token");
  EXPECT_EQ(deny_list::keyed_by(claims(exp, ",\"sid\":\"\",\"jti\":7")), "token") << "empty or non-string ids";
  EXPECT_EQ(deny_list::keyed_by("not json"), "token");

  // The sid is the session: every token of it has the same key, whatever else differs.
  const std::string a = deny_list::key_for(claims(exp, ",\"sid\":\"s1\",\"jti\":\"j1\""), "token-a");
  const std::string b = deny_list::key_for(claims(exp + 50, ",\"sid\":\"s1\",\"jti\":\"j2\""), "token-b");
  EXPECT_EQ(a, b);
  // Another session, another issuer, or the same value as another kind: another key.
  std::vector<std::string> keys = {
      a,
      deny_list::key_for(claims(exp, ",\"sid\":\"s2\""), "token-a"),
      deny_list::key_for(claims(exp, ",\"sid\":\"s1\"", "https://other.example.com/"), "token-a"),
      deny_list::key_for(claims(exp, ",\"jti\":\"s1\""), "token-a"),
      deny_list::key_for(claims(exp, ",\"jti\":\"j1\""), "token-a"),
      deny_list::key_for(claims(exp), "token-a"),
      deny_list::key_for(claims(exp), "token-b"),
  };
  for (size_t i = 0; i < keys.size(); ++i)
    for (size_t j = i + 1; j < keys.size(); ++j) EXPECT_NE(keys[i], keys[j]) << i << " vs " << j;
  // The store sees a hash: neither the sid nor any part of the token.
  for (const auto& k : keys) {
    EXPECT_EQ(k.rfind("deny:", 0), 0u) << k;
    EXPECT_EQ(k.size(), 5u + 43u) << k;
    EXPECT_EQ(k.find("s1"), std::string::npos) << k;
    EXPECT_EQ(k.find("token"), std::string::npos) << k;
  }
}

TEST(DenyList, TheWholeSessionIsRefusedAndOnlyIt) {
  Fixture f;
  auto v = f.verifier();
  const std::string first = f.token(claims(kNow + 100, ",\"sid\":\"S\""));
  const std::string refreshed = f.token(claims(kNow + 90, ",\"sid\":\"S\",\"nbf\":1"));
  const std::string other_session = f.token(claims(kNow + 100, ",\"sid\":\"T\""));
  const std::string by_jti = f.token(claims(kNow + 100, ",\"jti\":\"J\""));
  const std::string plain = f.token(claims(kNow + 100));
  const std::string plain2 = f.token(claims(kNow + 101));
  ASSERT_TRUE(f.deny(first));
  EXPECT_STATUS(verify(*v, first), revoked);
  EXPECT_STATUS(verify(*v, refreshed), revoked);
  EXPECT_STATUS(verify(*v, other_session), ok);
  // Without a sid the jti is listed; without either, the token itself.
  EXPECT_STATUS(verify(*v, by_jti), ok);
  ASSERT_TRUE(f.deny(by_jti));
  EXPECT_STATUS(verify(*v, by_jti), revoked);
  EXPECT_STATUS(verify(*v, plain), ok);
  ASSERT_TRUE(f.deny(plain));
  EXPECT_STATUS(verify(*v, plain), revoked);
  EXPECT_STATUS(verify(*v, plain2), ok);  // a token of its own is listed, not its user
}

TEST(DenyList, ACachedTokenIsStillRefused) {
  Fixture f;
  auto v = f.verifier();
  const std::string token = f.token(claims(kNow + 100, ",\"sid\":\"cached\""));
  EXPECT_STATUS(verify(*v, token), ok);
  EXPECT_STATUS(verify(*v, token), ok);
  ASSERT_EQ(v->stats().token_cache_hits, 1u) << "the token is answered from the cache";
  const int gets = f.store->gets;
  ASSERT_TRUE(f.deny(token));
  // From the cache (no signature check) and still refused: the lookup comes after it.
  EXPECT_STATUS(verify(*v, token), revoked);
  EXPECT_EQ(v->stats().token_cache_hits, 2u);
  EXPECT_GT(f.store->gets, gets + 1);
}

TEST(DenyList, ACachedTokenIsRefusedWhenAnotherTokenOfItsSessionIsDenied) {
  // The listing kept with a cached answer is the session's, not the token's: ending the
  // session through another of its tokens (a refresh's) refuses the cached one.
  Fixture f;
  auto v = f.verifier();
  const std::string cached = f.token(claims(kNow + 100, ",\"sid\":\"shared\",\"jti\":\"a\""));
  const std::string other = f.token(claims(kNow + 200, ",\"sid\":\"shared\",\"jti\":\"b\""));
  const std::string unrelated = f.token(claims(kNow + 100, ",\"sid\":\"another\""));
  EXPECT_STATUS(verify(*v, cached), ok);
  EXPECT_STATUS(verify(*v, unrelated), ok);
  EXPECT_STATUS(verify(*v, cached), ok);
  ASSERT_EQ(v->stats().token_cache_hits, 1u);
  ASSERT_TRUE(f.deny(other));
  EXPECT_STATUS(verify(*v, cached), revoked);
  EXPECT_STATUS(verify(*v, unrelated), ok);
  EXPECT_EQ(v->stats().token_cache_hits, 3u) << "both answered from the cache";
}

TEST(DenyList, OneLookupPerVerificationAndNoneForJunk) {
  Fixture f;
  auto v = f.verifier();
  const std::string token = f.token(claims(kNow + 100, ",\"sid\":\"x\""));
  for (int i = 0; i < 5; ++i) EXPECT_STATUS(verify(*v, token), ok);
  EXPECT_EQ(f.store->gets, 5);
  EXPECT_EQ(f.store->puts, 0);
  EXPECT_EQ(f.store->takes, 0);
  // Tokens that fail any other check never reach the store.
  std::string forged = token;
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  tf::TestKey other = tf::TestKey::generate(tf::KeyKind::p256, "k1");
  const std::vector<std::string> junk = {
      "junk",
      "a.b.c",
      forged,
      tf::make_jws(other, "ES256", R"({"alg":"ES256","kid":"k1"})", claims(kNow + 100, ",\"sid\":\"x\"")),
      f.token(claims(kNow - 1, ",\"sid\":\"x\"")),
      f.token("{\"iss\":\"https://evil.example.com/\",\"aud\":\"app\",\"exp\":" + std::to_string(kNow + 100) + "}"),
      tf::make_jws_unsigned(R"({"alg":"none"})", claims(kNow + 100)),
  };
  for (const auto& t : junk) EXPECT_NE(verify(*v, t).status, Status::ok);
  EXPECT_EQ(f.store->gets, 5) << "junk cost a store round trip";
}

TEST(DenyList, AStoreThatFailsRefusesTheToken) {
  Fixture f;
  UnreachableStore down;
  auto v = f.verifier(kNow, &down);
  const std::string token = f.token(claims(kNow + 100, ",\"sid\":\"x\""));
  const Error e = verify(*v, token);
  EXPECT_STATUS(e, store_unavailable);
  EXPECT_NE(e.message.find("deny list"), std::string::npos) << e.message;
  EXPECT_EQ(down.gets, 1);
  // From the cache too: never an answer the store could not confirm.
  EXPECT_STATUS(verify(*v, token), store_unavailable);
  // A lookup that fails with the probe, then works again.
  auto w = f.verifier();
  f.store->fail_gets = true;
  EXPECT_STATUS(verify(*w, token), store_unavailable);
  f.store->fail_gets = false;
  EXPECT_STATUS(verify(*w, token), ok);
  // Listing in a store that is down: store_unavailable, nothing claimed.
  bool listed = true;
  VerifiedToken vt;
  ASSERT_TRUE(w->verify(token, vt).ok());
  EXPECT_STATUS(deny_list::add(down, vt.claims, token, kNow, 0, listed), store_unavailable);
  EXPECT_FALSE(listed);
}

TEST(DenyList, ARemoteStoreIsNotAskedFromACallThatMustNotBlock) {
  Fixture f;
  const std::string token = f.token(claims(kNow + 100, ",\"sid\":\"x\""));
  VerifyOptions no_wait;
  no_wait.allow_fetch = false;
  // The memory store answers inline.
  auto v = f.verifier();
  EXPECT_STATUS(verify(*v, token, no_wait), ok);
  // A store behind a network (Redis) is left to the blocking call, which the caller makes
  // on a worker thread: needs_fetch, from the cache as well.
  f.store->remote_answer = true;
  auto r = f.verifier();
  const int gets = f.store->gets;
  EXPECT_STATUS(verify(*r, token, no_wait), needs_fetch);
  EXPECT_EQ(f.store->gets, gets);
  EXPECT_STATUS(verify(*r, token), ok);
  EXPECT_STATUS(verify(*r, token, no_wait), needs_fetch);
  ASSERT_TRUE(f.deny(token));
  EXPECT_STATUS(verify(*r, token), revoked);
}

TEST(DenyList, OffUnlessConfiguredAndNeverHalfConfigured) {
  Fixture f;
  const std::string token = f.token(claims(kNow + 100, ",\"sid\":\"x\""));
  ASSERT_TRUE(f.deny(token));
  const int gets = f.store->gets;
  Error err;
  auto plain = Verifier::create(f.config(kNow), err);
  ASSERT_TRUE(plain) << err.message;
  EXPECT_STATUS(verify(*plain, token), ok);  // no deny list configured: the store is not consulted
  auto off = Verifier::create(f.config(kNow, ",\"deny_list\":false"), err);
  ASSERT_TRUE(off) << err.message;
  EXPECT_STATUS(verify(*off, token), ok);
  EXPECT_EQ(f.store->gets, gets);

  // "deny_list" without a store, or a store without "deny_list": refused, naming the key.
  EXPECT_FALSE(Verifier::create(f.config(kNow, ",\"deny_list\":true"), err));
  EXPECT_EQ(err.status, Status::invalid_config);
  EXPECT_NE(err.message.find("deny_list"), std::string::npos) << err.message;
  EXPECT_FALSE(Verifier::create(f.config(kNow), f.store.get(), err));
  EXPECT_EQ(err.status, Status::invalid_config);
  EXPECT_NE(err.message.find("deny_list"), std::string::npos) << err.message;
  EXPECT_FALSE(Verifier::create(f.config(kNow, ",\"deny_list\":1"), f.store.get(), err));
  EXPECT_EQ(err.status, Status::invalid_config);
}

TEST(DenyList, TheStatusHasAStableName) {
  EXPECT_EQ(status_name(Status::revoked), "revoked");
  EXPECT_EQ(static_cast<int>(Status::revoked), 26);
  EXPECT_EQ(static_cast<int>(Status::needs_fetch), 25) << "never renumbered";
}

}  // namespace

namespace {

TEST(DenyList, FailOpenOnlyWhenAskedAndThenTheStoreIsLeftAloneForABit) {
  Fixture f;
  const std::string token = f.token(claims(kNow + 100, ",\"sid\":\"x\""));
  ASSERT_TRUE(f.deny(token));
  // Default: a failing store refuses (covered above); fail open accepts, and for the next
  // few seconds no verification waits on the failing store, not even a non-blocking one.
  auto open = f.verifier(kNow, nullptr, ",\"deny_list_fail_open\":true");
  EXPECT_STATUS(verify(*open, token), revoked);  // a store that answers is obeyed
  f.store->fail_gets = true;
  f.store->remote_answer = true;
  const int gets = f.store->gets;
  EXPECT_STATUS(verify(*open, token), ok);
  EXPECT_EQ(f.store->gets, gets + 1);
  VerifyOptions no_wait;
  no_wait.allow_fetch = false;
  for (int i = 0; i < 3; ++i) {
    EXPECT_STATUS(verify(*open, token), ok);
    EXPECT_STATUS(verify(*open, token, no_wait), ok);
  }
  EXPECT_EQ(f.store->gets, gets + 1) << "the failing store was asked again within the back-off";
  // The same failure without the option: refused, every time.
  auto closed = f.verifier();
  EXPECT_STATUS(verify(*closed, token), store_unavailable);
  EXPECT_STATUS(verify(*closed, token), store_unavailable);
  EXPECT_EQ(f.store->gets, gets + 3);
  Error err;
  EXPECT_FALSE(Verifier::create(f.config(kNow, ",\"deny_list\":true,\"deny_list_fail_open\":\"yes\""), f.store.get(), err));
  EXPECT_EQ(err.status, Status::invalid_config);
}

}  // namespace
