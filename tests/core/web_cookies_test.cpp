// Cookies: parsing hostile Cookie headers (junk, duplicates, quotes, percent-encoding, size),
// Set-Cookie building with every attribute and every prefix rule, clearing with the same
// attributes, and Express-compatible signed cookies (round trip, tampering, rotation).
#include <gtest/gtest.h>

#include <simdjson.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "encoding/base64url.hpp"
#include "web/cookies.hpp"
#include "web/signed_cookies.hpp"
#include "web/uri_encoding.hpp"

namespace {

using oidcore::Error;
using oidcore::Status;
using namespace oidcore::web;
using namespace std::string_literals;

std::vector<std::pair<std::string, std::string>> parse(std::string_view header) {
  std::vector<Cookie> cookies;
  auto err = parse_cookie_header(header, cookies);
  EXPECT_TRUE(err.ok()) << err.message;
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& c : cookies) out.emplace_back(c.name, c.value);
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// ---- parse ------------------------------------------------------------------------------

struct ParseCase {
  std::string header;
  Pairs want;
};

class CookieParse : public ::testing::TestWithParam<ParseCase> {};

TEST_P(CookieParse, Header) { EXPECT_EQ(parse(GetParam().header), GetParam().want) << GetParam().header; }

INSTANTIATE_TEST_SUITE_P(
    Table, CookieParse,
    ::testing::Values(
        ParseCase{"", {}}, ParseCase{";;;", {}}, ParseCase{"=x", {}}, ParseCase{"a", {}}, ParseCase{"a;b;c", {}},
        ParseCase{"a=1", {{"a", "1"}}}, ParseCase{"a=1; b=2", {{"a", "1"}, {"b", "2"}}},
        ParseCase{"a=1;b=2", {{"a", "1"}, {"b", "2"}}}, ParseCase{"a=1; a=2", {{"a", "1"}}},
        ParseCase{"b=2; a=1; b=3", {{"b", "2"}, {"a", "1"}}}, ParseCase{"  a  =  1  ; \tb\t=\t2\t", {{"a", "1"}, {"b", "2"}}},
        ParseCase{"a=", {{"a", ""}}}, ParseCase{"a=; b=2", {{"a", ""}, {"b", "2"}}},
        ParseCase{"a=b=c", {{"a", "b=c"}}}, ParseCase{"junk; a=1; =2; ;b=3", {{"a", "1"}, {"b", "3"}}},
        ParseCase{"a b=1; c=2", {{"c", "2"}}}, ParseCase{"a\"=1; c=2", {{"c", "2"}}},
        ParseCase{"a=\"quoted\"", {{"a", "quoted"}}}, ParseCase{"a=\"\"", {{"a", ""}}}, ParseCase{"a=\"", {{"a", ""}}},
        ParseCase{"a=\"half", {{"a", "\"half"}}}, ParseCase{"a=half\"", {{"a", "half\""}}},
        ParseCase{"a=\" spaced \"", {{"a", " spaced "}}}, ParseCase{"a=%20x%3B", {{"a", " x;"}}},
        ParseCase{"a=%E2%82%AC", {{"a", "\xe2\x82\xac"}}}, ParseCase{"a=\"%41\"", {{"a", "A"}}},
        ParseCase{"a=%zz", {{"a", "%zz"}}}, ParseCase{"a=100%", {{"a", "100%"}}}, ParseCase{"a=%E2%82", {{"a", "%E2%82"}}},
        ParseCase{"a=%FF", {{"a", "%FF"}}}, ParseCase{"a=%ED%A0%80", {{"a", "%ED%A0%80"}}},
        ParseCase{"a=%C0%AF", {{"a", "%C0%AF"}}}, ParseCase{"a=%00", {{"a", "\0"s}}},
        ParseCase{"a=s%3Av.sig", {{"a", "s:v.sig"}}}, ParseCase{"a=+", {{"a", "+"}}},
        ParseCase{"a=caf\xc3\xa9", {{"a", "caf\xc3\xa9"}}}, ParseCase{"a=\xff; b=2", {{"b", "2"}}},
        ParseCase{"a=\xff; a=2", {}}, ParseCase{"__Host-x=1; __proto__=2", {{"__Host-x", "1"}, {"__proto__", "2"}}},
        ParseCase{"Cookie: a=1; b=2", {{"b", "2"}}}, ParseCase{"a=1,b=2", {{"a", "1,b=2"}}},
        ParseCase{"\x01=1; a=\x01", {{"a", "\x01"}}}));

TEST(CookieParse, JsonOutput) {
  std::vector<Cookie> cookies;
  ASSERT_TRUE(parse_cookie_header("b=\"x\\\"; a=%22%0A%00", cookies).ok());
  EXPECT_EQ(cookies_json(cookies), "{\"b\":\"x\\\\\",\"a\":\"\\\"\\n\\u0000\"}");
  ASSERT_TRUE(parse_cookie_header("", cookies).ok());
  EXPECT_EQ(cookies_json(cookies), "{}");
}

TEST(CookieParse, HugeHeaderIsTooLarge) {
  std::vector<Cookie> cookies;
  std::string header(kMaxCookieHeaderBytes + 1, 'a');
  EXPECT_EQ(parse_cookie_header(header, cookies).status, Status::too_large);
  EXPECT_TRUE(cookies.empty());
}

TEST(CookieParse, ManyPairsAtTheLimitStayFast) {
  // ~16k distinct cookies in 64 KiB: hashing keeps "first occurrence wins" linear.
  std::string header;
  for (int i = 0; header.size() + 16 < kMaxCookieHeaderBytes; ++i) header += "c" + std::to_string(i) + "=;";
  std::vector<Cookie> cookies;
  ASSERT_TRUE(parse_cookie_header(header, cookies).ok());
  EXPECT_GT(cookies.size(), 8000u);
  // The same name many times: only the first.
  std::string same;
  while (same.size() + 8 < kMaxCookieHeaderBytes) same += "a=1;a=2;";
  ASSERT_TRUE(parse_cookie_header(same, cookies).ok());
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_EQ(cookies[0].value, "1");
}

// Random headers over the delimiters and bytes that matter: never a failure, always one valid
// JSON object, names always tokens, values always valid UTF-8.
TEST(CookieParse, RandomHeadersGiveValidJson) {
  static const std::string_view kPieces[] = {"a", "b", "=", "=", ";", ";", " ", "\t", "\"", "%", "%41", "%E2%82%AC",
                                             "%E2%82", "%zz", "%00", "\xc3\xa9", "\xff", "\x01", "\\", ",", "__Host-"};
  std::mt19937 rng(7);
  simdjson::dom::parser parser;
  for (int i = 0; i < 20000; ++i) {
    std::string header;
    for (int n = static_cast<int>(rng() % 16); n >= 0; --n) header += kPieces[rng() % std::size(kPieces)];
    std::vector<Cookie> cookies;
    ASSERT_TRUE(parse_cookie_header(header, cookies).ok());
    for (const auto& c : cookies) {
      ASSERT_TRUE(is_cookie_name(c.name)) << header;
      ASSERT_TRUE(is_valid_utf8(c.value)) << header;
    }
    const std::string json = cookies_json(cookies);
    simdjson::dom::object obj;
    ASSERT_FALSE(parser.parse(json).get_object().get(obj)) << json;
    ASSERT_EQ(obj.size(), cookies.size());
  }
}

TEST(CookieParse, FindCookie) {
  std::optional<std::string> v;
  ASSERT_TRUE(find_cookie("x=1; token=abc; token=def", "token", v).ok());
  EXPECT_EQ(v, "abc");
  ASSERT_TRUE(find_cookie("x=1", "token", v).ok());
  EXPECT_FALSE(v);
  EXPECT_EQ(find_cookie(std::string(kMaxCookieHeaderBytes + 1, ' '), "token", v).status, Status::too_large);
}

// ---- encodeURIComponent / decodeURIComponent ---------------------------------------------

TEST(UriEncoding, EncodeLikeJavaScript) {
  std::string out;
  ASSERT_TRUE(encode_uri_component("AZaz09-_.!~*'()", out));
  EXPECT_EQ(out, "AZaz09-_.!~*'()");
  ASSERT_TRUE(encode_uri_component(" ;,/?:@&=+$#%\"<>\\^`{|}[]", out));
  EXPECT_EQ(out, "%20%3B%2C%2F%3F%3A%40%26%3D%2B%24%23%25%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5D");
  ASSERT_TRUE(encode_uri_component("\xe2\x82\xac\xf0\x9f\x8d\xaa", out));
  EXPECT_EQ(out, "%E2%82%AC%F0%9F%8D%AA");
  ASSERT_TRUE(encode_uri_component("\0"s, out));
  EXPECT_EQ(out, "%00");
  EXPECT_FALSE(encode_uri_component("\xff", out));
  EXPECT_FALSE(encode_uri_component("\xed\xa0\x80", out));  // a surrogate
}

TEST(UriEncoding, DecodeLikeJavaScript) {
  std::string out;
  ASSERT_TRUE(decode_uri_component("%41%2f%2F%25", out));
  EXPECT_EQ(out, "A//%");
  EXPECT_FALSE(decode_uri_component("%", out));
  EXPECT_FALSE(decode_uri_component("%4", out));
  EXPECT_FALSE(decode_uri_component("%4g", out));
  EXPECT_FALSE(decode_uri_component("%80", out));
  EXPECT_FALSE(decode_uri_component("%F4%90%80%80", out));  // above U+10FFFF
  EXPECT_EQ(percent_decode_lenient("%41%zz%4"), "A%zz%4");
}

// ---- serialize / clear ----------------------------------------------------------------------

std::string serialized(std::string_view name, std::string_view value, const CookieOptions& o) {
  std::string out;
  auto err = serialize_cookie(name, value, o, out);
  EXPECT_TRUE(err.ok()) << err.message;
  return out;
}

Error serialize_error(std::string_view name, const CookieOptions& o, std::string_view value = "v") {
  std::string out = "stale";
  auto err = serialize_cookie(name, value, o, out);
  EXPECT_TRUE(out.empty());
  return err;
}

TEST(CookieSerialize, SafeDefaults) {
  EXPECT_EQ(serialized("sid", "abc", {}), "sid=abc; Path=/; HttpOnly; Secure; SameSite=Lax");
}

TEST(CookieSerialize, EveryAttribute) {
  CookieOptions o;
  o.path = "/app";
  o.domain = "example.com";
  o.max_age = 3600;
  o.expires = 1445412480;
  o.same_site = SameSite::strict;
  EXPECT_EQ(serialized("sid", "abc", o),
            "sid=abc; Path=/app; Max-Age=3600; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Domain=example.com; HttpOnly; "
            "Secure; SameSite=Strict");
  o.http_only = false;
  o.same_site = SameSite::none;
  o.max_age = 0;
  o.domain = ".Sub-1.example.com";
  EXPECT_EQ(serialized("sid", "abc", o),
            "sid=abc; Path=/app; Max-Age=0; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Domain=.Sub-1.example.com; Secure; "
            "SameSite=None");
  CookieOptions plain;
  plain.secure = false;
  plain.http_only = false;
  EXPECT_EQ(serialized("a", "b", plain), "a=b; Path=/; SameSite=Lax");
}

TEST(CookieSerialize, ValueIsEncodedLikeEncodeURIComponent) {
  EXPECT_EQ(serialized("a", "s:x.y+z/=;,\" %\xe2\x82\xac", {}),
            "a=s%3Ax.y%2Bz%2F%3D%3B%2C%22%20%25%E2%82%AC; Path=/; HttpOnly; Secure; SameSite=Lax");
  EXPECT_EQ(serialize_error("a", {}, "\xff").status, Status::invalid_argument);
}

TEST(CookieSerialize, NeverFromAMissingValue) {
  // The old way stringified a missing refresh token into "undefined" and set that. An empty
  // value is refused (clear_cookie deletes a cookie); "undefined" and "null" are values like
  // any other here: the bindings refuse their own missing values before they get this far.
  const auto err = serialize_error("refresh_token", {}, "");
  EXPECT_EQ(err.status, Status::invalid_argument);
  EXPECT_NE(err.message.find("empty"), std::string::npos) << err.message;
  EXPECT_EQ(serialized("a", "undefined", {}), "a=undefined; Path=/; HttpOnly; Secure; SameSite=Lax");
  EXPECT_EQ(serialized("a", "null", {}), "a=null; Path=/; HttpOnly; Secure; SameSite=Lax");
}

// ---- Max-Age from a token -----------------------------------------------------------------

// An unsigned JWT with the given claims: max_age_from_token never looks at the signature.
std::string jwt_with(std::string_view claims_json) {
  return oidcore::encoding::base64url_encode(std::string_view(R"({"alg":"RS256","typ":"JWT"})")) + "." +
         oidcore::encoding::base64url_encode(claims_json) + ".c2ln";
}

int64_t max_age_of(std::string_view token, int64_t now) {
  int64_t out = -1;
  auto err = max_age_from_token(token, now, out);
  EXPECT_TRUE(err.ok()) << token << ": " << err.message;
  return out;
}

Status max_age_status(std::string_view token) {
  int64_t out = 77;
  auto err = max_age_from_token(token, 1700000000, out);
  EXPECT_EQ(out, 0) << token;
  return err.status;
}

TEST(CookieMaxAge, RemainingLifetimeOfTheToken) {
  const int64_t now = 1700000000;
  EXPECT_EQ(max_age_of(jwt_with(R"({"sub":"a","exp":1700003600})"), now), 3600);
  EXPECT_EQ(max_age_of(jwt_with(R"({"exp":1700000001})"), now), 1);
  EXPECT_EQ(max_age_of(jwt_with(R"({"exp":1700000060.9})"), now), 60);   // rounded down
  EXPECT_EQ(max_age_of(jwt_with(R"({"exp":1700000000})"), now), 0);      // expires now
  EXPECT_EQ(max_age_of(jwt_with(R"({"exp":1699990000})"), now), 0);      // expired: never negative
  EXPECT_EQ(max_age_of(jwt_with(R"({"exp":-5})"), now), 0);
  EXPECT_EQ(max_age_of(jwt_with(R"({"exp":0})"), now), 0);
  EXPECT_EQ(max_age_of(jwt_with(R"({"exp":1e300})"), now), kMaxCookieMaxAge);
  EXPECT_EQ(max_age_of(jwt_with(R"({"exp":18446744073709551615})"), now), kMaxCookieMaxAge);
}

TEST(CookieMaxAge, TokensWithoutAReadableExp) {
  EXPECT_EQ(max_age_status(jwt_with(R"({"sub":"a"})")), Status::missing_claim);
  EXPECT_EQ(max_age_status(jwt_with(R"({"exp":"1700003600"})")), Status::missing_claim);
  EXPECT_EQ(max_age_status(jwt_with(R"({"exp":null})")), Status::missing_claim);
  EXPECT_EQ(max_age_status(jwt_with(R"([1700003600])")), Status::malformed);
  EXPECT_EQ(max_age_status(jwt_with(R"({"exp":1700003600,"exp":1})")), Status::malformed);
  EXPECT_EQ(max_age_status("an-opaque-refresh-token"), Status::malformed);
  EXPECT_EQ(max_age_status(""), Status::malformed);
  EXPECT_EQ(max_age_status("a.b"), Status::malformed);
  EXPECT_EQ(max_age_status("a.b.c.d"), Status::malformed);
  EXPECT_EQ(max_age_status(".eyJleHAiOjF9.x"), Status::malformed);
  EXPECT_EQ(max_age_status("eyJhbGciOiJub25lIn0.eyJleHAiOjF9="), Status::malformed);
  const std::string claims = oidcore::encoding::base64url_encode(std::string_view(R"({"exp":1700003600})"));
  EXPECT_EQ(max_age_status("x." + claims + "=.s"), Status::malformed);   // padding is not base64url
  EXPECT_EQ(max_age_status("x.." + claims), Status::malformed);
  EXPECT_EQ(max_age_status(std::string(kMaxCookieTokenBytes + 1, 'a')), Status::too_large);
  // A signature that does not verify does not matter: only the size of a cookie is at stake.
  EXPECT_EQ(max_age_of("x." + claims + ".", 1700000000), 3600);
}

TEST(CookieMaxAge, SerializeTakesMaxAgeFromTheToken) {
  const int64_t now = 1700000000;
  const std::string token = jwt_with(R"({"exp":1700003600})");
  CookieOptions o;
  o.max_age_from_token = token;
  std::string out;
  ASSERT_TRUE(serialize_cookie("access_token", token, o, out, now).ok());
  EXPECT_EQ(out, "access_token=" + token + "; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax");
  // The token's exp wins over max_age, which is only the fallback for a token without one.
  o.max_age = 7 * 86400;
  ASSERT_TRUE(serialize_cookie("access_token", token, o, out, now).ok());
  EXPECT_NE(out.find("; Max-Age=3600;"), std::string::npos) << out;
  // An expired token: Max-Age=0, the browser drops it rather than keep a dead token.
  ASSERT_TRUE(serialize_cookie("access_token", token, o, out, 1800000000).ok());
  EXPECT_NE(out.find("; Max-Age=0;"), std::string::npos) << out;
  // An opaque token: the fallback, or a refusal without one.
  o.max_age_from_token = "opaque";
  o.max_age = 120;
  ASSERT_TRUE(serialize_cookie("refresh_token", "opaque", o, out, now).ok());
  EXPECT_NE(out.find("; Max-Age=120;"), std::string::npos) << out;
  o.max_age.reset();
  out = "stale";
  auto err = serialize_cookie("refresh_token", "opaque", o, out, now);
  EXPECT_EQ(err.status, Status::invalid_argument);
  EXPECT_TRUE(out.empty());
  EXPECT_NE(err.message.find("max_age_from_token"), std::string::npos) << err.message;
  o.max_age_from_token = jwt_with(R"({"sub":"no exp"})");
  err = serialize_cookie("a", "v", o, out, now);
  EXPECT_EQ(err.status, Status::invalid_argument);
  EXPECT_NE(err.message.find("\"exp\""), std::string::npos) << err.message;
  // With the system clock: within a second or two of the lifetime left.
  o.max_age_from_token = jwt_with("{\"exp\":" + std::to_string(cookie_clock_now() + 3600) + "}");
  ASSERT_TRUE(serialize_cookie("a", "v", o, out).ok());
  EXPECT_TRUE(out.find("; Max-Age=3600;") != std::string::npos || out.find("; Max-Age=3599;") != std::string::npos)
      << out;
}

TEST(CookieSerialize, Dates) {
  EXPECT_EQ(imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(imf_fixdate(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(imf_fixdate(4107542399), "Sun, 28 Feb 2100 23:59:59 GMT");
  EXPECT_EQ(imf_fixdate(kMaxCookieExpires), "Fri, 31 Dec 9999 23:59:59 GMT");
  CookieOptions o;
  o.expires = kMaxCookieExpires + 1;
  EXPECT_EQ(serialize_error("a", o).status, Status::invalid_argument);
  o.expires = -1;
  EXPECT_EQ(serialize_error("a", o).status, Status::invalid_argument);
}

struct RuleCase {
  const char* name;
  CookieOptions options;
  const char* message_part;  // nullptr: accepted
};

CookieOptions with(void (*f)(CookieOptions&)) {
  CookieOptions o;
  f(o);
  return o;
}

class CookieRules : public ::testing::TestWithParam<RuleCase> {};

TEST_P(CookieRules, Rule) {
  const auto& c = GetParam();
  std::string out;
  auto err = serialize_cookie(c.name, "v", c.options, out);
  std::string cleared;
  auto clear_err = clear_cookie(c.name, c.options, cleared);
  if (!c.message_part) {
    EXPECT_TRUE(err.ok()) << c.name << ": " << err.message;
    EXPECT_TRUE(clear_err.ok()) << c.name << ": " << clear_err.message;
    return;
  }
  EXPECT_EQ(err.status, Status::invalid_argument) << c.name;
  EXPECT_NE(err.message.find(c.message_part), std::string::npos) << err.message;
  EXPECT_EQ(clear_err.status, Status::invalid_argument) << "clear validates like serialize";
  EXPECT_EQ(clear_err.message, err.message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CookieRules,
    ::testing::Values(
        RuleCase{"__Secure-sid", {}, nullptr}, RuleCase{"__Host-sid", {}, nullptr},
        RuleCase{"__Secure-sid", with([](CookieOptions& o) { o.secure = false; }), "__Secure-"},
        RuleCase{"__secure-sid", with([](CookieOptions& o) { o.secure = false; }), "__Secure-"},
        RuleCase{"__Host-sid", with([](CookieOptions& o) { o.secure = false; }), "__Host-"},
        RuleCase{"__HOST-sid", with([](CookieOptions& o) { o.secure = false; }), "__Host-"},
        RuleCase{"__Host-sid", with([](CookieOptions& o) { o.path = "/app"; }), "path \"/\""},
        RuleCase{"__Host-sid", with([](CookieOptions& o) { o.domain = "example.com"; }), "domain"},
        RuleCase{"__Secure-sid", with([](CookieOptions& o) { o.domain = "example.com"; }), nullptr},
        RuleCase{"sid", with([](CookieOptions& o) { o.same_site = SameSite::none; o.secure = false; }), "SameSite=None"},
        RuleCase{"sid", with([](CookieOptions& o) { o.same_site = SameSite::none; }), nullptr},
        RuleCase{"sid", with([](CookieOptions& o) { o.same_site = static_cast<SameSite>(7); }), "same_site"},
        RuleCase{"sid", with([](CookieOptions& o) { o.secure = false; }), nullptr},
        RuleCase{"", {}, "token"}, RuleCase{"a b", {}, "token"}, RuleCase{"a=b", {}, "token"},
        RuleCase{"a;b", {}, "token"}, RuleCase{"a\"", {}, "token"}, RuleCase{"caf\xc3\xa9", {}, "token"},
        RuleCase{"a\x01", {}, "token"}, RuleCase{"!#$%&'*+-.^_`|~", {}, nullptr},
        RuleCase{"sid", with([](CookieOptions& o) { o.path = ""; }), "path"},
        RuleCase{"sid", with([](CookieOptions& o) { o.path = "app"; }), "path"},
        RuleCase{"sid", with([](CookieOptions& o) { o.path = "/a;b"; }), "path"},
        RuleCase{"sid", with([](CookieOptions& o) { o.path = "/a\nb"; }), "path"},
        RuleCase{"sid", with([](CookieOptions& o) { o.path = "/a\x7f"; }), "path"},
        RuleCase{"sid", with([](CookieOptions& o) { o.path = "/caf\xc3\xa9"; }), "path"},
        RuleCase{"sid", with([](CookieOptions& o) { o.path = "/a b,c=d"; }), nullptr},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = ""; }), "domain"},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = "a;b"; }), "domain"},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = "a\r\nb"; }), "domain"},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = "ex ample.com"; }), "domain"},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = "b\xc3\xbc\x63her.de"; }), "domain"},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = "-a.com"; }), "domain"},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = "a..com"; }), "domain"},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = "a.com."; }), "domain"},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = "."; }), "domain"},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = std::string(64, 'a') + ".com"; }), "domain"},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = std::string(63, 'a') + ".com"; }), nullptr},
        RuleCase{"sid", with([](CookieOptions& o) { o.domain = "127.0.0.1"; }), nullptr},
        RuleCase{"sid", with([](CookieOptions& o) { o.max_age = -1; }), "max_age"},
        RuleCase{"sid", with([](CookieOptions& o) { o.max_age = kMaxCookieMaxAge + 1; }), "max_age"}));

