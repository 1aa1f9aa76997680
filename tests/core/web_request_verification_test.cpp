// Request verification from the attacker's side: a stale, forged or junk token in one source
// of a request must not hide a good token in the other (the cookie shadowing the bearer
// header was the bug), and when every source fails the verdict is the most specific one:
// a rejected token beats a value that is not a token, which beats no token at all; ties go
// to the first source in order. needs_fetch stops the walk (the caller reruns it with
// fetching allowed); the keys being unreachable beats any rejection.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "attack_harness.hpp"
#include "web/request_verification.hpp"
#include "web/signed_cookies.hpp"

namespace {

using namespace oidcore;
using namespace oidcore::attack_test;
using web::TokenSource;
using web::TokenSourceOptions;

class RequestVerification : public ::testing::Test {
 protected:
  void SetUp() override {
    Error err;
    verifier_ = Verifier::create(default_config(), err);
    ASSERT_TRUE(verifier_) << err.message;
  }

  static std::string token(std::string_view extra = "") {
    return tf::make_jwt(configured_rsa(), "RS256", claims_json(extra));
  }
  static std::string valid(std::string_view sub) { return token("\"name\":\"" + std::string(sub) + "\""); }
  static std::string expired() {
    return tf::make_jwt(configured_rsa(), "RS256",
                        "{\"iss\":\"" + std::string(kIssuer) + "\",\"sub\":\"alice\",\"aud\":\"" +
                            std::string(kAudience) + "\",\"exp\":" + std::to_string(kNow - 600) +
                            ",\"iat\":" + std::to_string(kNow - 4200) + "}");
  }
  // Signed by a key the verifier does not hold, under the configured key's kid.
  static std::string forged() {
    tf::TestKey k = attacker_rsa();
    k.set_kid(configured_rsa().kid());
    return tf::make_jwt(k, "RS256", claims_json());
  }
  static std::string wrong_audience() {
    return tf::make_jwt(configured_rsa(), "RS256",
                        "{\"iss\":\"" + std::string(kIssuer) +
                            "\",\"sub\":\"alice\",\"aud\":\"someone-else\",\"exp\":" + std::to_string(kNow + 300) +
                            "}");
  }

  Error run(std::string_view cookie, std::string_view authorization, const TokenSourceOptions& options = {}) {
    out_ = VerifiedToken();
    return web::verify_request(cookie, authorization, options, *verifier_, VerifyOptions(), out_, source_);
  }

