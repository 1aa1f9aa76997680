// Proves the real test identity provider and its C++ fixture: discovery, keys, the login
// driver, code exchange with both client authentications (raw and RFC 6749 Basic), refresh
// rotation, logout, HS256 mode and every control of the control API.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "encoding/base64url.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "jose/signature.hpp"
#include "oidc_provider_fixture.hpp"

namespace oidcore::testing {
namespace {

const std::string kRedirect = "http://127.0.0.1:3000/auth/callback";
const std::string kBye = "http://127.0.0.1:3000/bye";

// A parsed JSON document that owns its parser.
struct Json {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool ok = false;
  explicit Json(const std::string& text) { ok = !parser.parse(text).get(root); }
  std::string str(const char* key) const {
    std::string_view s;
    if (!ok || root[key].get_string().get(s)) return "";
    return std::string(s);
  }
  bool has(const char* key) const { return ok && !root[key].error(); }
  std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    simdjson::dom::array a;
    if (!ok || root[key].get_array().get(a)) return out;
    for (auto e : a) {
      std::string_view s;
      if (!e.get_string().get(s)) out.emplace_back(s);
    }
    return out;
  }
  int64_t integer(const char* key) const {
    int64_t n = -1;
    if (!ok || root[key].get_int64().get(n)) return -1;
    return n;
  }
};

std::string hex(const unsigned char* p, size_t n) {
  std::string out;
  char buf[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", p[i]);
    out += buf;
  }
  return out;
}

std::string sha256_b64url(const std::string& s) {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  return encoding::base64url_encode(md, len);
}

std::string random_token() {
  static unsigned counter = 0;
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return sha256_b64url(std::to_string(now) + "/" + std::to_string(++counter));
}

// The decoded header and payload of a compact JWS.
struct Jwt {
  std::string header_json, payload_json;
  bool ok = false;
  explicit Jwt(const std::string& token) {
    const size_t a = token.find('.');
    const size_t b = a == std::string::npos ? a : token.find('.', a + 1);
    ok = b != std::string::npos && encoding::base64url_decode(token.substr(0, a), header_json) &&
         encoding::base64url_decode(token.substr(a + 1, b - a - 1), payload_json);
  }
};

// Verifies a token's signature against a JWKS document; the status name ("ok", ...).
std::string verify_against(const std::string& token, const std::string& jwks, bool symmetric = false) {
  jose::KeyPolicy policy;
  policy.allow_symmetric = symmetric;
  jose::KeySet keys;
  if (Error e = jose::parse_jwks(jwks, policy, keys)) return "jwks: " + e.message;
  jose::CompactJws jws;
  if (Error e = jose::split_compact(token, jose::kDefaultMaxTokenBytes, jws)) return "split: " + e.message;
  jose::JwsHeader header;
  if (Error e = jose::parse_header(jws.header_json, header)) return "header: " + e.message;
  const jose::Jwk* used = nullptr;
  const Error e = jose::verify_with_key_set(jws, header, keys, used);
  return std::string(status_name(e.status));
}

std::string oct_jwks(const std::string& secret) {
  return R"({"keys":[{"kty":"oct","alg":"HS256","k":")" + encoding::base64url_encode(secret) + R"("}]})";
}

struct Login {
  std::string callback, code, state, nonce, verifier;
};

struct Tokens {
  long status = 0;
  std::string body;
  std::string id_token, access_token, refresh_token, error;
};

enum class Auth { post, basic_raw, basic_form };

class Provider {
 public:
  explicit Provider(const std::vector<std::string>& args) {
    std::string error;
    started = idp.start(args, error);
    EXPECT_TRUE(started) << error;
    if (!started) return;
    const WebResponse r = web_request("GET", idp.discovery_url());
    EXPECT_EQ(r.status, 200) << r.body;
    discovery = r.body;
    Json d(discovery);
    authorize = d.str("authorization_endpoint");
    token = d.str("token_endpoint");
    userinfo = d.str("userinfo_endpoint");
    jwks_uri = d.str("jwks_uri");
    end_session = d.str("end_session_endpoint");
    introspect = d.str("introspection_endpoint");
    revoke = d.str("revocation_endpoint");
  }

