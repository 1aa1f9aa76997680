#include "web/cookies.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "encoding/base64url.hpp"
#include "json/strict_json.hpp"
#include "web/json_options.hpp"
#include "web/uri_encoding.hpp"

namespace oidcore::web {
namespace {

bool is_tchar(unsigned char c) noexcept {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != lower(prefix[i])) return false;
  return true;
}

// One label of a host name: 1..63 of [A-Za-z0-9-], neither first nor last a '-'.
bool is_label(std::string_view label) noexcept {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (char c : label)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

// The npm `cookie` package's domain rule (RFC 1034 §3.5 / RFC 1123 §2.1 labels, with the
// leading '.' that RFC 6265 §5.2.3 ignores).
bool is_domain(std::string_view d) noexcept {
  if (!d.empty() && d.front() == '.') d.remove_prefix(1);
  if (d.empty()) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = d.find('.', start);
    if (!is_label(d.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// RFC 6265 path-value: any CHAR except CTLs or ';'; here also ASCII only, and it must be an
// absolute path (a path not starting with '/' makes the browser use the default path).
Error check_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return detail::keyed("path", "must start with '/'");
  for (unsigned char c : path)
    if (c < 0x20 || c >= 0x7f || c == ';')
      return detail::keyed("path", "must hold only printable ASCII characters and no ';'");
  return {};
}

std::string_view same_site_name(SameSite s) noexcept {
  switch (s) {
    case SameSite::strict: return "Strict";
    case SameSite::none: return "None";
    case SameSite::lax: break;
  }
  return "Lax";
}

// Every rule of a Set-Cookie header except the value's encoding.
Error check_cookie(std::string_view name, const CookieOptions& o) {
  if (!is_cookie_name(name))
    return Error(Status::invalid_argument, "cookie name \"" + printable(name) + "\" is not an RFC 6265 token");
  if (auto err = check_path(o.path)) return err;
  if (o.domain && !is_domain(*o.domain))
    return detail::keyed("domain", "must be a host name (letters, digits, '-' and '.', an optional leading '.')");
  if (o.max_age && (*o.max_age < 0 || *o.max_age > kMaxCookieMaxAge))
    return detail::keyed("max_age", "must be a whole number from 0 to " + std::to_string(kMaxCookieMaxAge));
  if (o.expires && (*o.expires < 0 || *o.expires > kMaxCookieExpires))
    return detail::keyed("expires", "must be Unix seconds from 0 to " + std::to_string(kMaxCookieExpires));
  if (o.same_site != SameSite::lax && o.same_site != SameSite::strict && o.same_site != SameSite::none)
    return detail::keyed("same_site", "must be \"lax\", \"strict\" or \"none\"");
  // Browsers match the prefixes without regard to case (RFC 6265bis §4.1.3), so do we.
  if (starts_with_nocase(name, "__Secure-") && !o.secure)
    return Error(Status::invalid_argument, "a cookie name starting with \"__Secure-\" requires secure");
  if (starts_with_nocase(name, "__Host-")) {
    if (!o.secure) return Error(Status::invalid_argument, "a cookie name starting with \"__Host-\" requires secure");
    if (o.path != "/")
      return Error(Status::invalid_argument, "a cookie name starting with \"__Host-\" requires path \"/\"");
    if (o.domain) return Error(Status::invalid_argument, "a cookie name starting with \"__Host-\" forbids a domain");
  }
  if (o.same_site == SameSite::none && !o.secure)
    return Error(Status::invalid_argument, "SameSite=None requires secure");
  return {};
}

void append_attributes(std::string& out, const CookieOptions& o, std::optional<int64_t> max_age,
                       std::optional<int64_t> expires) {
  out += "; Path=";
  out += o.path;
  if (max_age) out += "; Max-Age=" + std::to_string(*max_age);
  if (expires) out += "; Expires=" + imf_fixdate(*expires);
  if (o.domain) {
    out += "; Domain=";
    out += *o.domain;
  }
  if (o.http_only) out += "; HttpOnly";
  if (o.secure) out += "; Secure";
  out += "; SameSite=";
  out += same_site_name(o.same_site);
}

// Howard Hinnant's civil_from_days: days since 1970-01-01 → (year, month 1..12, day 1..31).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) noexcept {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

}  // namespace

bool is_cookie_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (!is_tchar(c)) return false;
  return true;
}

Error parse_cookie_header(std::string_view header, std::vector<Cookie>& out) {
  out.clear();
  if (header.size() > kMaxCookieHeaderBytes)
    return Error(Status::too_large, "the Cookie header is longer than " + std::to_string(kMaxCookieHeaderBytes) + " bytes");
  std::unordered_set<std::string_view> seen;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    const std::string_view pair = header.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = trim_blanks(pair.substr(0, eq));
    if (!is_cookie_name(name) || !seen.insert(name).second) continue;
    std::string_view value = trim_blanks(pair.substr(eq + 1));
    if (!value.empty() && value.front() == '"' && value.back() == '"')
      value = value.size() >= 2 ? value.substr(1, value.size() - 2) : std::string_view();
    if (!is_valid_utf8(value)) continue;
    Cookie cookie{std::string(name), {}};
    if (value.find('%') == std::string_view::npos || !decode_uri_component(value, cookie.value))
      cookie.value.assign(value);
    out.push_back(std::move(cookie));
  }
  return {};
}

Error find_cookie(std::string_view header, std::string_view name, std::optional<std::string>& out) {
  out.reset();
  std::vector<Cookie> cookies;
  if (auto err = parse_cookie_header(header, cookies)) return err;
  for (auto& c : cookies)
    if (c.name == name) {
      out = std::move(c.value);
      break;
    }
  return {};
}

std::string cookies_json(const std::vector<Cookie>& cookies) {
  std::string s = "{";
  for (const auto& c : cookies) {
    if (s.size() > 1) s += ',';
    json::append_json_string(s, c.name);
    s += ':';
    json::append_json_string(s, c.value);
  }
  s += '}';
  return s;
}

Error parse_cookie_options(std::string_view text, CookieOptions& out) {
  out = CookieOptions();
  if (text.empty()) return {};
  json::StrictParser parser;
  simdjson::dom::object obj;
  if (auto err = detail::parse_object(parser, text, "cookie options", obj)) return err;
  for (auto field : obj) {
    const std::string_view key = field.key;
    if (key == "http_only") {
      if (auto err = detail::read_bool(field.value, key, out.http_only)) return err;
    } else if (key == "secure") {
      if (auto err = detail::read_bool(field.value, key, out.secure)) return err;
    } else if (key == "same_site") {
      std::string s;
      if (auto err = detail::read_string(field.value, key, false, s)) return err;
      for (char& c : s) c = lower(c);
      if (s == "lax") out.same_site = SameSite::lax;
      else if (s == "strict") out.same_site = SameSite::strict;
      else if (s == "none") out.same_site = SameSite::none;
      else return detail::keyed(key, "must be \"lax\", \"strict\" or \"none\"");
    } else if (key == "path") {
      if (auto err = detail::read_string(field.value, key, false, out.path)) return err;
    } else if (key == "domain") {
      std::string d;
      if (auto err = detail::read_string(field.value, key, false, d)) return err;
      out.domain = std::move(d);
    } else if (key == "max_age") {
      int64_t n = 0;
      if (auto err = detail::read_whole(field.value, key, 0, kMaxCookieMaxAge, n)) return err;
      out.max_age = n;
    } else if (key == "expires") {
      int64_t n = 0;
      if (auto err = detail::read_whole(field.value, key, 0, kMaxCookieExpires, n)) return err;
      out.expires = n;
    } else if (key == "max_age_from_token") {
      std::string t;
      if (auto err = detail::read_string(field.value, key, false, t)) return err;
      out.max_age_from_token = std::move(t);
    } else {
      return detail::keyed(key, "is not a known cookie option");
    }
  }
  return {};
}

int64_t cookie_clock_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Error max_age_from_token(std::string_view token, int64_t now, int64_t& out) {
  out = 0;
  if (token.size() > kMaxCookieTokenBytes)
    return Error(Status::too_large, "the token is longer than " + std::to_string(kMaxCookieTokenBytes) + " bytes");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos || dot1 == 0 ||
      dot2 == dot1 + 1)
    return Error(Status::malformed, "the token is not a JWT (three base64url segments)");
  std::string payload;
  if (!encoding::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1), payload))
    return Error(Status::malformed, "the token's claims are not base64url");
  json::StrictParser parser;
  simdjson::dom::element root;
  simdjson::dom::object claims;
  if (parser.parse(payload, root) || root.get_object().get(claims))
    return Error(Status::malformed, "the token's claims are not a JSON object");
  double exp = 0;
  switch (json::get_number(claims, "exp", exp)) {
    case json::Presence::absent: return Error(Status::missing_claim, "the token has no \"exp\" claim");
    case json::Presence::wrong_type: return Error(Status::missing_claim, "the token's \"exp\" is not a number");
    case json::Presence::present: break;
  }
  // In double: exp may be anything JSON allows (1e300, -5, 1.5).
  const double left = std::floor(exp) - static_cast<double>(now);
  if (!(left > 0)) out = 0;
  else if (left >= static_cast<double>(kMaxCookieMaxAge)) out = kMaxCookieMaxAge;
  else out = static_cast<int64_t>(left);
  return {};
}

