// Discovery over real HTTP: the exact issuer check, advertised algorithms, the internal-URL
// rewriting of Authentik deployments, TLS with a private CA, redirects and connection reuse.
#include "http_test_support.hpp"

#include "flow/relying_party.hpp"
#include "store/memory_store.hpp"

namespace oidcore::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPublicIssuer = "https://auth.example.test/application/o/test/";

class DiscoveryOverHttp : public IdpTest {
 protected:
  std::unique_ptr<Verifier> discovering(const std::string& members = "") {
    return make_verifier(idp().issuer(), members.empty() ? "\"discovery\":true" : "\"discovery\":true," + members);
  }
  std::string token(const TestKey& key, const std::string& alg = "RS256") {
    return token_for(key, idp().issuer(), alg);
  }
};

// A server of its own, for the tests that need other command-line options.
std::unique_ptr<TestIdp> start_idp(const std::vector<std::string>& args) {
  auto idp = std::make_unique<TestIdp>();
  std::string error;
  if (!idp->start(args, error)) {
    ADD_FAILURE() << "cannot start the test identity provider: " << error;
    return nullptr;
  }
  return idp;
}

TEST_F(DiscoveryOverHttp, ARelyingPartyLeavesAFailingProviderAloneForTheRetryInterval) {
  // Discovery fails: every caller in the next retry interval gets that failure at once,
  // instead of each waiting out its own attempt (a burst would queue behind one another).
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  idp().set_mode("discovery", "\"mode\":\"status\",\"status\":500");
  Error err;
  auto store = store::MemoryStore::create({}, err);
  ASSERT_TRUE(store) << err.message;
  auto rp = flow::RelyingParty::create(
      "{\"issuer\":\"" + idp().issuer() +
          "\",\"client_id\":\"app\",\"client_secret\":\"s\",\"redirect_uri\":\"http://127.0.0.1:3000/cb\","
          "\"refresh_tokens\":false,\"jwks_retry_interval\":2}",
      *store, err);
  ASSERT_TRUE(rp) << err.message;
  flow::LoginStart start;
  EXPECT_EQ(code(rp->begin_login({}, start)), "http_error");
  EXPECT_EQ(idp().requests().discovery, 1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(code(rp->begin_login({}, start)), "http_error");
  VerifiedToken out;
  const std::string token = token_for(rsa_key(1), idp().issuer(), "RS256");
  // The event-loop path answers with the failure too, without a trip to a worker.
  EXPECT_EQ(code(rp->verify_access_token(token, out, false)), "http_error");
  EXPECT_EQ(code(rp->verify_access_token(token, out, true)), "http_error");
  EXPECT_EQ(idp().requests().discovery, 1) << "no attempt within the retry interval";
  // Past it, the provider (back now) is asked again.
  idp().set_mode("discovery", "\"mode\":\"normal\"");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(code(rp->begin_login({}, start)), "ok");
  EXPECT_EQ(idp().requests().discovery, 2);
  EXPECT_FALSE(start.url.empty());
}

TEST_F(DiscoveryOverHttp, FindsTheKeysAndTheEndpoints) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = discovering();
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->metadata().has_value());
  EXPECT_EQ(code(verify(*v, token(rsa_key(1)))), "ok");
  const RequestLog log = idp().requests();
  EXPECT_EQ(log.discovery, 1);
  EXPECT_EQ(log.jwks, 1);
  ASSERT_EQ(log.log.size(), 2u);
  EXPECT_EQ(log.log[0].path, "/application/o/test/.well-known/openid-configuration");
  const auto md = v->metadata();
  ASSERT_TRUE(md.has_value());
  EXPECT_EQ(md->issuer, idp().issuer());
  EXPECT_EQ(md->jwks_uri, idp().jwks_url());
  EXPECT_EQ(md->token_endpoint, idp().issuer() + "token/");
  EXPECT_EQ(md->end_session_endpoint, idp().issuer() + "end-session/");
  EXPECT_EQ(md->id_token_signing_alg_values_supported, std::vector<std::string>{"RS256"});
}