  std::string jwks() const { return web_request("GET", jwks_uri).body; }

  std::string authorization_url(Login& l, const std::string& scope, bool pkce = true) const {
    l.state = random_token();
    l.nonce = random_token();
    l.verifier = random_token() + random_token();
    std::vector<std::pair<std::string, std::string>> q = {
        {"client_id", idp.client_id()}, {"response_type", "code"}, {"redirect_uri", kRedirect},
        {"scope", scope},               {"state", l.state},        {"nonce", l.nonce},
    };
    if (pkce) {
      q.emplace_back("code_challenge", sha256_b64url(l.verifier));
      q.emplace_back("code_challenge_method", "S256");
    }
    return authorize + "?" + form_encode(q);
  }

  Login login(const std::string& user = "alice", const std::string& scope = "openid email profile organization",
              CookieJar* jar = nullptr) const {
    Login l;
    std::string error;
    const std::string password = user + "-password";
    EXPECT_TRUE(drive_login(authorization_url(l, scope), user, password, l.callback, error, jar)) << error;
    l.code = query_param(l.callback, "code");
    EXPECT_FALSE(l.code.empty()) << l.callback;
    return l;
  }

  Tokens exchange(const std::vector<std::pair<std::string, std::string>>& params, Auth auth = Auth::post,
                  const std::string& secret_override = "") const {
    const std::string secret = secret_override.empty() ? idp.client_secret() : secret_override;
    auto fields = params;
    std::vector<std::string> headers = {"Content-Type: application/x-www-form-urlencoded"};
    switch (auth) {
      case Auth::post:
        fields.emplace_back("client_id", idp.client_id());
        fields.emplace_back("client_secret", secret);
        break;
      case Auth::basic_raw:
        headers.push_back(basic_auth_header(idp.client_id(), secret));
        break;
      case Auth::basic_form:
        headers.push_back(basic_auth_header(form_urlencode(idp.client_id()), form_urlencode(secret)));
        break;
    }
    const WebResponse r = web_request("POST", token, headers, form_encode(fields));
    Tokens t;
    t.status = r.status;
    t.body = r.body;
    Json j(r.body);
    t.id_token = j.str("id_token");
    t.access_token = j.str("access_token");
    t.refresh_token = j.str("refresh_token");
    t.error = j.str("error");
    return t;
  }

  Tokens redeem(const Login& l, Auth auth = Auth::post, const std::string& redirect = kRedirect,
                const std::string& secret = "") const {
    return exchange({{"grant_type", "authorization_code"},
                     {"code", l.code},
                     {"redirect_uri", redirect},
                     {"code_verifier", l.verifier}},
                    auth, secret);
  }

  Tokens refresh(const std::string& refresh_token) const {
    return exchange({{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}});
  }

  void control_ok(std::string_view name, std::string_view body = "{}", std::string* out = nullptr) const {
    std::string answer;
    EXPECT_EQ(idp.control(name, body, &answer), 200) << name << " " << body << ": " << answer;
    if (out) *out = answer;
  }

  // The kid of the key signing now (rotate_key changes it).
  std::string current_kid() const {
    std::string answer;
    control_ok("state", "{}", &answer);
    return Json(answer).str("kid");
  }

  OidcProvider idp;
  bool started = false;
  std::string discovery, authorize, token, userinfo, jwks_uri, end_session, introspect, revoke;
};

class OidcProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_ = new Provider({"--post-logout-redirect-uri", kBye}); }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(shared_ && shared_->started);
    shared_->control_ok("reset");
  }
  Provider& p() { return *shared_; }
  static Provider* shared_;
};
Provider* OidcProviderTest::shared_ = nullptr;

