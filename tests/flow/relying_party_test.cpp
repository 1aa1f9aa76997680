// The login flow against a real identity provider: node's oidc-provider, configured like
// Authentik (tests/idp/oidc-provider), started by these tests on 127.0.0.1. Its login and
// consent pages are driven by a scripted HTTP client (drive_login); faults come from its
// control API. Covers the happy path to tokens and principal, the exchange-code hand-off,
// refresh with rotation (and one call for concurrent refreshes), userinfo, revocation,
// logout, and the attacks and failures of the callback.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <map>
#include <mutex>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "flow/exchange_codes.hpp"
#include "flow/relying_party.hpp"
#include "oidc_provider_fixture.hpp"
#include "store/memory_store.hpp"

namespace {

using oidcore::Error;
using oidcore::Status;
using oidcore::status_name;
using oidcore::flow::BeginLoginOptions;
using oidcore::flow::CompleteLoginOptions;
using oidcore::flow::LoginResult;
using oidcore::flow::LoginStart;
using oidcore::flow::LogoutOptions;
using oidcore::flow::RelyingParty;
using oidcore::flow::TokenSet;
using oidcore::testing::drive_login;
using oidcore::testing::drive_logout;
using oidcore::testing::OidcProvider;
using SteadyClock = std::chrono::steady_clock;

constexpr char kRedirectUri[] = "http://127.0.0.1:3000/auth/callback";
constexpr char kAfterLogout[] = "http://127.0.0.1:3000/signed-out";

std::string json_str(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A string member of a JSON object ("" when absent or not a string).
std::string member(const std::string& json, const char* key) {
  simdjson::dom::parser p;
  simdjson::dom::element root;
  if (p.parse(json).get(root)) return "";
  std::string_view v;
  if (root[key].get_string().get(v)) return "";
  return std::string(v);
}

std::string claims_member(const std::string& claims, const char* key) { return member(claims, key); }

class Provider {
 public:
  explicit Provider(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--redirect-uri", kRedirectUri, "--post-logout-redirect-uri", kAfterLogout};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string error;
    started_ = idp.start(args, error);
    EXPECT_TRUE(started_) << error;
  }
  bool started() const { return started_; }
  OidcProvider idp;

 private:
  bool started_ = false;
};

struct Rp {
  std::unique_ptr<oidcore::store::MemoryStore> store;
  std::unique_ptr<RelyingParty> rp;
};

// A relying party for `idp` with `extra` configuration members (JSON text after a comma).
Rp make_rp(const OidcProvider& idp, const std::string& extra = "", const std::string& secret = "") {
  Rp r;
  Error err;
  r.store = oidcore::store::MemoryStore::create({}, err);
  EXPECT_TRUE(err.ok()) << err.message;
  std::string config = "{\"issuer\":" + json_str(idp.issuer()) + ",\"client_id\":" + json_str(idp.client_id()) +
                       ",\"client_secret\":" + json_str(secret.empty() ? idp.client_secret() : secret) +
                       ",\"redirect_uri\":" + json_str(kRedirectUri) +
                       ",\"scopes\":\"openid profile email organization offline_access\"" +
                       ",\"post_logout_redirect_uri\":" + json_str(kAfterLogout) +
                       ",\"principal\":{\"roles\":[{\"group\":\"admins\",\"role\":\"admin\"}]}" +
                       ",\"connect_timeout\":1" +
                       (extra.find("http_timeout") == std::string::npos ? ",\"http_timeout\":2" : "") +
                       (extra.empty() ? "" : "," + extra) + "}";
  r.rp = RelyingParty::create(config, *r.store, err);
  EXPECT_TRUE(r.rp) << err.message;
  return r;
}

// The browsers of the tests: the binding each login handed out, by its state, as the
// browser that started it would keep it in a cookie.
std::mutex browsers_mutex;
std::map<std::string, std::string> browser_binding_of_state;

std::string query_param(const std::string& url, const std::string& name);

// Starts a login and signs in at the provider; returns the callback URL it redirects to.
std::string login(RelyingParty& rp, const BeginLoginOptions& options = {}, const char* user = "alice",
                  const char* password = "alice-password", LoginStart* start_out = nullptr) {
  LoginStart start;
  Error err = rp.begin_login(options, start);
  EXPECT_TRUE(err.ok()) << status_name(err.status) << ": " << err.message;
  if (start_out) *start_out = start;
  {
    std::lock_guard<std::mutex> lock(browsers_mutex);
    browser_binding_of_state[start.state] = start.binding;
  }
  std::string callback, error;
  EXPECT_TRUE(drive_login(start.url, user, password, callback, error)) << error;
  return callback;
}

// Completes a login from the browser that started it (its binding cookie sent along), unless
// the options name a binding of their own.
Error complete(RelyingParty& rp, const std::string& callback, LoginResult& out, const CompleteLoginOptions& o = {}) {
  CompleteLoginOptions with_cookie = o;
  if (!with_cookie.binding) {
    std::lock_guard<std::mutex> lock(browsers_mutex);
    auto it = browser_binding_of_state.find(query_param(callback, "state"));
    if (it != browser_binding_of_state.end() && !it->second.empty()) with_cookie.binding = it->second;
  }
  return rp.complete_login(callback, with_cookie, out);
}

#define ASSERT_STATUS(expr, expected)                                                                   \
  do {                                                                                                  \
    const Error e_ = (expr);                                                                            \
    ASSERT_EQ(status_name(e_.status), status_name(expected)) << e_.message;                            \
  } while (0)

std::string with_param(const std::string& url, const std::string& name, const std::string& value) {
  // Replaces the value of `name` in the query of `url`.
  const size_t at = url.find(name + "=");
  if (at == std::string::npos) return url;
  const size_t end = url.find('&', at);
  return url.substr(0, at) + name + "=" + value + (end == std::string::npos ? "" : url.substr(end));
}

std::string query_param(const std::string& url, const std::string& name) {
  size_t at = url.find("?" + name + "=");
  if (at == std::string::npos) at = url.find("&" + name + "=");
  if (at == std::string::npos) return "";
  at += name.size() + 2;
  const size_t end = url.find('&', at);
  return url.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// A control request to the provider that must take effect.
void ctl(const OidcProvider& idp, std::string_view name, std::string_view body) {
  std::string answer;
  EXPECT_EQ(idp.control(name, body, &answer), 200) << name << " " << body << ": " << answer;
}

// ---------------------------------------------------------------------------------------

TEST(RelyingPartyFlow, LoginToTokensClaimsAndPrincipal) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  BeginLoginOptions bo;
  bo.redirect_after = "/dashboard?tab=1";
  bo.extra_json = "{\"x\":1}";
  LoginStart start;
  const std::string callback = login(*r.rp, bo, "alice", "alice-password", &start);

  // The authorization request carries every parameter, the challenge method explicitly.
  EXPECT_EQ(start.url.rfind(p.idp.issuer() + "authorize/", 0), 0u) << start.url;
  EXPECT_EQ(query_param(start.url, "response_type"), "code");
  EXPECT_EQ(query_param(start.url, "code_challenge_method"), "S256");
  EXPECT_EQ(query_param(start.url, "state"), start.state);
  EXPECT_EQ(query_param(start.url, "nonce").size(), 43u);
  EXPECT_EQ(query_param(start.url, "code_challenge").size(), 43u);
  EXPECT_EQ(callback.rfind(kRedirectUri, 0), 0u) << callback;

  LoginResult res;
  ASSERT_STATUS(complete(*r.rp, callback, res), Status::ok);
  EXPECT_FALSE(res.tokens.access_token.empty());
  EXPECT_EQ(res.tokens.token_type, "Bearer");
  EXPECT_FALSE(res.tokens.id_token.empty());
  EXPECT_FALSE(res.tokens.refresh_token.empty()) << "offline_access was asked for";
  ASSERT_TRUE(res.tokens.expires_in.has_value());
  EXPECT_GT(res.tokens.expires_at, 0);
  EXPECT_EQ(claims_member(res.tokens.id_claims, "email"), "alice@example.com");
  EXPECT_EQ(claims_member(res.tokens.id_claims, "aud"), p.idp.client_id());
  EXPECT_FALSE(res.tokens.access_claims.empty()) << "a JWT access token is verified";
  EXPECT_EQ(claims_member(res.tokens.access_claims, "azp"), p.idp.client_id());
  EXPECT_EQ(member(res.tokens.principal, "organizationId"), "org-alice");
  EXPECT_EQ(member(res.tokens.principal, "role"), "admin");
  EXPECT_EQ(member(res.tokens.principal, "email"), "alice@example.com");
  ASSERT_TRUE(res.redirect_after.has_value());
  EXPECT_EQ(*res.redirect_after, "/dashboard?tab=1");
  EXPECT_EQ(res.extra_json.value_or(""), "{\"x\":1}");

  // bob has no organizationId: it defaults to sub; no admin group: the default role.
  LoginResult bob;
  ASSERT_STATUS(complete(*r.rp, login(*r.rp, {}, "bob", "bob-password"), bob), Status::ok);
  EXPECT_EQ(member(bob.tokens.principal, "organizationId"), member(bob.tokens.principal, "sub"));
  EXPECT_EQ(member(bob.tokens.principal, "role"), "user");

  // The access token verifies later as an API request's bearer token.
  oidcore::VerifiedToken vt;
  ASSERT_STATUS(r.rp->verify_access_token(res.tokens.access_token, vt), Status::ok);
  EXPECT_EQ(member(vt.principal, "role"), "admin");
  std::string forged = res.tokens.access_token;
  const size_t sig = forged.rfind('.') + 10;
  forged[sig] = forged[sig] == 'A' ? 'B' : 'A';
  ASSERT_STATUS(r.rp->verify_access_token(forged, vt), Status::bad_signature);
}

TEST(RelyingPartyFlow, UnsafeRedirectAfterIsRefusedBeforeAnythingIsStored) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  for (const char* target : {"//evil.com", "https://evil.com", "/\\evil.com", "/%2F%2Fevil.com", "javascript:alert(1)"}) {
    BeginLoginOptions bo;
    bo.redirect_after = target;
    LoginStart start;
    ASSERT_STATUS(r.rp->begin_login(bo, start), Status::unsafe_redirect);
    EXPECT_TRUE(start.url.empty());
  }
  BeginLoginOptions reserved;
  reserved.params = {{"state", "mine"}};
  LoginStart start;
  ASSERT_STATUS(r.rp->begin_login(reserved, start), Status::invalid_argument);
}

TEST(RelyingPartyFlow, ExchangeCodeHandOff) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  BeginLoginOptions bo;
  bo.redirect_after = "/app";
  CompleteLoginOptions co;
  co.exchange_code = true;
  LoginResult res;
  LoginStart start;
  ASSERT_STATUS(complete(*r.rp, login(*r.rp, bo, "alice", "alice-password", &start), res, co), Status::ok);
  ASSERT_EQ(res.exchange_code.size(), 43u);
  // The result carries who logged in, never a token.
  EXPECT_TRUE(res.tokens.access_token.empty());
  EXPECT_TRUE(res.tokens.id_token.empty());
  EXPECT_TRUE(res.tokens.refresh_token.empty());
  const std::string json = oidcore::flow::login_result_json(res);
  EXPECT_EQ(json.find("access_token"), std::string::npos) << json;
  EXPECT_EQ(member(res.tokens.principal, "email"), "alice@example.com");
  EXPECT_EQ(res.redirect_after.value_or(""), "/app");