TEST_F(DiscoveryOverHttp, IssuerMismatchIsRefusedBeforeAnyKeyIsFetched) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  // Whoever answers for this issuer names another one (and its own keys).
  idp().set_discovery("{\"issuer\":\"https://evil.example/application/o/test/\"}");
  auto v = discovering("\"jwks_retry_interval\":0");
  ASSERT_TRUE(v);
  const Error e = verify(*v, token(rsa_key(1)));
  EXPECT_EQ(code(e), "bad_issuer") << e.message;
  EXPECT_NE(e.message.find("evil.example"), std::string::npos) << e.message;
  EXPECT_EQ(code(v->refresh_keys()), "bad_issuer");
  EXPECT_EQ(idp().requests().jwks, 0);
  EXPECT_EQ(idp().requests().discovery, 2);
  EXPECT_FALSE(v->metadata().has_value());
}

TEST_F(DiscoveryOverHttp, IssuerMustMatchExactlyNotUpToATrailingSlash) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  std::string issuer = idp().issuer();
  issuer.pop_back();  // ".../application/o/test": the same discovery URL, another issuer
  auto v = make_verifier(issuer, "\"discovery\":true");
  ASSERT_TRUE(v);
  EXPECT_EQ(code(verify(*v, token_for(rsa_key(1), issuer))), "bad_issuer");
  EXPECT_EQ(idp().requests().discovery, 1);
  EXPECT_EQ(idp().requests().jwks, 0);
}

TEST_F(DiscoveryOverHttp, BrokenDiscoveryDocumentsAreErrorsAndNoKeysAreFetched) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  struct Case {
    const char* name;
    const char* control;  // "discovery:<override>" or "mode:<members>"
    const char* expected;
    const char* hint;
  };
  const Case cases[] = {
      {"no_jwks_uri", "discovery:{\"jwks_uri\":null}", "http_error", "jwks_uri"},
      {"jwks_uri_empty", "discovery:{\"jwks_uri\":\"\"}", "http_error", "jwks_uri"},
      {"jwks_uri_file", "discovery:{\"jwks_uri\":\"file:///nonexistent/jwks\"}", "http_error", "jwks_uri"},
      {"jwks_uri_number", "discovery:{\"jwks_uri\":7}", "http_error", "jwks_uri"},
      {"issuer_missing", "discovery:{\"issuer\":null}", "http_error", "issuer"},
      {"not_an_object", "discovery:{\"__replace__\":[1,2]}", "http_error", "object"},
      {"algs_not_array", "discovery:{\"id_token_signing_alg_values_supported\":\"RS256\"}", "http_error",
       "id_token_signing_alg_values_supported"},
      {"invalid_json", "mode:\"mode\":\"invalid_json\"", "http_error", "discovery"},
      {"html", "mode:\"mode\":\"wrong_content\"", "http_error", "text/html"},
      {"not_found", "mode:\"mode\":\"status\",\"status\":404", "http_error", "404"},
      {"huge", "mode:\"mode\":\"huge\",\"bytes\":10485760", "too_large", "larger than"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    idp().reset();
    idp().set_jwks(jwks_of({&rsa_key(1)}));
    const std::string control = c.control;
    const size_t colon = control.find(':');
    if (control.substr(0, colon) == "discovery")
      idp().set_discovery(control.substr(colon + 1));
    else
      idp().set_mode("discovery", control.substr(colon + 1));
    auto v = discovering("\"max_response_bytes\":65536");
    ASSERT_TRUE(v);
    const Error e = v->refresh_keys();
    EXPECT_EQ(code(e), c.expected) << e.message;
    EXPECT_NE(e.message.find(c.hint), std::string::npos) << e.message;
    const Error ve = verify(*v, token(rsa_key(1)));
    EXPECT_EQ(code(ve), "jwks_unavailable") << ve.message;
    EXPECT_EQ(idp().requests().jwks, 0);
  }
}