TEST_F(OidcProviderTest, DiscoveryIsAuthentikShaped) {
  const std::string issuer = p().idp.issuer();
  EXPECT_EQ(issuer, "http://127.0.0.1:" + std::to_string(p().idp.port()) + "/application/o/oidcore/");
  Json d(p().discovery);
  ASSERT_TRUE(d.ok) << p().discovery;
  EXPECT_EQ(d.str("issuer"), issuer);
  EXPECT_EQ(d.str("authorization_endpoint"), issuer + "authorize/");
  EXPECT_EQ(d.str("token_endpoint"), issuer + "token/");
  EXPECT_EQ(d.str("userinfo_endpoint"), issuer + "userinfo/");
  EXPECT_EQ(d.str("revocation_endpoint"), issuer + "revoke/");
  EXPECT_EQ(d.str("introspection_endpoint"), issuer + "introspect/");
  EXPECT_EQ(d.str("end_session_endpoint"), issuer + "end-session/");
  EXPECT_EQ(d.str("jwks_uri"), issuer + "jwks/");
  EXPECT_EQ(d.strings("id_token_signing_alg_values_supported"), std::vector<std::string>{"RS256"});
  EXPECT_EQ(d.strings("token_endpoint_auth_methods_supported"),
            (std::vector<std::string>{"client_secret_post", "client_secret_basic"}));
  EXPECT_EQ(d.strings("code_challenge_methods_supported"), (std::vector<std::string>{"plain", "S256"}));
  EXPECT_FALSE(d.has("authorization_response_iss_parameter_supported"));
  // The generated secret has the punctuation that form-encoding changes.
  EXPECT_NE(p().idp.client_secret().find_first_of("+/=%&:"), std::string::npos) << p().idp.client_secret();
  EXPECT_EQ(p().idp.client_id(), "oidcore-test");
}

TEST_F(OidcProviderTest, JwksHasOneKeyWhoseKidIsTheMd5OfItsPublicKey) {
  const WebResponse r = web_request("GET", p().jwks_uri);
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.has_header("cache-control"));
  jose::KeyPolicy policy;
  jose::KeySet keys;
  ASSERT_FALSE(jose::parse_jwks(r.body, policy, keys)) << r.body;
  ASSERT_EQ(keys.keys.size(), 1u) << r.body;
  const jose::Jwk& key = *keys.keys[0];
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key.pkey, &der);
  ASSERT_GT(len, 0);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  ASSERT_EQ(EVP_Digest(der, static_cast<size_t>(len), md, &md_len, EVP_md5(), nullptr), 1);
  OPENSSL_free(der);
  EXPECT_EQ(key.kid, hex(md, md_len));
  EXPECT_EQ(key.kid, p().current_kid());
  EXPECT_EQ(key.use, "sig");
  ASSERT_TRUE(key.alg.has_value());
  EXPECT_EQ(jose::alg_name(*key.alg), "RS256");
}

TEST_F(OidcProviderTest, AliceLogsInAndTheCallbackHasCodeAndState) {
  Login l;
  std::string callback, error;
  ASSERT_TRUE(drive_login(p().authorization_url(l, "openid"), "alice", "alice-password", callback, error)) << error;
  EXPECT_EQ(callback.rfind(kRedirect + "?", 0), 0u) << callback;
  EXPECT_FALSE(query_param(callback, "code").empty()) << callback;
  EXPECT_EQ(query_param(callback, "state"), l.state);
  EXPECT_EQ(query_param(callback, "iss"), "");  // Authentik sends none
}

TEST_F(OidcProviderTest, AWrongPasswordIsRejectedOnTheLoginPage) {
  Login l;
  std::string callback, error;
  EXPECT_FALSE(drive_login(p().authorization_url(l, "openid"), "alice", "bob-password", callback, error));
  EXPECT_NE(error.find("Invalid username or password"), std::string::npos) << error;
  EXPECT_TRUE(callback.empty());
}

TEST_F(OidcProviderTest, AuthorizationErrorsComeBackToTheRedirectUri) {
  Login l;
  std::string callback, error;
  ASSERT_TRUE(drive_login(p().authorization_url(l, "openid", /*pkce=*/false), "alice", "alice-password", callback, error))
      << error;
  EXPECT_EQ(query_param(callback, "error"), "invalid_request") << callback;
  EXPECT_FALSE(query_param(callback, "error_description").empty()) << callback;
  EXPECT_EQ(query_param(callback, "state"), l.state);
  EXPECT_EQ(callback.find("iss="), std::string::npos) << callback;
}