TEST(CookieClear, MirrorsSerialize) {
  CookieOptions o;
  o.path = "/app";
  o.domain = "example.com";
  o.same_site = SameSite::strict;
  o.max_age = 3600;     // ignored
  o.expires = 2000000000;  // ignored
  std::string out;
  ASSERT_TRUE(clear_cookie("sid", o, out).ok());
  EXPECT_EQ(out,
            "sid=; Path=/app; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; HttpOnly; Secure; "
            "SameSite=Strict");
  ASSERT_TRUE(clear_cookie("__Host-sid", {}, out).ok());
  EXPECT_EQ(out, "__Host-sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax");
  CookieOptions plain;
  plain.secure = false;
  plain.http_only = false;
  ASSERT_TRUE(clear_cookie("a", plain, out).ok());
  EXPECT_EQ(out, "a=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax");
}

// ---- options JSON ---------------------------------------------------------------------------

TEST(CookieOptionsJson, Defaults) {
  CookieOptions o;
  o.secure = false;
  ASSERT_TRUE(parse_cookie_options("", o).ok());
  EXPECT_TRUE(o.secure);
  EXPECT_TRUE(o.http_only);
  EXPECT_EQ(o.same_site, SameSite::lax);
  EXPECT_EQ(o.path, "/");
  EXPECT_FALSE(o.domain || o.max_age || o.expires || o.max_age_from_token);
  ASSERT_TRUE(parse_cookie_options("{}", o).ok());
}

