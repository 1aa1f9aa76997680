#include "flow/relying_party.hpp"

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <set>

#include "encoding/base64url.hpp"
#include "flow/exchange_codes.hpp"
#include "flow/login_state.hpp"
#include "flow/sealed_records.hpp"
#include "json/strict_json.hpp"
#include "web/redirect.hpp"

namespace oidcore::flow {

using simdjson::dom::element;
using simdjson::dom::object;
using Params = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr size_t kMaxCallbackBytes = 16 * 1024;
constexpr size_t kMaxTokenArgumentBytes = 64 * 1024;

Error bad(std::string_view key, std::string_view what) {
  return Error(Status::invalid_config, "\"" + printable(key) + "\" " + std::string(what));
}

Error bad_arg(std::string_view key, std::string_view what) {
  return Error(Status::invalid_argument, "\"" + printable(key) + "\" " + std::string(what));
}

// The precise wall clock (glibc's time() reads the coarse clock, up to a tick behind).
int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Members of the relying party's configuration handed on to its token verifiers.
const std::set<std::string_view> kVerifierKeys = {
    "algorithms",     "clock_tolerance", "principal",    "max_age",          "min_rsa_bits",
    "ca_file",        "ca_dir",          "connect_timeout", "http_timeout",  "max_response_bytes",
    "cache_ttl",      "cache_min_ttl",   "cache_max_ttl", "stale_if_error",  "jwks_requests_per_minute",
    "jwks_refetch_interval", "jwks_retry_interval", "max_token_bytes", "token_cache_size"};

// Authorization-request parameters the flow itself owns.
const std::set<std::string_view> kReservedParams = {"response_type", "client_id",      "redirect_uri",
                                                    "scope",         "state",          "nonce",
                                                    "code_challenge", "code_challenge_method"};

std::string escape(std::string_view s) {
  char* e = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
  if (!e) throw std::bad_alloc();
  std::string out(e);
  curl_free(e);
  return out;
}

std::string form_encode(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += escape(k);
    out += '=';
    out += escape(v);
  }
  return out;
}

// `base` with `params` appended to its query, each name and value percent-encoded from its
// bytes (NUL included: nothing is cut). The base is checked with libcurl's URL parser.
Error append_query(const std::string& base, const Params& params, std::string& out) {
  CURLU* u = curl_url();
  if (!u) return Error(Status::internal, "out of memory");
  const bool valid = curl_url_set(u, CURLUPART_URL, base.c_str(), 0) == CURLUE_OK;
  curl_url_cleanup(u);
  if (!valid || base.find('#') != std::string::npos)
    return Error(Status::http_error, "the provider's endpoint is not a valid URL: " + printable(base, 200));
  out = base;
  char sep = base.find('?') == std::string::npos ? '?' : '&';
  if (!out.empty() && (out.back() == '?' || out.back() == '&')) sep = 0;
  for (const auto& [k, v] : params) {
    if (sep) out += sep;
    sep = '&';
    out += escape(k);
    out += '=';
    out += escape(v);
  }
  return {};
}

std::string url_decode(std::string_view s) {
  std::string plus(s);
  for (char& c : plus)
    if (c == '+') c = ' ';
  int len = 0;
  char* d = curl_easy_unescape(nullptr, plus.data(), static_cast<int>(plus.size()), &len);
  if (!d) throw std::bad_alloc();
  std::string out(d, static_cast<size_t>(len));
  curl_free(d);
  return out;
}

// The query of a callback URL (or a bare query string) as name → value. A name given twice
// is refused (RFC 6749 §3.1: parameters must not repeat).
Error parse_callback(std::string_view callback, std::unordered_map<std::string, std::string>& out) {
  if (callback.size() > kMaxCallbackBytes) return Error(Status::too_large, "callback is over 16 KiB");
  if (auto q = callback.find('?'); q != std::string_view::npos) callback.remove_prefix(q + 1);
  if (auto h = callback.find('#'); h != std::string_view::npos) callback = callback.substr(0, h);
  while (!callback.empty()) {
    const size_t amp = callback.find('&');
    std::string_view pair = callback.substr(0, amp);
    callback = amp == std::string_view::npos ? std::string_view() : callback.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name = url_decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    if (out.count(name)) return Error(Status::invalid_argument, "callback repeats the parameter \"" + printable(name) + "\"");
    out.emplace(std::move(name), std::move(value));
  }
  return {};
}

const std::string* param(const std::unordered_map<std::string, std::string>& m, const char* name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

Error idp_error(std::string error, std::string description, long http_status) {
  Error e(Status::idp_error, "the provider answered " + printable(error, 64) +
                                 (description.empty() ? "" : ": " + printable(description, 160)),
          http_status);
  e.idp_error = std::move(error);
  e.idp_error_description = std::move(description);
  return e;
}

// An OAuth error body ({"error": ..., "error_description": ...}) becomes idp_error; any other
// failure status is http_error.
Error endpoint_failure(const char* what, const http::HttpResponse& resp) {
  json::StrictParser parser;
  element root;
  object obj;
  std::string_view error, description;
  if (!parser.parse(resp.body, root) && !root.get_object().get(obj) &&
      json::get_string(obj, "error", error) == json::Presence::present && !error.empty()) {
    (void)json::get_string(obj, "error_description", description);
    return idp_error(std::string(error), std::string(description), resp.status);
  }
  return Error(Status::http_error, std::string(what) + " answered HTTP " + std::to_string(resp.status), resp.status);
}

bool looks_like_jwt(std::string_view token) {
  size_t dots = 0;
  for (char c : token) dots += c == '.';
  return dots == 2;
}

void append_member(std::string& out, std::string_view key, std::string_view raw_json) {
  if (out.size() > 1) out += ',';
  json::append_json_string(out, key);
  out += ':';
  out += raw_json;
}

std::string json_string(std::string_view s) {
  std::string out;
  json::append_json_string(out, s);
  return out;
}

std::string json_string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    json::append_json_string(out, items[i]);
  }
  return out + "]";
}