TEST_F(OidcProviderTest, CodeExchangeWithClientSecretPostGivesAuthentikTokens) {
  const Login l = p().login("alice", "openid email profile organization bogus");
  const Tokens t = p().redeem(l);
  ASSERT_EQ(t.status, 200) << t.body;
  Json body(t.body);
  EXPECT_EQ(body.str("token_type"), "Bearer");
  EXPECT_EQ(body.integer("expires_in"), 3600);
  EXPECT_EQ(body.str("scope"), "openid email profile organization");  // unknown scope dropped
  EXPECT_TRUE(t.refresh_token.empty()) << "no offline_access, no refresh token";

  const std::string jwks = p().jwks();
  EXPECT_EQ(verify_against(t.id_token, jwks), "ok");
  EXPECT_EQ(verify_against(t.access_token, jwks), "ok");

  Jwt id(t.id_token);
  ASSERT_TRUE(id.ok);
  Json ih(id.header_json), ic(id.payload_json);
  EXPECT_EQ(ih.str("alg"), "RS256");
  EXPECT_EQ(ih.str("kid"), p().current_kid());
  EXPECT_EQ(ih.str("typ"), "JWT");
  EXPECT_EQ(ic.str("iss"), p().idp.issuer());
  EXPECT_EQ(ic.str("aud"), "oidcore-test");
  EXPECT_EQ(ic.str("sub"), p().idp.sub_of("alice"));
  EXPECT_EQ(ic.str("nonce"), l.nonce);
  EXPECT_EQ(ic.str("email"), "alice@example.com");
  EXPECT_EQ(ic.str("name"), "Alice Example");
  EXPECT_EQ(ic.str("preferred_username"), "alice");
  EXPECT_EQ(ic.strings("groups"), (std::vector<std::string>{"admins", "staff"}));
  EXPECT_EQ(ic.str("organizationId"), "org-alice");
  EXPECT_EQ(ic.str("acr"), "goauthentik.io/providers/oauth2/default");
  EXPECT_FALSE(ic.str("sid").empty());
  EXPECT_GT(ic.integer("auth_time"), 0);
  EXPECT_EQ(ic.integer("exp") - ic.integer("iat"), 3600);
  EXPECT_FALSE(ic.has("at_hash"));

  Jwt at(t.access_token);
  ASSERT_TRUE(at.ok);
  Json ah(at.header_json), ac(at.payload_json);
  EXPECT_EQ(ah.str("typ"), "JWT");
  EXPECT_EQ(ah.str("kid"), p().current_kid());
  EXPECT_EQ(ac.str("aud"), "oidcore-test");  // a string, not an array
  EXPECT_EQ(ac.str("azp"), "oidcore-test");
  EXPECT_EQ(ac.str("iss"), p().idp.issuer());
  EXPECT_EQ(ac.str("sub"), p().idp.sub_of("alice"));
  EXPECT_EQ(ac.strings("groups"), (std::vector<std::string>{"admins", "staff"}));
  EXPECT_EQ(ac.str("sid"), ic.str("sid"));
  EXPECT_FALSE(ac.str("uid").empty());
  EXPECT_FALSE(ac.has("scope"));
  EXPECT_FALSE(ac.has("jti"));
  EXPECT_FALSE(ac.has("client_id"));

  const WebResponse u = web_request("GET", p().userinfo, {"Authorization: Bearer " + t.access_token});
  ASSERT_EQ(u.status, 200) << u.body;
  Json ui(u.body);
  EXPECT_EQ(ui.str("sub"), p().idp.sub_of("alice"));
  EXPECT_EQ(ui.strings("groups"), (std::vector<std::string>{"admins", "staff"}));
  EXPECT_EQ(ui.str("organizationId"), "org-alice");
}

TEST_F(OidcProviderTest, BobHasNoGroupsAndNoOrganization) {
  const Tokens t = p().redeem(p().login("bob"));
  ASSERT_EQ(t.status, 200) << t.body;
  Json c(Jwt(t.id_token).payload_json);
  EXPECT_EQ(c.str("email"), "bob@example.com");
  EXPECT_TRUE(c.has("groups"));
  EXPECT_TRUE(c.strings("groups").empty());
  EXPECT_FALSE(c.has("organizationId"));
}