TEST(CookieOptionsJson, EveryKey) {
  CookieOptions o;
  ASSERT_TRUE(parse_cookie_options(R"({"http_only":false,"secure":false,"same_site":"STRICT","path":"/x",)"
                                   R"("domain":"example.com","max_age":60,"expires":1445412480.0,)"
                                   R"("max_age_from_token":"a.b.c"})",
                                   o)
                  .ok());
  EXPECT_EQ(o.max_age_from_token, "a.b.c");
  EXPECT_FALSE(o.http_only);
  EXPECT_FALSE(o.secure);
  EXPECT_EQ(o.same_site, SameSite::strict);
  EXPECT_EQ(o.path, "/x");
  EXPECT_EQ(o.domain, "example.com");
  EXPECT_EQ(o.max_age, 60);
  EXPECT_EQ(o.expires, 1445412480);
  ASSERT_TRUE(parse_cookie_options(R"({"same_site":"None"})", o).ok());
  EXPECT_EQ(o.same_site, SameSite::none);
  ASSERT_TRUE(parse_cookie_options(R"({"same_site":"lAx"})", o).ok());
  EXPECT_EQ(o.same_site, SameSite::lax);
}

TEST(CookieOptionsJson, BadOptionsNameTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"httpOnly":true})", "httpOnly"},     {R"({"secure":"yes"})", "secure"},
      {R"({"http_only":1})", "http_only"},      {R"({"same_site":"relaxed"})", "same_site"},
      {R"({"same_site":true})", "same_site"},   {R"({"path":5})", "path"},
      {R"({"path":""})", "path"},               {R"({"domain":null})", "domain"},
      {R"({"max_age":-1})", "max_age"},         {R"({"max_age":1.5})", "max_age"},
      {R"({"max_age":"60"})", "max_age"},       {R"({"expires":-5})", "expires"},
      {R"({"expires":1e300})", "expires"},      {R"({"expires":253402300800})", "expires"},
      {R"({"max_age_from_token":""})", "max_age_from_token"},
      {R"({"max_age_from_token":null})", "max_age_from_token"},
      {R"({"max_age_from_token":1700003600})", "max_age_from_token"},
      {R"({"maxAgeFromToken":"a.b.c"})", "maxAgeFromToken"},
  };
  for (const auto& [json, key] : cases) {
    CookieOptions o;
    auto err = parse_cookie_options(json, o);
    EXPECT_EQ(err.status, Status::invalid_argument) << json;
    EXPECT_NE(err.message.find(key), std::string::npos) << json << ": " << err.message;
  }
  CookieOptions o;
  EXPECT_EQ(parse_cookie_options("[]", o).status, Status::invalid_argument);
  EXPECT_EQ(parse_cookie_options("{", o).status, Status::invalid_argument);
  EXPECT_EQ(parse_cookie_options(R"({"secure":true,"secure":false})", o).status, Status::invalid_argument);
}