Error read_string(element v, std::string_view key, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) return bad(key, "must be a string");
  if (s.empty()) return bad(key, "must not be empty");
  out.assign(s);
  return {};
}

Error read_ttl(element v, std::string_view key, int64_t min, int64_t max, int64_t& out) {
  auto n = json::as_number(v);
  if (!n || *n < static_cast<double>(min) || *n > static_cast<double>(max) ||
      *n != static_cast<double>(static_cast<int64_t>(*n)))
    return bad(key, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  out = static_cast<int64_t>(*n);
  return {};
}

Error read_scopes(element v, std::string_view key, std::vector<std::string>& out, Status status) {
  out.clear();
  std::string_view s;
  auto add = [&](std::string_view scope) -> Error {
    for (unsigned char c : scope)
      // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
      if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
        return Error(status, "\"" + std::string(key) + "\" holds a character not allowed in a scope");
    if (!scope.empty()) out.emplace_back(scope);
    return {};
  };
  if (!v.get_string().get(s)) {
    size_t pos = 0;
    while (pos <= s.size()) {
      size_t sp = s.find(' ', pos);
      if (sp == std::string_view::npos) sp = s.size();
      if (auto err = add(s.substr(pos, sp - pos))) return err;
      pos = sp + 1;
    }
  } else {
    simdjson::dom::array arr;
    if (v.get_array().get(arr)) return Error(status, "\"" + std::string(key) + "\" must be a string or an array of strings");
    for (element item : arr) {
      if (item.get_string().get(s) || s.empty())
        return Error(status, "\"" + std::string(key) + "\" must hold non-empty strings");
      if (auto err = add(s)) return err;
    }
  }
  if (out.empty()) return Error(status, "\"" + std::string(key) + "\" must name at least one scope");
  if (std::find(out.begin(), out.end(), "openid") == out.end())
    return Error(status, "\"" + std::string(key) + "\" must include \"openid\"");
  return {};
}

Error read_params(element v, std::string_view key, Params& out, Status status) {
  object obj;
  if (v.get_object().get(obj)) return Error(status, "\"" + std::string(key) + "\" must be an object of strings");
  for (auto field : obj) {
    std::string_view s;
    if (field.value.get_string().get(s))
      return Error(status, "\"" + std::string(key) + "." + printable(field.key) + "\" must be a string");
    if (kReservedParams.count(field.key))
      return Error(status, "\"" + std::string(key) + "." + std::string(field.key) +
                               "\" is set by the login flow itself and cannot be given");
    out.emplace_back(field.key, s);
  }
  return {};
}

bool absolute_http_url(const std::string& url) { return !http::origin_of(url).empty(); }

// The principal with the default mapping (used when none is configured).
std::string default_principal(const std::string& claims_json) {
  simdjson::dom::parser parser;
  element root;
  object claims;
  std::string out;
  if (!parser.parse(claims_json).get(root) && !root.get_object().get(claims))
    jose::build_principal(claims, jose::PrincipalConfig{}, out);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Configuration

Error parse_relying_party_config(std::string_view text, RelyingPartyConfig& out) {
  json::StrictParser parser;
  element root;
  if (auto err = parser.parse(text, root)) return Error(Status::invalid_config, "configuration: " + err.message);
  object obj;
  if (root.get_object().get(obj)) return Error(Status::invalid_config, "configuration must be a JSON object");
  std::string internal_url;
  std::string members = "{";
  for (auto field : obj) {
    const std::string_view key = field.key;
    element v = field.value;
    if (key == "issuer") {
      if (auto err = read_string(v, key, out.issuer)) return err;
    } else if (key == "client_id") {
      if (auto err = read_string(v, key, out.client_id)) return err;
    } else if (key == "client_secret") {
      if (auto err = read_string(v, key, out.client_secret)) return err;
    } else if (key == "redirect_uri") {
      if (auto err = read_string(v, key, out.redirect_uri)) return err;
      if (!absolute_http_url(out.redirect_uri)) return bad(key, "must be an absolute http(s) URL");
    } else if (key == "scopes") {
      if (auto err = read_scopes(v, key, out.scopes, Status::invalid_config)) return err;
    } else if (key == "token_endpoint_auth_method") {
      std::string m;
      if (auto err = read_string(v, key, m)) return err;
      if (m == "client_secret_post") out.client_auth = ClientAuth::post;
      else if (m == "client_secret_basic") out.client_auth = ClientAuth::basic;
      else return bad(key, "must be \"client_secret_post\" or \"client_secret_basic\"");
    } else if (key == "basic_auth_encoding") {
      std::string m;
      if (auto err = read_string(v, key, m)) return err;
      if (m == "form") out.basic_raw = false;
      else if (m == "raw") out.basic_raw = true;
      else return bad(key, "must be \"form\" (RFC 6749) or \"raw\"");
    } else if (key == "hs256_client_secret") {
      if (v.get_bool().get(out.hs256_client_secret)) return bad(key, "must be true or false");
    } else if (key == "browser_binding") {
      if (v.get_bool().get(out.browser_binding)) return bad(key, "must be true or false");
    } else if (key == "validate_access_token") {
      if (v.get_bool().get(out.validate_access_token)) return bad(key, "must be true or false");
    } else if (key == "access_token_audience") {
      std::string_view s;
      out.access_token_audience.clear();
      if (!v.get_string().get(s) && !s.empty()) {
        out.access_token_audience.emplace_back(s);
      } else {
        simdjson::dom::array arr;
        if (v.get_array().get(arr)) return bad(key, "must be a string or an array of strings");
        for (element item : arr) {
          if (item.get_string().get(s) || s.empty()) return bad(key, "must hold non-empty strings");
          out.access_token_audience.emplace_back(s);
        }
        if (out.access_token_audience.empty()) return bad(key, "must name at least one audience");
      }
    } else if (key == "post_logout_redirect_uri") {
      if (auto err = read_string(v, key, out.post_logout_redirect_uri)) return err;
      if (!absolute_http_url(out.post_logout_redirect_uri)) return bad(key, "must be an absolute http(s) URL");
    } else if (key == "deny_list") {
      if (v.get_bool().get(out.deny_list)) return bad(key, "must be true or false");
    } else if (key == "deny_list_fail_open") {
      if (v.get_bool().get(out.deny_list_fail_open)) return bad(key, "must be true or false");
    } else if (key == "state_ttl") {
      if (auto err = read_ttl(v, key, 1, 86400, out.state_ttl)) return err;
    } else if (key == "exchange_code_ttl") {
      if (auto err = read_ttl(v, key, 1, 86400, out.exchange_code_ttl)) return err;
    } else if (key == "discovery_ttl") {
      if (auto err = read_ttl(v, key, 60, 7 * 86400, out.discovery_ttl)) return err;
    } else if (key == "refresh_reuse_window") {
      if (auto err = read_ttl(v, key, 0, 60, out.refresh_reuse_window)) return err;
    } else if (key == "refresh_tokens") {
      if (v.get_bool().get(out.refresh_tokens)) return bad(key, "must be true or false");
    } else if (key == "authorization_params") {
      out.authorization_params.clear();
      if (auto err = read_params(v, key, out.authorization_params, Status::invalid_config)) return err;
    } else if (key == "internal_url") {
      if (auto err = read_string(v, key, internal_url)) return err;
    } else if (kVerifierKeys.count(key)) {
      if (key == "algorithms") out.algorithms_given = true;
      append_member(members, key, simdjson::minify(v));
    } else {
      return bad(key, "is not a known option");
    }
  }
  for (auto [key, value] : {std::pair<const char*, const std::string*>{"issuer", &out.issuer},
                            {"client_id", &out.client_id},
                            {"client_secret", &out.client_secret},
                            {"redirect_uri", &out.redirect_uri}})
    if (value->empty()) return bad(key, "is required");
  if (!absolute_http_url(out.issuer)) return bad("issuer", "must be an http(s) URL (discovery is fetched from it)");
  if (out.hs256_client_secret && out.algorithms_given)
    return bad("algorithms", "cannot be combined with \"hs256_client_secret\" (which allows HS256 only)");
  out.verifier_members = members.substr(1);

  // The network options are read the way the verifier reads them, which also checks every
  // member handed on: a bad one is reported now, not at the first login.
  std::string probe = "{" + out.verifier_members;
  append_member(probe, "issuer", json_string(out.issuer));
  append_member(probe, "audience", json_string(out.client_id));
  append_member(probe, "jwks_uri", json_string(http::origin_of(out.issuer) + "/jwks"));
  if (!internal_url.empty()) append_member(probe, "internal_url", json_string(internal_url));
  probe += "}";
  VerifierConfig vc;
  if (auto err = parse_verifier_config(probe, vc)) return err;
  out.http = vc.http;
  out.cache = vc.cache;
  if (out.hs256_client_secret) {
    // A JWK for the secret is checked now too (length, form).
    std::string hs = "{" + out.verifier_members;
    append_member(hs, "issuer", json_string(out.issuer));
    append_member(hs, "audience", json_string(out.client_id));
    append_member(hs, "algorithms", "[\"HS256\"]");
    append_member(hs, "jwks",
                  "{\"keys\":[{\"kty\":\"oct\",\"k\":" + json_string(encoding::base64url_encode(out.client_secret)) + "}]}");
    hs += "}";
    VerifierConfig hc;
    if (auto err = parse_verifier_config(hs, hc))
      return Error(Status::invalid_config, "\"hs256_client_secret\": " + err.message);
  }
  return {};
}

namespace {

bool has_offline_access(const RelyingPartyConfig& config) {
  return std::find(config.scopes.begin(), config.scopes.end(), "offline_access") != config.scopes.end();
}

}  // namespace

std::vector<ConfigWarning> relying_party_warnings(const RelyingPartyConfig& config) {
  std::vector<ConfigWarning> out;
  if (config.refresh_tokens && !has_offline_access(config))
    out.push_back({"no_offline_access",
                   "\"scopes\" do not include \"offline_access\": providers such as Authentik then issue no "
                   "refresh token, so sessions end when the access token expires and refresh() has nothing to "
                   "send. Add \"offline_access\" to \"scopes\", or set \"refresh_tokens\": false when the "
                   "application does not refresh"});
  return out;
}

std::string warnings_json(const std::vector<ConfigWarning>& warnings) {
  std::string o = "[";
  for (const auto& w : warnings) {
    if (o.size() > 1) o += ',';
    std::string item = "{";
    append_member(item, "code", json_string(w.code));
    append_member(item, "message", json_string(w.message));
    o += item + "}";
  }
  return o + "]";
}

// ---------------------------------------------------------------------------------------
// Per-call options

namespace {

// Parses an options object (empty text: no options), calling `member` for each field.
template <class F>
Error for_each_option(std::string_view text, json::StrictParser& parser, F&& member) {
  if (text.empty()) return {};
  element root;
  if (auto err = parser.parse(text, root)) return Error(Status::invalid_argument, "options: " + err.message);
  object obj;
  if (root.get_object().get(obj)) return Error(Status::invalid_argument, "options must be a JSON object");
  for (auto field : obj)
    if (auto err = member(field.key, field.value)) return err;
  return {};
}

Error option_string(element v, std::string_view key, std::optional<std::string>& out, bool allow_empty = false) {
  std::string_view s;
  if (v.get_string().get(s)) return bad_arg(key, "must be a string");
  if (s.empty() && !allow_empty) return bad_arg(key, "must not be empty");
  out.emplace(s);
  return {};
}

}  // namespace

Error parse_begin_login_options(std::string_view text, BeginLoginOptions& out) {
  json::StrictParser parser;
  return for_each_option(text, parser, [&](std::string_view key, element v) -> Error {
    if (key == "redirect_after") {
      if (v.is_null()) return {};
      std::string_view s;
      if (v.get_string().get(s)) return bad_arg(key, "must be a string");
      out.redirect_after.emplace(s);
      return {};
    }
    if (key == "extra") {
      if (!v.is_null()) out.extra_json = simdjson::minify(v);
      return {};
    }
    if (key == "binding") return option_string(v, key, out.binding);
    if (key == "scopes") {
      std::vector<std::string> scopes;
      if (auto err = read_scopes(v, key, scopes, Status::invalid_argument)) return err;
      out.scopes = std::move(scopes);
      return {};
    }
    if (key == "params") return read_params(v, key, out.params, Status::invalid_argument);
    return bad_arg(key, "is not a known option");
  });
}

Error parse_complete_login_options(std::string_view text, CompleteLoginOptions& out) {
  json::StrictParser parser;
  return for_each_option(text, parser, [&](std::string_view key, element v) -> Error {
    if (key == "binding") return option_string(v, key, out.binding);
    if (key == "exchange_code_binding") return option_string(v, key, out.exchange_code_binding);
    if (key == "exchange_code") {
      if (v.get_bool().get(out.exchange_code)) return bad_arg(key, "must be true or false");
      return {};
    }
    if (key == "exchange_code_ttl") {
      int64_t ttl = 0;
      if (auto err = read_ttl(v, key, 1, 86400, ttl)) return Error(Status::invalid_argument, err.message);
      out.exchange_code_ttl = ttl;
      return {};
    }
    return bad_arg(key, "is not a known option");
  });
}

Error parse_logout_options(std::string_view text, LogoutOptions& out) {
  json::StrictParser parser;
  return for_each_option(text, parser, [&](std::string_view key, element v) -> Error {
    if (key == "access_token" || key == "refresh_token") {
      // The browser's cookies as they are: null, empty or absent all mean "none".
      std::optional<std::string>& slot = key == "access_token" ? out.access_token : out.refresh_token;
      if (v.is_null()) return {};
      if (auto err = option_string(v, key, slot, true)) return err;
      if (slot->empty()) slot.reset();
      return {};
    }
    if (key == "id_token_hint") return option_string(v, key, out.id_token_hint);
    if (key == "post_logout_redirect_uri") return option_string(v, key, out.post_logout_redirect_uri);
    if (key == "state") return option_string(v, key, out.state);
    return bad_arg(key, "is not a known option");
  });
}

// ---------------------------------------------------------------------------------------
// JSON forms

std::string token_set_json(const TokenSet& t) {
  std::string o = "{";
  append_member(o, "access_token", json_string(t.access_token));
  append_member(o, "token_type", json_string(t.token_type));
  append_member(o, "id_token", t.id_token.empty() ? "null" : json_string(t.id_token));
  append_member(o, "refresh_token", t.refresh_token.empty() ? "null" : json_string(t.refresh_token));
  append_member(o, "expires_in", t.expires_in ? std::to_string(*t.expires_in) : "null");
  append_member(o, "expires_at", t.expires_at ? std::to_string(t.expires_at) : "null");
  append_member(o, "refresh_expires_in", t.refresh_expires_in ? std::to_string(*t.refresh_expires_in) : "null");
  append_member(o, "scope", t.scope.empty() ? "null" : json_string(t.scope));
  append_member(o, "claims", t.id_claims.empty() ? "null" : t.id_claims);
  append_member(o, "access_claims", t.access_claims.empty() ? "null" : t.access_claims);
  append_member(o, "principal", t.principal.empty() ? "null" : t.principal);
  return o + "}";
}

namespace {

std::string error_json(const Error& e) {
  if (!e) return "null";
  std::string o = "{";
  append_member(o, "code", json_string(status_name(e.status)));
  append_member(o, "message", json_string(e.message.empty() ? status_message(e.status) : e.message));
  if (!e.idp_error.empty()) {
    append_member(o, "idp_error", json_string(e.idp_error));
    append_member(o, "idp_error_description", json_string(e.idp_error_description));
  }
  return o + "}";
}

}  // namespace

std::string logout_result_json(const LogoutResult& r) {
  std::string o = "{";
  append_member(o, "logout_url", r.logout_url.empty() ? "null" : json_string(r.logout_url));
  append_member(o, "revoked", r.revoked ? "true" : "false");
  append_member(o, "denied", r.denied ? "true" : "false");
  append_member(o, "revoke_error", error_json(r.revoke_error));
  append_member(o, "deny_error", error_json(r.deny_error));
  return o + "}";
}

std::string login_result_json(const LoginResult& r) {
  std::string o;
  if (r.exchange_code.empty()) {
    o = token_set_json(r.tokens);
    o.pop_back();
  } else {
    o = "{";
    append_member(o, "exchange_code", json_string(r.exchange_code));
    append_member(o, "claims", r.tokens.id_claims.empty() ? "null" : r.tokens.id_claims);
    append_member(o, "principal", r.tokens.principal.empty() ? "null" : r.tokens.principal);
  }
  append_member(o, "redirect_after", r.redirect_after ? json_string(*r.redirect_after) : "null");
  append_member(o, "extra", r.extra_json ? *r.extra_json : "null");
  return o + "}";
}

// ---------------------------------------------------------------------------------------
// Provider metadata and verifiers

std::unique_ptr<RelyingParty> RelyingParty::create(std::string_view config_json, store::Store& store, Error& error) {
  RelyingPartyConfig config;
  error = parse_relying_party_config(config_json, config);
  if (error) return nullptr;
  return std::make_unique<RelyingParty>(std::move(config), store);
}

RelyingParty::RelyingParty(RelyingPartyConfig config, store::Store& store)
    : config_(std::move(config)),
      warnings_(relying_party_warnings(config_)),
      store_(store),
      http_(std::make_shared<http::HttpClient>(config_.http)) {}

Error RelyingParty::build_provider(const jwks::ProviderMetadata& meta, const std::shared_ptr<const Provider>& old,
                                   std::shared_ptr<const Provider>& out) const {
  if (meta.authorization_endpoint.empty() || meta.token_endpoint.empty())
    return Error(Status::http_error, "discovery names no authorization_endpoint or token_endpoint");
  auto p = std::make_shared<Provider>();
  p->meta = meta;
  p->fetched_at = jwks::KeyCache::monotonic_now();

  std::string common = "{" + config_.verifier_members;
  append_member(common, "issuer", json_string(config_.issuer));
  std::string algorithms;
  if (config_.hs256_client_secret) {
    append_member(common, "algorithms", "[\"HS256\"]");
    append_member(common, "jwks", "{\"keys\":[{\"kty\":\"oct\",\"k\":" +
                                      json_string(encoding::base64url_encode(config_.client_secret)) + "}]}");
  } else {
    if (meta.jwks_uri.empty()) return Error(Status::http_error, "discovery names no jwks_uri");
    if (!config_.algorithms_given) {
      // What the provider says it signs ID tokens with, asymmetric algorithms only.
      std::vector<std::string> advertised;
      for (const auto& a : meta.id_token_signing_alg_values_supported) {
        auto alg = jose::alg_from_name(a);
        if (alg && !jose::is_hmac(*alg)) advertised.push_back(a);
      }
      if (!advertised.empty()) append_member(common, "algorithms", json_string_array(advertised));
    }
    append_member(common, "jwks_uri", json_string(meta.jwks_uri));
    if (!config_.http.internal_url.empty()) append_member(common, "internal_url", json_string(config_.http.internal_url));
  }

  std::string id_json = common;
  append_member(id_json, "audience", json_string(config_.client_id));
  append_member(id_json, "azp", json_string(config_.client_id));
  id_json += "}";
  std::string access_json = common;
  append_member(access_json, "audience",
                json_string_array(config_.access_token_audience.empty() ? std::vector<std::string>{config_.client_id}
                                                                        : config_.access_token_audience));
  access_json += "}";

  VerifierConfig id_config, access_config;
  if (auto err = parse_verifier_config(id_json, id_config)) return err;
  if (auto err = parse_verifier_config(access_json, access_config)) return err;
  if (config_.deny_list) {
    // Only access tokens are refused once their session ended; the ID token is checked at
    // the login itself, before any logout of that session can have happened.
    access_config.deny_list = true;
    access_config.deny_list_fail_open = config_.deny_list_fail_open;
    access_config.deny_store = &store_;
  }
  if (config_.hs256_client_secret) {
    p->id_verifier = std::make_unique<Verifier>(std::move(id_config));
    p->access_verifier = std::make_unique<Verifier>(std::move(access_config));
  } else {
    // One key cache for both verifiers; kept across re-discovery while the jwks_uri stays.
    if (old && old->keys && old->meta.jwks_uri == meta.jwks_uri)
      p->keys = old->keys;
    else
      p->keys = std::make_shared<jwks::KeyCache>(meta.jwks_uri, "", http_, id_config.cache);
    p->id_verifier = std::make_unique<Verifier>(std::move(id_config), p->keys);
    p->access_verifier = std::make_unique<Verifier>(std::move(access_config), p->keys);
  }
  out = std::move(p);
  return {};
}

Error RelyingParty::provider(std::shared_ptr<const Provider>& out) {
  const auto current = [&](int64_t now) -> std::optional<Error> {
    std::lock_guard<std::mutex> lock(provider_mutex_);
    out = provider_;
    if (out && now - out->fetched_at < config_.discovery_ttl) return Error{};
    // A discovery failed a moment ago: the metadata we have, else that failure, at once.
    if (now < discovery_retry_at_) return out ? Error{} : discovery_error_;
    return std::nullopt;
  };
  if (auto answer = current(jwks::KeyCache::monotonic_now())) return *answer;
  // Past its TTL, one caller fetches the metadata again while the others go on with what
  // they have; with nothing yet, everyone waits for the one fetch (and shares its failure).
  std::unique_lock<std::mutex> discovering(discovery_mutex_, std::defer_lock);
  if (out) {
    if (!discovering.try_lock()) return {};
  } else {
    discovering.lock();
    if (auto answer = current(jwks::KeyCache::monotonic_now())) return *answer;
  }
  jwks::ProviderMetadata meta;
  Error err = jwks::fetch_discovery(*http_, config_.issuer, meta);
  std::shared_ptr<const Provider> fresh;
  if (!err) err = build_provider(meta, out, fresh);
  std::lock_guard<std::mutex> lock(provider_mutex_);
  if (err) {
    discovery_error_ = err;
    discovery_retry_at_ = jwks::KeyCache::monotonic_now() + config_.cache.retry_interval;
    if (out) return {};  // keep using the metadata we have
    return err;
  }
  discovery_retry_at_ = 0;
  provider_ = fresh;
  out = std::move(fresh);
  return {};
}

// ---------------------------------------------------------------------------------------
// Login

Error RelyingParty::begin_login(const BeginLoginOptions& options, LoginStart& out) {
  if (options.redirect_after) {
    if (auto err = web::safe_redirect(*options.redirect_after)) return err;
  }
  for (const auto& [k, v] : options.params)
    if (kReservedParams.count(k))
      return bad_arg(k, "is set by the login flow itself and cannot be given");
  std::shared_ptr<const Provider> p;
  if (auto err = provider(p)) return err;

  StateOptions so;
  so.redirect_after = options.redirect_after;
  so.extra_json = options.extra_json;
  so.binding = options.binding;
  if (!so.binding && config_.browser_binding) so.binding = random_token();
  so.ttl_seconds = config_.state_ttl;
  NewLoginState st;
  if (auto err = create_state(store_, so, st)) return err;

  std::string scope;
  for (const auto& s : options.scopes ? *options.scopes : config_.scopes) scope += (scope.empty() ? "" : " ") + s;
  Params params = {{"response_type", "code"},
                   {"client_id", config_.client_id},
                   {"redirect_uri", config_.redirect_uri},
                   {"scope", scope},
                   {"state", st.state},
                   {"nonce", st.nonce},
                   {"code_challenge", st.code_challenge},
                   // Always explicit: without it some providers (Authentik) assume "plain".
                   {"code_challenge_method", "S256"}};
  for (const auto& kv : config_.authorization_params) params.push_back(kv);
  for (const auto& kv : options.params) params.push_back(kv);
  if (auto err = append_query(p->meta.authorization_endpoint, params, out.url)) return err;
  out.state = st.state;
  out.binding = so.binding.value_or("");
  out.expires_in = config_.state_ttl;
  return {};
}

Error RelyingParty::complete_login(std::string_view callback, const CompleteLoginOptions& options, LoginResult& out) {
  std::unordered_map<std::string, std::string> query;
  if (auto err = parse_callback(callback, query)) return err;
  const std::string* state = param(query, "state");
  const std::string* error = param(query, "error");
  if (!state || state->empty()) {
    if (error) {
      const std::string* d = param(query, "error_description");
      return idp_error(*error, d ? *d : "", 0);
    }
    return Error(Status::invalid_argument, "the callback has no \"state\"");
  }
  // The state is spent first, whatever follows: a callback is never accepted twice.
  LoginState record;
  std::optional<std::string_view> binding;
  if (options.binding) binding = *options.binding;
  if (auto err = consume_state(store_, *state, binding, record)) {
    if (err.status == Status::not_found && !binding && config_.browser_binding)
      err.message += " (logins are tied to the browser that started them: give the binding begin_login handed out)";
    return err;
  }
  if (error) {
    const std::string* d = param(query, "error_description");
    return idp_error(*error, d ? *d : "", 0);
  }
  // RFC 9207: a provider that names itself in the response must name the right issuer.
  if (const std::string* iss = param(query, "iss"); iss && *iss != config_.issuer)
    return Error(Status::bad_issuer, "the callback's \"iss\" is \"" + printable(*iss, 200) + "\", expected \"" +
                                         printable(config_.issuer, 200) + "\"");
  const std::string* code = param(query, "code");
  if (!code || code->empty()) return Error(Status::invalid_argument, "the callback has no \"code\"");

  std::shared_ptr<const Provider> p;
  if (auto err = provider(p)) return err;
  TokenSet tokens;
  if (auto err = token_request(*p,
                               {{"grant_type", "authorization_code"},
                                {"code", *code},
                                {"redirect_uri", config_.redirect_uri},
                                {"code_verifier", record.code_verifier}},
                               &record.nonce, true, tokens))
    return err;

  out = LoginResult{};
  out.redirect_after = std::move(record.redirect_after);
  out.extra_json = std::move(record.extra_json);
  if (options.exchange_code) {
    ExchangeCodeOptions eo;
    eo.ttl_seconds = options.exchange_code_ttl.value_or(config_.exchange_code_ttl);
    eo.binding = options.exchange_code_binding ? options.exchange_code_binding : options.binding;
    if (auto err = create_exchange_code(store_, token_set_json(tokens), out.exchange_code, eo)) return err;
    // Only what identifies the user stays in the result; the tokens went into the code.
    out.tokens.id_claims = std::move(tokens.id_claims);
    out.tokens.principal = std::move(tokens.principal);
  } else {
    out.tokens = std::move(tokens);
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Token endpoint

Error RelyingParty::post_form(const std::string& url, Params params, http::HttpResponse& resp) {
  std::vector<std::string> headers = {"Accept: application/json"};
  if (config_.client_auth == ClientAuth::post) {
    params.emplace_back("client_id", config_.client_id);
    params.emplace_back("client_secret", config_.client_secret);
  } else {
    const std::string creds = config_.basic_raw ? config_.client_id + ":" + config_.client_secret
                                                : escape(config_.client_id) + ":" + escape(config_.client_secret);
    std::string b64(sodium_base64_ENCODED_LEN(creds.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(creds.data()), creds.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    b64.resize(std::strlen(b64.c_str()));
    headers.push_back("Authorization: Basic " + b64);
  }
  headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
  return http_->fetch({url, "POST", form_encode(params), headers}, resp);
}

Error RelyingParty::token_request(const Provider& p, Params params, const std::string* nonce, bool id_token_required,
                                  TokenSet& out) {
  token_requests_.fetch_add(1, std::memory_order_relaxed);
  http::HttpResponse resp;
  if (auto err = post_form(p.meta.token_endpoint, std::move(params), resp)) {
    err.message = "token endpoint: " + err.message;
    return err;
  }
  if (resp.status != 200) return endpoint_failure("the token endpoint", resp);

  json::StrictParser parser;
  element root;
  object obj;
  if (parser.parse(resp.body, root) || root.get_object().get(obj))
    return Error(Status::http_error, "the token endpoint's answer is not a JSON object", resp.status);
  std::string_view s;
  if (json::get_string(obj, "access_token", s) != json::Presence::present || s.empty())
    return Error(Status::http_error, "the token endpoint's answer has no \"access_token\"", resp.status);
  out.access_token.assign(s);
  if (json::get_string(obj, "token_type", s) != json::Presence::present)
    return Error(Status::http_error, "the token endpoint's answer has no \"token_type\"", resp.status);
  std::string type(s);
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type != "bearer")
    return Error(Status::http_error, "unsupported token_type \"" + printable(s) + "\" (only Bearer)", resp.status);
  out.token_type = "Bearer";
  auto pres = json::get_string(obj, "id_token", s);
  if (pres == json::Presence::present) out.id_token.assign(s);
  else if (pres == json::Presence::wrong_type)
    return Error(Status::http_error, "the token endpoint's \"id_token\" is not a string", resp.status);
  if (id_token_required && out.id_token.empty())
    return Error(Status::http_error, "the token endpoint returned no \"id_token\" (is \"openid\" in the scopes?)",
                 resp.status);
  pres = json::get_string(obj, "refresh_token", s);
  if (pres == json::Presence::present) out.refresh_token.assign(s);
  if (json::get_string(obj, "scope", s) == json::Presence::present) out.scope.assign(s);
  double expires = 0;
  pres = json::get_number(obj, "expires_in", expires);
  if (pres == json::Presence::present) {
    if (!(expires >= 0 && expires <= 10.0 * 365 * 86400))
      return Error(Status::http_error, "the token endpoint's \"expires_in\" is out of range", resp.status);
    out.expires_in = static_cast<int64_t>(expires);
    out.expires_at = unix_now() + *out.expires_in;
  }
  // Only with a refresh token, and only a sane number: it sizes a cookie, nothing more
  // (Keycloak answers 0 for offline tokens, which do not expire: taken as not given).
  if (!out.refresh_token.empty() && json::get_number(obj, "refresh_expires_in", expires) == json::Presence::present &&
      expires >= 1 && expires <= 10.0 * 365 * 86400)
    out.refresh_expires_in = static_cast<int64_t>(expires);
  return validate_tokens(p, nonce, out);
}

Error RelyingParty::validate_tokens(const Provider& p, const std::string* nonce, TokenSet& out) const {
  if (!out.id_token.empty()) {
    VerifiedToken id;
    VerifyOptions vo;
    vo.nonce = nonce;
    if (auto err = p.id_verifier->verify(out.id_token, id, vo)) {
      err.message = "ID token: " + err.message;
      return err;
    }
    // The nonce check above covers a login. A refreshed ID token carries no nonce of its own
    // to compare (OpenID Connect Core §12.2), so none is asked for.
    out.id_claims = std::move(id.claims);
    if (id.principal.empty()) id.principal = default_principal(out.id_claims);
    out.principal = std::move(id.principal);
  }
  if (config_.validate_access_token && looks_like_jwt(out.access_token)) {
    VerifiedToken at;
    if (auto err = p.access_verifier->verify(out.access_token, at)) {
      err.message = "access token: " + err.message;
      return err;
    }
    out.access_claims = std::move(at.claims);
  }
  return {};
}

Error RelyingParty::verify_access_token(std::string_view token, VerifiedToken& out, bool allow_fetch) {
  std::shared_ptr<const Provider> p;
  if (allow_fetch) {
    if (auto err = provider(p)) return err;
  } else {
    const int64_t now = jwks::KeyCache::monotonic_now();
    {
      std::lock_guard<std::mutex> lock(provider_mutex_);
      p = provider_;
      // While a failed discovery is left alone (retry interval), the blocking call would not
      // fetch either: answer as it would, from the metadata we have or with the failure.
      if (now < discovery_retry_at_ && !p) return discovery_error_;
      if (p && now - p->fetched_at >= config_.discovery_ttl && now >= discovery_retry_at_)
        return Error(Status::needs_fetch, "");
    }
    if (!p) return Error(Status::needs_fetch, "");
  }
  VerifyOptions options;
  options.allow_fetch = allow_fetch;
  if (auto err = p->access_verifier->verify(token, out, options)) return err;
  if (out.principal.empty()) out.principal = default_principal(out.claims);
  return {};
}

// ---------------------------------------------------------------------------------------
// Refresh: one call per refresh token at a time

Error RelyingParty::refresh(std::string_view refresh_token, TokenSet& out) {
  if (refresh_token.empty())
    return Error(Status::invalid_argument,
                 std::string("no refresh token: providers such as Authentik issue one only when the login asked for "
                             "the \"offline_access\" scope") +
                     (has_offline_access(config_) ? "" : ", and this relying party's \"scopes\" do not include it"));
  if (refresh_token.size() > kMaxTokenArgumentBytes) return Error(Status::too_large, "the refresh token is over 64 KiB");
  // The flights are keyed by a hash: the map never holds the tokens themselves.
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(refresh_token.data()),
                     refresh_token.size(), nullptr, 0);
  const std::string key(reinterpret_cast<const char*>(digest), sizeof digest);

  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard<std::mutex> lock(flights_mutex_);
    // Outcomes older than the reuse window are dropped (a few at a time, on each call).
    const int64_t now = jwks::KeyCache::monotonic_now();
    for (auto it = flights_.begin(); it != flights_.end();) {
      const Flight& f = *it->second;
      if (f.done_at && now - f.done_at >= config_.refresh_reuse_window) it = flights_.erase(it);
      else ++it;
    }
    auto& slot = flights_[key];
    if (!slot) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (leader) {
    TokenSet result;
    Error err;
    try {
      err = do_refresh(refresh_token, result);
    } catch (...) {
      err = Error(Status::internal, "unexpected failure during refresh");
    }
    {
      std::lock_guard<std::mutex> lock(flight->mutex);
      flight->error = err;
      flight->result = result;
      flight->done = true;
    }
    flight->done_cv.notify_all();
    {
      // Kept for the reuse window when it succeeded; a failure is not kept (the next caller
      // asks the provider again: a network failure may be over).
      std::lock_guard<std::mutex> lock(flights_mutex_);
      if (err || config_.refresh_reuse_window == 0) {
        flights_.erase(key);
      } else {
        flight->done_at = jwks::KeyCache::monotonic_now();
        if (flight->done_at == 0) flight->done_at = 1;
      }
    }
    out = std::move(result);
    return err;
  }
  std::unique_lock<std::mutex> lock(flight->mutex);
  flight->done_cv.wait(lock, [&] { return flight->done; });
  out = flight->result;
  return flight->error;
}

Error RelyingParty::do_refresh(std::string_view refresh_token, TokenSet& out) {
  std::shared_ptr<const Provider> p;
  if (auto err = provider(p)) return err;
  if (auto err = token_request(*p, {{"grant_type", "refresh_token"}, {"refresh_token", std::string(refresh_token)}},
                               nullptr, false, out))
    return err;
  // A provider that does not rotate leaves the refresh token out: the old one stays valid.
  if (out.refresh_token.empty()) out.refresh_token.assign(refresh_token);
  return {};
}

uint64_t RelyingParty::token_requests() const { return token_requests_.load(std::memory_order_relaxed); }

// ---------------------------------------------------------------------------------------
// Userinfo, revocation, logout

Error RelyingParty::userinfo(std::string_view access_token, std::string& claims_json) {
  if (access_token.empty()) return Error(Status::invalid_argument, "the access token is empty");
  if (access_token.size() > kMaxTokenArgumentBytes) return Error(Status::too_large, "the access token is over 64 KiB");
  for (unsigned char c : access_token)
    if (c <= 0x20 || c >= 0x7f) return Error(Status::invalid_argument, "the access token holds characters a header cannot carry");
  std::shared_ptr<const Provider> p;
  if (auto err = provider(p)) return err;
  if (p->meta.userinfo_endpoint.empty()) return Error(Status::invalid_config, "the provider advertises no userinfo_endpoint");
  http::HttpResponse resp;
  if (auto err = http_->fetch({p->meta.userinfo_endpoint, "GET", "",
                               {"Accept: application/json", "Authorization: Bearer " + std::string(access_token)}},
                              resp)) {
    err.message = "userinfo endpoint: " + err.message;
    return err;
  }
  if (resp.status == 401 || resp.status == 403) {
    Error e = endpoint_failure("the userinfo endpoint", resp);
    if (e.status == Status::idp_error) return e;
    return idp_error("invalid_token", "the userinfo endpoint refused the access token", resp.status);
  }
  if (resp.status != 200) return endpoint_failure("the userinfo endpoint", resp);
  json::StrictParser parser;
  element root;
  object obj;
  if (parser.parse(resp.body, root) || root.get_object().get(obj))
    return Error(Status::http_error, "the userinfo answer is not a JSON object (signed userinfo is not supported)",
                 resp.status);
  std::string_view sub;
  if (json::get_string(obj, "sub", sub) != json::Presence::present)
    return Error(Status::http_error, "the userinfo answer has no string \"sub\"", resp.status);
  claims_json = simdjson::minify(root);
  return {};
}

Error RelyingParty::revoke(std::string_view token, std::string_view token_type_hint) {
  if (token.empty()) return Error(Status::invalid_argument, "the token is empty");
  if (token.size() > kMaxTokenArgumentBytes) return Error(Status::too_large, "the token is over 64 KiB");
  if (!token_type_hint.empty() && token_type_hint != "access_token" && token_type_hint != "refresh_token")
    return Error(Status::invalid_argument, "token_type_hint must be \"access_token\" or \"refresh_token\"");
  std::shared_ptr<const Provider> p;
  if (auto err = provider(p)) return err;
  return revoke_with(*p, token, token_type_hint);
}

Error RelyingParty::revoke_with(const Provider& p, std::string_view token, std::string_view token_type_hint) {
  if (p.meta.revocation_endpoint.empty())
    return Error(Status::invalid_config, "the provider advertises no revocation_endpoint");
  Params params = {{"token", std::string(token)}};
  if (!token_type_hint.empty()) params.emplace_back("token_type_hint", std::string(token_type_hint));
  http::HttpResponse resp;
  if (auto err = post_form(p.meta.revocation_endpoint, std::move(params), resp)) {
    err.message = "revocation endpoint: " + err.message;
    return err;
  }
  // RFC 7009 §2.2: 200 whether or not the token was valid.
  if (resp.status != 200) return endpoint_failure("the revocation endpoint", resp);
  return {};
}

Error RelyingParty::end_session_url(const Provider& p, const LogoutOptions& options, std::string& url) const {
  const std::string& after =
      options.post_logout_redirect_uri ? *options.post_logout_redirect_uri : config_.post_logout_redirect_uri;
  if (p.meta.end_session_endpoint.empty())
    return Error(Status::invalid_config, "the provider advertises no end_session_endpoint");
  Params params = {{"client_id", config_.client_id}};
  if (options.id_token_hint) params.emplace_back("id_token_hint", *options.id_token_hint);
  if (!after.empty()) params.emplace_back("post_logout_redirect_uri", after);
  if (options.state) params.emplace_back("state", *options.state);
  return append_query(p.meta.end_session_endpoint, params, url);
}

Error RelyingParty::logout_url(const LogoutOptions& options, std::string& url) {
  const std::string& after =
      options.post_logout_redirect_uri ? *options.post_logout_redirect_uri : config_.post_logout_redirect_uri;
  if (!after.empty() && !absolute_http_url(after))
    return bad_arg("post_logout_redirect_uri", "must be an absolute http(s) URL");
  std::shared_ptr<const Provider> p;
  if (auto err = provider(p)) return err;
  return end_session_url(*p, options, url);
}

Error RelyingParty::logout(const LogoutOptions& options, LogoutResult& out) {
  out = LogoutResult{};
  const std::string& after =
      options.post_logout_redirect_uri ? *options.post_logout_redirect_uri : config_.post_logout_redirect_uri;
  if (!after.empty() && !absolute_http_url(after))
    return bad_arg("post_logout_redirect_uri", "must be an absolute http(s) URL");
  std::shared_ptr<const Provider> p;
  if (auto err = provider(p)) return err;
  // The URL first: it has no side effect, so a failure here leaves nothing half done.
  if (!p->meta.end_session_endpoint.empty()) {
    if (auto err = end_session_url(*p, options, out.logout_url)) return err;
  }

  // The deny list: only for a token that verifies (a forged or foreign token cannot end
  // another user's session), and only while it could still be accepted.
  if (config_.deny_list && options.access_token) {
    // Listed now or by an earlier logout: denied. Past exp (and the clock tolerance): no
    // verifier accepts it any more, nothing to list.
    const std::string& token = *options.access_token;
    Error err = token.size() > kMaxTokenArgumentBytes ? Error(Status::too_large, "the access token is over 64 KiB")
                                                      : p->access_verifier->deny(token, out.denied);
    if (err) {
      err.message = "access token: " + err.message;
      out.deny_error = std::move(err);
    }
  }

  // The refresh token, at the provider. A failure is reported, never a reason to keep the
  // session on this side.
  if (options.refresh_token) {
    const std::string& token = *options.refresh_token;
    if (token.size() > kMaxTokenArgumentBytes)
      out.revoke_error = Error(Status::too_large, "the refresh token is over 64 KiB");
    else
      out.revoke_error = revoke_with(*p, token, "refresh_token");
    out.revoked = !out.revoke_error;
  }
  return {};
}

}  // namespace oidcore::flow
