// Logout against the real test provider (tests/idp/oidc-provider): the refresh token is
// revoked at the provider, the session's access token is refused at once by every relying
// party sharing the store (a second instance included, and from its verified-token cache),
// the end-session URL carries every parameter and the provider honours it; a missing,
// expired or forged access token never stops a logout, a forged one ends no session, and a
// provider that fails to revoke still leaves the caller its end-session URL.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "flow/relying_party.hpp"
#include "oidc_provider_fixture.hpp"
#include "store/memory_store.hpp"
#include "token_factory.hpp"

namespace {

using oidcore::Error;
using oidcore::Status;
using oidcore::status_name;
using oidcore::VerifiedToken;
using oidcore::flow::CompleteLoginOptions;
using oidcore::flow::LoginResult;
using oidcore::flow::LoginStart;
using oidcore::flow::LogoutOptions;
using oidcore::flow::LogoutResult;
using oidcore::flow::RelyingParty;
using oidcore::flow::TokenSet;
using oidcore::testing::drive_login;
using oidcore::testing::drive_logout;
using oidcore::testing::OidcProvider;
using oidcore::testing::query_param;

constexpr char kRedirectUri[] = "http://127.0.0.1:3000/auth/callback";
constexpr char kAfterLogout[] = "http://127.0.0.1:3000/signed-out";

std::string json_str(std::string_view s) { return oidcore::testing::json_string(s); }

std::string member(const std::string& json, const char* key) {
  simdjson::dom::parser p;
  simdjson::dom::element root;
  if (p.parse(json).get(root)) return "";
  std::string_view v;
  if (root[key].get_string().get(v)) return "";
  return std::string(v);
}

struct Provider {
  explicit Provider(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--redirect-uri", kRedirectUri, "--post-logout-redirect-uri", kAfterLogout};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string error;
    started = idp.start(args, error);
    EXPECT_TRUE(started) << error;
  }
  OidcProvider idp;
  bool started = false;
};

std::unique_ptr<oidcore::store::MemoryStore> memory_store() {
  Error err;
  auto s = oidcore::store::MemoryStore::create({}, err);
  EXPECT_TRUE(s) << err.message;
  return s;
}

std::unique_ptr<RelyingParty> make_rp(const OidcProvider& idp, oidcore::store::Store& store, const std::string& extra) {
  const std::string config = "{\"issuer\":" + json_str(idp.issuer()) + ",\"client_id\":" + json_str(idp.client_id()) +
                             ",\"client_secret\":" + json_str(idp.client_secret()) +
                             ",\"redirect_uri\":" + json_str(kRedirectUri) +
                             ",\"scopes\":\"openid profile email offline_access\"" +
                             ",\"post_logout_redirect_uri\":" + json_str(kAfterLogout) +
                             ",\"connect_timeout\":1,\"http_timeout\":2" + (extra.empty() ? "" : "," + extra) + "}";
  Error err;
  auto rp = RelyingParty::create(config, store, err);
  EXPECT_TRUE(rp) << err.message;
  return rp;
}

// A whole login in one browser: begin, sign in at the provider, complete with the binding.
TokenSet log_in(RelyingParty& rp) {
  LoginStart start;
  Error err = rp.begin_login({}, start);
  EXPECT_TRUE(err.ok()) << err.message;
  std::string callback, error;
  EXPECT_TRUE(drive_login(start.url, "alice", "alice-password", callback, error)) << error;
  CompleteLoginOptions co;
  co.binding = start.binding;
  LoginResult res;
  err = rp.complete_login(callback, co, res);
  EXPECT_TRUE(err.ok()) << status_name(err.status) << ": " << err.message;
  return res.tokens;
}

Status verify(RelyingParty& rp, const std::string& token) {
  VerifiedToken vt;
  return rp.verify_access_token(token, vt).status;
}

#define EXPECT_STATUS(expr, expected) EXPECT_EQ(status_name(expr), status_name(Status::expected))

TEST(Logout, RevokesDeniesEverywhereAndTheProviderEndsTheSession) {
  Provider p;
  ASSERT_TRUE(p.started);
  auto store = memory_store();  // shared, as one Redis would be by several processes
  auto rp = make_rp(p.idp, *store, "\"deny_list\":true");
  auto other = make_rp(p.idp, *store, "\"deny_list\":true");  // a second instance
  auto unlisted = make_rp(p.idp, *store, "");                  // deny list off (the default)
  const TokenSet t = log_in(*rp);
  ASSERT_FALSE(t.refresh_token.empty());
  EXPECT_NE(member(t.access_claims, "sid"), "") << "the provider's access tokens carry the session id";
  // Verified twice: the second answer comes from the verified-token cache.
  EXPECT_STATUS(verify(*other, t.access_token), ok);
  EXPECT_STATUS(verify(*other, t.access_token), ok);

  LogoutOptions lo;
  lo.access_token = t.access_token;
  lo.refresh_token = t.refresh_token;
  lo.id_token_hint = t.id_token;
  lo.state = "bye-42";
  LogoutResult out;
  const Error err = rp->logout(lo, out);
  ASSERT_TRUE(err.ok()) << status_name(err.status) << ": " << err.message;
  EXPECT_TRUE(out.revoked) << out.revoke_error.message;
  EXPECT_TRUE(out.denied) << out.deny_error.message;
  EXPECT_TRUE(out.revoke_error.ok());
  EXPECT_TRUE(out.deny_error.ok());

  // The end-session URL is complete.
  EXPECT_EQ(out.logout_url.rfind(p.idp.issuer() + "end-session/", 0), 0u) << out.logout_url;
  EXPECT_EQ(query_param(out.logout_url, "client_id"), p.idp.client_id());
  EXPECT_EQ(query_param(out.logout_url, "id_token_hint"), t.id_token);
  EXPECT_EQ(query_param(out.logout_url, "post_logout_redirect_uri"), kAfterLogout);
  EXPECT_EQ(query_param(out.logout_url, "state"), "bye-42");

  // The access token is refused at once, by this instance and by the other one (from its
  // cache), while a relying party without the deny list still accepts it.
  EXPECT_STATUS(verify(*rp, t.access_token), revoked);
  EXPECT_STATUS(verify(*other, t.access_token), revoked);
  EXPECT_STATUS(verify(*unlisted, t.access_token), ok);

  // The refresh token is dead at the provider.
  TokenSet refreshed;
  const Error r = rp->refresh(t.refresh_token, refreshed);
  EXPECT_EQ(status_name(r.status), "idp_error") << r.message;
  EXPECT_EQ(r.idp_error, "invalid_grant");

  // The provider honours the URL: back to the registered address, with the state.
  std::string final_location, error;
  ASSERT_TRUE(drive_logout(out.logout_url, final_location, error)) << error;
  EXPECT_EQ(final_location.rfind(kAfterLogout, 0), 0u) << final_location;
  EXPECT_NE(final_location.find("state=bye-42"), std::string::npos) << final_location;

  // Logging out again (a second tab): nothing breaks; the session is still listed.
  LogoutResult again;
  ASSERT_TRUE(rp->logout(lo, again).ok());
  EXPECT_TRUE(again.denied);
  EXPECT_FALSE(again.logout_url.empty());

  // Another login of the same user is another session: not refused.
  const TokenSet next = log_in(*rp);
  EXPECT_STATUS(verify(*other, next.access_token), ok);
}

TEST(Logout, MissingExpiredOrForgedAccessTokensNeverStopIt) {
  Provider p({"--access-ttl", "3"});
  ASSERT_TRUE(p.started);
  auto store = memory_store();
  auto rp = make_rp(p.idp, *store, "\"deny_list\":true");

  // Nothing at all (the cookies are gone): the URL, nothing revoked, nothing listed.
  LogoutResult none;
  ASSERT_TRUE(rp->logout({}, none).ok());
  EXPECT_FALSE(none.logout_url.empty());
  EXPECT_EQ(query_param(none.logout_url, "post_logout_redirect_uri"), kAfterLogout);
  EXPECT_FALSE(none.revoked);
  EXPECT_FALSE(none.denied);
  EXPECT_TRUE(none.revoke_error.ok());
  EXPECT_TRUE(none.deny_error.ok());

  // A forged token carrying the victim's session id ends nothing: it does not verify.
  const TokenSet victim = log_in(*rp);
  auto attacker_key = oidcore::testing::TestKey::generate(oidcore::testing::KeyKind::rsa2048, p.idp.kid());
  std::string forged_claims = victim.access_claims;
  const std::string forged = oidcore::testing::make_jws(
      attacker_key, "RS256", "{\"alg\":\"RS256\",\"kid\":" + json_str(p.idp.kid()) + ",\"typ\":\"JWT\"}",
      forged_claims);
  LogoutOptions lo;
  lo.access_token = forged;
  LogoutResult out;
  ASSERT_TRUE(rp->logout(lo, out).ok());
  EXPECT_FALSE(out.denied);
  EXPECT_EQ(status_name(out.deny_error.status), "bad_signature") << out.deny_error.message;
  EXPECT_FALSE(out.logout_url.empty());
  EXPECT_STATUS(verify(*rp, victim.access_token), ok);
  lo.access_token = "junk";
  ASSERT_TRUE(rp->logout(lo, out).ok());
  EXPECT_EQ(status_name(out.deny_error.status), "malformed");
  EXPECT_STATUS(verify(*rp, victim.access_token), ok);

  // An expired access token: the logout goes on (the refresh token is revoked); there is
  // nothing to list, since no verifier accepts the token any more.
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  EXPECT_STATUS(verify(*rp, victim.access_token), expired);
  lo.access_token = victim.access_token;
  lo.refresh_token = victim.refresh_token;
  ASSERT_TRUE(rp->logout(lo, out).ok());
  EXPECT_TRUE(out.revoked) << out.revoke_error.message;
  EXPECT_FALSE(out.denied);
  EXPECT_TRUE(out.deny_error.ok()) << out.deny_error.message;
  TokenSet refreshed;
  EXPECT_EQ(rp->refresh(victim.refresh_token, refreshed).idp_error, "invalid_grant");

  // The caller's own mistakes are refused before anything is done.
  LogoutOptions unsafe;
  unsafe.post_logout_redirect_uri = "javascript:alert(1)";
  EXPECT_EQ(status_name(rp->logout(unsafe, out).status), "invalid_argument");
}

TEST(Logout, AProviderThatCannotRevokeStillGetsTheUserLoggedOut) {
  Provider p;
  ASSERT_TRUE(p.started);
  auto store = memory_store();
  auto rp = make_rp(p.idp, *store, "\"deny_list\":true");
  auto other = make_rp(p.idp, *store, "\"deny_list\":true");
  const TokenSet t = log_in(*rp);
  EXPECT_STATUS(verify(*other, t.access_token), ok);
  // The provider goes away; its metadata and keys are held, so the URL can still be made.
  p.idp.stop();
  LogoutOptions lo;
  lo.access_token = t.access_token;
  lo.refresh_token = t.refresh_token;
  lo.id_token_hint = t.id_token;
  LogoutResult out;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(rp->logout(lo, out).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4)) << "bounded by the HTTP timeouts";
  EXPECT_FALSE(out.revoked);
  EXPECT_EQ(status_name(out.revoke_error.status), "http_error") << out.revoke_error.message;
  EXPECT_TRUE(out.denied) << out.deny_error.message;
  EXPECT_FALSE(out.logout_url.empty());
  EXPECT_EQ(query_param(out.logout_url, "id_token_hint"), t.id_token);
  EXPECT_STATUS(verify(*other, t.access_token), revoked);
}

}  // namespace