// ---- signed cookies ---------------------------------------------------------------------------

// cookie-signature's own test vector: sign('hello', 'tobiiscool').
constexpr std::string_view kHelloSigned = "s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI";

TEST(SignedCookies, KnownVector) {
  std::string out;
  ASSERT_TRUE(sign_cookie("hello", "tobiiscool", out).ok());
  EXPECT_EQ(out, kHelloSigned);
  std::string value;
  ASSERT_TRUE(unsign_cookie(kHelloSigned, {"tobiiscool"}, value).ok());
  EXPECT_EQ(value, "hello");
}

TEST(SignedCookies, RoundTrip) {
  for (std::string_view v : {"", "a", "a.b.c", "s:nested.x", "=+/;%\" \xe2\x82\xac", "\0x"}) {
    std::string s, back;
    ASSERT_TRUE(sign_cookie(v, "secret", s).ok());
    EXPECT_EQ(s.substr(0, 2), "s:");
    EXPECT_EQ(s.size(), 2 + v.size() + 1 + 43) << "43 base64 characters, no padding";
    EXPECT_EQ(std::count(s.begin(), s.end(), '='), std::count(v.begin(), v.end(), '=')) << "no '=' padding added";
    auto err = unsign_cookie(s, {"secret"}, back);
    ASSERT_TRUE(err.ok()) << err.message;
    EXPECT_EQ(back, v);
  }
}

