// The C ABI of the web helpers (cookies, signed cookies, safe redirects, token extraction,
// claims → principal): thin wrappers over core/web, each a pure function. Every entry point
// clears its outputs first, refuses NULLs with OIDCORE_INVALID_ARGUMENT and catches
// everything.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capi_support.hpp"
#include "oidcore.h"
#include "web/cookies.hpp"
#include "web/principal.hpp"
#include "web/redirect.hpp"
#include "web/signed_cookies.hpp"
#include "web/token_source.hpp"

using namespace oidcore::capi;
using oidcore::Status;

namespace {

// Clears (*out, *out_len) and checks the output pointer. OIDCORE_OK when the call may go on.
oidcore_status start(char** out, size_t* out_len, oidcore_error* error) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!out) return report(error, Status::invalid_argument, "out must not be NULL");
  return OIDCORE_OK;
}

// A (pointer, length) input: NULL is allowed only with length 0 (an empty or absent input).
bool usable(const char* p, size_t len) { return p || !len; }

std::string_view view(const char* p, size_t len) { return p ? std::string_view(p, len) : std::string_view(); }

oidcore_status null_with_length(oidcore_error* error, const char* name) {
  return report(error, oidcore::Error(Status::invalid_argument, std::string(name) + " is NULL but its length is not 0"));
}

}  // namespace