TEST_F(OidcProviderTest, BasicCredentialsAreNotUrlDecodedByDefault) {
  // Raw: the secret exactly as it is, base64'd.
  Tokens t = p().redeem(p().login(), Auth::basic_raw);
  EXPECT_EQ(t.status, 200) << t.body;
  // RFC 6749 2.3.1 form-encoding of the secret: Authentik refuses it.
  t = p().redeem(p().login(), Auth::basic_form);
  EXPECT_EQ(t.status, 400) << t.body;
  EXPECT_EQ(t.error, "invalid_client") << t.body;

  p().control_ok("basic_decoding", R"({"mode":"rfc6749"})");
  t = p().redeem(p().login(), Auth::basic_form);
  EXPECT_EQ(t.status, 200) << t.body;
  t = p().redeem(p().login(), Auth::basic_raw);
  EXPECT_EQ(t.status, 400) << t.body;
  EXPECT_EQ(t.error, "invalid_client");

  std::string answer;
  p().control_ok("requests", "{}", &answer);
  EXPECT_NE(answer.find(R"("client_auth":"client_secret_basic")"), std::string::npos) << answer;
}

TEST_F(OidcProviderTest, TokenErrorsAreTheProvidersOwnAndAllHttp400) {
  const Login l = p().login();
  Tokens t = p().redeem(l, Auth::post, kRedirect, "wrong-secret");
  EXPECT_EQ(t.status, 400) << t.body;
  EXPECT_EQ(t.error, "invalid_client");
  Json j(t.body);
  EXPECT_FALSE(j.str("error_description").empty());

  t = p().redeem(l, Auth::post, "http://127.0.0.1:3000/elsewhere");
  EXPECT_EQ(t.status, 400) << t.body;
  EXPECT_EQ(t.error, "invalid_client") << "Authentik reports a redirect_uri mismatch as invalid_client";

  t = p().redeem(l);
  EXPECT_EQ(t.status, 200) << t.body;
  t = p().redeem(l);  // the code again
  EXPECT_EQ(t.status, 400) << t.body;
  EXPECT_EQ(t.error, "invalid_grant");

  Login bad = l;
  bad.code = "not-a-code";
  t = p().redeem(bad);
  EXPECT_EQ(t.status, 400) << t.body;
  EXPECT_EQ(t.error, "invalid_grant");

  const Login l2 = p().login();
  Login wrong_verifier = l2;
  wrong_verifier.verifier = random_token() + random_token();
  t = p().redeem(wrong_verifier);
  EXPECT_EQ(t.status, 400) << t.body;
  EXPECT_EQ(t.error, "invalid_grant");
}

TEST_F(OidcProviderTest, RefreshTokensOnlyWithOfflineAccessAndRotatedOnEveryUse) {
  const Login l = p().login("alice", "openid email offline_access");
  const Tokens first = p().redeem(l);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_FALSE(first.refresh_token.empty()) << first.body;
  EXPECT_EQ(Json(first.body).str("scope"), "openid email offline_access");

  const Tokens second = p().refresh(first.refresh_token);
  ASSERT_EQ(second.status, 200) << second.body;
  ASSERT_FALSE(second.refresh_token.empty());
  EXPECT_NE(second.refresh_token, first.refresh_token);
  Json c(Jwt(second.id_token).payload_json);
  EXPECT_EQ(c.str("sub"), p().idp.sub_of("alice"));
  EXPECT_FALSE(c.has("nonce")) << "refreshed ID tokens carry no nonce";
  EXPECT_FALSE(Json(Jwt(second.access_token).payload_json).has("nonce"));

  const Tokens replay = p().refresh(first.refresh_token);
  EXPECT_EQ(replay.status, 400) << replay.body;
  EXPECT_EQ(replay.error, "invalid_grant");
}