  // The code is bound to the browser that logged in (its binding cookie), once only.
  std::string payload;
  ASSERT_STATUS(oidcore::flow::redeem_exchange_code(*r.store, res.exchange_code, start.binding, payload), Status::ok);
  EXPECT_FALSE(member(payload, "access_token").empty());
  EXPECT_FALSE(member(payload, "refresh_token").empty());
  ASSERT_STATUS(oidcore::flow::redeem_exchange_code(*r.store, res.exchange_code, start.binding, payload),
                Status::not_found);
  // A code that leaked (history, logs, Referer) is useless in another client, and the
  // attempt burns it for the legitimate browser too.
  LoginResult leaked;
  LoginStart s2;
  ASSERT_STATUS(complete(*r.rp, login(*r.rp, {}, "alice", "alice-password", &s2), leaked, co), Status::ok);
  ASSERT_STATUS(oidcore::flow::redeem_exchange_code(*r.store, leaked.exchange_code, std::nullopt, payload),
                Status::not_found);
  ASSERT_STATUS(oidcore::flow::redeem_exchange_code(*r.store, leaked.exchange_code, s2.binding, payload),
                Status::not_found);
}

TEST(RelyingPartyFlow, RefreshRotatesAndTheOldTokenIsRefused) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  LoginResult res;
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::ok);
  const std::string first = res.tokens.refresh_token;
  TokenSet t;
  ASSERT_STATUS(r.rp->refresh(first, t), Status::ok);
  EXPECT_FALSE(t.access_token.empty());
  EXPECT_NE(t.refresh_token, first) << "the provider rotates refresh tokens";
  EXPECT_NE(t.access_token, res.tokens.access_token);
  if (!t.id_token.empty()) {
    EXPECT_EQ(claims_member(t.id_claims, "sub"), claims_member(res.tokens.id_claims, "sub"));
  }

  // Within the reuse window the spent token gets the same outcome, without a call.
  const uint64_t calls = r.rp->token_requests();
  TokenSet raced;
  ASSERT_STATUS(r.rp->refresh(first, raced), Status::ok);
  EXPECT_EQ(raced.refresh_token, t.refresh_token);
  EXPECT_EQ(raced.access_token, t.access_token);
  EXPECT_EQ(r.rp->token_requests(), calls);
  // The rotated one works; the old one, past the window, is refused by the provider
  // (oidc-provider, following the OAuth security BCP, then also revokes the whole grant:
  // Authentik only refuses the old token).
  TokenSet third;
  ASSERT_STATUS(r.rp->refresh(t.refresh_token, third), Status::ok);
  auto strict = make_rp(p.idp, "\"refresh_reuse_window\":0");
  LoginResult res2;
  ASSERT_STATUS(complete(*strict.rp, login(*strict.rp), res2), Status::ok);
  TokenSet t2, again;
  ASSERT_STATUS(strict.rp->refresh(res2.tokens.refresh_token, t2), Status::ok);
  const Error replay = strict.rp->refresh(res2.tokens.refresh_token, again);
  ASSERT_EQ(replay.status, Status::idp_error) << replay.message;
  EXPECT_EQ(replay.idp_error, "invalid_grant");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const Error late = r.rp->refresh(first, again);
  ASSERT_EQ(late.status, Status::idp_error) << late.message;
  EXPECT_EQ(late.idp_error, "invalid_grant");
}

