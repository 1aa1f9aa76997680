// Token extraction: the cookie and the bearer header in either order, signed cookies (good,
// bad, unsigned), malformed Authorization headers, nothing found, options; and the
// claims → principal function with its configuration (shared with the verifier).
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "web/principal.hpp"
#include "web/signed_cookies.hpp"
#include "web/token_source.hpp"

namespace {

using oidcore::Error;
using oidcore::Status;
using namespace oidcore::web;

ExtractedToken extract_ok(std::string_view cookie, std::string_view auth, const TokenSourceOptions& o = {}) {
  ExtractedToken t;
  auto err = extract_token(cookie, auth, o, t);
  EXPECT_TRUE(err.ok()) << err.message;
  return t;
}

Status extract_status(std::string_view cookie, std::string_view auth, const TokenSourceOptions& o = {}) {
  ExtractedToken t;
  return extract_token(cookie, auth, o, t).status;
}

// ---- Authorization: Bearer --------------------------------------------------------------------

struct BearerCase {
  std::string header;
  const char* token;  // nullptr: no bearer token
};

class BearerHeader : public ::testing::TestWithParam<BearerCase> {};

TEST_P(BearerHeader, Parse) {
  const auto& c = GetParam();
  auto t = bearer_token(c.header);
  if (!c.token) {
    EXPECT_FALSE(t) << "'" << c.header << "' gave '" << *t << "'";
  } else {
    ASSERT_TRUE(t) << c.header;
    EXPECT_EQ(*t, c.token);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, BearerHeader,
    ::testing::Values(BearerCase{"Bearer abc", "abc"}, BearerCase{"bearer abc", "abc"}, BearerCase{"BEARER abc", "abc"},
                      BearerCase{"Bearer  abc", "abc"}, BearerCase{"Bearer     abc", "abc"},
                      BearerCase{" Bearer abc \t", "abc"},
                      BearerCase{"Bearer eyJh.eyJz.c2ln", "eyJh.eyJz.c2ln"},
                      BearerCase{"Bearer a-b_c~d+e/f.g==", "a-b_c~d+e/f.g=="}, BearerCase{"Bearer =", nullptr},
                      BearerCase{"Bearer", nullptr}, BearerCase{"Bearer ", nullptr}, BearerCase{"Bearer   ", nullptr},
                      BearerCase{"", nullptr}, BearerCase{"Basic abc", nullptr}, BearerCase{"Basic YTpi", nullptr},
                      BearerCase{"bearer x y", nullptr}, BearerCase{"Bearer x,", nullptr},
                      BearerCase{"Bearer x, Bearer y", nullptr}, BearerCase{"Bearer a=b", nullptr},
                      BearerCase{"Bearer\tabc", nullptr}, BearerCase{"Bearerabc", nullptr},
                      BearerCase{"Bearer: abc", nullptr}, BearerCase{"Bearer \"abc\"", nullptr},
                      BearerCase{"Bearer ab\ncd", nullptr}, BearerCase{"Bearer abc\r\n", nullptr},
                      BearerCase{"Bearer ab%2Fc", nullptr}, BearerCase{"Bearer caf\xc3\xa9", nullptr},
                      BearerCase{"Token abc", nullptr}, BearerCase{"abc", nullptr}));

// ---- sources and order ------------------------------------------------------------------------

TEST(TokenSource, CookieFirstByDefault) {
  auto t = extract_ok("access_token=fromcookie", "Bearer frombearer");
  EXPECT_EQ(t.token, "fromcookie");
  EXPECT_EQ(t.source, TokenSource::cookie);
  EXPECT_EQ(extracted_token_json(t), R"({"token":"fromcookie","source":"cookie"})");
}

TEST(TokenSource, BearerWhenNoCookie) {
  for (std::string_view cookie : {"", "other=1", "access_token=", "access_token=\"\"", "junk;;;"}) {
    auto t = extract_ok(cookie, "Bearer frombearer");
    EXPECT_EQ(t.token, "frombearer") << cookie;
    EXPECT_EQ(t.source, TokenSource::bearer);
  }
  EXPECT_EQ(extracted_token_json(extract_ok("", "Bearer x")), R"({"token":"x","source":"bearer"})");
}

TEST(TokenSource, BearerFirst) {
  TokenSourceOptions o;
  o.order = {TokenSource::bearer, TokenSource::cookie};
  EXPECT_EQ(extract_ok("access_token=c", "Bearer b", o).token, "b");
  EXPECT_EQ(extract_ok("access_token=c", "Basic b", o).token, "c") << "a bad bearer falls through to the cookie";
  EXPECT_EQ(extract_ok("access_token=c", "", o).source, TokenSource::cookie);
}

TEST(TokenSource, SingleSource) {
  TokenSourceOptions cookie_only;
  cookie_only.order = {TokenSource::cookie};
  EXPECT_EQ(extract_status("", "Bearer b", cookie_only), Status::not_found);
  TokenSourceOptions bearer_only;
  bearer_only.order = {TokenSource::bearer};
  EXPECT_EQ(extract_status("access_token=c", "", bearer_only), Status::not_found);
  EXPECT_EQ(extract_ok("access_token=c", "Bearer b", bearer_only).token, "b");
}

TEST(TokenSource, CookieNameAndDecoding) {
  TokenSourceOptions o;
  o.cookie_name = "__Host-at";
  EXPECT_EQ(extract_ok("access_token=no; __Host-at=yes%2Bok", "", o).token, "yes+ok");
  EXPECT_EQ(extract_ok("__Host-at=first; __Host-at=second", "", o).token, "first");
}

TEST(TokenSource, NothingFound) {
  EXPECT_EQ(extract_status("", ""), Status::not_found);
  EXPECT_EQ(extract_status("a=1", "Basic abc"), Status::not_found);
  EXPECT_EQ(extract_status("access_token=", "Bearer"), Status::not_found);
  EXPECT_EQ(extract_status("access_token", "bearer x y"), Status::not_found);
}

TEST(TokenSource, SignedCookie) {
  std::string signed_value;
  ASSERT_TRUE(sign_cookie("tok.en", "k2", signed_value).ok());
  TokenSourceOptions o;
  o.cookie_secrets = {"k1", "k2"};
  // As Express writes it: the signed value, URL-encoded.
  std::string encoded = signed_value;
  encoded.replace(0, 2, "s%3A");
  auto t = extract_ok("access_token=" + encoded, "Bearer b", o);
  EXPECT_EQ(t.token, "tok.en");
  EXPECT_EQ(t.source, TokenSource::cookie);
  EXPECT_EQ(extract_ok("access_token=" + signed_value, "", o).token, "tok.en");
  // Bad signature, wrong secret, unsigned or signed-empty: no token in the cookie; bearer next.
  std::string tampered = signed_value;
  tampered[2] = 'X';
  EXPECT_EQ(extract_ok("access_token=" + tampered, "Bearer b", o).token, "b");
  TokenSourceOptions wrong = o;
  wrong.cookie_secrets = {"k3"};
  EXPECT_EQ(extract_ok("access_token=" + signed_value, "Bearer b", wrong).source, TokenSource::bearer);
  EXPECT_EQ(extract_ok("access_token=tok.en", "Bearer b", o).source, TokenSource::bearer) << "unsigned is refused";
  std::string signed_empty;
  ASSERT_TRUE(sign_cookie("", "k1", signed_empty).ok());
  EXPECT_EQ(extract_status("access_token=" + signed_empty, "", o), Status::not_found);
  EXPECT_EQ(extract_status("access_token=" + tampered, "", o), Status::not_found);
}

TEST(TokenSource, OversizedHeaders) {
  const std::string huge(kMaxAuthorizationBytes + 1, 'a');
  EXPECT_EQ(extract_status("a=" + huge, "Bearer b"), Status::too_large);
  EXPECT_EQ(extract_status("", "Bearer " + huge), Status::too_large);
  // A source that is never reached is not looked at.
  EXPECT_EQ(extract_ok("access_token=c", "Bearer " + huge).token, "c");
}

TEST(TokenSource, StructOptionsAreChecked) {
  TokenSourceOptions o;
  o.order = {};
  EXPECT_EQ(extract_status("", "Bearer b", o), Status::invalid_argument);
  o.order = {TokenSource::bearer, TokenSource::bearer};
  EXPECT_EQ(extract_status("", "Bearer b", o), Status::invalid_argument);
  o = {};
  o.cookie_name = "a b";
  EXPECT_EQ(extract_status("", "Bearer b", o), Status::invalid_argument);
  o = {};
  o.cookie_secrets = {""};
  EXPECT_EQ(extract_status("", "Bearer b", o), Status::invalid_argument);
}

TEST(TokenSourceOptionsJson, Parse) {
  TokenSourceOptions o;
  ASSERT_TRUE(parse_token_source_options("", o).ok());
  EXPECT_EQ(o.cookie_name, "access_token");
  EXPECT_EQ(o.order, (std::vector<TokenSource>{TokenSource::cookie, TokenSource::bearer}));
  EXPECT_TRUE(o.cookie_secrets.empty());
  ASSERT_TRUE(parse_token_source_options(R"({"cookie_name":"jwt","order":["bearer"],"cookie_secrets":["a","b"]})", o).ok());
  EXPECT_EQ(o.cookie_name, "jwt");
  EXPECT_EQ(o.order, (std::vector<TokenSource>{TokenSource::bearer}));
  EXPECT_EQ(o.cookie_secrets, (std::vector<std::string>{"a", "b"}));
  const std::pair<const char*, const char*> bad[] = {
      {R"({"cookieName":"x"})", "cookieName"},           {R"({"cookie_name":""})", "cookie_name"},
      {R"({"cookie_name":"a;b"})", "cookie_name"},       {R"({"cookie_name":1})", "cookie_name"},
      {R"({"order":[]})", "order"},                      {R"({"order":"cookie"})", "order"},
      {R"({"order":["cookie","cookie"]})", "order"},     {R"({"order":["header"]})", "order"},
      {R"({"order":["Cookie"]})", "order"},              {R"({"cookie_secrets":[]})", "cookie_secrets"},
      {R"({"cookie_secrets":[""]})", "cookie_secrets"},  {R"({"cookie_secrets":"k"})", "cookie_secrets"},
      {R"({"cookie_secrets":[1]})", "cookie_secrets"},
  };
  for (const auto& [json, key] : bad) {
    auto err = parse_token_source_options(json, o);
    EXPECT_EQ(err.status, Status::invalid_argument) << json;
    EXPECT_NE(err.message.find(key), std::string::npos) << json << ": " << err.message;
  }
  EXPECT_EQ(parse_token_source_options("[]", o).status, Status::invalid_argument);
  EXPECT_EQ(parse_token_source_options("nope", o).status, Status::invalid_argument);
}

// ---- claims → principal -------------------------------------------------------------------------

TEST(PrincipalFromClaims, Defaults) {
  std::string out;
  ASSERT_TRUE(principal_from_claims(R"({"sub":"u1","email":"a@b.c","preferred_username":"ann"})", "", out).ok());
  EXPECT_EQ(out, R"({"sub":"u1","email":"a@b.c","name":"ann","organizationId":"u1","role":"user"})");
  ASSERT_TRUE(principal_from_claims(R"({})", "", out).ok());
  EXPECT_EQ(out, R"({"sub":null,"email":null,"name":null,"organizationId":null,"role":"user"})");
}

TEST(PrincipalFromClaims, Mapping) {
  const char* config =
      R"({"organization_id_claim":"org","groups_claim":"memberOf","default_role":"viewer",)"
      R"("roles":[{"group":"admins","role":"admin"},{"group":"staff","role":"editor"}]})";
  std::string out;
  ASSERT_TRUE(
      principal_from_claims(R"({"sub":"u","name":"N","org":"o-1","memberOf":["staff","admins"]})", config, out).ok());
  EXPECT_EQ(out, R"({"sub":"u","email":null,"name":"N","organizationId":"o-1","role":"admin"})");
  ASSERT_TRUE(principal_from_claims(R"({"sub":"u","org":42,"memberOf":["staff"]})", config, out).ok());
  EXPECT_EQ(out, R"({"sub":"u","email":null,"name":null,"organizationId":42,"role":"editor"})");
  ASSERT_TRUE(principal_from_claims(R"({"sub":"u","memberOf":"admins"})", config, out).ok());
  EXPECT_EQ(out, R"({"sub":"u","email":null,"name":null,"organizationId":"u","role":"viewer"})");
}

TEST(PrincipalFromClaims, BadInput) {
  std::string out;
  EXPECT_EQ(principal_from_claims("", "", out).status, Status::malformed);
  EXPECT_EQ(principal_from_claims("[1]", "", out).status, Status::malformed);
  EXPECT_EQ(principal_from_claims(R"({"sub":"a","sub":"b"})", "", out).status, Status::malformed);
  EXPECT_EQ(principal_from_claims("{", "", out).status, Status::malformed);
  const std::pair<const char*, const char*> bad[] = {
      {"[]", "principal mapping"},
      {R"({"role":"x"})", "\"role\" is not a known option"},
      {R"({"groups_claim":""})", "\"groups_claim\" must not be empty"},
      {R"({"default_role":1})", "\"default_role\" must be a string"},
      {R"({"roles":{}})", "\"roles\" must be an array"},
      {R"({"roles":[{"group":"g"}]})", "\"roles\" entries"},
      {R"({"roles":[{"group":"g","role":"r","x":1}]})", "\"roles\" entries"},
      {"{", "principal mapping"},
  };
  for (const auto& [config, part] : bad) {
    auto err = principal_from_claims(R"({"sub":"u"})", config, out);
    EXPECT_EQ(err.status, Status::invalid_argument) << config;
    EXPECT_NE(err.message.find(part), std::string::npos) << config << ": " << err.message;
  }
}

}  // namespace