TEST(SignedCookies, Tampering) {
  std::string s, out = "stale";
  ASSERT_TRUE(sign_cookie("user=1", "secret", s).ok());
  std::string tampered_value = s;
  tampered_value[2] = 'U';
  EXPECT_EQ(unsign_cookie(tampered_value, {"secret"}, out).status, Status::bad_signature);
  EXPECT_TRUE(out.empty());
  std::string tampered_sig = s;
  tampered_sig.back() = tampered_sig.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(unsign_cookie(tampered_sig, {"secret"}, out).status, Status::bad_signature);
  EXPECT_EQ(unsign_cookie(s + "=", {"secret"}, out).status, Status::bad_signature) << "padding is not accepted";
  EXPECT_EQ(unsign_cookie(s.substr(0, s.size() - 1), {"secret"}, out).status, Status::bad_signature);
  EXPECT_EQ(unsign_cookie(s + "A", {"secret"}, out).status, Status::bad_signature);
  EXPECT_EQ(unsign_cookie(s, {"wrong"}, out).status, Status::bad_signature);
  EXPECT_EQ(unsign_cookie(s, {"Secret"}, out).status, Status::bad_signature);
  // Moving the last '.': the MAC no longer covers the same value.
  EXPECT_EQ(unsign_cookie("s:user=1" + s.substr(8, 10) + "." + s.substr(18), {"secret"}, out).status,
            Status::bad_signature);
  EXPECT_TRUE(out.empty());
}