TEST(RelyingPartyFlow, ConcurrentRefreshesOfOneTokenMakeOneCall) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  LoginResult res;
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::ok);
  // Slow the token endpoint down so that all callers arrive while the one call is in flight.
  ctl(p.idp, "token_mode", "{\"mode\":\"delay\",\"seconds\":0.5}");
  const uint64_t calls_before = r.rp->token_requests();
  constexpr int kCallers = 8;
  std::vector<TokenSet> results(kCallers);
  std::vector<Error> errors(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i)
    threads.emplace_back([&, i] { errors[i] = r.rp->refresh(res.tokens.refresh_token, results[i]); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.rp->token_requests() - calls_before, 1u);
  // The provider's own count: one refresh grant reached it.
  std::string log;
  ASSERT_EQ(p.idp.control("requests", "{}", &log), 200);
  size_t grants = 0;
  for (size_t at = log.find("\"grant_type\":\"refresh_token\""); at != std::string::npos;
       at = log.find("\"grant_type\":\"refresh_token\"", at + 1))
    ++grants;
  EXPECT_EQ(grants, 1u) << log;
  for (int i = 0; i < kCallers; ++i) {
    EXPECT_TRUE(errors[i].ok()) << status_name(errors[i].status) << ": " << errors[i].message;
    EXPECT_EQ(results[i].refresh_token, results[0].refresh_token);
    EXPECT_EQ(results[i].access_token, results[0].access_token);
  }
}