  std::unique_ptr<Verifier> verifier_;
  VerifiedToken out_;
  TokenSource source_ = TokenSource::cookie;
};

std::string cookie(std::string_view value) {
  return "theme=dark; access_token=" + std::string(value) + "; lang=en";
}
std::string bearer(std::string_view value) {
  return "Bearer " + std::string(value);
}

TEST_F(RequestVerification, JunkCookieDoesNotHideValidBearer) {
  for (std::string_view junk : {"junk", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "deleted", "undefined", "null"}) {
    ASSERT_STATUS(run(cookie(junk), bearer(valid("from-bearer"))), ok) << junk;
    EXPECT_EQ(source_, TokenSource::bearer);
    EXPECT_NE(out_.claims.find("from-bearer"), std::string::npos);
  }
}

TEST_F(RequestVerification, ExpiredCookieDoesNotHideValidBearer) {
  ASSERT_STATUS(run(cookie(expired()), bearer(valid("from-bearer"))), ok);
  EXPECT_EQ(source_, TokenSource::bearer);
  EXPECT_NE(out_.claims.find("from-bearer"), std::string::npos);
  // Nor a forged one, nor one for another audience.
  ASSERT_STATUS(run(cookie(forged()), bearer(valid("from-bearer"))), ok);
  EXPECT_EQ(source_, TokenSource::bearer);
  ASSERT_STATUS(run(cookie(wrong_audience()), bearer(valid("from-bearer"))), ok);
  EXPECT_EQ(source_, TokenSource::bearer);
}

TEST_F(RequestVerification, JunkBearerDoesNotHideValidCookie) {
  for (const std::string& junk :
       {bearer("junk"), bearer(expired()), bearer(forged()), std::string("Bearer"), std::string("Bearer a b"),
        std::string("Basic YTpi"), std::string("Bearer x, Bearer y")}) {
    ASSERT_STATUS(run(cookie(valid("from-cookie")), junk), ok) << junk;
    EXPECT_EQ(source_, TokenSource::cookie);
    EXPECT_NE(out_.claims.find("from-cookie"), std::string::npos);
  }
}

TEST_F(RequestVerification, BothValidTheFirstInOrderWins) {
  ASSERT_STATUS(run(cookie(valid("from-cookie")), bearer(valid("from-bearer"))), ok);
  EXPECT_EQ(source_, TokenSource::cookie);
  EXPECT_NE(out_.claims.find("from-cookie"), std::string::npos);
  TokenSourceOptions bearer_first;
  bearer_first.order = {TokenSource::bearer, TokenSource::cookie};
  ASSERT_STATUS(run(cookie(valid("from-cookie")), bearer(valid("from-bearer")), bearer_first), ok);
  EXPECT_EQ(source_, TokenSource::bearer);
  EXPECT_NE(out_.claims.find("from-bearer"), std::string::npos);
  // A source left out of the order is never looked at.
  TokenSourceOptions bearer_only;
  bearer_only.order = {TokenSource::bearer};
  EXPECT_STATUS_MSG(run(cookie(valid("from-cookie")), "", bearer_only), not_found, "Bearer");
  TokenSourceOptions cookie_only;
  cookie_only.order = {TokenSource::cookie};
  EXPECT_STATUS_MSG(run("", bearer(valid("from-bearer")), cookie_only), not_found, "access_token cookie");
}

TEST_F(RequestVerification, RejectedTokenBeatsValueThatIsNoToken) {
  // junk cookie, expired bearer: expired (whichever comes first).
  EXPECT_STATUS_MSG(run(cookie("junk"), bearer(expired())), expired, "the bearer token");
  // expired cookie, malformed bearer: expired.
  EXPECT_STATUS_MSG(run(cookie(expired()), bearer("not.a.jwt")), expired, "the access_token cookie");
  EXPECT_STATUS(run(cookie(expired()), "Bearer caf\xc3\xa9"), expired);
  // Other rejections rank the same way.
  EXPECT_STATUS(run(cookie("junk"), bearer(forged())), bad_signature);
  EXPECT_STATUS(run(cookie(wrong_audience()), bearer("junk")), bad_audience);
  EXPECT_STATUS(run(cookie("junk"), bearer(token("\"x\":1").substr(0, 20) + ".e30.c2ln")), malformed);
  tf::TestKey unknown = attacker_rsa();
  unknown.set_kid("who");
  EXPECT_STATUS(run(cookie("a.b"), bearer(tf::make_jwt(unknown, "RS256", claims_json()))), key_not_found);
  // An oversized Cookie header is a value that is not a token: the bearer still decides.
  const std::string huge = "pad=" + std::string(70 * 1024, 'x') + "; access_token=" + valid("c");
  EXPECT_STATUS(run(huge, bearer(expired())), expired);
  ASSERT_STATUS(run(huge, bearer(valid("from-bearer"))), ok);
  EXPECT_EQ(source_, TokenSource::bearer);
  EXPECT_STATUS(run(huge, "Basic YTpi"), too_large);
  EXPECT_STATUS(run(cookie("junk"), "Bearer " + std::string(70 * 1024, 'a')), malformed);  // first in order
}

TEST_F(RequestVerification, EquallySpecificFailuresGoToTheFirstSourceInOrder) {
  EXPECT_STATUS_MSG(run(cookie(forged()), bearer(expired())), bad_signature, "the access_token cookie");
  TokenSourceOptions bearer_first;
  bearer_first.order = {TokenSource::bearer, TokenSource::cookie};
  EXPECT_STATUS_MSG(run(cookie(forged()), bearer(expired()), bearer_first), expired, "the bearer token");
  EXPECT_STATUS_MSG(run(cookie("junk"), bearer("a.b"), bearer_first), malformed, "the bearer token");
  EXPECT_STATUS_MSG(run(cookie("junk"), bearer("a.b")), malformed, "the access_token cookie");
}

TEST_F(RequestVerification, NoTokenIsNotFound) {
  for (auto [c, a] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"other=1", ""}, {"access_token=", "Basic YTpi"}, {"access_token=\"\"", "Digest x"}}) {
    EXPECT_STATUS_MSG(run(c, a), not_found, "no token in the request") << c << " | " << a;
  }
}

