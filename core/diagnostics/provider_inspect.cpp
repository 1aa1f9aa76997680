#include "diagnostics/provider_inspect.hpp"

#include <curl/curl.h>

#include <ctime>
#include <vector>

#include "http/http_fetch.hpp"
#include "jose/algorithm.hpp"
#include "jose/jwk.hpp"
#include "json/strict_json.hpp"
#include "jwks/jwks_cache.hpp"

namespace oidcore::diagnostics {

using json::append_json_string;

namespace {

struct InspectConfig {
  std::string issuer, jwks_uri, client_id, client_secret;
  http::HttpOptions http;
  jose::KeyPolicy policy;
};

Error bad(std::string_view key, std::string_view what) {
  return Error(Status::invalid_config, "\"" + printable(key) + "\" " + std::string(what));
}

Error parse_config(std::string_view text, InspectConfig& out) {
  json::StrictParser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(text, root)) return Error(Status::invalid_config, "configuration: " + err.message);
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return Error(Status::invalid_config, "configuration must be a JSON object");
  for (auto field : obj) {
    const std::string_view key = field.key;
    std::string_view s;
    auto str = [&](std::string& dst) -> Error {
      if (field.value.get_string().get(s) || s.empty()) return bad(key, "must be a non-empty string");
      dst.assign(s);
      return {};
    };
    Error err;
    if (key == "issuer") err = str(out.issuer);
    else if (key == "jwks_uri") err = str(out.jwks_uri);
    else if (key == "internal_url") err = str(out.http.internal_url);
    else if (key == "ca_file") err = str(out.http.ca_file);
    else if (key == "ca_dir") err = str(out.http.ca_dir);
    else if (key == "client_id") err = str(out.client_id);
    else if (key == "client_secret") err = str(out.client_secret);
    else if (key == "http_timeout" || key == "connect_timeout") {
      auto n = json::as_number(field.value);
      if (!n || !(*n >= 0.05 && *n <= 120)) return bad(key, "must be a number of seconds from 0.05 to 120");
      (key == "http_timeout" ? out.http.total_timeout_ms : out.http.connect_timeout_ms) = static_cast<long>(*n * 1000);
    } else if (key == "min_rsa_bits") {
      int64_t bits = 0;
      if (field.value.get_int64().get(bits) || bits < 1024 || bits > 8192)
        return bad(key, "must be a whole number from 1024 to 8192");
      out.policy.min_rsa_bits = static_cast<int>(bits);
    } else {
      return bad(key, "is not a known option");
    }
    if (err) return err;
  }
  if (out.issuer.empty()) return bad("issuer", "is required");
  if (http::origin_of(out.issuer).empty()) return bad("issuer", "must be an http(s) URL");
  if (!out.http.internal_url.empty() && http::origin_of(out.http.internal_url).empty())
    return bad("internal_url", "must be an http(s) URL");
  if (out.client_id.empty() != out.client_secret.empty())
    return Error(Status::invalid_config, "\"client_id\" and \"client_secret\" go together");
  out.http.public_url = out.issuer;
  out.policy.allow_symmetric = false;
  return {};
}

std::string form_encode(std::string_view v) {
  char* e = curl_easy_escape(nullptr, v.data(), static_cast<int>(v.size()));
  std::string out = e ? e : "";
  curl_free(e);
  return out;
}

void append_error(std::string& s, const Error& e) {
  if (!e) {
    s += "null";
    return;
  }
  s += "{\"code\":";
  append_json_string(s, status_name(e.status));
  s += ",\"message\":";
  append_json_string(s, e.message);
  s += '}';
}

void append_string_or_null(std::string& s, const std::string& v) {
  if (v.empty()) s += "null";
  else append_json_string(s, v);
}

void append_list(std::string& s, const std::vector<std::string>& items) {
  s += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) s += ',';
    append_json_string(s, items[i]);
  }
  s += ']';
}