TEST_F(OidcProviderTest, IntrospectionAndRevocationOfAccessTokens) {
  const Tokens t = p().redeem(p().login());
  ASSERT_EQ(t.status, 200) << t.body;
  auto introspect = [&](const std::string& secret) {
    return web_request("POST", p().introspect, {"Content-Type: application/x-www-form-urlencoded"},
                       form_encode({{"token", t.access_token}, {"client_id", "oidcore-test"}, {"client_secret", secret}}));
  };
  WebResponse r = introspect(p().idp.client_secret());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("active":true)"), std::string::npos) << r.body;
  r = introspect("wrong");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"active":false})");

  r = web_request("POST", p().revoke, {"Content-Type: application/x-www-form-urlencoded",
                                       basic_auth_header(p().idp.client_id(), p().idp.client_secret())},
                  form_encode({{"token", t.access_token}}));
  EXPECT_EQ(r.status, 200) << r.body;
  r = introspect(p().idp.client_secret());
  EXPECT_EQ(r.body, R"({"active":false})");
  r = web_request("GET", p().userinfo, {"Authorization: Bearer " + t.access_token});
  EXPECT_EQ(r.status, 401) << r.body;
}

TEST_F(OidcProviderTest, LogoutRedirectsToTheRegisteredUriWithState) {
  CookieJar jar;
  const Tokens t = p().redeem(p().login("alice", "openid", &jar));
  ASSERT_EQ(t.status, 200) << t.body;
  std::string location, error;
  const std::string unregistered =
      p().end_session + "?" +
      form_encode({{"id_token_hint", t.id_token}, {"post_logout_redirect_uri", "http://evil.example/"}, {"state", "s"}});
  EXPECT_FALSE(drive_logout(unregistered, location, error, &jar));
  EXPECT_NE(error.find("post_logout_redirect_uri"), std::string::npos) << error;

  const std::string url = p().end_session + "?" +
                          form_encode({{"id_token_hint", t.id_token}, {"post_logout_redirect_uri", kBye}, {"state", "s1"}});
  ASSERT_TRUE(drive_logout(url, location, error, &jar)) << error;
  EXPECT_EQ(location, kBye + "?state=s1");
  // The session's access tokens are gone.
  const WebResponse u = web_request("GET", p().userinfo, {"Authorization: Bearer " + t.access_token});
  EXPECT_EQ(u.status, 401) << u.body;
  // Logged out: the next login asks for the password again (the driver posts it).
  const Login again = p().login("bob", "openid", &jar);
  EXPECT_EQ(Json(Jwt(p().redeem(again).id_token).payload_json).str("sub"), p().idp.sub_of("bob"));

  // Without a post_logout_redirect_uri: the provider's own page.
  ASSERT_TRUE(drive_logout(p().end_session, location, error, &jar)) << error;
  EXPECT_EQ(location, p().end_session.substr(0, p().end_session.size() - 1) + "/success");
}

TEST_F(OidcProviderTest, RotateKeyPublishesOnlyTheNewKey) {
  const Tokens before = p().redeem(p().login());
  ASSERT_EQ(before.status, 200);
  const std::string old_kid = Json(Jwt(before.id_token).header_json).str("kid");
  std::string answer;
  p().control_ok("rotate_key", "{}", &answer);
  const std::string new_kid = Json(answer).str("kid");
  ASSERT_FALSE(new_kid.empty()) << answer;
  EXPECT_NE(new_kid, old_kid);
  const std::string jwks = p().jwks();
  EXPECT_EQ(jwks.find(old_kid), std::string::npos) << jwks;
  EXPECT_NE(jwks.find(new_kid), std::string::npos) << jwks;
  EXPECT_EQ(verify_against(before.id_token, jwks), "key_not_found");

  const Tokens after = p().redeem(p().login());
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(Json(Jwt(after.id_token).header_json).str("kid"), new_kid);
  EXPECT_EQ(Json(Jwt(after.access_token).header_json).str("kid"), new_kid);
  EXPECT_EQ(verify_against(after.id_token, jwks), "ok");
  // Tokens issued before the rotation still work where the provider looks them up itself.
  EXPECT_EQ(web_request("GET", p().userinfo, {"Authorization: Bearer " + before.access_token}).status, 200);
}