TEST_F(DiscoveryOverHttp, HangingDiscoveryIsJwksUnavailableWithinTheTimeout) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  idp().set_mode("discovery", "\"mode\":\"hang\",\"seconds\":30");
  auto v = discovering("\"http_timeout\":0.5");
  ASSERT_TRUE(v);
  const auto t0 = Clock::now();
  const Error e = verify(*v, token(rsa_key(1)));
  const double took = elapsed_since(t0);
  EXPECT_EQ(code(e), "jwks_unavailable") << e.message;
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 0.5 + 1.0);
  EXPECT_EQ(idp().requests().jwks, 0);
}

TEST_F(DiscoveryOverHttp, AlgorithmsDefaultToWhatTheProviderAdvertises) {
  idp().set_jwks(jwks_of({&rsa_key(1), &ec_key()}));
  const TestKey hs = TestKey::generate(KeyKind::hmac, "hs");
  const std::string hs_token =
      make_jws_hmac("HS256", hs.secret(), jwt_header("HS256", "hs"), claims_for(idp().issuer()));
  {
    SCOPED_TRACE("advertised RS256 (the default document)");
    auto v = discovering();
    ASSERT_TRUE(v);
    EXPECT_EQ(code(verify(*v, token(rsa_key(1)))), "ok");
    const Error e = verify(*v, token(ec_key(), "ES256"));
    EXPECT_EQ(code(e), "alg_not_allowed") << e.message;
    EXPECT_NE(e.message.find("advertised"), std::string::npos) << e.message;
  }
  {
    SCOPED_TRACE("advertised ES256 and HS256");
    idp().set_discovery("{\"id_token_signing_alg_values_supported\":[\"ES256\",\"HS256\",\"none\"]}");
    auto v = discovering();
    ASSERT_TRUE(v);
    EXPECT_EQ(code(verify(*v, token(ec_key(), "ES256"))), "ok");
    EXPECT_EQ(code(verify(*v, token(rsa_key(1)))), "alg_not_allowed");
    // HS* never comes from discovery (the key set cannot carry the secret anyway).
    EXPECT_EQ(code(verify(*v, hs_token)), "alg_not_allowed");
  }
  {
    SCOPED_TRACE("an explicit list wins over the advertisement");
    auto v = discovering("\"algorithms\":[\"RS256\",\"ES256\"]");
    ASSERT_TRUE(v);
    EXPECT_EQ(code(verify(*v, token(ec_key(), "ES256"))), "ok");
    EXPECT_EQ(code(verify(*v, token(rsa_key(1)))), "ok");
    EXPECT_EQ(code(verify(*v, hs_token)), "alg_not_allowed");
  }
  {
    SCOPED_TRACE("an explicit list narrower than the advertisement");
    auto v = discovering("\"algorithms\":[\"RS256\"]");
    ASSERT_TRUE(v);
    EXPECT_EQ(code(verify(*v, token(ec_key(), "ES256"))), "alg_not_allowed");
  }
}