TEST(RelyingPartyFlow, UserinfoRevokeAndLogout) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  LoginResult res;
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::ok);

  std::string info;
  ASSERT_STATUS(r.rp->userinfo(res.tokens.access_token, info), Status::ok);
  EXPECT_EQ(member(info, "sub"), claims_member(res.tokens.id_claims, "sub"));
  EXPECT_EQ(member(info, "email"), "alice@example.com");
  const Error bad = r.rp->userinfo("not-a-token", info);
  EXPECT_EQ(bad.status, Status::idp_error) << bad.message;

  LogoutOptions lo;
  lo.id_token_hint = res.tokens.id_token;
  lo.state = "bye-123";
  std::string url;
  ASSERT_STATUS(r.rp->logout_url(lo, url), Status::ok);
  EXPECT_EQ(url.rfind(p.idp.issuer() + "end-session/", 0), 0u) << url;
  EXPECT_FALSE(query_param(url, "id_token_hint").empty());
  EXPECT_EQ(query_param(url, "state"), "bye-123");
  std::string final_location, error;
  ASSERT_TRUE(drive_logout(url, final_location, error)) << error;
  EXPECT_EQ(final_location.rfind(kAfterLogout, 0), 0u) << final_location;
  EXPECT_NE(final_location.find("state=bye-123"), std::string::npos) << final_location;

  // Every byte of an option reaches the URL, encoded: nothing is cut at a NUL.
  LogoutOptions nul;
  nul.state = std::string("a\0b&c=d", 7);
  ASSERT_STATUS(r.rp->logout_url(nul, url), Status::ok);
  EXPECT_EQ(query_param(url, "state"), "a%00b%26c%3Dd") << url;

  LogoutOptions unsafe;
  unsafe.post_logout_redirect_uri = "javascript:alert(1)";
  ASSERT_STATUS(r.rp->logout_url(unsafe, url), Status::invalid_argument);

  // Revoking the refresh token makes it useless.
  LoginResult second;
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), second), Status::ok);
  ASSERT_STATUS(r.rp->revoke(second.tokens.refresh_token, "refresh_token"), Status::ok);
  TokenSet t;
  const Error after = r.rp->refresh(second.tokens.refresh_token, t);
  EXPECT_EQ(after.status, Status::idp_error);
  EXPECT_EQ(after.idp_error, "invalid_grant");
  ASSERT_STATUS(r.rp->revoke("x", "id_token"), Status::invalid_argument);
}