TEST_F(RequestVerification, BadlySignedCookieIsSkipped) {
  TokenSourceOptions signed_cookies;
  signed_cookies.cookie_name = "sid";
  signed_cookies.cookie_secrets = {"new-secret", "old-secret"};
  std::string good_signed, forged_signed;
  ASSERT_FALSE(web::sign_cookie(valid("from-cookie"), "old-secret", good_signed));
  ASSERT_FALSE(web::sign_cookie(valid("from-cookie"), "attacker-secret", forged_signed));
  ASSERT_STATUS(run("sid=" + good_signed, bearer(valid("from-bearer")), signed_cookies), ok);
  EXPECT_EQ(source_, TokenSource::cookie);
  // A valid token in a cookie signed with another secret, or not signed at all, is no token.
  for (const std::string& bad : {forged_signed, valid("from-cookie"), std::string("s:") + valid("x")}) {
    ASSERT_STATUS(run("sid=" + bad, bearer(valid("from-bearer")), signed_cookies), ok);
    EXPECT_EQ(source_, TokenSource::bearer);
    EXPECT_NE(out_.claims.find("from-bearer"), std::string::npos);
    EXPECT_STATUS_MSG(run("sid=" + bad, "", signed_cookies), not_found, "not signed with a configured secret");
    EXPECT_STATUS(run("sid=" + bad, bearer(expired()), signed_cookies), expired);
  }
}

TEST_F(RequestVerification, BadOptionsVerifyNothing) {
  int calls = 0;
  const auto count = [&](std::string_view) {
    ++calls;
    return Error();
  };
  TokenSource source;
  TokenSourceOptions o;
  o.order = {};
  EXPECT_STATUS(web::verify_request("", bearer("t"), o, count, source), invalid_argument);
  o.order = {TokenSource::bearer, TokenSource::bearer};
  EXPECT_STATUS(web::verify_request("", bearer("t"), o, count, source), invalid_argument);
  o = TokenSourceOptions();
  o.cookie_name = "a b";
  EXPECT_STATUS(web::verify_request("", bearer("t"), o, count, source), invalid_argument);
  EXPECT_EQ(calls, 0);
}

// The rule itself, with a scripted verification: which source is tried, and what wins.
struct Scripted {
  std::vector<std::pair<std::string, Status>> verdicts;  // token → status
  std::vector<std::string> seen;
  Error operator()(std::string_view token) {
    seen.emplace_back(token);
    for (const auto& [t, s] : verdicts)
      if (t == token) return s == Status::ok ? Error() : Error(s, "scripted");
    return Error(Status::internal, "unexpected token");
  }
};

Error scripted(Scripted& s, std::string_view cookie_value, std::string_view bearer_value, TokenSource& source,
               const TokenSourceOptions& o = {}) {
  return web::verify_request(cookie_value.empty() ? "" : cookie(cookie_value),
                             bearer_value.empty() ? "" : bearer(bearer_value), o, s, source);
}

TEST(RequestVerificationRule, NeedsFetchStopsTheWalk) {
  TokenSource source;
  Scripted s{{{"c", Status::needs_fetch}, {"b", Status::ok}}};
  EXPECT_STATUS(scripted(s, "c", "b", source), needs_fetch);
  EXPECT_EQ(s.seen, std::vector<std::string>{"c"});  // the bearer waits for the rerun
  Scripted t{{{"c", Status::expired}, {"b", Status::needs_fetch}}};
  EXPECT_STATUS(scripted(t, "c", "b", source), needs_fetch);
  Scripted u{{{"c", Status::ok}, {"b", Status::needs_fetch}}};
  EXPECT_STATUS(scripted(u, "c", "b", source), ok);
  EXPECT_EQ(source, TokenSource::cookie);
  EXPECT_EQ(u.seen, std::vector<std::string>{"c"});
}

TEST(RequestVerificationRule, UnreachableKeysBeatRejections) {
  TokenSource source;
  for (Status down : {Status::jwks_unavailable, Status::http_error}) {
    Scripted s{{{"c", Status::expired}, {"b", down}}};
    EXPECT_EQ(scripted(s, "c", "b", source).status, down);
    Scripted t{{{"c", down}, {"b", Status::bad_signature}}};
    EXPECT_EQ(scripted(t, "c", "b", source).status, down);
    Scripted u{{{"c", down}, {"b", Status::ok}}};  // a good token still wins
    EXPECT_STATUS(scripted(u, "c", "b", source), ok);
    EXPECT_EQ(source, TokenSource::bearer);
  }
}