// The token endpoint's verdict on the client credentials, through a client_credentials
// grant sent with client_secret_post. invalid_client means the id or secret is wrong;
// any other OAuth error (unauthorized_client, unsupported_grant_type, ...) means the
// provider authenticated the client before refusing the grant.
std::string check_client(const http::HttpClient& client, const std::string& token_endpoint, const InspectConfig& cfg,
                         std::vector<std::string>& problems) {
  std::string s = "{\"result\":";
  http::HttpResponse resp;
  const std::string body = "grant_type=client_credentials&client_id=" + form_encode(cfg.client_id) +
                           "&client_secret=" + form_encode(cfg.client_secret);
  Error err = client.fetch({token_endpoint, "POST", body,
                            {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"}},
                           resp);
  std::string result, detail;
  if (err) {
    result = "error";
    detail = err.message;
  } else {
    json::StrictParser parser;
    simdjson::dom::element root;
    simdjson::dom::object obj;
    std::string_view oauth_error, description;
    if (!parser.parse(resp.body, root) && !root.get_object().get(obj) &&
        json::get_string(obj, "error", oauth_error) == json::Presence::present) {
      (void)json::get_string(obj, "error_description", description);
      detail = std::string(oauth_error) + (description.empty() ? "" : ": " + std::string(description));
      // RFC 6749 §5.2: token errors come with 400 (or 401 for invalid_client). Only errors
      // that a provider gives after authenticating the client count as acceptance.
      const bool oauth_status = resp.status == 400 || resp.status == 401;
      if (oauth_status && oauth_error == "invalid_client") result = "invalid_client";
      else if (oauth_status && (oauth_error == "unauthorized_client" || oauth_error == "unsupported_grant_type" ||
                                oauth_error == "invalid_scope" || oauth_error == "invalid_grant"))
        result = "accepted";
      else {
        result = "error";
        detail = "HTTP " + std::to_string(resp.status) + ", " + detail;
      }
    } else if (resp.status == 200) {
      result = "accepted";
      detail = "the token endpoint issued a token";
    } else {
      result = "error";
      detail = "token endpoint answered HTTP " + std::to_string(resp.status);
    }
  }
  if (result == "invalid_client")
    problems.push_back("the token endpoint refuses the client credentials (invalid_client): check the client id and "
                       "secret; Authentik does not URL-decode Basic credentials, so prefer client_secret_post");
  else if (result == "error")
    problems.push_back("the client credentials could not be checked: " + detail);
  append_json_string(s, result);
  s += ",\"detail\":";
  append_json_string(s, detail);
  s += '}';
  return s;
}

}  // namespace

Error inspect_provider(std::string_view config_json, std::string& report) {
  InspectConfig cfg;
  if (auto err = parse_config(config_json, cfg)) return err;
  const http::HttpClient client(cfg.http);
  std::vector<std::string> problems;

  report = "{\"issuer\":";
  append_json_string(report, cfg.issuer);

  // Discovery (always tried: it carries the endpoints and the advertised algorithms).
  jwks::ProviderMetadata md;
  Error disc_err;
  int64_t server_date = 0;
  {
    std::string url = cfg.issuer;
    while (!url.empty() && url.back() == '/') url.pop_back();
    url += "/.well-known/openid-configuration";
    http::HttpResponse resp;
    disc_err = client.fetch({url, "GET", "", {"Accept: application/json"}}, resp);
    if (!disc_err && !resp.date.empty()) {
      const time_t t = curl_getdate(resp.date.c_str(), nullptr);
      if (t > 0) server_date = static_cast<int64_t>(t);
    }
    if (!disc_err && resp.status != 200)
      disc_err = Error(Status::http_error, "discovery answered HTTP " + std::to_string(resp.status), resp.status);
    if (!disc_err) disc_err = jwks::parse_discovery(resp.body, cfg.issuer, md);
  }
  if (disc_err) problems.push_back("discovery failed: " + disc_err.message);
  report += ",\"discovery\":";
  if (disc_err) {
    report += "null";
  } else {
    report += "{\"jwks_uri\":";
    append_string_or_null(report, md.jwks_uri);
    report += ",\"authorization_endpoint\":";
    append_string_or_null(report, md.authorization_endpoint);
    report += ",\"token_endpoint\":";
    append_string_or_null(report, md.token_endpoint);
    report += ",\"userinfo_endpoint\":";
    append_string_or_null(report, md.userinfo_endpoint);
    report += ",\"end_session_endpoint\":";
    append_string_or_null(report, md.end_session_endpoint);
    report += ",\"revocation_endpoint\":";
    append_string_or_null(report, md.revocation_endpoint);
    report += ",\"introspection_endpoint\":";
    append_string_or_null(report, md.introspection_endpoint);
    report += ",\"id_token_signing_alg_values_supported\":";
    append_list(report, md.id_token_signing_alg_values_supported);
    report += '}';
  }
  report += ",\"discovery_error\":";
  append_error(report, disc_err);

  // Keys.
  const std::string jwks_uri = !cfg.jwks_uri.empty() ? cfg.jwks_uri : md.jwks_uri;
  report += ",\"jwks_uri\":";
  append_string_or_null(report, jwks_uri);
  Error jwks_err;
  jose::KeySet set;
  if (jwks_uri.empty()) {
    jwks_err = Error(Status::jwks_unavailable, "no jwks_uri (discovery failed and none was given)");
  } else {
    http::HttpResponse resp;
    jwks_err = client.fetch({jwks_uri, "GET", "", {"Accept: application/json"}}, resp);
    if (!jwks_err && resp.status != 200)
      jwks_err = Error(Status::http_error, "JWKS answered HTTP " + std::to_string(resp.status), resp.status);
    if (!jwks_err) jwks_err = jose::parse_jwks(resp.body, cfg.policy, set);
    if (!jwks_err && server_date == 0 && !resp.date.empty()) {
      const time_t t = curl_getdate(resp.date.c_str(), nullptr);
      if (t > 0) server_date = static_cast<int64_t>(t);
    }
  }
  if (jwks_err) {
    problems.push_back("the key set could not be loaded: " + jwks_err.message);
  } else {
    if (set.keys.empty())
      problems.push_back("the key set has no usable signing key (an empty set is what Authentik serves when it signs "
                         "with the client secret: configure HS256 with the client secret explicitly)");
    for (const auto& sk : set.skipped)
      problems.push_back("key " + (sk.kid.empty() ? "#" + std::to_string(sk.index) : "\"" + printable(sk.kid) + "\"") +
                         " is not used: " + sk.reason);
  }
  report += ",\"jwks_error\":";
  append_error(report, jwks_err);
  const std::string described = jose::describe_key_set(set);
  // describe_key_set() gives {"keys":[...],"skipped":[...]}: splice its members in.
  report += ',' + described.substr(1, described.size() - 2);

  // Algorithms supported by both sides.
  std::vector<std::string> provider_algs = md.id_token_signing_alg_values_supported, common;
  for (const auto& name : provider_algs) {
    auto a = jose::alg_from_name(name);
    if (a && !jose::is_hmac(*a)) common.push_back(name);
  }
  if (!disc_err && !provider_algs.empty() && common.empty())
    problems.push_back("no asymmetric algorithm the provider advertises is supported by oidcore");
  report += ",\"algorithms\":{\"provider\":";
  append_list(report, provider_algs);
  report += ",\"common\":";
  append_list(report, common);
  report += '}';

  // Clock skew: the server's Date header has one-second resolution.
  report += ",\"server_date\":";
  report += server_date ? std::to_string(server_date) : "null";
  report += ",\"clock_skew\":";
  if (server_date) {
    const int64_t skew = static_cast<int64_t>(std::time(nullptr)) - server_date;
    report += std::to_string(skew);
    if (skew > 60 || skew < -60)
      problems.push_back("this machine's clock differs from the provider's by " + std::to_string(skew) +
                         " s: tokens will look expired or issued in the future");
  } else {
    report += "null";
  }

  report += ",\"client_check\":";
  if (cfg.client_id.empty()) {
    report += "null";
  } else if (md.token_endpoint.empty()) {
    report += "null";
    problems.push_back("client credentials given but no token endpoint is known (discovery failed)");
  } else {
    report += check_client(client, md.token_endpoint, cfg, problems);
  }
  report += ",\"problems\":";
  append_list(report, problems);
  report += '}';
  return {};
}

}  // namespace oidcore::diagnostics