// ---------------------------------------------------------------------------------------
// The callback under attack

TEST(RelyingPartyCallback, StateIsConsumedExactlyOnce) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  const std::string callback = login(*r.rp);
  LoginResult res;
  ASSERT_STATUS(complete(*r.rp, callback, res), Status::ok);
  ASSERT_STATUS(complete(*r.rp, callback, res), Status::not_found);
}

TEST(RelyingPartyCallback, ACallbackReplayedByAnotherClientIsRefused) {
  // Login CSRF: a callback URL obtained by one user, replayed by a second client that does not
  // hold the first browser's binding cookie, logs nobody in, and spends the state.
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  LoginStart start;
  const std::string callback = login(*r.rp, {}, "alice", "alice-password", &start);
  ASSERT_EQ(start.binding.size(), 43u) << "a fresh random binding per login";
  LoginResult res;
  const Error cookieless = r.rp->complete_login(callback, {}, res);
  ASSERT_EQ(cookieless.status, Status::not_found) << cookieless.message;
  EXPECT_NE(cookieless.message.find("binding"), std::string::npos) << cookieless.message;
  ASSERT_STATUS(complete(*r.rp, callback, res), Status::not_found);
  // Two logins, two different bindings.
  LoginStart other;
  (void)login(*r.rp, {}, "alice", "alice-password", &other);
  EXPECT_NE(other.binding, start.binding);
  // Only an explicit opt-out makes logins unbound.
  auto unbound = make_rp(p.idp, "\"browser_binding\":false");
  LoginStart u;
  const std::string cb = login(*unbound.rp, {}, "alice", "alice-password", &u);
  EXPECT_TRUE(u.binding.empty());
  ASSERT_STATUS(unbound.rp->complete_login(cb, {}, res), Status::ok);
}