extern "C" {

oidcore_status oidcore_cookie_parse(const char* header, size_t header_len, char** out_json, size_t* out_len,
                                    oidcore_error* error) {
  if (auto st = start(out_json, out_len, error)) return st;
  if (!usable(header, header_len)) return null_with_length(error, "header");
  return guarded(error, [&] {
    std::vector<oidcore::web::Cookie> cookies;
    if (auto err = oidcore::web::parse_cookie_header(view(header, header_len), cookies)) return report(error, err);
    return hand_out(oidcore::web::cookies_json(cookies), out_json, out_len, error);
  });
}

oidcore_status oidcore_cookie_sign(const char* value, size_t value_len, const char* secret, size_t secret_len,
                                   char** out, size_t* out_len, oidcore_error* error) {
  if (auto st = start(out, out_len, error)) return st;
  if (!usable(value, value_len)) return null_with_length(error, "value");
  if (!secret) return report(error, Status::invalid_argument, "secret must not be NULL");
  return guarded(error, [&] {
    std::string s;
    if (auto err = oidcore::web::sign_cookie(view(value, value_len), view(secret, secret_len), s))
      return report(error, err);
    return hand_out(s, out, out_len, error);
  });
}

oidcore_status oidcore_cookie_unsign(const char* signed_value, size_t signed_len, const char* secrets_json,
                                     size_t secrets_len, char** out, size_t* out_len, oidcore_error* error) {
  if (auto st = start(out, out_len, error)) return st;
  if (!usable(signed_value, signed_len)) return null_with_length(error, "signed_value");
  if (!secrets_json) return report(error, Status::invalid_argument, "secrets_json must not be NULL");
  return guarded(error, [&] {
    std::vector<std::string> secrets;
    if (auto err = oidcore::web::parse_cookie_secrets(view(secrets_json, secrets_len), secrets))
      return report(error, err);
    std::string value;
    if (auto err = oidcore::web::unsign_cookie(view(signed_value, signed_len), secrets, value))
      return report(error, err);
    return hand_out(value, out, out_len, error);
  });
}

oidcore_status oidcore_cookie_serialize(const char* name, size_t name_len, const char* value, size_t value_len,
                                        const char* options_json, size_t options_len, char** out, size_t* out_len,
                                        oidcore_error* error) {
  if (auto st = start(out, out_len, error)) return st;
  if (!name) return report(error, Status::invalid_argument, "name must not be NULL");
  if (!usable(value, value_len)) return null_with_length(error, "value");
  if (!usable(options_json, options_len)) return null_with_length(error, "options_json");
  return guarded(error, [&] {
    oidcore::web::CookieOptions options;
    if (auto err = oidcore::web::parse_cookie_options(view(options_json, options_len), options))
      return report(error, err);
    std::string s;
    if (auto err = oidcore::web::serialize_cookie(view(name, name_len), view(value, value_len), options, s))
      return report(error, err);
    return hand_out(s, out, out_len, error);
  });
}

oidcore_status oidcore_cookie_max_age_from_token(const char* token, size_t token_len, int64_t now,
                                                int64_t* out_seconds, oidcore_error* error) {
  if (out_seconds) *out_seconds = 0;
  if (!out_seconds) return report(error, Status::invalid_argument, "out_seconds must not be NULL");
  if (!usable(token, token_len)) return null_with_length(error, "token");
  if (now < 0) return report(error, Status::invalid_argument, "now must be 0 (the system clock) or Unix seconds");
  return guarded(error, [&] {
    int64_t seconds = 0;
    if (auto err = oidcore::web::max_age_from_token(view(token, token_len),
                                                    now ? now : oidcore::web::cookie_clock_now(), seconds))
      return report(error, err);
    *out_seconds = seconds;
    return ok(error);
  });
}

oidcore_status oidcore_cookie_clear(const char* name, size_t name_len, const char* options_json, size_t options_len,
                                    char** out, size_t* out_len, oidcore_error* error) {
  if (auto st = start(out, out_len, error)) return st;
  if (!name) return report(error, Status::invalid_argument, "name must not be NULL");
  if (!usable(options_json, options_len)) return null_with_length(error, "options_json");
  return guarded(error, [&] {
    oidcore::web::CookieOptions options;
    if (auto err = oidcore::web::parse_cookie_options(view(options_json, options_len), options))
      return report(error, err);
    std::string s;
    if (auto err = oidcore::web::clear_cookie(view(name, name_len), options, s)) return report(error, err);
    return hand_out(s, out, out_len, error);
  });
}

oidcore_status oidcore_safe_redirect(const char* target, size_t target_len, const char* fallback, size_t fallback_len,
                                     char** out, size_t* out_len, oidcore_error* error) {
  if (auto st = start(out, out_len, error)) return st;
  if (!usable(target, target_len)) return null_with_length(error, "target");
  if (!usable(fallback, fallback_len)) return null_with_length(error, "fallback");
  return guarded(error, [&] {
    std::optional<std::string_view> fb;
    if (fallback) fb = std::string_view(fallback, fallback_len);
    std::string s;
    if (auto err = oidcore::web::choose_redirect(view(target, target_len), fb, s)) return report(error, err);
    return hand_out(s, out, out_len, error);
  });
}

oidcore_status oidcore_extract_token(const char* cookie_header, size_t cookie_len, const char* authorization,
                                     size_t authorization_len, const char* options_json, size_t options_len,
                                     char** out, size_t* out_len, oidcore_error* error) {
  if (auto st = start(out, out_len, error)) return st;
  if (!usable(cookie_header, cookie_len)) return null_with_length(error, "cookie_header");
  if (!usable(authorization, authorization_len)) return null_with_length(error, "authorization");
  if (!usable(options_json, options_len)) return null_with_length(error, "options_json");
  return guarded(error, [&] {
    oidcore::web::TokenSourceOptions options;
    if (auto err = oidcore::web::parse_token_source_options(view(options_json, options_len), options))
      return report(error, err);
    oidcore::web::ExtractedToken token;
    if (auto err = oidcore::web::extract_token(view(cookie_header, cookie_len), view(authorization, authorization_len),
                                               options, token))
      return report(error, err);
    return hand_out(oidcore::web::extracted_token_json(token), out, out_len, error);
  });
}

oidcore_status oidcore_principal_from_claims(const char* claims_json, size_t claims_len, const char* config_json,
                                             size_t config_len, char** out, size_t* out_len, oidcore_error* error) {
  if (auto st = start(out, out_len, error)) return st;
  if (!claims_json) return report(error, Status::invalid_argument, "claims_json must not be NULL");
  if (!usable(config_json, config_len)) return null_with_length(error, "config_json");
  return guarded(error, [&] {
    std::string s;
    if (auto err = oidcore::web::principal_from_claims(view(claims_json, claims_len), view(config_json, config_len), s))
      return report(error, err);
    return hand_out(s, out, out_len, error);
  });
}

}  // extern "C"
