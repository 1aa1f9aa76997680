// The relying party's configuration and per-call options, checked without a provider: every
// mistake is invalid_config / invalid_argument naming the key, before anything is fetched.
#include <gtest/gtest.h>

#include <string>

#include "flow/relying_party.hpp"
#include "store/memory_store.hpp"

namespace {

using oidcore::Error;
using oidcore::Status;
using oidcore::flow::BeginLoginOptions;
using oidcore::flow::CompleteLoginOptions;
using oidcore::flow::LogoutOptions;
using oidcore::flow::RelyingPartyConfig;

const std::string kBase =
    R"("issuer":"https://auth.example.com/application/o/app/","client_id":"app","client_secret":"s3cr3t+/=&%:punct-0123456789abcdef","redirect_uri":"https://app.example.com/auth/callback")";

Error parse(const std::string& extra, RelyingPartyConfig* out = nullptr) {
  RelyingPartyConfig c;
  Error e = oidcore::flow::parse_relying_party_config("{" + kBase + (extra.empty() ? "" : "," + extra) + "}", c);
  if (out) *out = c;
  return e;
}

void expect_config_error(const std::string& extra, const std::string& names) {
  const Error e = parse(extra);
  EXPECT_EQ(e.status, Status::invalid_config) << extra;
  EXPECT_NE(e.message.find(names), std::string::npos) << extra << " -> " << e.message;
}

TEST(RelyingPartyConfig, DefaultsAreTheSecureOnes) {
  RelyingPartyConfig c;
  ASSERT_TRUE(parse("", &c).ok());
  EXPECT_EQ(c.client_auth, oidcore::flow::ClientAuth::post);
  EXPECT_FALSE(c.basic_raw);
  EXPECT_FALSE(c.hs256_client_secret);
  EXPECT_TRUE(c.validate_access_token);
  EXPECT_EQ(c.state_ttl, 600);
  EXPECT_EQ(c.exchange_code_ttl, 60);
  EXPECT_EQ(c.scopes, (std::vector<std::string>{"openid", "profile", "email"}));
}

TEST(RelyingPartyConfig, RequiredKeys) {
  for (const char* key : {"issuer", "client_id", "client_secret", "redirect_uri"}) {
    RelyingPartyConfig c;
    std::string json = "{" + kBase + "}";
    const size_t at = json.find(std::string("\"") + key + "\"");
    const size_t end = json.find("\",", at);
    json.erase(at, (end == std::string::npos ? json.size() - 1 : end + 2) - at);
    if (json[json.size() - 2] == ',') json.erase(json.size() - 2, 1);
    const Error e = oidcore::flow::parse_relying_party_config(json, c);
    EXPECT_EQ(e.status, Status::invalid_config) << json;
    EXPECT_NE(e.message.find(key), std::string::npos) << e.message;
  }
}

TEST(RelyingPartyConfig, BadValuesNameTheirKey) {
  expect_config_error(R"("clokc_tolerance":5)", "clokc_tolerance");
  expect_config_error(R"("scopes":"profile email")", "openid");
  expect_config_error(R"("scopes":[])", "scopes");
  expect_config_error(R"("scopes":"openid pro\"file")", "scopes");
  expect_config_error(R"("token_endpoint_auth_method":"private_key_jwt")", "token_endpoint_auth_method");
  expect_config_error(R"("basic_auth_encoding":"url")", "basic_auth_encoding");
  expect_config_error(R"("hs256_client_secret":"yes")", "hs256_client_secret");
  expect_config_error(R"("hs256_client_secret":true,"algorithms":["RS256"])", "algorithms");
  expect_config_error(R"("state_ttl":0)", "state_ttl");
  expect_config_error(R"("exchange_code_ttl":100000)", "exchange_code_ttl");
  expect_config_error(R"x("post_logout_redirect_uri":"javascript:alert(1)")x", "post_logout_redirect_uri");
  expect_config_error(R"("authorization_params":{"nonce":"fixed"})", "nonce");
  expect_config_error(R"("authorization_params":{"prompt":1})", "prompt");
  expect_config_error(R"("refresh_tokens":"yes")", "refresh_tokens");
  // Members handed on to the verifiers are checked now, with the verifier's own rules.
  expect_config_error(R"("clock_tolerance":3600)", "clock_tolerance");
  expect_config_error(R"("algorithms":["none"])", "algorithms");
  expect_config_error(R"("internal_url":"not a url")", "internal_url");
  expect_config_error(R"("http_timeout":0)", "http_timeout");
  // The issuer must be a URL discovery can be fetched from.
  RelyingPartyConfig c;
  const Error e = oidcore::flow::parse_relying_party_config(
      R"({"issuer":"auth","client_id":"a","client_secret":"b","redirect_uri":"https://a.example/cb"})", c);
  EXPECT_EQ(e.status, Status::invalid_config);
  const Error rel = oidcore::flow::parse_relying_party_config(
      R"({"issuer":"https://a.example/","client_id":"a","client_secret":"b","redirect_uri":"/relative"})", c);
  EXPECT_EQ(rel.status, Status::invalid_config);
  EXPECT_NE(rel.message.find("redirect_uri"), std::string::npos);
  // A secret too short to be an HS256 key is refused when HS256 is asked for.
  RelyingPartyConfig d;
  const Error short_secret = oidcore::flow::parse_relying_party_config(
      R"({"issuer":"https://a.example/","client_id":"a","client_secret":"short","redirect_uri":"https://a.example/cb","hs256_client_secret":true})",
      d);
  EXPECT_EQ(short_secret.status, Status::invalid_config) << short_secret.message;
}

TEST(RelyingPartyConfig, OptionsAccepted) {
  RelyingPartyConfig c;
  ASSERT_TRUE(parse(R"("scopes":["openid","offline_access"],"token_endpoint_auth_method":"client_secret_basic","basic_auth_encoding":"raw","internal_url":"http://authentik:9000","algorithms":["RS256"],"principal":{"roles":[{"group":"admins","role":"admin"}]},"authorization_params":{"prompt":"login"},"access_token_audience":["api","app"])",
                    &c)
                  .ok());
  EXPECT_EQ(c.client_auth, oidcore::flow::ClientAuth::basic);
  EXPECT_TRUE(c.basic_raw);
  EXPECT_EQ(c.http.internal_url, "http://authentik:9000");
  EXPECT_EQ(c.http.public_url, "https://auth.example.com/application/o/app/");
  EXPECT_EQ(c.access_token_audience.size(), 2u);
  ASSERT_EQ(c.authorization_params.size(), 1u);
  EXPECT_EQ(c.authorization_params[0].first, "prompt");
}

TEST(RelyingPartyConfig, WarnsWhenRefreshCannotWork) {
  // Authentik issues refresh tokens only with offline_access: without it the application
  // is told at creation, with a stable code and a message saying what to change.
  RelyingPartyConfig c;
  ASSERT_TRUE(parse("", &c).ok());
  EXPECT_TRUE(c.refresh_tokens);
  auto w = oidcore::flow::relying_party_warnings(c);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].code, "no_offline_access");
  EXPECT_NE(w[0].message.find("\"offline_access\""), std::string::npos) << w[0].message;
  EXPECT_NE(w[0].message.find("refresh_tokens"), std::string::npos) << w[0].message;
  EXPECT_EQ(oidcore::flow::warnings_json(w).rfind(R"([{"code":"no_offline_access","message":")", 0), 0u)
      << oidcore::flow::warnings_json(w);
  ASSERT_TRUE(parse(R"("scopes":"openid profile offline_access")", &c).ok());
  EXPECT_TRUE(oidcore::flow::relying_party_warnings(c).empty());
  EXPECT_EQ(oidcore::flow::warnings_json({}), "[]");
  // An application that does not refresh says so and is not warned.
  ASSERT_TRUE(parse(R"("refresh_tokens":false)", &c).ok());
  EXPECT_FALSE(c.refresh_tokens);
  EXPECT_TRUE(oidcore::flow::relying_party_warnings(c).empty());
  // "offline_access" must be a scope of its own, not a part of one.
  ASSERT_TRUE(parse(R"("scopes":["openid","offline_access_x"])", &c).ok());
  EXPECT_EQ(oidcore::flow::relying_party_warnings(c).size(), 1u);

  Error err;
  auto store = oidcore::store::MemoryStore::create({}, err);
  ASSERT_TRUE(store);
  auto rp = oidcore::flow::RelyingParty::create("{" + kBase + "}", *store, err);
  ASSERT_TRUE(rp) << err.message;
  ASSERT_EQ(rp->warnings().size(), 1u);
  EXPECT_EQ(rp->warnings()[0].code, "no_offline_access");
  // Refreshing without a refresh token says why there is none, before any network call.
  oidcore::flow::TokenSet t;
  const Error none = rp->refresh("", t);
  EXPECT_EQ(none.status, Status::invalid_argument);
  EXPECT_NE(none.message.find("offline_access"), std::string::npos) << none.message;
  EXPECT_NE(none.message.find("do not include it"), std::string::npos) << none.message;
  auto rp2 = oidcore::flow::RelyingParty::create("{" + kBase + R"(,"scopes":"openid offline_access"})", *store, err);
  ASSERT_TRUE(rp2) << err.message;
  EXPECT_TRUE(rp2->warnings().empty());
  const Error none2 = rp2->refresh("", t);
  EXPECT_EQ(none2.status, Status::invalid_argument);
  EXPECT_EQ(none2.message.find("do not include it"), std::string::npos) << none2.message;
  EXPECT_EQ(rp2->token_requests(), 0u);
}

TEST(RelyingPartyOptions, PerCallOptions) {
  BeginLoginOptions b;
  ASSERT_TRUE(oidcore::flow::parse_begin_login_options(
                  R"({"redirect_after":"/x","extra":{"a":[1,2]},"binding":"b","scopes":"openid email","params":{"prompt":"login"}})", b)
                  .ok());
  EXPECT_EQ(b.redirect_after.value_or(""), "/x");
  EXPECT_EQ(b.extra_json.value_or(""), R"({"a":[1,2]})");
  EXPECT_EQ(b.scopes->size(), 2u);
  BeginLoginOptions b2;
  EXPECT_EQ(oidcore::flow::parse_begin_login_options(R"({"redirect":"/x"})", b2).status, Status::invalid_argument);
  EXPECT_EQ(oidcore::flow::parse_begin_login_options(R"({"params":{"code_challenge_method":"plain"}})", b2).status,
            Status::invalid_argument);
  EXPECT_EQ(oidcore::flow::parse_begin_login_options("[1]", b2).status, Status::invalid_argument);
  EXPECT_EQ(oidcore::flow::parse_begin_login_options("{", b2).status, Status::invalid_argument);
  EXPECT_TRUE(oidcore::flow::parse_begin_login_options("", b2).ok());

  CompleteLoginOptions c;
  ASSERT_TRUE(oidcore::flow::parse_complete_login_options(
                  R"({"binding":"b","exchange_code":true,"exchange_code_ttl":30,"exchange_code_binding":"c"})", c)
                  .ok());
  EXPECT_TRUE(c.exchange_code);
  EXPECT_EQ(c.exchange_code_ttl.value_or(0), 30);
  EXPECT_EQ(oidcore::flow::parse_complete_login_options(R"({"exchange_code":"yes"})", c).status,
            Status::invalid_argument);
  EXPECT_EQ(oidcore::flow::parse_complete_login_options(R"({"exchange_code_ttl":0})", c).status,
            Status::invalid_argument);
  EXPECT_EQ(oidcore::flow::parse_complete_login_options(R"({"binding":""})", c).status, Status::invalid_argument);

  LogoutOptions l;
  ASSERT_TRUE(oidcore::flow::parse_logout_options(R"({"id_token_hint":"x","state":"s"})", l).ok());
  EXPECT_EQ(oidcore::flow::parse_logout_options(R"({"post_logout":"x"})", l).status, Status::invalid_argument);
}

TEST(RelyingPartyOffline, CallbackProblemsFoundBeforeTheNetwork) {
  Error err;
  auto store = oidcore::store::MemoryStore::create({}, err);
  ASSERT_TRUE(store);
  // An issuer nobody listens on: the callback's own problems are reported without a fetch.
  auto rp = oidcore::flow::RelyingParty::create(
      R"({"issuer":"http://127.0.0.1:9/application/o/app/","client_id":"a","client_secret":"b","redirect_uri":"http://127.0.0.1:3000/cb","connect_timeout":0.2,"http_timeout":0.5})",
      *store, err);
  ASSERT_TRUE(rp) << err.message;
  oidcore::flow::LoginResult res;
  EXPECT_EQ(rp->complete_login("code=a&code=b&state=s", {}, res).status, Status::invalid_argument);
  EXPECT_EQ(rp->complete_login("code=a", {}, res).status, Status::invalid_argument);
  EXPECT_EQ(rp->complete_login("?code=a&state=" + std::string(43, 'A'), {}, res).status, Status::not_found);
  EXPECT_EQ(rp->complete_login(std::string(20000, 'a'), {}, res).status, Status::too_large);
  const Error denied = rp->complete_login("http://x/cb?error=access_denied&error_description=no%20way", {}, res);
  EXPECT_EQ(denied.status, Status::idp_error);
  EXPECT_EQ(denied.idp_error, "access_denied");
  EXPECT_EQ(denied.idp_error_description, "no way");
  // Without the provider, a login cannot start: http_error, not a hang.
  oidcore::flow::LoginStart start;
  EXPECT_EQ(rp->begin_login({}, start).status, Status::http_error);
  oidcore::flow::TokenSet t;
  EXPECT_EQ(rp->refresh("", t).status, Status::invalid_argument);
  std::string info;
  EXPECT_EQ(rp->userinfo("a b", info).status, Status::invalid_argument);
}

}  // namespace
