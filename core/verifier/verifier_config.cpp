#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "http/http_fetch.hpp"
#include "json/strict_json.hpp"
#include "verifier/verifier.hpp"

namespace oidcore {

using simdjson::dom::element;
using simdjson::dom::object;

namespace {

Error bad(std::string_view key, std::string_view what) {
  // Keys come from the caller's configuration, but may still hold control characters.
  return Error(Status::invalid_config, "\"" + printable(key) + "\" " + std::string(what));
}

Error read_string_list(element e, std::string_view key, std::vector<std::string>& out, bool allow_single) {
  std::string_view s;
  if (allow_single && !e.get_string().get(s)) {
    if (s.empty()) return bad(key, "must not be empty");
    out.emplace_back(s);
    return {};
  }
  simdjson::dom::array arr;
  if (e.get_array().get(arr)) return bad(key, allow_single ? "must be a string or an array of strings" : "must be an array of strings");
  for (element item : arr) {
    if (item.get_string().get(s)) return bad(key, "must contain only strings");
    if (s.empty()) return bad(key, "must not contain empty strings");
    out.emplace_back(s);
  }
  return {};
}

Error read_int(element e, std::string_view key, int64_t min, int64_t max, int64_t& out) {
  auto n = json::as_number(e);
  if (!n) return bad(key, "must be a whole number");
  // Range first: converting a double outside int64's range to int64 is undefined behaviour.
  if (*n < static_cast<double>(min) || *n > static_cast<double>(max))
    return bad(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  if (*n != static_cast<double>(static_cast<int64_t>(*n))) return bad(key, "must be a whole number");
  out = static_cast<int64_t>(*n);
  return {};
}

Error read_string(element e, std::string_view key, std::string& out) {
  std::string_view s;
  if (e.get_string().get(s)) return bad(key, "must be a string");
  if (s.empty()) return bad(key, "must not be empty");
  out.assign(s);
  return {};
}

Error read_principal(element e, jose::PrincipalConfig& out) {
  return jose::parse_principal_config(e, out, Status::invalid_config, "principal");
}

Error read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("jwks_file", "cannot be read: " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return {};
}

}  // namespace

Error parse_verifier_config(std::string_view text, VerifierConfig& out) {
  json::StrictParser parser;
  element root;
  if (auto err = parser.parse(text, root)) return Error(Status::invalid_config, "configuration: " + err.message);
  object obj;
  if (root.get_object().get(obj)) return Error(Status::invalid_config, "configuration must be a JSON object");

  bool have_issuer = false, have_audience = false, have_algorithms = false;
  bool have_min_ttl = false, have_max_ttl = false;
  std::string_view refetch_key;  // jwks_refetch_interval or its older form, once
  std::string jwks_text;
  bool have_jwks = false;
  for (auto field : obj) {
    const std::string_view key = field.key;
    element v = field.value;
    if (key == "issuer") {
      if (auto err = read_string(v, key, out.claims.issuer)) return err;
      have_issuer = true;
    } else if (key == "audience") {
      if (auto err = read_string_list(v, key, out.claims.audiences, true)) return err;
      if (out.claims.audiences.empty()) return bad(key, "must name at least one audience");
      have_audience = true;
    } else if (key == "algorithms") {
      std::vector<std::string> names;
      if (auto err = read_string_list(v, key, names, false)) return err;
      out.algorithms = jose::AlgSet{};
      for (const auto& n : names) {
        if (jose::is_none_alg(n)) return bad(key, "must not contain \"none\"");
        auto a = jose::alg_from_name(n);
        if (!a) return bad(key, "contains the unsupported algorithm \"" + printable(n) + "\"");
        out.algorithms.add(*a);
      }
      if (out.algorithms.empty()) return bad(key, "must name at least one algorithm");
      have_algorithms = true;
      out.algorithms_explicit = true;
    } else if (key == "clock_tolerance") {
      // More than five minutes of leeway hides real clock problems and stretches every token.
      if (auto err = read_int(v, key, 0, 300, out.claims.clock_tolerance)) return err;
    } else if (key == "required_claims") {
      if (auto err = read_string_list(v, key, out.claims.required_claims, false)) return err;
    } else if (key == "typ") {
      std::string typ;
      if (auto err = read_string(v, key, typ)) return err;
      out.typ = typ;
    } else if (key == "max_token_bytes") {
      int64_t n = 0;
      if (auto err = read_int(v, key, 64, 1 << 20, n)) return err;
      out.max_token_bytes = static_cast<size_t>(n);
    } else if (key == "now") {
      int64_t n = 0;
      if (auto err = read_int(v, key, 0, int64_t{1} << 40, n)) return err;
      out.fixed_now = n;
    } else if (key == "max_age") {
      int64_t n = 0;
      if (auto err = read_int(v, key, 0, int64_t{1} << 32, n)) return err;
      out.claims.max_age = n;
    } else if (key == "azp") {
      std::string azp;
      if (auto err = read_string(v, key, azp)) return err;
      out.claims.azp = azp;
    } else if (key == "min_rsa_bits") {
      int64_t n = 0;
      if (auto err = read_int(v, key, 1024, 8192, n)) return err;
      out.key_policy.min_rsa_bits = static_cast<int>(n);
    } else if (key == "deny_list") {
      if (v.get_bool().get(out.deny_list)) return bad(key, "must be true or false");
    } else if (key == "deny_list_fail_open") {
      if (v.get_bool().get(out.deny_list_fail_open)) return bad(key, "must be true or false");
    } else if (key == "token_cache_size") {
      int64_t n = 0;
      if (auto err = read_int(v, key, 0, 1 << 20, n)) return err;
      out.token_cache_size = static_cast<size_t>(n);
    } else if (key == "principal") {
      jose::PrincipalConfig p;
      if (auto err = read_principal(v, p)) return err;
      out.principal = std::move(p);
    } else if (key == "jwks") {
      if (have_jwks) return bad(key, "conflicts with \"jwks_file\"");
      std::string_view s;
      if (!v.get_string().get(s))
        jwks_text.assign(s);
      else if (v.is_object())
        jwks_text = simdjson::minify(v);
      else
        return bad(key, "must be a JWK Set object or its JSON text");
      have_jwks = true;
    } else if (key == "jwks_uri") {
      if (auto err = read_string(v, key, out.jwks_uri)) return err;
      if (http::origin_of(out.jwks_uri).empty()) return bad(key, "must be an http(s) URL");
    } else if (key == "discovery") {
      if (v.get_bool().get(out.discovery)) return bad(key, "must be true or false");
    } else if (key == "internal_url") {
      if (auto err = read_string(v, key, out.http.internal_url)) return err;
      if (http::origin_of(out.http.internal_url).empty()) return bad(key, "must be an http(s) URL");
    } else if (key == "ca_file") {
      if (auto err = read_string(v, key, out.http.ca_file)) return err;
    } else if (key == "ca_dir") {
      if (auto err = read_string(v, key, out.http.ca_dir)) return err;
    } else if (key == "http_timeout" || key == "connect_timeout") {
      // Seconds, fractions allowed (0.5 = 500 ms).
      auto n = json::as_number(v);
      if (!n || !(*n >= 0.05 && *n <= 120)) return bad(key, "must be a number of seconds from 0.05 to 120");
      (key == "http_timeout" ? out.http.total_timeout_ms : out.http.connect_timeout_ms) = static_cast<long>(*n * 1000);
    } else if (key == "max_response_bytes") {
      int64_t n = 0;
      if (auto err = read_int(v, key, 1024, int64_t{64} << 20, n)) return err;
      out.http.max_response_bytes = static_cast<size_t>(n);
    } else if (key == "cache_ttl" || key == "cache_min_ttl" || key == "cache_max_ttl" || key == "stale_if_error" ||
               key == "jwks_retry_interval") {
      int64_t n = 0;
      // A TTL of 0 would fetch the keys for every verification.
      if (auto err = read_int(v, key, key == "cache_ttl" ? 1 : 0, int64_t{30} * 86400, n)) return err;
      if (key == "cache_ttl") out.cache.ttl = n;
      else if (key == "cache_min_ttl") out.cache.min_ttl = n, have_min_ttl = true;
      else if (key == "cache_max_ttl") out.cache.max_ttl = n, have_max_ttl = true;
      else if (key == "stale_if_error") out.cache.stale_if_error = n;
      else out.cache.retry_interval = n;
    } else if (key == "jwks_refetch_interval" || key == "jwks_requests_per_minute") {
      if (!refetch_key.empty()) return bad(key, "conflicts with \"" + std::string(refetch_key) + "\"");
      refetch_key = key;
      if (key == "jwks_refetch_interval") {
        // Seconds, fractions allowed; 0: an unknown kid never causes a fetch.
        auto n = json::as_number(v);
        if (!n || !(*n == 0 || (*n >= 0.1 && *n <= 3600)))
          return bad(key, "must be 0 (no refetch) or a number of seconds from 0.1 to 3600");
        out.cache.refetch_interval_ms = static_cast<int64_t>(std::llround(*n * 1000));
      } else {
        // The older form: n refetches a minute are one every 60/n seconds; 0 is none.
        int64_t n = 0;
        if (auto err = read_int(v, key, 0, 600, n)) return err;
        out.cache.refetch_interval_ms = n ? 60000 / n : 0;
      }
    } else if (key == "jwks_file") {
      if (have_jwks) return bad(key, "conflicts with \"jwks\"");
      std::string path;
      if (auto err = read_string(v, key, path)) return err;
      if (auto err = read_file(path, jwks_text)) return err;
      have_jwks = true;
    } else {
      return bad(key, "is not a known option");
    }
  }
  if (!have_issuer) return bad("issuer", "is required");
  if (!have_audience) return bad("audience", "is required");
  const int sources = (have_jwks ? 1 : 0) + (out.jwks_uri.empty() ? 0 : 1) + (out.discovery ? 1 : 0);
  if (sources == 0)
    return Error(Status::invalid_config, "one of \"jwks\", \"jwks_file\", \"jwks_uri\" or \"discovery\" is required");
  if (sources > 1)
    return Error(Status::invalid_config, "only one of \"jwks\", \"jwks_file\", \"jwks_uri\" or \"discovery\" may be given");
  (void)have_algorithms;
  // Cache-Control may shorten the TTL but, unless cache_max_ttl says otherwise, not lengthen
  // it: a key removed at the provider stops validating within cache_ttl of its removal.
  if (!have_max_ttl) out.cache.max_ttl = std::max(out.cache.ttl, have_min_ttl ? out.cache.min_ttl : 0);
  if (!have_min_ttl) out.cache.min_ttl = std::min<int64_t>(60, out.cache.max_ttl);
  if (out.cache.min_ttl > out.cache.max_ttl) return bad("cache_min_ttl", "must not exceed \"cache_max_ttl\"");
  if (!out.http.internal_url.empty()) {
    if (!out.remote()) return bad("internal_url", "needs \"jwks_uri\" or \"discovery\"");
    out.http.public_url = out.claims.issuer;
    if (http::origin_of(out.http.public_url).empty())
      return bad("internal_url", "needs an issuer that is an http(s) URL");
  }
  if (out.discovery && http::origin_of(out.claims.issuer).empty())
    return bad("discovery", "needs an issuer that is an http(s) URL");
  if (out.remote()) {
    // Fetched key sets never carry HMAC secrets: HS* cannot be served by them.
    if (out.algorithms.has_hmac()) return bad("algorithms", "HS* cannot be used with keys fetched over HTTP");
    out.cache.key_policy = out.key_policy;
    return {};
  }

  // Symmetric keys are loaded only when an HS* algorithm was explicitly allowed.
  out.key_policy.allow_symmetric = out.algorithms.has_hmac();
  if (auto err = jose::parse_jwks(jwks_text, out.key_policy, out.keys)) {
    return Error(Status::invalid_config, "\"jwks\": " + err.message);
  }
  bool any_usable = false;
  for (const auto& k : out.keys.keys)
    for (int i = 0; i < jose::kAlgCount; ++i)
      if (out.algorithms.contains(static_cast<jose::Alg>(i)) && k->usable_with(static_cast<jose::Alg>(i)))
        any_usable = true;
  if (!any_usable) {
    std::string why = "\"jwks\" has no key usable with the allowed algorithms";
    for (const auto& s : out.keys.skipped) why += "; skipped " + (s.kid.empty() ? "#" + std::to_string(s.index) : "\"" + printable(s.kid) + "\"") + ": " + s.reason;
    return Error(Status::invalid_config, why);
  }
  return {};
}

}  // namespace oidcore
