// Login state: the values of a new state (state, nonce, PKCE S256), consumption exactly
// once under contention, the TTL, nothing readable at rest, browser binding, fail closed,
// and bad states refused before any store round trip.
#include <gtest/gtest.h>

#include <openssl/sha.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "encoding/base64url.hpp"
#include "flow/exchange_codes.hpp"
#include "flow/login_state.hpp"
#include "store/memory_store.hpp"
#include "store_doubles.hpp"

namespace {

using oidcore::Error;
using oidcore::Status;
using oidcore::flow::consume_state;
using oidcore::flow::create_state;
using oidcore::flow::LoginState;
using oidcore::flow::NewLoginState;
using oidcore::flow::StateOptions;
using oidcore::store::MemoryStore;
using oidcore::store::MemoryStoreConfig;
using oidcore::testing::AtRestSlices;
using oidcore::testing::ManualClock;
using oidcore::testing::ProbeStore;
using oidcore::testing::UnreachableStore;

std::unique_ptr<MemoryStore> memory_store(ManualClock* clock = nullptr) {
  MemoryStoreConfig config;
  if (clock) config.clock = clock->clock();
  Error err;
  auto store = MemoryStore::create(config, err);
  EXPECT_TRUE(err.ok()) << err.message;
  return store;
}

bool url_safe(std::string_view s) {
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

// RFC 7636 §4.2 with OpenSSL, independently of the library's libsodium path.
std::string s256(const std::string& verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return oidcore::encoding::base64url_encode(digest, sizeof digest);
}

TEST(LoginState, NewStateValues) {
  auto store = memory_store();
  NewLoginState s;
  ASSERT_TRUE(create_state(*store, {}, s).ok());
  for (const std::string* v : {&s.state, &s.nonce, &s.code_verifier}) {
    EXPECT_EQ(v->size(), 43u);  // 256 bits
    EXPECT_TRUE(url_safe(*v)) << *v;
  }
  EXPECT_NE(s.state, s.nonce);
  EXPECT_NE(s.state, s.code_verifier);
  EXPECT_NE(s.nonce, s.code_verifier);
  EXPECT_EQ(s.code_challenge, s256(s.code_verifier));
  // RFC 7636 Appendix B.
  EXPECT_EQ(oidcore::flow::pkce_s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(LoginState, ConsumedExactlyOnceWithItsRecord) {
  auto store = memory_store();
  StateOptions options;
  options.redirect_after = "/orders/42?tab=items";
  options.extra_json = R"( { "tenant" : "acme", "n": [1, 2, {"x": null}] } )";
  NewLoginState s;
  const int64_t before = oidcore::store::system_seconds();
  ASSERT_TRUE(create_state(*store, options, s).ok());
  LoginState record;
  ASSERT_TRUE(consume_state(*store, s.state, std::nullopt, record).ok());
  EXPECT_EQ(record.redirect_after, "/orders/42?tab=items");
  EXPECT_EQ(record.extra_json, R"({"tenant":"acme","n":[1,2,{"x":null}]})");
  EXPECT_EQ(record.nonce, s.nonce);
  EXPECT_EQ(record.code_verifier, s.code_verifier);
  EXPECT_GE(record.created_at, before);
  EXPECT_LE(record.created_at, oidcore::store::system_seconds());
  EXPECT_EQ(oidcore::flow::login_state_json(record),
            "{\"redirect_after\":\"/orders/42?tab=items\",\"extra\":{\"tenant\":\"acme\",\"n\":[1,2,{\"x\":null}]},"
            "\"nonce\":\"" +
                s.nonce + "\",\"code_verifier\":\"" + s.code_verifier +
                "\",\"created_at\":" + std::to_string(record.created_at) + "}");

  Error again = consume_state(*store, s.state, std::nullopt, record);
  EXPECT_EQ(again.status, Status::not_found);
  EXPECT_TRUE(record.nonce.empty() && record.code_verifier.empty() && !record.redirect_after);

  // Without redirect_after and extra, both come back as null.
  ASSERT_TRUE(create_state(*store, {}, s).ok());
  ASSERT_TRUE(consume_state(*store, s.state, std::nullopt, record).ok());
  EXPECT_FALSE(record.redirect_after);
  EXPECT_FALSE(record.extra_json);
  EXPECT_NE(oidcore::flow::login_state_json(record).find("{\"redirect_after\":null,\"extra\":null,"),
            std::string::npos);

  // Any JSON value is an acceptable extra, and strings keep their escapes.
  for (std::string extra : {"\"a \\\"quoted\\\" string\\n\"", "17", "[]", "null", "true", "{\"deep\":[[[[1]]]]}"}) {
    options.extra_json = extra;
    options.redirect_after = "/\xc3\xa9t\xc3\xa9\n";
    ASSERT_TRUE(create_state(*store, options, s).ok()) << extra;
    ASSERT_TRUE(consume_state(*store, s.state, std::nullopt, record).ok()) << extra;
    EXPECT_EQ(record.extra_json, extra);
    EXPECT_EQ(record.redirect_after, "/\xc3\xa9t\xc3\xa9\n");
  }
}

TEST(LoginState, ExactlyOnceUnderContention) {
  auto store = memory_store();
  constexpr int kStates = 10'000;
  constexpr int kThreads = 8;
  std::vector<NewLoginState> states(kStates);
  for (int i = 0; i < kStates; ++i) {
    StateOptions options;
    options.redirect_after = "/after/" + std::to_string(i);
    ASSERT_TRUE(create_state(*store, options, states[i]).ok());
  }
  std::vector<std::atomic<int>> wins(kStates);
  std::atomic<int> not_found{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      LoginState record;
      for (int i = 0; i < kStates; ++i) {
        Error err = consume_state(*store, states[i].state, std::nullopt, record);
        if (err.ok()) {
          ++wins[i];
          if (record.nonce != states[i].nonce || record.code_verifier != states[i].code_verifier ||
              record.redirect_after != "/after/" + std::to_string(i))
            ++wrong;
        } else if (err.status == Status::not_found) {
          ++not_found;
        } else {
          ++wrong;
        }
      }
    });
  for (auto& th : threads) th.join();
  for (int i = 0; i < kStates; ++i) ASSERT_EQ(wins[i].load(), 1) << "state " << i;
  EXPECT_EQ(not_found.load(), kStates * (kThreads - 1));
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(store->size(), 0u);
}

TEST(LoginState, ExpiresAfterItsTtl) {
  ManualClock clock;
  auto store = memory_store(&clock);
  ProbeStore probe(*store);
  NewLoginState early, late;
  LoginState record;
  ASSERT_TRUE(create_state(probe, {}, early).ok());
  EXPECT_EQ(probe.last_ttl, 600);  // the default
  EXPECT_TRUE(probe.last_only_if_absent);
  ASSERT_TRUE(create_state(probe, {}, late).ok());
  clock.advance(599);
  EXPECT_TRUE(consume_state(probe, early.state, std::nullopt, record).ok());
  clock.advance(2);
  EXPECT_EQ(consume_state(probe, late.state, std::nullopt, record).status, Status::not_found);

  StateOptions options;
  options.ttl_seconds = 30;
  ASSERT_TRUE(create_state(probe, options, early).ok());
  ASSERT_TRUE(create_state(probe, options, late).ok());
  EXPECT_EQ(probe.last_ttl, 30);
  clock.advance(29);
  EXPECT_TRUE(consume_state(probe, early.state, std::nullopt, record).ok());
  clock.advance(2);
  EXPECT_EQ(consume_state(probe, late.state, std::nullopt, record).status, Status::not_found);
}

TEST(LoginState, NothingReadableAtRest) {
  auto store = memory_store();
  std::vector<NewLoginState> states;
  std::vector<std::string> secrets;
  for (int i = 0; i < 200; ++i) {
    StateOptions options;
    options.redirect_after = "/private/redirect/target-" + std::to_string(i);
    options.extra_json = "{\"invite\":\"invitation-secret-" + std::to_string(i) + "\"}";
    options.binding = "browser-binding-" + std::to_string(i) + "-Y29va2ll";
    NewLoginState s;
    ASSERT_TRUE(create_state(*store, options, s).ok());
    states.push_back(s);
    for (const std::string& v : {s.state, s.nonce, s.code_verifier, s.code_challenge, *options.redirect_after,
                                 *options.extra_json, *options.binding})
      secrets.push_back(v);
    std::string raw;
    ASSERT_TRUE(oidcore::encoding::base64url_decode(s.state, raw));
    secrets.push_back(raw);
  }
  AtRestSlices at_rest;
  size_t entries = 0;
  store->for_each_entry([&](std::string_view key, std::string_view value) {
    ++entries;
    at_rest.add(key);
    at_rest.add(value);
  });
  ASSERT_EQ(entries, states.size());
  for (const auto& secret : secrets) EXPECT_FALSE(at_rest.leaks(secret)) << "readable at rest: " << secret;
  for (std::string part : {"redirect", "invitation", "invite", "private", "binding"})
    EXPECT_FALSE(at_rest.leaks(part)) << part;
  LoginState record;
  for (size_t i = 0; i < states.size(); ++i)
    ASSERT_TRUE(consume_state(*store, states[i].state,
                              std::string_view("browser-binding-" + std::to_string(i) + "-Y29va2ll"), record)
                    .ok());
}

TEST(LoginState, WrongBindingSpendsTheState) {
  auto store = memory_store();
  StateOptions options;
  options.binding = "login-cookie-value";
  NewLoginState s;
  LoginState record;
  ASSERT_TRUE(create_state(*store, options, s).ok());
  EXPECT_EQ(consume_state(*store, s.state, std::string_view("forged-cookie"), record).status, Status::not_found);
  EXPECT_TRUE(record.nonce.empty());
  EXPECT_EQ(consume_state(*store, s.state, std::string_view("login-cookie-value"), record).status, Status::not_found);

  ASSERT_TRUE(create_state(*store, options, s).ok());
  EXPECT_EQ(consume_state(*store, s.state, std::nullopt, record).status, Status::not_found);
  EXPECT_EQ(consume_state(*store, s.state, std::string_view("login-cookie-value"), record).status, Status::not_found);

  ASSERT_TRUE(create_state(*store, options, s).ok());
  ASSERT_TRUE(consume_state(*store, s.state, std::string_view("login-cookie-value"), record).ok());
  EXPECT_EQ(record.nonce, s.nonce);

  // Unbound: no binding needed, any given is ignored.
  ASSERT_TRUE(create_state(*store, {}, s).ok());
  ASSERT_TRUE(consume_state(*store, s.state, std::nullopt, record).ok());
  ASSERT_TRUE(create_state(*store, {}, s).ok());
  ASSERT_TRUE(consume_state(*store, s.state, std::string_view("anything"), record).ok());
}

TEST(LoginState, BadOptionsAreRefusedBeforeTheStore) {
  auto store = memory_store();
  ProbeStore probe(*store);
  NewLoginState s;
  auto refused = [&](StateOptions options, Status want) {
    Error err = create_state(probe, options, s);
    EXPECT_EQ(err.status, want) << err.message;
    EXPECT_TRUE(s.state.empty());
    return err.message;
  };
  StateOptions o;
  o.extra_json = "{not json";
  EXPECT_NE(refused(o, Status::invalid_argument).find("extra"), std::string::npos);
  o.extra_json = "{\"a\":1,\"a\":2}";  // duplicate member
  refused(o, Status::invalid_argument);
  o.extra_json = "";
  refused(o, Status::invalid_argument);
  o.extra_json = "\"" + std::string(64 * 1024, 'x') + "\"";
  refused(o, Status::too_large);
  o = {};
  o.redirect_after = std::string(4097, '/');
  EXPECT_NE(refused(o, Status::too_large).find("redirect_after"), std::string::npos);
  o.redirect_after = "/\xff";
  refused(o, Status::invalid_argument);
  o = {};
  o.binding = "";
  refused(o, Status::invalid_argument);
  o = {};
  o.ttl_seconds = 0;
  EXPECT_NE(refused(o, Status::invalid_argument).find("ttl"), std::string::npos);
  o.ttl_seconds = 86'401;
  refused(o, Status::invalid_argument);
  EXPECT_EQ(probe.puts, 0);

  o = {};
  o.extra_json = std::string(33, '[') + std::string(33, ']');
  refused(o, Status::invalid_argument);
  EXPECT_EQ(probe.puts, 0);

  // The deepest extra the parser accepts still comes back (the record nests it one deeper).
  o.extra_json = std::string(32, '[') + std::string(32, ']');
  ASSERT_TRUE(create_state(probe, o, s).ok());
  LoginState record;
  ASSERT_TRUE(consume_state(probe, s.state, std::nullopt, record).ok());
  EXPECT_EQ(record.extra_json, o.extra_json);
}

TEST(LoginState, UnreachableStoreFailsClosed) {
  UnreachableStore store;
  NewLoginState s;
  Error created = create_state(store, {}, s);
  EXPECT_EQ(created.status, Status::store_unavailable);
  EXPECT_TRUE(s.state.empty() && s.nonce.empty() && s.code_verifier.empty() && s.code_challenge.empty());
  LoginState record;
  EXPECT_EQ(consume_state(store, std::string(43, 'A'), std::nullopt, record).status, Status::store_unavailable);
  EXPECT_TRUE(record.nonce.empty());

  auto memory = memory_store();
  ProbeStore probe(*memory);
  ASSERT_TRUE(create_state(probe, {}, s).ok());
  probe.fail_takes = true;
  EXPECT_EQ(consume_state(probe, s.state, std::nullopt, record).status, Status::store_unavailable);
  probe.fail_takes = false;
  ASSERT_TRUE(consume_state(probe, s.state, std::nullopt, record).ok());
  EXPECT_EQ(record.nonce, s.nonce);
}

TEST(LoginState, BadStatesNeverReachTheStore) {
  auto store = memory_store();
  ProbeStore probe(*store);
  NewLoginState s;
  ASSERT_TRUE(create_state(probe, {}, s).ok());
  LoginState record;
  for (const std::string& bad : {std::string(), std::string(1 << 20, 'A'), s.state.substr(1), s.state + "A",
                                 s.state.substr(0, 42) + "=", s.state.substr(0, 42) + ".",
                                 std::string("../../etc/passwd"), std::string("\0", 1), s.state.substr(0, 42) + "B"}) {
    EXPECT_EQ(consume_state(probe, bad, std::nullopt, record).status, Status::not_found) << oidcore::printable(bad);
  }
  EXPECT_EQ(probe.takes, 0);
  ASSERT_TRUE(consume_state(probe, s.state, std::nullopt, record).ok());
}

TEST(LoginState, AStateIsNotACode) {
  auto store = memory_store();
  NewLoginState s;
  ASSERT_TRUE(create_state(*store, {}, s).ok());
  std::string payload;
  EXPECT_EQ(oidcore::flow::redeem_exchange_code(*store, s.state, std::nullopt, payload).status, Status::not_found);
  LoginState record;
  ASSERT_TRUE(consume_state(*store, s.state, std::nullopt, record).ok());
}

}  // namespace
