// Cookies as an Express app sees them: parsing a Cookie request header like the npm `cookie`
// package (parse), building Set-Cookie header values (serialize) and the header that deletes
// a cookie again with the same attributes (clear). Secure defaults: HttpOnly, Secure,
// SameSite=Lax, Path=/; the __Secure- and __Host- prefix rules and "SameSite=None needs
// Secure" are enforced. Pure functions, no state: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status.hpp"

namespace oidcore::web {

inline constexpr size_t kMaxCookieHeaderBytes = 64 * 1024;
// Largest "expires": 9999-12-31T23:59:59Z, the last second an IMF-fixdate can show.
inline constexpr int64_t kMaxCookieExpires = 253402300799;
// Largest "max_age": 2^53 - 1, the largest whole number every JSON reader keeps exactly.
inline constexpr int64_t kMaxCookieMaxAge = 9007199254740991;

struct Cookie {
  std::string name;
  std::string value;
};

// Whether `name` is an RFC 6265 cookie-name (an RFC 7230 token: 1*tchar).
[[nodiscard]] bool is_cookie_name(std::string_view name) noexcept;

// Parses a Cookie header ("a=b; c=d") into its cookies, in order, first occurrence of a name
// only. Tolerant of junk: a pair without '=', or whose name is not a token, is skipped;
// spaces and tabs around names and values are trimmed; a value in double quotes is
// unquoted; a value holding '%' is decoded with decodeURIComponent semantics and left as it
// is when that decoding fails. A value that is not valid UTF-8 drops its cookie (the name
// still counts as seen). Over kMaxCookieHeaderBytes: Status::too_large; never fails otherwise.
[[nodiscard]] Error parse_cookie_header(std::string_view header, std::vector<Cookie>& out);

// The value of the first cookie named `name` (nullopt when there is none). Same rules and
// size limit as parse_cookie_header().
[[nodiscard]] Error find_cookie(std::string_view header, std::string_view name, std::optional<std::string>& out);

// The cookies as one JSON object {"name":"value",...} in header order.
std::string cookies_json(const std::vector<Cookie>& cookies);

enum class SameSite { lax, strict, none };

// The attributes of a Set-Cookie header. The defaults are the safe ones.
struct CookieOptions {
  bool http_only = true;
  bool secure = true;
  SameSite same_site = SameSite::lax;
  std::string path = "/";             // non-empty, starts with '/', printable ASCII, no ';'
  std::optional<std::string> domain;  // a host name (RFC 1034 labels, an optional leading '.')
  std::optional<int64_t> max_age;     // seconds, 0 .. kMaxCookieMaxAge
  std::optional<int64_t> expires;     // Unix seconds, 0 .. kMaxCookieExpires
  // A JWT whose "exp" gives Max-Age (see max_age_from_token()); `max_age` is then the
  // fallback for a token without a readable "exp" (an opaque token), else such a token is
  // refused. Read without verifying the signature: it only sizes the cookie.
  std::optional<std::string> max_age_from_token;
};

// Largest token max_age_from_token() reads (a cookie holds at most about 4 KiB anyway).
inline constexpr size_t kMaxCookieTokenBytes = 64 * 1024;

// The Max-Age for a cookie that carries `token`: its "exp" claim minus `now` (Unix seconds),
// rounded down, never below 0 (an expired token gives 0: the browser drops the cookie at
// once) and at most kMaxCookieMaxAge. The claims are read WITHOUT verifying the signature:
// the result only sizes a cookie, it says nothing about the token's validity.
// Status::malformed when `token` is not a compact JWS (three strict base64url segments whose
// middle one is a JSON object), Status::missing_claim when the claims have no numeric "exp",
// Status::too_large over kMaxCookieTokenBytes.
[[nodiscard]] Error max_age_from_token(std::string_view token, int64_t now, int64_t& out);

// The system clock in Unix seconds.
int64_t cookie_clock_now();

// Reads options from a JSON object (empty text: the defaults): "http_only", "secure",
// "same_site" ("lax" | "strict" | "none", any case), "path", "domain", "max_age",
// "expires", "max_age_from_token" (a non-empty string). An unknown key or a wrong type is
// Status::invalid_argument naming the key.
// Only types and ranges are checked here; serialize_cookie() checks the rest.
[[nodiscard]] Error parse_cookie_options(std::string_view json, CookieOptions& out);

// "name=value; Path=/; Max-Age=N; Expires=<IMF-fixdate>; Domain=d; HttpOnly; Secure;
// SameSite=Lax" (absent attributes left out). The value is encoded like JavaScript's
// encodeURIComponent (as the npm `cookie` package's serialize does). Status::invalid_argument
// for a name that is not a token, an empty value (a cookie is never set from a missing
// value: clear_cookie() deletes one), a value that is not UTF-8, a bad path or domain, a
// negative max_age, an expires out of range, a max_age_from_token without a readable "exp"
// and no max_age to fall back on, or a broken rule: "__Secure-" needs secure; "__Host-"
// needs secure, path "/" and no domain (both prefixes matched in any case); SameSite=None
// needs secure. `now` (Unix seconds) is the clock for max_age_from_token.
[[nodiscard]] Error serialize_cookie(std::string_view name, std::string_view value, const CookieOptions& options,
                                     std::string& out, int64_t now);
[[nodiscard]] Error serialize_cookie(std::string_view name, std::string_view value, const CookieOptions& options,
                                     std::string& out);

// The Set-Cookie value that deletes that cookie: same name, Path, Domain, HttpOnly, Secure
// and SameSite, an empty value, "Max-Age=0" and "Expires=Thu, 01 Jan 1970 00:00:00 GMT"
// (options.max_age and options.expires are not used). Same validation as serialize_cookie().
[[nodiscard]] Error clear_cookie(std::string_view name, const CookieOptions& options, std::string& out);

// Unix seconds as an IMF-fixdate (RFC 7231 §7.1.1.1): "Wed, 21 Oct 2015 07:28:00 GMT".
// `unix_seconds` must be within 0 .. kMaxCookieExpires.
std::string imf_fixdate(int64_t unix_seconds);

}  // namespace oidcore::web
