// The deny list of ended sessions over Redis, against a real redis-server started by the
// test: two verifiers with their own store objects (as two processes would have) share the
// list, each verification is one GET, an entry expires with the token, the keys show
// neither the session id nor the token, a call that must not block leaves Redis to the
// blocking call, and a server that is down refuses tokens (store_unavailable) until it is
// back. The memory-store behaviour is in tests/core/deny_list_test.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <thread>

#include "redis_server.hpp"
#include "store/redis_store.hpp"
#include "token_factory.hpp"
#include "verifier/verifier.hpp"

namespace {

namespace tf = oidcore::testing;
using oidcore::Error;
using oidcore::Status;
using oidcore::status_name;
using oidcore::Verifier;
using oidcore::VerifiedToken;
using oidcore::VerifyOptions;
using oidcore::store::create_redis_store;
using oidcore::store::RedisStoreConfig;
using oidcore::store::Store;
using oidcore::test::raw_command;
using oidcore::test::raw_connect;
using oidcore::test::RedisServer;

const std::string kIssuer = "https://auth.example.com/application/o/app/";

std::unique_ptr<Store> redis_store(const std::string& url) {
  RedisStoreConfig c;
  c.url = url;
  c.key_prefix = "oidcore:deny-test:";
  c.command_timeout = 0.5;
  c.connect_timeout = 0.5;
  Error e;
  auto s = create_redis_store(c, e);
  EXPECT_TRUE(s) << e.message;
  return s;
}

std::string status_of(const Verifier& v, const std::string& token, bool allow_fetch = true) {
  VerifiedToken out;
  VerifyOptions o;
  o.allow_fetch = allow_fetch;
  const Error e = v.verify(token, out, o);
  return std::string(status_name(e.status));
}

TEST(DenyListRedis, SharedByTwoInstancesAndGoneWithTheToken) {
  RedisServer server;
  ASSERT_TRUE(server.start()) << server.error();
  auto store_a = redis_store(server.tcp_url());
  auto store_b = redis_store(server.tcp_url());
  const tf::TestKey key = tf::TestKey::generate(tf::KeyKind::p256, "k1");
  const std::string config = "{\"issuer\":" + tf::json_string(kIssuer) + ",\"audience\":\"app\",\"jwks\":" +
                             key.jwks() + ",\"deny_list\":true}";
  Error err;
  auto a = Verifier::create(config, store_a.get(), err);
  ASSERT_TRUE(a) << err.message;
  auto b = Verifier::create(config, store_b.get(), err);
  ASSERT_TRUE(b) << err.message;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string sid = "session-secret-7f3a";
  const std::string token = tf::make_jws(key, "ES256", R"({"alg":"ES256","kid":"k1"})",
                                         "{\"iss\":" + tf::json_string(kIssuer) + ",\"aud\":\"app\",\"sub\":\"u\",\"sid\":\"" +
                                             sid + "\",\"exp\":" + std::to_string(now + 3) + "}");
  EXPECT_EQ(status_of(*b, token), "ok");
  EXPECT_EQ(status_of(*b, token), "ok");  // from b's cache
  // A call that must not block never waits on Redis: the blocking call does the lookup.
  EXPECT_EQ(status_of(*b, token, false), "needs_fetch");

  bool denied = false;
  err = a->deny(token, denied);
  ASSERT_TRUE(err.ok()) << err.message;
  EXPECT_TRUE(denied);
  EXPECT_EQ(status_of(*a, token), "revoked");
  EXPECT_EQ(status_of(*b, token), "revoked") << "the other instance refuses it at once, from its cache too";

  // At rest: one key, a hash; its TTL the token's remaining life.
  auto raw = raw_connect(server.port());
  ASSERT_TRUE(raw);
  auto keys = raw_command(raw.get(), {"KEYS", "*"});
  ASSERT_TRUE(keys && keys->type == REDIS_REPLY_ARRAY);
  ASSERT_EQ(keys->elements, 1u);
  const std::string stored(keys->element[0]->str, keys->element[0]->len);
  EXPECT_EQ(stored.rfind("oidcore:deny-test:deny:", 0), 0u) << stored;
  EXPECT_EQ(stored.find(sid), std::string::npos) << stored;
  auto ttl = raw_command(raw.get(), {"TTL", stored});
  ASSERT_TRUE(ttl && ttl->type == REDIS_REPLY_INTEGER);
  EXPECT_GE(ttl->integer, 1);
  EXPECT_LE(ttl->integer, 3);

  // Gone with the token: Redis drops the entry when the token expires.
  std::this_thread::sleep_for(std::chrono::milliseconds(4200));
  EXPECT_EQ(status_of(*b, token), "expired");
  auto exists = raw_command(raw.get(), {"EXISTS", stored});
  ASSERT_TRUE(exists && exists->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(exists->integer, 0);
}

TEST(DenyListRedis, AServerThatIsDownRefusesTokensUntilItIsBack) {
  RedisServer server;
  ASSERT_TRUE(server.start()) << server.error();
  auto store = redis_store(server.tcp_url());
  const tf::TestKey key = tf::TestKey::generate(tf::KeyKind::p256, "k1");
  Error err;
  auto v = Verifier::create("{\"issuer\":" + tf::json_string(kIssuer) + ",\"audience\":\"app\",\"jwks\":" + key.jwks() +
                                ",\"deny_list\":true}",
                            store.get(), err);
  ASSERT_TRUE(v) << err.message;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string token = tf::make_jws(
      key, "ES256", R"({"alg":"ES256","kid":"k1"})",
      "{\"iss\":" + tf::json_string(kIssuer) + ",\"aud\":\"app\",\"jti\":\"j\",\"exp\":" + std::to_string(now + 600) + "}");
  EXPECT_EQ(status_of(*v, token), "ok");
  server.stop();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(status_of(*v, token), "store_unavailable") << "fail closed: the list cannot be read";
  bool denied = true;
  EXPECT_EQ(status_name(v->deny(token, denied).status), "store_unavailable");
  EXPECT_FALSE(denied);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3)) << "bounded by the store's timeouts";
  ASSERT_TRUE(server.restart()) << server.error();
  EXPECT_EQ(status_of(*v, token), "ok");
}

}  // namespace