TEST_F(OidcProviderTest, TokenModes) {
  const std::string body = form_encode({{"grant_type", "authorization_code"}, {"code", "x"}});
  const std::vector<std::string> form = {"Content-Type: application/x-www-form-urlencoded"};

  p().control_ok("token_mode", R"({"mode":"hang"})");
  auto start = std::chrono::steady_clock::now();
  WebResponse r = web_request("POST", p().token, form, body, 700);
  EXPECT_EQ(r.status, 0) << r.body;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(600));

  p().control_ok("token_mode", R"({"mode":"close"})");
  r = web_request("POST", p().token, form, body, 5000);
  EXPECT_EQ(r.status, 0) << r.body;
  EXPECT_FALSE(r.error.empty());

  p().control_ok("token_mode", R"({"mode":"status","status":503,"body":"{\"error\":\"temporarily_unavailable\"}"})");
  r = web_request("POST", p().token, form, body);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"error":"temporarily_unavailable"})");
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);

  p().control_ok("token_mode", R"({"mode":"status","status":502,"body":"<html>bad gateway</html>"})");
  r = web_request("POST", p().token, form, body);
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.body, "<html>bad gateway</html>");

  p().control_ok("token_mode", R"({"mode":"delay","seconds":0.4})");
  start = std::chrono::steady_clock::now();
  r = web_request("POST", p().token, form, body);
  EXPECT_EQ(r.status, 400) << r.body;  // the provider's own answer (a bad code), late
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(350));

  p().control_ok("token_mode", R"({"mode":"normal"})");
  r = web_request("POST", p().token, form, body);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(p().idp.control("token_mode", R"({"mode":"sideways"})"), 400);
}