TEST(RequestVerificationRule, CallerErrorsStopTheWalk) {
  TokenSource source;
  for (Status stop : {Status::invalid_argument, Status::invalid_config, Status::internal}) {
    Scripted s{{{"c", stop}, {"b", Status::ok}}};
    EXPECT_EQ(scripted(s, "c", "b", source).status, stop);
    EXPECT_EQ(s.seen.size(), 1u);
  }
}

TEST(RequestVerificationRule, SpecificityTable) {
  // (cookie verdict, bearer verdict) → result, default order.
  struct Row {
    Status cookie, bearer, want;
  };
  const Row rows[] = {
      {Status::malformed, Status::expired, Status::expired},
      {Status::expired, Status::malformed, Status::expired},
      {Status::too_large, Status::bad_audience, Status::bad_audience},
      {Status::key_not_found, Status::malformed, Status::key_not_found},
      {Status::bad_signature, Status::expired, Status::bad_signature},
      {Status::unsupported_alg, Status::alg_not_allowed, Status::unsupported_alg},
      {Status::malformed, Status::too_large, Status::malformed},
      {Status::too_large, Status::malformed, Status::too_large},
  };
  TokenSource source;
  for (const Row& r : rows) {
    Scripted s{{{"c", r.cookie}, {"b", r.bearer}}};
    const Error e = scripted(s, "c", "b", source);
    EXPECT_EQ(e.status, r.want) << status_name(r.cookie) << " + " << status_name(r.bearer) << ": " << e.message;
    EXPECT_EQ(s.seen.size(), 2u);
  }
}

TEST(RequestVerificationRule, RealRemoteVerifierAnswersNeedsFetchWithoutNetwork) {
  Error err;
  auto v = Verifier::create(
      R"({"issuer":"https://issuer.example","audience":"api","jwks_uri":"http://127.0.0.1:9/jwks"})", err);
  ASSERT_TRUE(v) << err.message;
  VerifyOptions no_fetch;
  no_fetch.allow_fetch = false;
  VerifiedToken out;
  TokenSource source;
  const std::string t = tf::make_jwt(configured_rsa(), "RS256", claims_json());
  // Junk is refused before any key is needed; the real token then needs the keys.
  EXPECT_STATUS(web::verify_request(cookie("junk"), bearer(t), {}, *v, no_fetch, out, source), needs_fetch);
  EXPECT_STATUS(web::verify_request(cookie("junk"), "", {}, *v, no_fetch, out, source), malformed);
  EXPECT_STATUS(web::verify_request("", "", {}, *v, no_fetch, out, source), not_found);
}

TEST(RequestVerificationOptionsJson, Parse) {
  web::RequestVerificationOptions o;
  ASSERT_FALSE(web::parse_request_verification_options("", o));
  EXPECT_TRUE(o.allow_fetch);
  EXPECT_EQ(o.sources.cookie_name, "access_token");
  ASSERT_FALSE(web::parse_request_verification_options(
      R"({"allow_fetch":false,"cookie_name":"sid","order":["bearer","cookie"],"cookie_secrets":["k"]})", o));
  EXPECT_FALSE(o.allow_fetch);
  EXPECT_EQ(o.sources.cookie_name, "sid");
  EXPECT_EQ(o.sources.order, (std::vector<TokenSource>{TokenSource::bearer, TokenSource::cookie}));
  EXPECT_EQ(o.sources.cookie_secrets, std::vector<std::string>{"k"});
  EXPECT_STATUS_MSG(web::parse_request_verification_options(R"({"allow_fetch":1})", o), invalid_argument,
                    "allow_fetch");
  EXPECT_STATUS_MSG(web::parse_request_verification_options(R"({"allowFetch":true})", o), invalid_argument,
                    "allowFetch");
  EXPECT_STATUS_MSG(web::parse_request_verification_options(R"({"order":["cookie","cookie"]})", o), invalid_argument,
                    "order");
  EXPECT_STATUS_MSG(web::parse_request_verification_options(R"({"cookie_name":"a b"})", o), invalid_argument,
                    "cookie_name");
  EXPECT_STATUS(web::parse_request_verification_options("[]", o), invalid_argument);
  // The token source options alone still refuse allow_fetch.
  web::TokenSourceOptions ts;
  EXPECT_STATUS_MSG(web::parse_token_source_options(R"({"allow_fetch":true})", ts), invalid_argument, "allow_fetch");
}

}  // namespace