TEST(RelyingPartyCallback, StateOfAnotherLoginOrNoneIsRefused) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto a = make_rp(p.idp);
  auto b = make_rp(p.idp);  // another deployment, another store
  const std::string callback = login(*b.rp);
  LoginResult res;
  ASSERT_STATUS(complete(*a.rp, callback, res), Status::not_found);
  // A made-up state of the right form, and no state at all.
  ASSERT_STATUS(complete(*a.rp, with_param(callback, "state", std::string(43, 'A')), res), Status::not_found);
  ASSERT_STATUS(complete(*a.rp, "code=abc", res), Status::invalid_argument);
  // The state bound to one browser is refused from another, and is spent by the attempt.
  BeginLoginOptions bo;
  bo.binding = "browser-1";
  const std::string bound = login(*a.rp, bo);
  CompleteLoginOptions other;
  other.binding = "browser-2";
  ASSERT_STATUS(complete(*a.rp, bound, res, other), Status::not_found);
  CompleteLoginOptions right;
  right.binding = "browser-1";
  ASSERT_STATUS(complete(*a.rp, bound, res, right), Status::not_found);
}

TEST(RelyingPartyCallback, ExpiredStateIsRefused) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp, "\"state_ttl\":1");
  const std::string callback = login(*r.rp);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  LoginResult res;
  ASSERT_STATUS(complete(*r.rp, callback, res), Status::not_found);
}

TEST(RelyingPartyCallback, TamperedAndReusedCodesAreRefusedByTheProvider) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  const std::string callback = login(*r.rp);
  const std::string code = query_param(callback, "code");
  ASSERT_FALSE(code.empty());
  LoginResult res;
  const Error tampered = complete(*r.rp, with_param(callback, "code", code + "x"), res);
  ASSERT_EQ(tampered.status, Status::idp_error) << tampered.message;
  EXPECT_EQ(tampered.idp_error, "invalid_grant");

  // The code of a completed login, brought back with a fresh valid state.
  const std::string good = login(*r.rp);
  ASSERT_STATUS(complete(*r.rp, good, res), Status::ok);
  const std::string fresh = login(*r.rp);
  const Error reused = complete(*r.rp, with_param(fresh, "code", query_param(good, "code")), res);
  ASSERT_EQ(reused.status, Status::idp_error) << reused.message;
  EXPECT_EQ(reused.idp_error, "invalid_grant");
}

TEST(RelyingPartyCallback, ProviderErrorIsReportedAndSpendsTheState) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  LoginStart start;
  ASSERT_STATUS(r.rp->begin_login({}, start), Status::ok);
  const std::string cb = std::string(kRedirectUri) + "?error=access_denied&error_description=The+user+said+no&state=" +
                         start.state;
  LoginResult res;
  CompleteLoginOptions from_browser;
  from_browser.binding = start.binding;
  const Error e = complete(*r.rp, cb, res, from_browser);
  ASSERT_EQ(e.status, Status::idp_error) << e.message;
  EXPECT_EQ(e.idp_error, "access_denied");
  EXPECT_EQ(e.idp_error_description, "The user said no");
  // The state went with it.
  ASSERT_STATUS(complete(*r.rp, std::string(kRedirectUri) + "?code=x&state=" + start.state, res, from_browser),
                Status::not_found);
  // A provider naming another issuer in the response (RFC 9207) is refused.
  const std::string cb2 = login(*r.rp);
  const std::string evil_iss = "https%3A%2F%2Fevil.example%2F";
  const std::string forged = query_param(cb2, "iss").empty() ? cb2 + "&iss=" + evil_iss : with_param(cb2, "iss", evil_iss);
  ASSERT_STATUS(complete(*r.rp, forged, res), Status::bad_issuer);
}

TEST(RelyingPartyCallback, WrongClientSecretIsInvalidClient) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp, "", "not-the-secret");
  LoginResult res;
  const Error e = complete(*r.rp, login(*r.rp), res);
  ASSERT_EQ(e.status, Status::idp_error) << e.message;
  EXPECT_EQ(e.idp_error, "invalid_client");
  EXPECT_EQ(e.detail, 400) << "Authentik answers every token error with 400";
}