TEST(SignedCookies, RotationTriesEverySecret) {
  std::string old_signed, new_signed, out;
  ASSERT_TRUE(sign_cookie("v", "old", old_signed).ok());
  ASSERT_TRUE(sign_cookie("v", "new", new_signed).ok());
  const std::vector<std::string> secrets = {"new", "old"};
  ASSERT_TRUE(unsign_cookie(new_signed, secrets, out).ok());
  EXPECT_EQ(out, "v");
  ASSERT_TRUE(unsign_cookie(old_signed, secrets, out).ok()) << "the second secret still verifies";
  EXPECT_EQ(out, "v");
  EXPECT_EQ(unsign_cookie(old_signed, {"new"}, out).status, Status::bad_signature) << "once retired, refused";
}

TEST(SignedCookies, ValueWithDotsUsesTheLastDot) {
  std::string s, out;
  ASSERT_TRUE(sign_cookie("a.b.c", "k", s).ok());
  ASSERT_TRUE(unsign_cookie(s, {"k"}, out).ok());
  EXPECT_EQ(out, "a.b.c");
}

TEST(SignedCookies, Malformed) {
  std::string out;
  EXPECT_EQ(unsign_cookie("hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI", {"tobiiscool"}, out).status,
            Status::malformed) << "no s: prefix";
  EXPECT_EQ(unsign_cookie("S:hello.x", {"k"}, out).status, Status::malformed);
  EXPECT_EQ(unsign_cookie("", {"k"}, out).status, Status::malformed);
  EXPECT_EQ(unsign_cookie("s:", {"k"}, out).status, Status::malformed);
  EXPECT_EQ(unsign_cookie("s:nodot", {"k"}, out).status, Status::malformed);
  EXPECT_EQ(unsign_cookie("s:.", {"k"}, out).status, Status::bad_signature);
}

TEST(SignedCookies, Secrets) {
  std::string out;
  EXPECT_EQ(sign_cookie("v", "", out).status, Status::invalid_argument);
  EXPECT_EQ(sign_cookie("v", std::string(kMaxCookieSecretBytes + 1, 'k'), out).status, Status::invalid_argument);
  EXPECT_EQ(unsign_cookie(kHelloSigned, {}, out).status, Status::invalid_argument);
  EXPECT_EQ(unsign_cookie(kHelloSigned, {"tobiiscool", ""}, out).status, Status::invalid_argument);
  std::vector<std::string> secrets;
  ASSERT_TRUE(parse_cookie_secrets(R"(["a","b"])", secrets).ok());
  EXPECT_EQ(secrets, (std::vector<std::string>{"a", "b"}));
  for (const char* bad : {"[]", "[\"\"]", "\"a\"", "[1]", "[\"a\",null]", "{}", "", "[\"a\""}) {
    EXPECT_EQ(parse_cookie_secrets(bad, secrets).status, Status::invalid_argument) << bad;
  }
}

}  // namespace