TEST_F(DiscoveryOverHttp, RedirectsFollowedOnlyWithinTheSameScheme) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  const std::string jwks_uri = "\"jwks_uri\":" + json_string(idp().jwks_url());
  {
    SCOPED_TRACE("http -> http");
    idp().set_headers("/jwks", "{\"Location\":" + json_string(idp().jwks_url()) + "}");
    idp().set_mode("/jwks", "\"mode\":\"status\",\"status\":302,\"once\":true");
    auto v = make_verifier(idp().issuer(), jwks_uri);
    ASSERT_TRUE(v);
    EXPECT_EQ(code(verify(*v, token(rsa_key(1)))), "ok");
    EXPECT_EQ(idp().requests().jwks, 2);
  }
  const std::string port = std::to_string(idp().port());
  for (const std::string& location :
       {"https://127.0.0.1:" + port + "/jwks", "ftp://127.0.0.1:" + port + "/jwks",
        std::string("file:///nonexistent/jwks"), "gopher://127.0.0.1:" + port + "/jwks"}) {
    SCOPED_TRACE(location);
    idp().reset();
    idp().set_jwks(jwks_of({&rsa_key(1)}));
    idp().set_headers("/jwks", "{\"Location\":" + json_string(location) + "}");
    idp().set_mode("/jwks", "\"mode\":\"status\",\"status\":302");
    auto v = make_verifier(idp().issuer(), jwks_uri);
    ASSERT_TRUE(v);
    const Error e = v->refresh_keys();
    EXPECT_EQ(code(e), "http_error") << e.message;
    EXPECT_EQ(code(verify(*v, token(rsa_key(1)))), "jwks_unavailable");
    const RequestLog log = idp().requests();
    EXPECT_EQ(log.total, 1);  // the redirect was not followed anywhere
  }
  {
    SCOPED_TRACE("a redirect loop stops after 3");
    idp().reset();
    idp().set_headers("/jwks", "{\"Location\":" + json_string(idp().jwks_url()) + "}");
    idp().set_mode("/jwks", "\"mode\":\"status\",\"status\":307");
    auto v = make_verifier(idp().issuer(), jwks_uri);
    ASSERT_TRUE(v);
    EXPECT_EQ(code(v->refresh_keys()), "http_error");
    EXPECT_EQ(idp().requests().jwks, 4);
  }
  {
    SCOPED_TRACE("discovery redirected to another scheme");
    idp().reset();
    idp().set_headers("discovery", "{\"Location\":\"https://127.0.0.1:" + port + "/application/o/test/\"}");
    idp().set_mode("discovery", "\"mode\":\"status\",\"status\":301");
    auto v = discovering();
    ASSERT_TRUE(v);
    EXPECT_EQ(code(v->refresh_keys()), "http_error");
    EXPECT_EQ(idp().requests().total, 1);
  }
}

TEST_F(DiscoveryOverHttp, OneConnectionServesDiscoveryAndEveryRefresh) {
  idp().set_jwks(jwks_of({&rsa_key(1)}));
  auto v = discovering();
  ASSERT_TRUE(v);
  ASSERT_EQ(code(verify(*v, token(rsa_key(1)))), "ok");
  ASSERT_FALSE(v->refresh_keys());
  ASSERT_FALSE(v->refresh_keys());
  const RequestLog log = idp().requests();
  ASSERT_EQ(log.log.size(), 6u);
  for (const auto& r : log.log) EXPECT_EQ(r.conn, log.log[0].conn) << r.path;
}

TEST(InternalUrl, EveryRequestGoesToTheInternalAddressWithThePublicHost) {
  auto idp = start_idp({"--issuer", kPublicIssuer});
  ASSERT_TRUE(idp);
  idp->set_jwks(jwks_of({&rsa_key(1)}));
  // auth.example.test does not resolve: only the internal address can be reached.
  auto v = make_verifier(kPublicIssuer, "\"discovery\":true,\"internal_url\":" + json_string(idp->origin()));
  ASSERT_TRUE(v);
  EXPECT_EQ(code(verify(*v, token_for(rsa_key(1), kPublicIssuer))), "ok");
  const RequestLog log = idp->requests();
  EXPECT_EQ(log.discovery, 1);
  EXPECT_EQ(log.jwks, 1);
  for (const auto& r : log.log) {
    SCOPED_TRACE(r.path);
    EXPECT_EQ(r.host, "auth.example.test");
    EXPECT_EQ(r.x_forwarded_proto, "https");
    EXPECT_EQ(r.x_forwarded_host, "auth.example.test");
  }
  // What the browser and the tokens see stays public.
  const auto md = v->metadata();
  ASSERT_TRUE(md.has_value());
  EXPECT_EQ(md->issuer, kPublicIssuer);
  EXPECT_EQ(md->jwks_uri, "https://auth.example.test/jwks");
  EXPECT_EQ(md->authorization_endpoint, std::string(kPublicIssuer) + "authorize/");
  // A token naming the internal address as its issuer is not one of ours.
  EXPECT_EQ(code(verify(*v, token_for(rsa_key(1), idp->issuer()))), "bad_issuer");
}