TEST_F(OidcProviderTest, CraftedIdTokensKeepKeyAndAlgorithm) {
  p().control_ok("id_token_nonce", R"({"value":"not-the-nonce"})");
  Tokens t = p().redeem(p().login());
  ASSERT_EQ(t.status, 200) << t.body;
  Jwt id(t.id_token);
  EXPECT_EQ(Json(id.payload_json).str("nonce"), "not-the-nonce");
  EXPECT_EQ(Json(id.header_json).str("kid"), p().current_kid());
  EXPECT_EQ(verify_against(t.id_token, p().jwks()), "ok");

  p().control_ok("id_token_nonce", R"({"value":null})");
  p().control_ok("id_token_claims", R"({"claims":{"aud":"someone-else","azp":"other","iss":"https://evil.example/"}})");
  const Login l = p().login();
  t = p().redeem(l);
  ASSERT_EQ(t.status, 200) << t.body;
  Json c(Jwt(t.id_token).payload_json);
  EXPECT_EQ(c.str("nonce"), l.nonce);
  EXPECT_EQ(c.str("aud"), "someone-else");
  EXPECT_EQ(c.str("azp"), "other");
  EXPECT_EQ(c.str("iss"), "https://evil.example/");
  EXPECT_EQ(verify_against(t.id_token, p().jwks()), "ok");
  // The access token is left alone.
  EXPECT_EQ(Json(Jwt(t.access_token).payload_json).str("aud"), "oidcore-test");

  p().control_ok("id_token_claims", R"({"claims":{"nonce":null}})");
  t = p().redeem(p().login());
  EXPECT_FALSE(Json(Jwt(t.id_token).payload_json).has("nonce"));
}

TEST_F(OidcProviderTest, RequestsAndReset) {
  const Login l = p().login();
  ASSERT_EQ(p().redeem(l, Auth::basic_raw).status, 200);
  std::string answer;
  p().control_ok("requests", "{}", &answer);
  Json log(answer);
  simdjson::dom::array requests;
  ASSERT_FALSE(log.root["requests"].get_array().get(requests)) << answer;
  bool saw_token = false;
  for (auto e : requests) {
    std::string_view path, method, grant, auth, ctype;
    if (e["path"].get_string().get(path) || path != "/application/o/oidcore/token/") continue;
    saw_token = true;
    EXPECT_FALSE(e["method"].get_string().get(method));
    EXPECT_EQ(method, "POST");
    EXPECT_FALSE(e["grant_type"].get_string().get(grant));
    EXPECT_EQ(grant, "authorization_code");
    EXPECT_FALSE(e["client_auth"].get_string().get(auth));
    EXPECT_EQ(auth, "client_secret_basic");
    EXPECT_FALSE(e["content_type"].get_string().get(ctype));
    EXPECT_EQ(ctype, "application/x-www-form-urlencoded");
    std::string_view host;
    EXPECT_FALSE(e["host"].get_string().get(host));
    EXPECT_EQ(host, "127.0.0.1:" + std::to_string(p().idp.port()));
    int64_t status = 0;
    EXPECT_FALSE(e["status"].get_int64().get(status));
    EXPECT_EQ(status, 200);
  }
  EXPECT_TRUE(saw_token) << answer;

  p().control_ok("token_mode", R"({"mode":"hang"})");
  p().control_ok("basic_decoding", R"({"mode":"rfc6749"})");
  p().control_ok("id_token_nonce", R"({"value":"x"})");
  p().control_ok("reset");
  p().control_ok("requests", "{}", &answer);
  EXPECT_EQ(answer, R"({"requests":[]})");
  p().control_ok("state", "{}", &answer);
  Json state(answer);
  EXPECT_EQ(state.str("basic_decoding"), "raw") << answer;
  EXPECT_NE(answer.find(R"("token_mode":{"mode":"normal"})"), std::string::npos) << answer;
  EXPECT_NE(answer.find(R"("id_token_nonce":null)"), std::string::npos) << answer;
  EXPECT_EQ(p().idp.control("no_such_control"), 404);
}

TEST(OidcProviderModes, Hs256SignsWithTheClientSecretAndPublishesAnEmptyJwks) {
  Provider p({"--alg", "HS256", "--slug", "hmac-app", "--access-ttl", "120", "--id-token-ttl", "60"});
  ASSERT_TRUE(p.started);
  EXPECT_EQ(p.idp.issuer(), "http://127.0.0.1:" + std::to_string(p.idp.port()) + "/application/o/hmac-app/");
  const WebResponse j = web_request("GET", p.jwks_uri);
  EXPECT_EQ(j.status, 200);
  EXPECT_EQ(j.body, "{}");
  EXPECT_EQ(Json(p.discovery).strings("id_token_signing_alg_values_supported"), std::vector<std::string>{"HS256"});
  const Tokens t = p.redeem(p.login());
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(Json(t.body).integer("expires_in"), 120);
  Json header(Jwt(t.id_token).header_json);
  EXPECT_EQ(header.str("alg"), "HS256");
  EXPECT_FALSE(header.has("kid"));
  Json c(Jwt(t.id_token).payload_json);
  EXPECT_EQ(c.integer("exp") - c.integer("iat"), 60);
  EXPECT_EQ(verify_against(t.id_token, oct_jwks(p.idp.client_secret()), true), "ok");
  EXPECT_EQ(verify_against(t.access_token, oct_jwks(p.idp.client_secret()), true), "ok");
  EXPECT_EQ(verify_against(t.id_token, oct_jwks(p.idp.client_secret() + "x"), true), "bad_signature");
  std::string answer;
  p.control_ok("id_token_nonce", R"({"value":"crafted"})");
  const Tokens crafted = p.redeem(p.login());
  EXPECT_EQ(verify_against(crafted.id_token, oct_jwks(p.idp.client_secret()), true), "ok");
}

TEST(OidcProviderModes, Es256) {
  Provider p({"--alg", "ES256", "--redirect-uri", "http://127.0.0.1:4000/cb", "--redirect-uri", kRedirect});
  ASSERT_TRUE(p.started);
  EXPECT_EQ(p.idp.redirect_uris(), (std::vector<std::string>{"http://127.0.0.1:4000/cb", kRedirect}));
  EXPECT_EQ(Json(p.discovery).strings("id_token_signing_alg_values_supported"), std::vector<std::string>{"ES256"});
  const Tokens t = p.redeem(p.login());
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(Json(Jwt(t.id_token).header_json).str("alg"), "ES256");
  EXPECT_EQ(verify_against(t.id_token, p.jwks()), "ok");
  EXPECT_EQ(verify_against(t.access_token, p.jwks()), "ok");
}

TEST(OidcProviderModes, StartFailsCleanlyOnABadOption) {
  OidcProvider idp;
  std::string error;
  EXPECT_FALSE(idp.start({"--alg", "none"}, error));
  EXPECT_NE(error.find("--alg"), std::string::npos) << error;
  EXPECT_FALSE(idp.running());
}

}  // namespace
}  // namespace oidcore::testing
