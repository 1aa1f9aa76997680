// Where a request's access token comes from: a named cookie (optionally an Express signed
// cookie) and/or the "Authorization: Bearer" header, in a configurable order (cookie first by
// default). Pure functions over header values: thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status.hpp"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace oidcore::web {

inline constexpr size_t kMaxAuthorizationBytes = 64 * 1024;

enum class TokenSource { cookie, bearer };

struct TokenSourceOptions {
  std::string cookie_name = "access_token";  // an RFC 6265 token
  std::vector<TokenSource> order = {TokenSource::cookie, TokenSource::bearer};  // non-empty, no repeats
  // Non-empty: the cookie is a cookie-parser signed cookie ("s:..."), unsigned with these
  // secrets; an unsigned value or a bad signature means no token in the cookie.
  std::vector<std::string> cookie_secrets;
};

struct ExtractedToken {
  std::string token;
  TokenSource source = TokenSource::cookie;
};

// "cookie" or "bearer".
std::string_view token_source_name(TokenSource s) noexcept;

// Status::invalid_argument naming the field when `options` breaks the rules above (a cookie
// name that is not a token, an empty or repeating order, an empty or oversized secret).
[[nodiscard]] Error check_token_source_options(const TokenSourceOptions& options);

// Reads {"cookie_name", "order", "cookie_secrets"} (empty text: the defaults). An unknown
// key, a wrong type or a bad value is Status::invalid_argument naming the key.
[[nodiscard]] Error parse_token_source_options(std::string_view json, TokenSourceOptions& out);

namespace detail {
// One member of an options object that holds the token source options among others (the
// request verification's): false when `key` is not a token source option (left to the
// caller); else true, with `err` set when the value is bad.
bool read_token_source_option(std::string_view key, const simdjson::dom::element& value, TokenSourceOptions& out,
                              Error& err);
}  // namespace detail

// The token68 of an "Authorization: Bearer <token>" header value: the scheme matched in any
// case, one or more spaces, then 1*(ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/")
// *"=" and nothing else (surrounding spaces and tabs of the whole value are ignored).
// nullopt for anything else.
std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept;

// Looks in each source of options.order in turn; an empty header means the header is absent.
// Found: Status::ok and `out`. None: Status::not_found. A Cookie header over 64 KiB or an
// Authorization header over kMaxAuthorizationBytes, when that source is reached:
// Status::too_large. Options that break their rules: Status::invalid_argument.
[[nodiscard]] Error extract_token(std::string_view cookie_header, std::string_view authorization,
                                  const TokenSourceOptions& options, ExtractedToken& out);

// What one source of a request holds, as the request verification (request_verification.hpp)
// sees it: Status::ok and `token`; Status::not_found when the source holds nothing (no
// header, no such cookie, an empty value, an Authorization header of another scheme, and,
// with cookie_secrets, a cookie that is not signed or not signed by one of them: such a
// cookie counts as absent, as for extract_token); Status::malformed for a "Bearer" value
// that is not a token68; Status::too_large for a header over its limit; Status::internal
// only for a failure of the library itself. `options` must have passed
// check_token_source_options(). `bad_signature` is set when a signed cookie was skipped.
[[nodiscard]] Error find_source_token(std::string_view cookie_header, std::string_view authorization,
                                      TokenSource source, const TokenSourceOptions& options, std::string& token,
                                      bool* bad_signature = nullptr);

// {"token": STR, "source": "cookie" | "bearer"}.
std::string extracted_token_json(const ExtractedToken& token);

}  // namespace oidcore::web
