#include "web/token_source.hpp"

#include <array>

#include "json/strict_json.hpp"
#include "web/cookies.hpp"
#include "web/json_options.hpp"
#include "web/signed_cookies.hpp"

namespace oidcore::web {
namespace {

// RFC 7235 token68 characters (without the trailing '='), as a table: a bearer token is
// checked byte by byte on every request, and its 1 to 2 KB made the branches show.
constexpr std::array<bool, 256> kToken68 = [] {
  std::array<bool, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (unsigned char c : {'-', '.', '_', '~', '+', '/'}) t[c] = true;
  return t;
}();

bool is_token68_char(unsigned char c) noexcept { return kToken68[c]; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

Error check_token_source_options(const TokenSourceOptions& o) {
  if (!is_cookie_name(o.cookie_name)) return detail::keyed("cookie_name", "must be an RFC 6265 cookie name (a token)");
  if (o.order.empty()) return detail::keyed("order", "must not be empty");
  if (o.order.size() > 2 || (o.order.size() == 2 && o.order[0] == o.order[1]))
    return detail::keyed("order", "must not repeat a source");
  for (const auto& s : o.cookie_secrets) {
    if (s.empty()) return detail::keyed("cookie_secrets", "must not contain empty strings");
    if (s.size() > kMaxCookieSecretBytes)
      return detail::keyed("cookie_secrets", "must not hold a secret longer than " + std::to_string(kMaxCookieSecretBytes) + " bytes");
  }
  return {};
}

std::string_view token_source_name(TokenSource s) noexcept { return s == TokenSource::bearer ? "bearer" : "cookie"; }

namespace detail {

bool read_token_source_option(std::string_view key, const simdjson::dom::element& value, TokenSourceOptions& out,
                              Error& err) {
  err = {};
  if (key == "cookie_name") {
    err = detail::read_string(value, key, false, out.cookie_name);
    if (!err && !is_cookie_name(out.cookie_name)) err = detail::keyed(key, "must be an RFC 6265 cookie name (a token)");
  } else if (key == "order") {
    std::vector<std::string> names;
    if ((err = detail::read_string_list(value, key, names))) return true;
    out.order.clear();
    for (const auto& n : names) {
      TokenSource s;
      if (n == "cookie") s = TokenSource::cookie;
      else if (n == "bearer") s = TokenSource::bearer;
      else {
        err = detail::keyed(key, "may hold only \"cookie\" and \"bearer\"");
        return true;
      }
      for (auto seen : out.order)
        if (seen == s) {
          err = detail::keyed(key, "must not repeat a source");
          return true;
        }
      out.order.push_back(s);
    }
  } else if (key == "cookie_secrets") {
    err = detail::read_string_list(value, key, out.cookie_secrets);
  } else {
    return false;
  }
  return true;
}

}  // namespace detail

Error parse_token_source_options(std::string_view text, TokenSourceOptions& out) {
  out = TokenSourceOptions();
  if (text.empty()) return {};
  json::StrictParser parser;
  simdjson::dom::object obj;
  if (auto err = detail::parse_object(parser, text, "token source options", obj)) return err;
  for (auto field : obj) {
    Error err;
    if (!detail::read_token_source_option(field.key, field.value, out, err))
      return detail::keyed(field.key, "is not a known token source option");
    if (err) return err;
  }
  return {};
}

std::optional<std::string_view> bearer_token(std::string_view h) noexcept {
  while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
  while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
  const size_t sp = h.find(' ');
  if (sp == std::string_view::npos || !iequals(h.substr(0, sp), "bearer")) return std::nullopt;
  std::string_view token = h.substr(sp);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  size_t i = 0;
  while (i < token.size() && is_token68_char(static_cast<unsigned char>(token[i]))) ++i;
  if (i == 0) return std::nullopt;
  while (i < token.size() && token[i] == '=') ++i;
  if (i != token.size()) return std::nullopt;
  return token;
}

Error extract_token(std::string_view cookie_header, std::string_view authorization, const TokenSourceOptions& options,
                    ExtractedToken& out) {
  out = ExtractedToken();
  if (auto err = check_token_source_options(options)) return err;
  for (auto source : options.order) {
    if (source == TokenSource::cookie) {
      if (cookie_header.empty()) continue;
      std::optional<std::string> value;
      if (auto err = find_cookie(cookie_header, options.cookie_name, value)) return err;
      if (!value || value->empty()) continue;
      if (!options.cookie_secrets.empty()) {
        std::string unsigned_value;
        if (auto err = unsign_cookie(*value, options.cookie_secrets, unsigned_value)) {
          if (err.status == Status::internal) return err;
          continue;  // not signed, or not by us: no token in the cookie
        }
        value = std::move(unsigned_value);
        if (value->empty()) continue;
      }
      out.token = std::move(*value);
      out.source = TokenSource::cookie;
      return {};
    }
    if (authorization.empty()) continue;
    if (authorization.size() > kMaxAuthorizationBytes)
      return Error(Status::too_large,
                   "the Authorization header is longer than " + std::to_string(kMaxAuthorizationBytes) + " bytes");
    if (auto token = bearer_token(authorization)) {
      out.token.assign(*token);
      out.source = TokenSource::bearer;
      return {};
    }
  }
  return Error(Status::not_found, "no token in the request");
}

Error find_source_token(std::string_view cookie_header, std::string_view authorization, TokenSource source,
                        const TokenSourceOptions& options, std::string& token, bool* bad_signature) {
  token.clear();
  if (bad_signature) *bad_signature = false;
  if (source == TokenSource::cookie) {
    if (cookie_header.empty()) return Error(Status::not_found, "");
    std::optional<std::string> value;
    if (auto err = find_cookie(cookie_header, options.cookie_name, value)) return err;
    if (!value || value->empty()) return Error(Status::not_found, "");
    if (!options.cookie_secrets.empty()) {
      std::string unsigned_value;
      if (auto err = unsign_cookie(*value, options.cookie_secrets, unsigned_value)) {
        if (err.status == Status::internal) return err;
        if (bad_signature) *bad_signature = true;
        return Error(Status::not_found, "");
      }
      if (unsigned_value.empty()) return Error(Status::not_found, "");
      token = std::move(unsigned_value);
      return {};
    }
    token = std::move(*value);
    return {};
  }
  if (authorization.empty()) return Error(Status::not_found, "");
  if (authorization.size() > kMaxAuthorizationBytes)
    return Error(Status::too_large,
                 "the Authorization header is longer than " + std::to_string(kMaxAuthorizationBytes) + " bytes");
  if (auto t = bearer_token(authorization)) {
    token.assign(*t);
    return {};
  }
  std::string_view h = authorization;
  while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
  const size_t end = h.find_first_of(" \t");
  if (iequals(h.substr(0, end == std::string_view::npos ? h.size() : end), "bearer"))
    return Error(Status::malformed, "the Authorization header's Bearer value is not a token (RFC 7235 token68)");
  return Error(Status::not_found, "");  // another scheme (Basic, ...): no bearer token
}

std::string extracted_token_json(const ExtractedToken& token) {
  std::string s = "{\"token\":";
  json::append_json_string(s, token.token);
  s += ",\"source\":\"";
  s += token_source_name(token.source);
  s += "\"}";
  return s;
}

}  // namespace oidcore::web