TEST(InternalUrl, ProviderBuildingItsIssuerFromHostStillNamesThePublicIssuer) {
  auto idp = start_idp({"--issuer-from-host"});  // as Authentik does
  ASSERT_TRUE(idp);
  idp->set_jwks(jwks_of({&rsa_key(1)}));
  const std::string issuer = "https://auth.example.test:8443/application/o/test/";
  auto v = make_verifier(issuer, "\"discovery\":true,\"internal_url\":" + json_string(idp->origin() + "/"));
  ASSERT_TRUE(v);
  EXPECT_EQ(code(verify(*v, token_for(rsa_key(1), issuer))), "ok");
  const RequestLog log = idp->requests();
  ASSERT_EQ(log.log.size(), 2u);
  for (const auto& r : log.log) {
    SCOPED_TRACE(r.path);
    EXPECT_EQ(r.host, "auth.example.test:8443");
    EXPECT_EQ(r.x_forwarded_proto, "https");
    EXPECT_EQ(r.x_forwarded_host, "auth.example.test:8443");
    EXPECT_FALSE(r.tls);
  }
  const auto md = v->metadata();
  ASSERT_TRUE(md.has_value());
  EXPECT_EQ(md->jwks_uri, "https://auth.example.test:8443/jwks");
  EXPECT_EQ(md->token_endpoint, issuer + "token/");
}

TEST(InternalUrl, AnHttpsIssuerNamingPlainHttpKeysIsRefused) {
  auto provider = start_idp({"--issuer", kPublicIssuer});
  auto keys = start_idp({});
  ASSERT_TRUE(provider && keys);
  keys->set_jwks(jwks_of({&rsa_key(1)}));
  provider->set_discovery("{\"jwks_uri\":" + json_string(keys->jwks_url()) + "}");
  auto v = make_verifier(kPublicIssuer, "\"discovery\":true,\"internal_url\":" + json_string(provider->origin()));
  ASSERT_TRUE(v);
  EXPECT_EQ(code(verify(*v, token_for(rsa_key(1), kPublicIssuer))), "jwks_unavailable");
  EXPECT_EQ(keys->requests().jwks, 0);  // the downgraded URL is never fetched
}

TEST(InternalUrl, AJwksUriOnThePublicOriginIsRewrittenToo) {
  auto idp = start_idp({"--issuer", kPublicIssuer});
  ASSERT_TRUE(idp);
  idp->set_jwks(jwks_of({&rsa_key(1)}));
  auto v = make_verifier(
      kPublicIssuer, "\"jwks_uri\":\"https://auth.example.test/jwks\",\"internal_url\":" + json_string(idp->origin()));
  ASSERT_TRUE(v);
  EXPECT_EQ(code(verify(*v, token_for(rsa_key(1), kPublicIssuer))), "ok");
  const RequestLog log = idp->requests();
  ASSERT_EQ(log.log.size(), 1u);
  EXPECT_EQ(log.log[0].path, "/jwks");
  EXPECT_EQ(log.log[0].host, "auth.example.test");
  EXPECT_EQ(log.log[0].x_forwarded_proto, "https");
}