TEST(RelyingPartyCallback, IdTokenWithAWrongNonceOrAudienceIsRefused) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  LoginResult res;
  ctl(p.idp, "id_token_nonce", "{\"value\":\"not-the-nonce\"}");
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::bad_nonce);
  ctl(p.idp, "id_token_nonce", "{\"value\":null}");
  ctl(p.idp, "id_token_claims", "{\"claims\":{\"aud\":\"someone-else\"}}");
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::bad_audience);
  // Several audiences need azp = the client id.
  ctl(p.idp, "id_token_claims",
                "{\"claims\":{\"aud\":[" + json_str(p.idp.client_id()) + ",\"other\"],\"azp\":\"other\"}}");
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::bad_audience);
  ctl(p.idp, "id_token_claims", "{\"claims\":{\"iss\":\"https://evil.example/\"}}");
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::bad_issuer);
  ctl(p.idp, "id_token_claims", "{\"claims\":{}}");
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::ok);
}

TEST(RelyingPartyCallback, ProviderDownAtCodeExchangeFailsWithinTheTimeout) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp, "\"http_timeout\":1");
  const std::string callback = login(*r.rp);
  ctl(p.idp, "token_mode", "{\"mode\":\"hang\"}");
  LoginResult res;
  const auto t0 = SteadyClock::now();
  const Error e = complete(*r.rp, callback, res);
  const double took = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  EXPECT_EQ(e.status, Status::http_error) << e.message;
  EXPECT_LT(took, 5.0);
  // The user starts a new login at once, and it completes once the provider is back.
  ctl(p.idp, "token_mode", "{\"mode\":\"normal\"}");
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::ok);
  // A closed connection and a 5xx are http_error too.
  ctl(p.idp, "token_mode", "{\"mode\":\"close\"}");
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::http_error);
  ctl(p.idp, "token_mode", "{\"mode\":\"status\",\"status\":502,\"body\":\"bad gateway\"}");
  const Error gw = complete(*r.rp, login(*r.rp), res);
  EXPECT_EQ(gw.status, Status::http_error);
  EXPECT_EQ(gw.detail, 502);
}

// ---------------------------------------------------------------------------------------
// Client authentication, signing modes, key rotation

TEST(RelyingPartyClientAuth, BasicCredentialsAsAuthentikReadsThem) {
  Provider p;
  ASSERT_TRUE(p.started());
  LoginResult res;
  // The provider (like Authentik) does not URL-decode Basic credentials: RFC 6749's
  // form-encoding of a secret with punctuation is refused...
  auto form = make_rp(p.idp, "\"token_endpoint_auth_method\":\"client_secret_basic\"");
  const Error e = complete(*form.rp, login(*form.rp), res);
  ASSERT_EQ(e.status, Status::idp_error) << e.message;
  EXPECT_EQ(e.idp_error, "invalid_client");
  // ...the raw secret is accepted...
  auto raw = make_rp(p.idp, "\"token_endpoint_auth_method\":\"client_secret_basic\",\"basic_auth_encoding\":\"raw\"");
  ASSERT_STATUS(complete(*raw.rp, login(*raw.rp), res), Status::ok);
  // ...and a provider that follows the RFC takes the form-encoded one.
  ctl(p.idp, "basic_decoding", "{\"mode\":\"rfc6749\"}");
  ASSERT_STATUS(complete(*form.rp, login(*form.rp), res), Status::ok);
  // client_secret_post (the default) works either way.
  auto post = make_rp(p.idp);
  ASSERT_STATUS(complete(*post.rp, login(*post.rp), res), Status::ok);
}

TEST(RelyingPartySigning, Es256Provider) {
  Provider p({"--alg", "ES256"});
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  LoginResult res;
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::ok);
}