Error serialize_cookie(std::string_view name, std::string_view value, const CookieOptions& options,
                       std::string& out, int64_t now) {
  out.clear();
  if (auto err = check_cookie(name, options)) return err;
  if (value.empty())
    return Error(Status::invalid_argument,
                 "the cookie value is empty: a cookie is never set from a missing value (clear_cookie deletes one)");
  std::string encoded;
  if (!encode_uri_component(value, encoded))
    return Error(Status::invalid_argument, "the cookie value is not valid UTF-8");
  std::optional<int64_t> max_age = options.max_age;
  if (options.max_age_from_token) {
    int64_t from_token = 0;
    if (auto err = max_age_from_token(*options.max_age_from_token, now, from_token)) {
      if (!options.max_age)
        return Error(Status::invalid_argument, "\"max_age_from_token\": " + err.message +
                                                   "; give \"max_age\" too as the fallback for a token without one");
    } else {
      max_age = from_token;
    }
  }
  std::string s;
  s.reserve(name.size() + encoded.size() + 128);
  s.append(name).append("=").append(encoded);
  append_attributes(s, options, max_age, options.expires);
  out = std::move(s);
  return {};
}

Error serialize_cookie(std::string_view name, std::string_view value, const CookieOptions& options,
                       std::string& out) {
  return serialize_cookie(name, value, options, out, cookie_clock_now());
}

Error clear_cookie(std::string_view name, const CookieOptions& options, std::string& out) {
  out.clear();
  if (auto err = check_cookie(name, options)) return err;
  std::string s(name);
  s += '=';
  append_attributes(s, options, int64_t{0}, int64_t{0});
  out = std::move(s);
  return {};
}

std::string imf_fixdate(int64_t t) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (t < 0) t = 0;
  if (t > kMaxCookieExpires) t = kMaxCookieExpires;
  const int64_t days = t / 86400, secs = t % 86400;
  int64_t y = 0;
  unsigned m = 1, d = 1;
  civil_from_days(days, y, m, d);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02d:%02d:%02d GMT", kDays[days % 7], d, kMonths[m - 1],
                static_cast<long long>(y), static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

}  // namespace oidcore::web