TEST(InternalUrl, UrlsOnOtherOriginsAreNotRewritten) {
  // A plain-http public issuer: an https one may not name plain-http endpoints at all.
  const std::string public_issuer = "http://auth.example.test/application/o/test/";
  auto provider = start_idp({"--issuer", public_issuer});
  auto keys = start_idp({});
  ASSERT_TRUE(provider && keys);
  keys->set_jwks(jwks_of({&rsa_key(1)}));
  provider->set_discovery("{\"jwks_uri\":" + json_string(keys->jwks_url()) + "}");
  auto v = make_verifier(public_issuer, "\"discovery\":true,\"internal_url\":" + json_string(provider->origin()));
  ASSERT_TRUE(v);
  EXPECT_EQ(code(verify(*v, token_for(rsa_key(1), public_issuer))), "ok");
  EXPECT_EQ(provider->requests().discovery, 1);
  EXPECT_EQ(provider->requests().jwks, 0);
  const RequestLog log = keys->requests();
  ASSERT_EQ(log.log.size(), 1u);
  EXPECT_EQ(log.log[0].host, "127.0.0.1:" + std::to_string(keys->port()));
  EXPECT_EQ(log.log[0].x_forwarded_proto, "");  // the public host is not leaked elsewhere
  EXPECT_EQ(log.log[0].x_forwarded_host, "");
}

class Tls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ASSERT_FALSE(dir_->path().empty());
    for (const char* name : {"good", "other"}) {
      std::string out, err;
      const int rc = run_process({"sh", idp_dir() + "/make_test_ca.sh", dir_->path() + "/" + name}, out, err, 60);
      ASSERT_EQ(rc, 0) << "make_test_ca.sh (needs the openssl command line): " << err;
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string file(const char* ca, const char* name) { return dir_->path() + "/" + ca + "/" + name; }
  static TempDir* dir_;
};
TempDir* Tls::dir_ = nullptr;

TEST_F(Tls, PrivateCaAcceptedThroughCaFileAndRefusedWithout) {
  auto idp = start_idp({"--tls-cert", file("good", "server.pem"), "--tls-key", file("good", "server.key")});
  ASSERT_TRUE(idp);
  idp->set_jwks(jwks_of({&rsa_key(1)}));
  const std::string issuer = idp->issuer();
  ASSERT_EQ(issuer.rfind("https://", 0), 0u);
  const std::string t = token_for(rsa_key(1), issuer);

  auto trusted = make_verifier(issuer, "\"discovery\":true,\"ca_file\":" + json_string(file("good", "ca.pem")));
  ASSERT_TRUE(trusted);
  EXPECT_EQ(code(verify(*trusted, t)), "ok");
  RequestLog log = idp->requests();
  ASSERT_EQ(log.log.size(), 2u);
  for (const auto& r : log.log) EXPECT_TRUE(r.tls) << r.path;

  // The system store does not know the private CA; another private CA is no better.
  for (const std::string& extra : {std::string(), ",\"ca_file\":" + json_string(file("other", "ca.pem"))}) {
    SCOPED_TRACE(extra.empty() ? "system store" : "other CA");
    idp->reset_counts();
    auto v = make_verifier(issuer, "\"discovery\":true" + extra);
    ASSERT_TRUE(v);
    const Error e = v->refresh_keys();
    EXPECT_EQ(code(e), "http_error") << e.message;
    EXPECT_NE(e.message.find("certificate"), std::string::npos) << e.message;
    EXPECT_EQ(code(verify(*v, t)), "jwks_unavailable");
    EXPECT_EQ(idp->requests().total, 0);  // refused during the handshake
  }

  // An https provider cannot redirect key fetches to plain http.
  idp->reset_counts();
  idp->set_headers("/jwks", "{\"Location\":\"http://127.0.0.1:" + std::to_string(idp->port()) + "/jwks\"}");
  idp->set_mode("/jwks", "\"mode\":\"status\",\"status\":302");
  auto v = make_verifier(
      issuer, "\"jwks_uri\":" + json_string(idp->jwks_url()) + ",\"ca_file\":" + json_string(file("good", "ca.pem")));
  ASSERT_TRUE(v);
  EXPECT_EQ(code(v->refresh_keys()), "http_error");
  log = idp->requests();
  ASSERT_EQ(log.log.size(), 1u);
  EXPECT_TRUE(log.log[0].tls);
}

}  // namespace
}  // namespace oidcore::testing