TEST(RelyingPartySigning, Hs256WithTheClientSecretOnlyWhenConfigured) {
  Provider p({"--alg", "HS256"});
  ASSERT_TRUE(p.started());
  LoginResult res;
  // Without the option, an HS256 ID token is never accepted (the JWKS is `{}`).
  auto plain = make_rp(p.idp);
  const Error e = complete(*plain.rp, login(*plain.rp), res);
  EXPECT_FALSE(e.ok());
  EXPECT_TRUE(e.status == Status::alg_not_allowed || e.status == Status::jwks_unavailable) << status_name(e.status);
  // With it, ID and access tokens verify with the client secret.
  auto hs = make_rp(p.idp, "\"hs256_client_secret\":true");
  ASSERT_STATUS(complete(*hs.rp, login(*hs.rp), res), Status::ok);
  EXPECT_FALSE(res.tokens.access_claims.empty());
  // Another secret does not verify them.
  oidcore::VerifiedToken vt;
  Error err;
  auto store = oidcore::store::MemoryStore::create({}, err);
  auto wrong = RelyingParty::create("{\"issuer\":" + json_str(p.idp.issuer()) + ",\"client_id\":" +
                                        json_str(p.idp.client_id()) +
                                        ",\"client_secret\":\"another-secret-of-sufficient-length-0123456789\"" +
                                        ",\"redirect_uri\":" + json_str(kRedirectUri) + ",\"hs256_client_secret\":true}",
                                    *store, err);
  ASSERT_TRUE(wrong) << err.message;
  ASSERT_STATUS(wrong->verify_access_token(res.tokens.access_token, vt), Status::bad_signature);
}

TEST(RelyingPartySigning, KeyRotationWithoutOverlapIsFollowed) {
  Provider p;
  ASSERT_TRUE(p.started());
  auto r = make_rp(p.idp);
  LoginResult res;
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::ok);
  const std::string old_kid_token = res.tokens.access_token;
  ctl(p.idp, "rotate_key", "{}");
  // The next login's tokens carry a kid the cache does not know: refetched, verified.
  ASSERT_STATUS(complete(*r.rp, login(*r.rp), res), Status::ok);
  // Tokens of the old key stop verifying once it is gone (Authentik keeps no overlap).
  oidcore::VerifiedToken vt;
  ASSERT_STATUS(r.rp->verify_access_token(old_kid_token, vt), Status::key_not_found);
}

TEST(RelyingPartyInternalUrl, ServerCallsGoInsideWhileTheBrowserSeesThePublicIssuer) {
  Provider p;
  ASSERT_TRUE(p.started());
  // "localhost" stands for the internal address; the public issuer stays 127.0.0.1.
  const std::string internal = "http://localhost:" + std::to_string(p.idp.port());
  auto r = make_rp(p.idp, "\"internal_url\":" + json_str(internal));
  LoginStart start;
  LoginResult res;
  const std::string callback = login(*r.rp, {}, "alice", "alice-password", &start);
  EXPECT_EQ(start.url.rfind(p.idp.issuer(), 0), 0u);
  ASSERT_STATUS(complete(*r.rp, callback, res), Status::ok);
  std::string log;
  ASSERT_EQ(p.idp.control("requests", "{}", &log), 200);
  // The provider sees the public host in Host, and the forwarding headers only the internal
  // route adds: the token call went through the internal URL, the public issuer intact.
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_FALSE(parser.parse(log).get(root));
  bool token_call_seen = false;
  for (simdjson::dom::element e : root["requests"].get_array()) {
    std::string_view path, host, xfh;
    if (e["path"].get_string().get(path) || path.find("/token") == std::string_view::npos) continue;
    token_call_seen = true;
    EXPECT_FALSE(e["host"].get_string().get(host));
    EXPECT_EQ(host, "127.0.0.1:" + std::to_string(p.idp.port()));
    ASSERT_FALSE(e["x_forwarded_host"].get_string().get(xfh)) << "no X-Forwarded-Host: not the internal route";
    EXPECT_EQ(xfh, "127.0.0.1:" + std::to_string(p.idp.port()));
  }
  EXPECT_TRUE(token_call_seen);
  // Without internal_url, no forwarding headers.
  ctl(p.idp, "reset", "{}");
  auto direct = make_rp(p.idp);
  ASSERT_STATUS(complete(*direct.rp, login(*direct.rp), res), Status::ok);
  ASSERT_EQ(p.idp.control("requests", "{}", &log), 200);
  EXPECT_EQ(log.find("\"x_forwarded_host\":\"127"), std::string::npos) << log.substr(0, 400);
}

}  // namespace
