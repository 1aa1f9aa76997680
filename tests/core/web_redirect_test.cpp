// Safe post-login redirects: only same-site relative paths pass; every way of smuggling in
// another host (protocol-relative, backslashes, schemes, encoded and double-encoded forms,
// control characters, invalid UTF-8, oversized input) is refused; fallback behaviour.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "web/redirect.hpp"
#include "web/uri_encoding.hpp"

namespace {

using oidcore::Status;
using oidcore::web::choose_redirect;
using oidcore::web::kMaxRedirectBytes;
using oidcore::web::safe_redirect;

using namespace std::string_literals;

struct Case {
  std::string target;
  const char* why;
};

class SafeRedirectAccepts : public ::testing::TestWithParam<Case> {};
class SafeRedirectRefuses : public ::testing::TestWithParam<Case> {};

TEST_P(SafeRedirectAccepts, Target) {
  const auto& c = GetParam();
  auto err = safe_redirect(c.target);
  EXPECT_TRUE(err.ok()) << c.why << ": " << err.message;
  std::string out;
  ASSERT_TRUE(choose_redirect(c.target, std::nullopt, out).ok());
  EXPECT_EQ(out, c.target) << "a safe target is handed out unchanged";
}

TEST_P(SafeRedirectRefuses, Target) {
  const auto& c = GetParam();
  auto err = safe_redirect(c.target);
  EXPECT_EQ(err.status, Status::unsafe_redirect) << c.why;
  EXPECT_FALSE(err.message.empty());
  // The message never echoes the target (it may be hostile).
  if (c.target.size() > 3) {
    EXPECT_EQ(err.message.find(c.target), std::string::npos) << c.why;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Safe, SafeRedirectAccepts,
    ::testing::Values(Case{"/", "the root"}, Case{"/dashboard", "a plain path"}, Case{"/a?b=c#d", "query and fragment"},
                      Case{"/a/b/c.html", "nested"}, Case{"/search?q=100%25", "an encoded percent"},
                      Case{"/my%20docs", "an encoded space"}, Case{"/a%2F%2Fb", "encoded slashes after the first segment"},
                      Case{"/?next=//evil.com", "'//' only inside the query"}, Case{"/#//evil.com", "'//' only in the fragment"},
                      Case{"/caf\xc3\xa9", "UTF-8 text"}, Case{"/%E2%82%AC", "an encoded UTF-8 character"},
                      Case{"/a%zzb", "a stray '%' is left alone"}, Case{"/100%", "a trailing '%'"},
                      Case{"/..", "a dot segment stays on this site"}, Case{"/~user/'quoted'(x)*!$&+,;=:@", "sub-delims"},
                      Case{"/" + std::string(kMaxRedirectBytes - 1, 'a'), "exactly the size limit"}));

INSTANTIATE_TEST_SUITE_P(
    Hostile, SafeRedirectRefuses,
    ::testing::Values(
        Case{"", "empty"}, Case{"//evil.com", "protocol-relative"}, Case{"///evil.com", "three slashes"},
        Case{"/\\evil.com", "slash backslash"}, Case{"\\\\evil.com", "two backslashes"},
        Case{"\\/evil.com", "backslash slash"}, Case{"/a\\b", "a backslash further on"},
        Case{"/%2F%2Fevil.com", "encoded slashes"}, Case{"/%2f%2fevil.com", "encoded slashes, lower case"},
        Case{"/%2Fevil.com", "one encoded slash"}, Case{"/%5Cevil.com", "encoded backslash"},
        Case{"/%5cevil.com", "encoded backslash, lower case"}, Case{"/%252F%252Fevil.com", "double-encoded slashes"},
        Case{"/%25252F%25252Fevil.com", "triple-encoded slashes"}, Case{"/%255Cevil.com", "double-encoded backslash"},
        Case{"/%2525252525252F/evil.com", "encoded more times than any path needs"},
        Case{"https://evil.com", "absolute URL"}, Case{"http://evil.com/", "absolute URL"},
        Case{"javascript:alert(1)", "javascript scheme"}, Case{"JaVaScRiPt:alert(1)", "javascript scheme, mixed case"},
        Case{"data:text/html,<script>alert(1)</script>", "data scheme"}, Case{"/\t/evil.com", "tab"},
        Case{"/\n/evil.com", "line feed"}, Case{"/\r\n", "CR LF"}, Case{"/x\r\nSet-Cookie: a=b", "header injection"},
        Case{"\x00"s, "NUL"}, Case{"/\x00/evil.com"s, "NUL inside"}, Case{"/x\x7f", "DEL"}, Case{" /x", "leading space"},
        Case{"/x y", "a raw space"}, Case{"/x ", "a trailing space"}, Case{"evil.com", "a bare host"},
        Case{".//evil.com", "dot slash slash"}, Case{"./x", "relative, not absolute"}, Case{"x/y", "relative path"},
        Case{"?x", "query only"}, Case{"#x", "fragment only"}, Case{"/%00", "encoded NUL"},
        Case{"/%09/evil.com", "encoded tab"}, Case{"/%0d%0aSet-Cookie:x", "encoded CR LF"},
        Case{"/%0A/evil.com", "encoded line feed"}, Case{"/%7F", "encoded DEL"},
        Case{"/\xc2\x85", "C1 control (NEL)"}, Case{"/%C2%85", "encoded C1 control"},
        Case{"/\xff", "invalid UTF-8"}, Case{"/\xc0\xaf", "overlong '/'"}, Case{"/%C0%AF", "encoded overlong '/'"},
        Case{"/\xed\xa0\x80", "UTF-8 surrogate"}, Case{"/%FF", "encoded invalid UTF-8"},
        Case{"/" + std::string(kMaxRedirectBytes, 'a'), "one byte over the size limit"},
        Case{"/" + std::string(10 * 1024, 'a'), "10 KB"}));

TEST(SafeRedirect, FallbackReplacesAnUnsafeTarget) {
  std::string out;
  auto err = choose_redirect("//evil.com", std::string_view("/home"), out);
  ASSERT_TRUE(err.ok()) << err.message;
  EXPECT_EQ(out, "/home");
  err = choose_redirect("", std::string_view("/home"), out);
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(out, "/home");
}

TEST(SafeRedirect, SafeTargetWinsOverFallback) {
  std::string out;
  ASSERT_TRUE(choose_redirect("/account", std::string_view("/home"), out).ok());
  EXPECT_EQ(out, "/account");
}

TEST(SafeRedirect, UnsafeTargetWithoutFallback) {
  std::string out = "stale";
  auto err = choose_redirect("https://evil.com", std::nullopt, out);
  EXPECT_EQ(err.status, Status::unsafe_redirect);
  EXPECT_TRUE(out.empty());
}

TEST(SafeRedirect, UnsafeFallbackIsACallerError) {
  std::string out;
  // Whatever the target: a bad fallback is a programming error, caught on every call.
  for (std::string_view target : {"/fine", "//evil.com"}) {
    auto err = choose_redirect(target, std::string_view("//evil.com"), out);
    EXPECT_EQ(err.status, Status::invalid_argument) << target;
    EXPECT_NE(err.message.find("fallback"), std::string::npos);
    EXPECT_TRUE(out.empty());
  }
  EXPECT_EQ(choose_redirect("/x", std::string_view(""), out).status, Status::invalid_argument);
}

TEST(SafeRedirect, MessageSaysWhy) {
  EXPECT_NE(safe_redirect("/%2F%2Fevil.com").message.find("percent-decoded"), std::string::npos);
  EXPECT_NE(safe_redirect("/a\\b").message.find("backslash"), std::string::npos);
  EXPECT_NE(safe_redirect("https://x").message.find("'/'"), std::string::npos);
}

// Random targets over the characters that matter: whatever is accepted keeps the invariant
// through every decoding a later layer might apply.
TEST(SafeRedirect, RandomTargetsKeepTheInvariant) {
  static const std::string_view kPieces[] = {"/", "/", "\\", "%", "2", "F", "f", "5", "C", "c", "25", "0", "9",
                                             "a", ".", ":", "?", "#", " ", "\t", "\n", "\r", "\x7f",
                                             std::string_view("\0", 1), "\xc2\x85", "\xc3\xa9", "\xff", "%2F",
                                             "%5C", "%25", "%09", "%00", "https:", "//"};
  std::mt19937 rng(20261127);
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string t;
    for (int n = static_cast<int>(rng() % 8); n >= 0; --n) t += kPieces[rng() % std::size(kPieces)];
    if (!safe_redirect(t).ok()) continue;
    ++accepted;
    std::string form = t;
    for (int round = 0; round < 10; ++round) {
      ASSERT_FALSE(form.empty()) << t;
      ASSERT_EQ(form[0], '/') << t;
      if (form.size() > 1) {
        ASSERT_NE(form[1], '/') << t;
        ASSERT_NE(form[1], '\\') << t;
      }
      for (unsigned char c : form) {
        ASSERT_NE(c, '\\') << t;
        ASSERT_TRUE(c >= 0x20 && c != 0x7f) << t;
      }
      ASSERT_TRUE(oidcore::web::is_valid_utf8(form)) << t;
      std::string next = oidcore::web::percent_decode_lenient(form);
      if (next == form) break;
      form = std::move(next);
    }
  }
  EXPECT_GT(accepted, 1000) << "the generator should also produce safe paths";
}

}  // namespace
