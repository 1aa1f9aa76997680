// jwt-attacks.md section F (claims validation) and the time-check boundaries, through a real
// Verifier with a frozen clock ("now" in the configuration) and an explicit
// clock_tolerance. Every token is genuinely signed, so only the claim checks can decide.
#include <string>
#include <vector>

#include "attack_harness.hpp"

namespace oidcore::attack_test {
namespace {

constexpr int64_t T = kNow;  // the instant every boundary is placed around

// {"iss":...,"sub":"alice","aud":"api", <members>}
std::string claims_with(std::string_view members) {
  std::string c = "{\"iss\":\"" + std::string(kIssuer) + "\",\"sub\":\"alice\",\"aud\":\"api\"";
  if (!members.empty()) c += "," + std::string(members);
  return c + "}";
}

std::string num(int64_t v) {
  return std::to_string(v);
}

// Verifies a token carrying `claims` at time `now` with `tolerance` seconds of leeway.
Error at(int64_t now, int64_t tolerance, const std::string& claims, std::string_view extra_config = "",
         const VerifyOptions& options = {}) {
  std::string extra = "\"clock_tolerance\":" + num(tolerance);
  if (!extra_config.empty()) extra += "," + std::string(extra_config);
  const std::string config = make_config_at(now, configured_rsa().jwks(), R"(["RS256"])", extra);
  return verify_with(config, tf::make_jwt(configured_rsa(), "RS256", claims), nullptr, options);
}

// ---------------------------------------------------------------------------
// F01–F03: exp, nbf and iat boundaries
// ---------------------------------------------------------------------------

// RFC 7519 §4.1.4: rejected "on or after" exp; with leeway L, rejected at now >= exp + L
// and accepted at now = exp + L - 1.
TEST(Attack, F01_ExpBoundary) {
  const std::string c = claims_with("\"exp\":" + num(T));
  for (int64_t leeway : {0, 60, 300}) {
    SCOPED_TRACE(leeway);
    EXPECT_STATUS(at(T + leeway - 1, leeway, c), ok);
    EXPECT_STATUS(at(T + leeway, leeway, c), expired);
    EXPECT_STATUS(at(T + leeway + 1, leeway, c), expired);
    EXPECT_STATUS(at(T - 1, leeway, c), ok);
  }
  // The plain "one second either side of exp" picture with no leeway.
  EXPECT_STATUS(at(T - 1, 0, c), ok);
  EXPECT_STATUS(at(T, 0, c), expired);
  EXPECT_STATUS(at(T + 1, 0, c), expired);
  // ... and with 60 s of leeway, one second either side of exp is still accepted.
  EXPECT_STATUS(at(T + 1, 60, c), ok);
}

// RFC 7519 §4.1.5: accepted at now = nbf - leeway, rejected one second earlier.
TEST(Attack, F02_NbfBoundary) {
  const std::string c = claims_with("\"nbf\":" + num(T) + ",\"exp\":" + num(T + 3600));
  for (int64_t leeway : {0, 60, 300}) {
    SCOPED_TRACE(leeway);
    EXPECT_STATUS(at(T - leeway, leeway, c), ok);
    EXPECT_STATUS(at(T - leeway - 1, leeway, c), not_yet_valid);
    EXPECT_STATUS(at(T - leeway + 1, leeway, c), ok);
  }
  EXPECT_STATUS(at(T + 1, 0, c), ok);
}

TEST(Attack, F03_IatInTheFuture) {
  for (int64_t leeway : {0, 60, 300}) {
    SCOPED_TRACE(leeway);
    auto c = [](int64_t iat) { return claims_with("\"iat\":" + num(iat) + ",\"exp\":" + num(T + 7200)); };
    EXPECT_STATUS(at(T, leeway, c(T + leeway)), ok);
    EXPECT_STATUS(at(T, leeway, c(T + leeway + 1)), issued_in_future);
    EXPECT_STATUS(at(T, leeway, c(T + 3600)), issued_in_future);
    EXPECT_STATUS(at(T, leeway, c(T - 3600)), ok);
  }
  // iat after exp: a token that was expired when it was issued. Within the leeway each
  // claim passes the clock checks on its own; the pair is still refused.
  EXPECT_STATUS(at(T, 60, claims_with("\"iat\":" + num(T + 30) + ",\"exp\":" + num(T + 10))), expired);
  EXPECT_STATUS(at(T, 60, claims_with("\"iat\":" + num(T - 10) + ",\"exp\":" + num(T - 20))), expired);
  EXPECT_STATUS(at(T, 0, claims_with("\"iat\":" + num(T + 1) + ",\"exp\":" + num(T + 3600))), issued_in_future);
  // iat == exp is not "after".
  EXPECT_STATUS(at(T, 60, claims_with("\"iat\":" + num(T + 10) + ",\"exp\":" + num(T + 10))), ok);
}

// ---------------------------------------------------------------------------
// F04: NumericDate types
// ---------------------------------------------------------------------------

TEST(Attack, F04_NumericDateTypes) {
  const int64_t now = 1699999000;  // before 1.7e9, so the fractional forms below are future
  for (const char* wrong : {R"("1700000000")", "true", "false", "null", "[1700000000]", "{}", R"("")", R"("1.7e9")"}) {
    SCOPED_TRACE(wrong);
    EXPECT_STATUS(at(now, 0, claims_with(std::string("\"exp\":") + wrong)), missing_claim);
    EXPECT_STATUS(at(now, 0, claims_with(std::string("\"nbf\":") + wrong + ",\"exp\":1700000000")), missing_claim);
    EXPECT_STATUS(at(now, 0, claims_with(std::string("\"iat\":") + wrong + ",\"exp\":1700000000")), missing_claim);
    EXPECT_STATUS(at(now, 0, claims_with(std::string("\"auth_time\":") + wrong + ",\"exp\":1700000000")),
                  missing_claim);
  }
  // JSON numbers need not be integers (RFC 7519 §2).
  for (const char* ok_exp : {"1.7e9", "1700000000.5", "17e8", "1.7E+9", "1700000000.0", "9223372036854775808", "1e19",
                             "18446744073709551615"}) {
    SCOPED_TRACE(ok_exp);
    EXPECT_STATUS(at(now, 0, claims_with(std::string("\"exp\":") + ok_exp)), ok);
    EXPECT_STATUS(at(now, 300, claims_with(std::string("\"exp\":") + ok_exp)), ok);  // no overflow adding leeway
  }
  for (const char* past : {"-1", "-0", "0", "-0.0", "0.5", "-1e19", "-9223372036854775808"}) {
    SCOPED_TRACE(past);
    EXPECT_STATUS(at(now, 0, claims_with(std::string("\"exp\":") + past)), expired);
    EXPECT_STATUS(at(now, 300, claims_with(std::string("\"exp\":") + past)), expired);
  }
  // Numbers beyond a double, or beyond 64-bit integers, are not JSON simdjson will read.
  for (const char* huge : {"1e400", "-1e400", "18446744073709551616", "-9223372036854775809", "1e99999"}) {
    SCOPED_TRACE(huge);
    EXPECT_STATUS(at(now, 0, claims_with(std::string("\"exp\":") + huge)), malformed);
  }
  // Far-future and far-past values in the other claims stay well defined.
  EXPECT_STATUS(at(now, 300, claims_with("\"exp\":1e19,\"nbf\":1e19")), not_yet_valid);
  EXPECT_STATUS(at(now, 300, claims_with("\"exp\":1e19,\"nbf\":-1e19,\"iat\":-1e19")), ok);
  EXPECT_STATUS(at(now, 300, claims_with("\"exp\":1e19,\"iat\":9e18")), issued_in_future);
}

// Fractions of a second count: the comparisons are not rounded.
TEST(Claims, NonIntegerNumericDateBoundaries) {
  EXPECT_STATUS(at(T, 0, claims_with("\"exp\":" + num(T) + ".5")), ok);
  EXPECT_STATUS(at(T, 0, claims_with("\"exp\":" + num(T) + ".001")), ok);
  EXPECT_STATUS(at(T, 0, claims_with("\"exp\":" + num(T - 1) + ".999")), expired);
  EXPECT_STATUS(at(T, 60, claims_with("\"exp\":" + num(T - 60) + ".5")), ok);
  EXPECT_STATUS(at(T, 60, claims_with("\"exp\":" + num(T - 61) + ".5")), expired);
  EXPECT_STATUS(at(T, 0, claims_with("\"nbf\":" + num(T) + ".5,\"exp\":" + num(T + 60))), not_yet_valid);
  EXPECT_STATUS(at(T, 0, claims_with("\"nbf\":" + num(T - 1) + ".5,\"exp\":" + num(T + 60))), ok);
  EXPECT_STATUS(at(T, 0, claims_with("\"iat\":" + num(T) + ".5,\"exp\":" + num(T + 60))), issued_in_future);
  EXPECT_STATUS(at(T, 0, claims_with("\"iat\":" + num(T - 1) + ".5,\"exp\":" + num(T + 60))), ok);
}

TEST(Claims, StringExpIsMissingClaim) {
  EXPECT_STATUS_MSG(at(T, 0, claims_with("\"exp\":\"" + num(T + 300) + "\"")), missing_claim, "\"exp\"");
  EXPECT_STATUS_MSG(at(T, 60, claims_with("\"exp\":\"" + num(T + 300) + "\"")), missing_claim, "wrong type");
}

TEST(Claims, ExpIsRequiredByDefault) {
  EXPECT_STATUS_MSG(at(T, 0, claims_with("\"iat\":" + num(T))), missing_claim, "\"exp\"");
  EXPECT_STATUS_MSG(at(T, 0, claims_with("\"exp\":null")), missing_claim, "\"exp\"");
}

// ---------------------------------------------------------------------------
// max_age via auth_time and via iat
// ---------------------------------------------------------------------------

TEST(Claims, MaxAgeViaAuthTime) {
  const std::string exp = ",\"exp\":" + num(T + 600);
  for (int64_t leeway : {0, 60}) {
    SCOPED_TRACE(leeway);
    auto c = [&](int64_t auth_time) { return claims_with("\"auth_time\":" + num(auth_time) + exp); };
    EXPECT_STATUS(at(T, leeway, c(T - 3600 - leeway), "\"max_age\":3600"), ok);
    EXPECT_STATUS(at(T, leeway, c(T - 3600 - leeway - 1), "\"max_age\":3600"), too_old);
    EXPECT_STATUS(at(T, leeway, c(T - 10), "\"max_age\":3600"), ok);
  }
  // max_age 0: only an authentication at this very second (plus leeway) is fresh enough.
  EXPECT_STATUS(at(T, 0, claims_with("\"auth_time\":" + num(T) + exp), "\"max_age\":0"), ok);
  EXPECT_STATUS(at(T, 0, claims_with("\"auth_time\":" + num(T - 1) + exp), "\"max_age\":0"), too_old);
  // auth_time decides when present, whatever iat says.
  EXPECT_STATUS(
      at(T, 0, claims_with("\"auth_time\":" + num(T - 7200) + ",\"iat\":" + num(T) + exp), "\"max_age\":3600"),
      too_old);
  EXPECT_STATUS(
      at(T, 0, claims_with("\"auth_time\":" + num(T - 60) + ",\"iat\":" + num(T - 7200) + exp), "\"max_age\":3600"),
      ok);
  EXPECT_STATUS(at(T, 0, claims_with("\"auth_time\":\"" + num(T) + "\"" + exp), "\"max_age\":3600"), missing_claim);
  // Without max_age configured, an old auth_time is not a criterion.
  EXPECT_STATUS(at(T, 0, claims_with("\"auth_time\":1" + exp)), ok);
}

TEST(Claims, MaxAgeViaIat) {
  const std::string exp = ",\"exp\":" + num(T + 600);
  for (int64_t leeway : {0, 60}) {
    SCOPED_TRACE(leeway);
    auto c = [&](int64_t iat) { return claims_with("\"iat\":" + num(iat) + exp); };
    EXPECT_STATUS(at(T, leeway, c(T - 3600 - leeway), "\"max_age\":3600"), ok);
    EXPECT_STATUS(at(T, leeway, c(T - 3600 - leeway - 1), "\"max_age\":3600"), too_old);
  }
  // Neither auth_time nor iat: the age cannot be known.
  EXPECT_STATUS_MSG(at(T, 0, claims_with(exp.substr(1)), "\"max_age\":3600"), missing_claim, "auth_time");
}

// ---------------------------------------------------------------------------
// F05–F10
// ---------------------------------------------------------------------------

TEST(Attack, F05_MissingRequiredClaims) {
  // The RFC 9068 profile as a required-claim list.
  const std::string required = R"("required_claims":["exp","iss","aud","sub","iat","jti","client_id"])";
  const std::vector<std::pair<std::string, std::string>> members = {{"iss", "\"iss\":\"" + std::string(kIssuer) + "\""},
                                                                    {"sub", R"("sub":"alice")"},
                                                                    {"aud", R"("aud":"api")"},
                                                                    {"exp", "\"exp\":" + num(T + 300)},
                                                                    {"iat", "\"iat\":" + num(T)},
                                                                    {"jti", R"("jti":"4f1c7a")"},
                                                                    {"client_id", R"("client_id":"spa")"}};
  auto without = [&](const std::string& dropped, std::string_view replacement = "") {
    std::string c = "{";
    for (const auto& [name, member] : members) {
      const std::string m = name == dropped ? std::string(replacement) : member;
      if (m.empty()) continue;
      if (c.size() > 1) c += ',';
      c += m;
    }
    return c + "}";
  };
  ASSERT_STATUS(at(T, 0, without(""), required), ok);
  for (const auto& [name, member] : members) {
    SCOPED_TRACE(name);
    EXPECT_STATUS_MSG(at(T, 0, without(name), required), missing_claim, "\"" + name + "\"");
    // A null is as good as absent.
    EXPECT_STATUS(at(T, 0, without(name, "\"" + name + "\":null"), required), missing_claim);
  }
  // Without the list, only exp (and iss/aud, which are compared) must be present.
  EXPECT_STATUS(at(T, 0, without("jti")), ok);
  EXPECT_STATUS(at(T, 0, without("sub")), ok);
  EXPECT_STATUS(at(T, 0, without("exp")), missing_claim);
  EXPECT_STATUS(at(T, 0, without("iss")), missing_claim);
  EXPECT_STATUS(at(T, 0, without("aud")), missing_claim);
}

TEST(Attack, F06_AudienceForms) {
  auto with_aud = [](std::string_view aud) {
    std::string c = "{\"iss\":\"" + std::string(kIssuer) + "\",\"sub\":\"alice\",\"exp\":" + num(T + 300);
    if (!aud.empty()) c += ",\"aud\":" + std::string(aud);
    return c + "}";
  };
  for (const char* good : {R"("api")", R"(["api"])", R"(["x","api"])", R"(["api","x"])", R"(["api","api"])"}) {
    SCOPED_TRACE(good);
    EXPECT_STATUS(at(T, 0, with_aud(good)), ok);
  }
  for (const char* bad : {"[]", R"("")", R"(["API"])", R"("API")", R"("api ")", R"(" api")", R"("ap")", R"("apix")",
                          R"(["x"])", R"([""])", R"("api\u0000")"}) {
    SCOPED_TRACE(bad);
    EXPECT_STATUS(at(T, 0, with_aud(bad)), bad_audience);
  }
  for (const char* ill :
       {R"([["api"]])", "[1]", R"(["api",1])", R"(["api",null])", "null", "1", R"({"api":true})", "true"}) {
    SCOPED_TRACE(ill);
    EXPECT_STATUS(at(T, 0, with_aud(ill)), missing_claim);
  }
  EXPECT_STATUS(at(T, 0, with_aud("")), missing_claim);

  // Several configured audiences: any one of them matches.
  const std::string two = make_config(configured_rsa().jwks())
                              .replace(make_config(configured_rsa().jwks()).find("\"audience\":\"api\""), 16,
                                       R"("audience":["api","api2"])");
  EXPECT_STATUS(verify_with(two, tf::make_jwt(configured_rsa(), "RS256", with_aud(R"("api2")"))), ok);
  EXPECT_STATUS(verify_with(two, tf::make_jwt(configured_rsa(), "RS256", with_aud(R"(["x","api2"])"))), ok);
  EXPECT_STATUS(verify_with(two, tf::make_jwt(configured_rsa(), "RS256", with_aud(R"("api3")"))), bad_audience);

  // azp policy (ID tokens): with several audiences the authorized party must be present
  // and must be this client; a single audience needs no azp but a wrong one is refused.
  const std::string azp = R"("azp":"api")";
  EXPECT_STATUS(at(T, 0, with_aud(R"(["x","api"])"), azp), bad_audience);
  EXPECT_STATUS(at(T, 0, with_aud(R"(["x","api"],"azp":"api")"), azp), ok);
  EXPECT_STATUS(at(T, 0, with_aud(R"(["x","api"],"azp":"x")"), azp), bad_audience);
  EXPECT_STATUS(at(T, 0, with_aud(R"("api")"), azp), ok);
  EXPECT_STATUS(at(T, 0, with_aud(R"("api","azp":"x")"), azp), bad_audience);
  EXPECT_STATUS(at(T, 0, with_aud(R"("api","azp":1)"), azp), missing_claim);
}

TEST(Attack, F07_IssuerExactMatch) {
  auto with_iss = [](std::string_view iss) {
    return "{\"iss\":" + std::string(iss) + ",\"sub\":\"alice\",\"aud\":\"api\",\"exp\":" + num(T + 300) + "}";
  };
  ASSERT_STATUS(at(T, 0, with_iss(R"("https://issuer.example")")), ok);
  for (const char* bad : {R"("https://issuer.example/")",
                          R"("https://ISSUER.example")",
                          R"("HTTPS://issuer.example")",
                          R"("https://issuer.example:443")",
                          R"("https://issuer.example%2F")",
                          R"("https:%2F%2Fissuer.example")",
                          R"("https://issuer.example.evil")",
                          R"("https://issuer.exampl")",
                          R"("https")",
                          R"("")",
                          R"("http://issuer.example")",
                          R"("https://issuer.ex\u0430mple")",
                          R"("https://issuer.example ")",
                          R"(" https://issuer.example")",
                          R"("https://issuer.example#")",
                          R"("https://issuer.example?")",
                          R"("https://issuer.example\u0000")",
                          R"("https://evil.example/https://issuer.example")",
                          R"("https://user@issuer.example")",
                          R"("https://issuer.example.")"}) {
    SCOPED_TRACE(bad);
    EXPECT_STATUS(at(T, 0, with_iss(bad)), bad_issuer);
  }
  for (const char* ill :
       {R"(["https://issuer.example"])", "null", "1", R"({"iss":"https://issuer.example"})", "true"}) {
    SCOPED_TRACE(ill);
    EXPECT_STATUS(at(T, 0, with_iss(ill)), missing_claim);
  }
}

TEST(Attack, F08_ClockSkewConfiguration) {
  const std::string jwks = configured_rsa().jwks();
  for (const char* bad : {"301", "3600", "-1", "1e9", "60.5", "\"60\"", "null", "true", "[60]", "1e300", "-1e300",
                          "18446744073709551615", "9223372036854775807", "-9223372036854775808", "300.5"}) {
    SCOPED_TRACE(bad);
    EXPECT_STATUS_MSG(create_error(make_config(jwks, R"(["RS256"])", std::string("\"clock_tolerance\":") + bad)),
                      invalid_config, "clock_tolerance");
  }
  // A number simdjson cannot read at all fails as JSON (still invalid_config).
  EXPECT_STATUS(create_error(make_config(jwks, R"(["RS256"])", "\"clock_tolerance\":-9223372036854775809")),
                invalid_config);
  for (const char* good : {"0", "60", "300", "300.0", "3e2"}) {
    SCOPED_TRACE(good);
    EXPECT_STATUS(create_error(make_config(jwks, R"(["RS256"])", std::string("\"clock_tolerance\":") + good)), ok);
  }
  // With the injected clock the verdict is deterministic: the same token, the same
  // configuration, the same answer on every call, whatever the wall clock says.
  const std::string token = tf::make_jwt(configured_rsa(), "RS256", claims_with("\"exp\":1000"));
  Error err;
  auto before = Verifier::create(make_config_at(999, jwks), err);
  auto after = Verifier::create(make_config_at(1000, jwks), err);
  ASSERT_TRUE(before && after);
  for (int i = 0; i < 3; ++i) {
    VerifiedToken out;
    EXPECT_STATUS(before->verify(token, out), ok);
    EXPECT_STATUS(after->verify(token, out), expired);
  }
}

TEST(Attack, F09_IdTokenChecks) {
  const std::string exp = "\"exp\":" + num(T + 300);
  // Nonce (the login flow passes the one it stored with the state).
  const std::string nonce = "n-0S6_WzA2Mj";
  VerifyOptions with_nonce;
  with_nonce.nonce = &nonce;
  EXPECT_STATUS(at(T, 0, claims_with(exp + R"(,"nonce":"n-0S6_WzA2Mj")"), "", with_nonce), ok);
  for (const char* bad : {R"("n-0S6_WzA2Mk")", R"("n-0S6_WzA2Mj ")", R"("n-0S6_WzA2M")", R"("")", R"("N-0S6_WzA2MJ")",
                          R"("n-0S6_WzA2Mj\u0000")"}) {
    SCOPED_TRACE(bad);
    EXPECT_STATUS(at(T, 0, claims_with(exp + ",\"nonce\":" + bad), "", with_nonce), bad_nonce);
  }
  EXPECT_STATUS(at(T, 0, claims_with(exp), "", with_nonce), bad_nonce);
  EXPECT_STATUS(at(T, 0, claims_with(exp + ",\"nonce\":123"), "", with_nonce), missing_claim);
  // azp must be this client when the ID token has several audiences.
  EXPECT_STATUS(
      at(T, 0, "{\"iss\":\"" + std::string(kIssuer) + "\",\"aud\":[\"api\",\"other\"],\"azp\":\"other\"," + exp + "}",
         R"("azp":"api")"),
      bad_audience);
  // The ID token's alg must be the registered one (the allow-list).
  EXPECT_STATUS(verify_with(default_config(), tf::make_jwt(configured_rsa(), "PS256", claims_with(exp))),
                alg_not_allowed);
  // auth_time older than max_age.
  EXPECT_STATUS(at(T, 0, claims_with(exp + ",\"auth_time\":" + num(T - 601)), "\"max_age\":600"), too_old);
  // at_hash / c_hash need the access token or code the flow received; they are checked by
  // the login flow, not by single-token verification.
}

TEST(Attack, F10_ClaimTypeConfusion) {
  const std::string exp = "\"exp\":" + num(T + 300);
  const std::string base = "{\"iss\":\"" + std::string(kIssuer) + "\",\"aud\":\"api\"," + exp;
  for (const char* bad : {R"("sub":123)", R"("sub":null)", R"("sub":["alice"])", R"("scope":["a"])", R"("scope":1)",
                          R"("client_id":null)", R"("client_id":7)", R"("jti":123)", R"("jti":{})", R"("azp":1)",
                          R"("sid":{})", R"("nonce":[])"}) {
    SCOPED_TRACE(bad);
    EXPECT_STATUS_MSG(at(T, 0, base + "," + bad + "}"), missing_claim, "wrong type");
  }
  EXPECT_STATUS(at(T, 0, base + R"(,"sub":"123","scope":"a b","client_id":"spa","jti":"1")" + "}"), ok);
}

}  // namespace
}  // namespace oidcore::attack_test
