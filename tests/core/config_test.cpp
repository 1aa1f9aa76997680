// The verifier's JSON configuration as a user writes it: unknown keys, wrong types, the
// algorithm allow-list, HMAC only on request, and the claims → principal mapping.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "attack_harness.hpp"

namespace oidcore::attack_test {
namespace {

std::string base_members() {
  return "\"issuer\":\"" + std::string(kIssuer) + "\",\"audience\":\"api\",\"jwks\":" + configured_rsa().jwks();
}
std::string config_with(std::string_view member) {
  return "{" + base_members() + "," + std::string(member) + "}";
}

TEST(Config, MinimalConfigurationAndDefaults) {
  Error err;
  auto v = Verifier::create("{" + base_members() + "}", err);
  ASSERT_TRUE(v) << err.message;
  const VerifierConfig& c = v->config();
  EXPECT_EQ(c.claims.issuer, kIssuer);
  EXPECT_EQ(c.claims.audiences, std::vector<std::string>{"api"});
  EXPECT_EQ(c.claims.clock_tolerance, 0);
  EXPECT_TRUE(c.claims.require_exp);
  EXPECT_FALSE(c.claims.max_age.has_value());
  EXPECT_FALSE(c.typ.has_value());
  EXPECT_FALSE(c.fixed_now.has_value());
  EXPECT_EQ(c.max_token_bytes, size_t{16 * 1024});
  EXPECT_EQ(c.key_policy.min_rsa_bits, 2048);
  EXPECT_FALSE(c.key_policy.allow_symmetric);
  for (auto a : {jose::Alg::RS256, jose::Alg::RS384, jose::Alg::RS512, jose::Alg::PS256, jose::Alg::PS384,
                 jose::Alg::PS512, jose::Alg::ES256, jose::Alg::ES384, jose::Alg::ES512, jose::Alg::EdDSA})
    EXPECT_TRUE(c.algorithms.contains(a)) << jose::alg_name(a);
  for (auto a : {jose::Alg::HS256, jose::Alg::HS384, jose::Alg::HS512})
    EXPECT_FALSE(c.algorithms.contains(a)) << jose::alg_name(a);
  // A real token under the real clock (exp far in the future).
  VerifiedToken out;
  EXPECT_STATUS(
      v->verify(tf::make_jwt(configured_rsa(), "RS256",
                             "{\"iss\":\"https://issuer.example\",\"aud\":\"api\",\"sub\":\"a\",\"exp\":4102444800}"),
                out),
      ok);
  EXPECT_EQ(out.kid, "rsa-1");
  EXPECT_TRUE(out.principal.empty());
}

TEST(Config, UnknownKeyIsInvalidConfigNamingTheKey) {
  for (const char* member :
       {R"("isuser":"x")", R"("clockTolerance":60)", R"("audiences":["api"])", R"("algorithm":["RS256"])",
        R"("max_tokens_bytes":1000)", R"("jwksUri":"https://x")", R"("Issuer":"x")", R"("":1)", R"("issuer ":"x")"}) {
    SCOPED_TRACE(member);
    const std::string key = std::string(member).substr(1, std::string(member).find("\":") - 1);
    EXPECT_STATUS_MSG(create_error(config_with(member)), invalid_config, "\"" + key + "\" is not a known option");
  }
  EXPECT_STATUS_MSG(create_error(config_with(R"("principal":{"roles_claim":"x"})")), invalid_config,
                    "\"principal.roles_claim\" is not a known option");
}

TEST(Config, ExactlyOneKeySource) {
  // config_with() already carries inline "jwks"; a second source is refused.
  EXPECT_STATUS_MSG(create_error(config_with(R"("jwks_uri":"https://idp.example/jwks")")), invalid_config,
                    "only one of");
  EXPECT_STATUS_MSG(create_error(config_with(R"("discovery":true)")), invalid_config, "only one of");
  EXPECT_STATUS_MSG(create_error(config_with(R"("internal_url":"http://idp:9000")")), invalid_config,
                    "\"internal_url\" needs");
  EXPECT_STATUS_MSG(create_error(R"({"issuer":"https://i.example/","audience":"a","jwks_uri":"ftp://x/jwks"})"),
                    invalid_config, "\"jwks_uri\" must be an http(s) URL");
  EXPECT_STATUS_MSG(create_error(R"({"issuer":"https://i.example/","audience":"a","jwks_uri":"https://i.example/jwks",)"
                                 R"("algorithms":["HS256"]})"),
                    invalid_config, "HS* cannot be used with keys fetched over HTTP");
  EXPECT_STATUS_MSG(create_error(R"({"issuer":"https://i.example/","audience":"a"})"), invalid_config,
                    "one of \"jwks\", \"jwks_file\", \"jwks_uri\" or \"discovery\" is required");
}

TEST(Config, WrongTypesAndValuesNameTheKey) {
  const struct {
    const char* member;
    const char* key;
  } cases[] = {
      {R"("clock_tolerance":"60")", "clock_tolerance"},
      {R"("clock_tolerance":301)", "clock_tolerance"},
      {R"("algorithms":"RS256")", "algorithms"},
      {R"("algorithms":[])", "algorithms"},
      {R"("algorithms":[1])", "algorithms"},
      {R"("algorithms":[""])", "algorithms"},
      {R"("algorithms":null)", "algorithms"},
      {R"("required_claims":"sub")", "required_claims"},
      {R"("required_claims":[1])", "required_claims"},
      {R"("required_claims":[""])", "required_claims"},
      {R"("typ":1)", "typ"},
      {R"("typ":"")", "typ"},
      {R"("max_token_bytes":10)", "max_token_bytes"},
      {R"("max_token_bytes":2000000)", "max_token_bytes"},
      {R"("max_token_bytes":"16384")", "max_token_bytes"},
      {R"("max_token_bytes":16384.5)", "max_token_bytes"},
      {R"("now":-1)", "now"},
      {R"("now":"1700000000")", "now"},
      {R"("now":1.5)", "now"},
      {R"("now":1e300)", "now"},
      {R"("max_age":-1)", "max_age"},
      {R"("max_age":"3600")", "max_age"},
      {R"("max_age":1e10)", "max_age"},
      {R"("azp":1)", "azp"},
      {R"("azp":"")", "azp"},
      {R"("min_rsa_bits":512)", "min_rsa_bits"},
      {R"("min_rsa_bits":16384)", "min_rsa_bits"},
      {R"("min_rsa_bits":"2048")", "min_rsa_bits"},
      {R"("principal":[])", "principal"},
      {R"("principal":"sub")", "principal"},
      {R"("principal":{"roles":{}})", "principal.roles"},
      {R"("principal":{"roles":[{"group":"a"}]})", "principal.roles"},
      {R"("principal":{"roles":[{"group":"a","role":"b","x":1}]})", "principal.roles"},
      {R"("principal":{"roles":[{"group":"","role":"b"}]})", "principal.roles"},
      {R"("principal":{"roles":[{"group":1,"role":"b"}]})", "principal.roles"},
      {R"("principal":{"roles":["admins"]})", "principal.roles"},
      {R"("principal":{"default_role":1})", "principal.default_role"},
      {R"("principal":{"default_role":""})", "principal.default_role"},
      {R"("principal":{"groups_claim":null})", "principal.groups_claim"},
      {R"("principal":{"organization_id_claim":[]})", "principal.organization_id_claim"},
      {R"("principal":{"organization_fallback":"email"})", "principal.organization_fallback"},
      {R"("principal":{"organization_fallback":null})", "principal.organization_fallback"},
      {R"("principal":{"organization_fallback":""})", "principal.organization_fallback"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.member);
    EXPECT_STATUS_MSG(create_error(config_with(c.member)), invalid_config, "\"" + std::string(c.key) + "\"");
  }
  // The required members, wrong or missing.
  const std::string jwks = configured_rsa().jwks();
  for (const std::string& cfg : {"{\"issuer\":1,\"audience\":\"api\",\"jwks\":" + jwks + "}",
                                 "{\"issuer\":\"\",\"audience\":\"api\",\"jwks\":" + jwks + "}",
                                 "{\"issuer\":[\"x\"],\"audience\":\"api\",\"jwks\":" + jwks + "}",
                                 "{\"audience\":\"api\",\"jwks\":" + jwks + "}"}) {
    EXPECT_STATUS_MSG(create_error(cfg), invalid_config, "\"issuer\"");
  }
  for (const std::string& cfg :
       {"{\"issuer\":\"i\",\"audience\":1,\"jwks\":" + jwks + "}",
        "{\"issuer\":\"i\",\"audience\":[],\"jwks\":" + jwks + "}",
        "{\"issuer\":\"i\",\"audience\":[1],\"jwks\":" + jwks + "}",
        "{\"issuer\":\"i\",\"audience\":\"\",\"jwks\":" + jwks + "}",
        "{\"issuer\":\"i\",\"audience\":[\"\"],\"jwks\":" + jwks + "}", "{\"issuer\":\"i\",\"jwks\":" + jwks + "}"}) {
    EXPECT_STATUS_MSG(create_error(cfg), invalid_config, "\"audience\"");
  }
  for (const char* jwks_value : {"1", "[]", "null", "true"}) {
    SCOPED_TRACE(jwks_value);
    EXPECT_STATUS_MSG(create_error(std::string("{\"issuer\":\"i\",\"audience\":\"a\",\"jwks\":") + jwks_value + "}"),
                      invalid_config, "\"jwks\"");
  }
  EXPECT_STATUS_MSG(create_error(R"({"issuer":"i","audience":"a"})"), invalid_config, "\"jwks\"");
}

TEST(Config, NotJsonOrNotAnObject) {
  for (const char* text : {"", "{", "[]", "null", "\"x\"", "{\"issuer\":\"i\",}", "{'issuer':'i'}"}) {
    SCOPED_TRACE(text);
    EXPECT_STATUS(create_error(text), invalid_config);
  }
  // A key given twice is refused, not "last one wins".
  EXPECT_STATUS(create_error("{" + base_members() + ",\"issuer\":\"https://evil.example\"}"), invalid_config);
  EXPECT_STATUS(create_error("{" + base_members() + ",\"clock_tolerance\":0,\"clock_tolerance\":300}"), invalid_config);
}

TEST(Config, JwksFile) {
  const std::string path = ::testing::TempDir() + "oidcore_config_test_jwks.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << configured_rsa().jwks();
  }
  const std::string with_file = "{\"issuer\":\"" + std::string(kIssuer) +
                                "\",\"audience\":\"api\",\"now\":" + std::to_string(kNow) +
                                ",\"jwks_file\":" + tf::json_string(path) + "}";
  EXPECT_STATUS(verify_with(with_file, tf::make_jwt(configured_rsa(), "RS256", claims_json())), ok);
  EXPECT_STATUS_MSG(create_error("{\"issuer\":\"i\",\"audience\":\"a\",\"jwks_file\":" +
                                 tf::json_string(path + ".does-not-exist") + "}"),
                    invalid_config, "\"jwks_file\"");
  EXPECT_STATUS_MSG(create_error("{\"issuer\":\"i\",\"audience\":\"a\",\"jwks_file\":\"\"}"), invalid_config,
                    "\"jwks_file\"");
  EXPECT_STATUS_MSG(create_error("{\"issuer\":\"i\",\"audience\":\"a\",\"jwks_file\":" + tf::json_string(path) +
                                 ",\"jwks\":" + configured_rsa().jwks() + "}"),
                    invalid_config, "conflicts");
  std::remove(path.c_str());
}

TEST(Config, AlgorithmsRefuseNoneAndUnknownNames) {
  for (const char* algs : {R"(["none"])", R"(["None"])", R"(["NONE"])", R"(["RS256","none"])", R"(["nOnE","ES256"])"}) {
    SCOPED_TRACE(algs);
    EXPECT_STATUS_MSG(create_error(config_with(std::string("\"algorithms\":") + algs)), invalid_config, "none");
  }
  for (const char* algs :
       {R"(["HS1"])", R"(["rs256"])", R"(["RS256 "])", R"(["ES256K"])", R"(["Ed25519"])", R"(["EdDSA","RSA-OAEP"])",
        R"(["dir"])", R"(["A128KW"])", R"(["RS256","PS257"])", R"(["ES521"])"}) {
    SCOPED_TRACE(algs);
    EXPECT_STATUS_MSG(create_error(config_with(std::string("\"algorithms\":") + algs)), invalid_config, "unsupported");
  }
}

TEST(Config, HmacOnlyWhenNamedInAlgorithms) {
  const tf::TestKey oct = tf::TestKey::from_secret(std::string(32, 'q'), "hmac-1");
  const std::string mixed = tf::make_jwks({configured_rsa().public_jwk(), oct.public_jwk()});
  const std::string hs_token = tf::make_jwt(oct, "HS256", claims_json());
  // Not named: the oct key is not even loaded.
  for (const char* algs : {"", R"(["RS256"])", R"(["RS256","ES256","EdDSA"])"}) {
    SCOPED_TRACE(algs);
    Error err;
    auto v = Verifier::create(make_config(mixed, algs), err);
    ASSERT_TRUE(v) << err.message;
    EXPECT_FALSE(v->config().key_policy.allow_symmetric);
    EXPECT_EQ(v->config().keys.keys.size(), 1u);
    VerifiedToken out;
    EXPECT_STATUS(v->verify(hs_token, out), alg_not_allowed);
  }
  // Named: loaded and used, and the RSA key still verifies its own tokens.
  const std::string both = make_config(mixed, R"(["RS256","HS256"])");
  EXPECT_STATUS(verify_with(both, hs_token), ok);
  EXPECT_STATUS(verify_with(both, tf::make_jwt(configured_rsa(), "RS256", claims_json())), ok);
  // An RS256 token pointing at the oct key's kid does not reach it.
  EXPECT_STATUS(
      verify_with(both, tf::make_jws(configured_rsa(), "RS256", R"({"alg":"RS256","kid":"hmac-1"})", claims_json())),
      key_not_found);
  // HS384 named but the secret is only 32 bytes: no usable key.
  EXPECT_STATUS(create_error(make_config(oct.jwks(), R"(["HS384"])")), invalid_config);
}

// ---------------------------------------------------------------------------
// Principal mapping
// ---------------------------------------------------------------------------

struct Principal {
  std::string sub, email, name, organization_id, role;
  bool sub_null = false, email_null = false, name_null = false, org_null = false;
  std::string organization_id_json;  // as written (a number stays a number)
};

Principal principal_of(std::string_view principal_config, const std::string& claims) {
  VerifiedToken out;
  const Error err = verify_with(default_config(std::string("\"principal\":") + std::string(principal_config)),
                                tf::make_jwt(configured_rsa(), "RS256", claims), &out);
  if (err) throw std::runtime_error("verification failed: " + err.message);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(out.principal).get(root)) throw std::runtime_error("principal is not JSON: " + out.principal);
  simdjson::dom::object obj;
  if (root.get_object().get(obj) || obj.size() != 5) throw std::runtime_error("unexpected principal " + out.principal);
  Principal p;
  auto str = [&](const char* key, std::string& s, bool& is_null) {
    simdjson::dom::element e = obj[key];
    is_null = e.is_null();
    std::string_view v;
    if (!e.get_string().get(v)) s.assign(v);
  };
  str("sub", p.sub, p.sub_null);
  str("email", p.email, p.email_null);
  str("name", p.name, p.name_null);
  str("organizationId", p.organization_id, p.org_null);
  p.organization_id_json = simdjson::minify(obj["organizationId"]);
  bool role_null = false;
  str("role", p.role, role_null);
  return p;
}

const char* kRoles =
    R"({"roles":[{"group":"admins","role":"admin"},{"group":"staff","role":"editor"}],"default_role":"viewer"})";

TEST(Principal, OrganizationIdFromClaimDefaultsToSub) {
  Principal p = principal_of("{}", claims_json(R"("organizationId":"org-42","email":"a@example.com","name":"Alice")"));
  EXPECT_EQ(p.sub, "alice");
  EXPECT_EQ(p.email, "a@example.com");
  EXPECT_EQ(p.name, "Alice");
  EXPECT_EQ(p.organization_id, "org-42");
  EXPECT_EQ(p.role, "user");  // the built-in default role

  p = principal_of("{}", claims_json());
  EXPECT_EQ(p.organization_id, "alice");  // no claim: the subject
  EXPECT_TRUE(p.email_null);
  EXPECT_TRUE(p.name_null);

  // A configured claim name; the default name is then not consulted.
  p = principal_of(R"({"organization_id_claim":"tenant"})", claims_json(R"("tenant":"t-7","organizationId":"org-42")"));
  EXPECT_EQ(p.organization_id, "t-7");
  p = principal_of(R"({"organization_id_claim":"tenant"})", claims_json(R"("organizationId":"org-42")"));
  EXPECT_EQ(p.organization_id, "alice");
  // A numeric id stays a number; other types fall back to the subject.
  p = principal_of("{}", claims_json(R"("organizationId":42)"));
  EXPECT_EQ(p.organization_id_json, "42");
  for (const char* odd : {R"("organizationId":null)", R"("organizationId":["org-1"])", R"("organizationId":{"id":1})",
                          R"("organizationId":true)"}) {
    SCOPED_TRACE(odd);
    EXPECT_EQ(principal_of("{}", claims_json(odd)).organization_id, "alice");
  }
  // The fallback is configurable: "sub" is the default, "none" leaves organizationId null.
  EXPECT_EQ(principal_of(R"({"organization_fallback":"sub"})", claims_json()).organization_id, "alice");
  p = principal_of(R"({"organization_fallback":"none"})", claims_json());
  EXPECT_TRUE(p.org_null);
  EXPECT_EQ(p.sub, "alice");
  p = principal_of(R"({"organization_id_claim":"tenant","organization_fallback":"none"})",
                   claims_json(R"("organizationId":"org-42","groups":["admins"])"));
  EXPECT_TRUE(p.org_null);
  p = principal_of(R"({"organization_fallback":"none"})", claims_json(R"("organizationId":true)"));
  EXPECT_TRUE(p.org_null);
  p = principal_of(R"({"organization_fallback":"none"})", claims_json(R"("organizationId":"org-42")"));
  EXPECT_EQ(p.organization_id, "org-42");
  // name falls back to preferred_username.
  EXPECT_EQ(principal_of("{}", claims_json(R"("preferred_username":"al")")).name, "al");
  EXPECT_EQ(principal_of("{}", claims_json(R"("name":"Alice","preferred_username":"al")")).name, "Alice");
}

TEST(Principal, RoleFromFirstMatchingGroupInConfiguredOrder) {
  // Configuration order decides, not the order of the token's groups.
  EXPECT_EQ(principal_of(kRoles, claims_json(R"("groups":["staff","admins"])")).role, "admin");
  EXPECT_EQ(principal_of(kRoles, claims_json(R"("groups":["admins","staff"])")).role, "admin");
  EXPECT_EQ(principal_of(kRoles, claims_json(R"("groups":["staff"])")).role, "editor");
  EXPECT_EQ(principal_of(kRoles, claims_json(R"("groups":["x",1,null,"staff"])")).role, "editor");
  // Exact, case-sensitive group names.
  EXPECT_EQ(principal_of(kRoles, claims_json(R"("groups":["Admins","admins "])")).role, "viewer");
  // No match, no groups, or groups that are not an array: the default role.
  for (const char* g : {R"("groups":["nobody"])", R"("groups":[])", R"("groups":"admins")", R"("groups":{"admins":1})",
                        R"("groups":null)", R"("other":1)"}) {
    SCOPED_TRACE(g);
    EXPECT_EQ(principal_of(kRoles, claims_json(g)).role, "viewer");
  }
  // A configured groups claim.
  const char* custom = R"({"groups_claim":"ak_groups","roles":[{"group":"admins","role":"admin"}]})";
  EXPECT_EQ(principal_of(custom, claims_json(R"("ak_groups":["admins"])")).role, "admin");
  EXPECT_EQ(principal_of(custom, claims_json(R"("groups":["admins"])")).role, "user");
}

TEST(Principal, OutputIsValidJsonForHostileClaims) {
  const Principal p =
      principal_of("{}", claims_json(R"("email":"a\"b\\c\u0000d\n","name":"\u2028<script>","organizationId":"o\"}")"));
  EXPECT_EQ(p.email, std::string("a\"b\\c\0d\n", 8));
  EXPECT_EQ(p.name, "\xe2\x80\xa8<script>");
  EXPECT_EQ(p.organization_id, "o\"}");
}

}  // namespace
}  // namespace oidcore::attack_test
