#include "jose/claims.hpp"

#include <sodium.h>

#include "json/strict_json.hpp"

namespace oidcore::jose {

using json::Presence;
using simdjson::dom::element;

namespace {

Error missing(std::string_view name, Presence p) {
  return Error(Status::missing_claim, p == Presence::absent ? "claim \"" + printable(name) + "\" is missing"
                                                           : "claim \"" + printable(name) + "\" has the wrong type");
}

// Claims whose JSON type is fixed by their specification.
constexpr std::string_view kStringClaims[] = {"iss", "sub", "azp", "nonce", "jti", "client_id", "scope", "sid"};
constexpr std::string_view kNumberClaims[] = {"exp", "nbf", "iat", "auth_time"};

Error check_types(simdjson::dom::object claims) {
  std::string_view s;
  for (auto name : kStringClaims)
    if (json::get_string(claims, name, s) == Presence::wrong_type) return missing(name, Presence::wrong_type);
  double d;
  for (auto name : kNumberClaims)
    if (json::get_number(claims, name, d) == Presence::wrong_type) return missing(name, Presence::wrong_type);
  return {};
}

bool audience_allowed(const ClaimPolicy& policy, std::string_view aud) {
  for (const auto& want : policy.audiences)
    if (want == aud) return true;
  return false;
}

Error check_audience(simdjson::dom::object claims, const ClaimPolicy& policy, size_t& count) {
  element aud;
  count = 0;
  if (claims.at_key("aud").get(aud)) return missing("aud", Presence::absent);
  std::string_view one;
  if (!aud.get_string().get(one)) {
    count = 1;
    if (audience_allowed(policy, one)) return {};
    return Error(Status::bad_audience, "audience \"" + printable(one) + "\" is not accepted");
  }
  simdjson::dom::array arr;
  if (aud.get_array().get(arr)) return missing("aud", Presence::wrong_type);
  bool match = false;
  for (element e : arr) {
    std::string_view s;
    if (e.get_string().get(s)) return missing("aud", Presence::wrong_type);
    ++count;
    if (audience_allowed(policy, s)) match = true;
  }
  if (count == 0) return Error(Status::bad_audience, "audience list is empty");
  if (!match) return Error(Status::bad_audience, "none of the token's audiences is accepted");
  return {};
}

}  // namespace

bool typ_matches(std::string_view expected, std::string_view actual) noexcept {
  auto strip = [](std::string_view v) {
    constexpr std::string_view prefix = "application/";
    if (v.size() > prefix.size()) {
      bool same = true;
      for (size_t i = 0; i < prefix.size(); ++i) {
        char c = v[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) {
          same = false;
          break;
        }
      }
      if (same) v.remove_prefix(prefix.size());
    }
    return v;
  };
  expected = strip(expected);
  actual = strip(actual);
  if (expected.size() != actual.size()) return false;
  for (size_t i = 0; i < expected.size(); ++i) {
    char a = expected[i], b = actual[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

Error check_claims(simdjson::dom::object claims, const ClaimPolicy& policy, int64_t now_int, const std::string* nonce) {
  if (auto err = check_types(claims)) return err;
  const double now = static_cast<double>(now_int);
  const double tol = static_cast<double>(policy.clock_tolerance);

  std::string_view iss;
  const Presence iss_p = json::get_string(claims, "iss", iss);
  if (iss_p != Presence::present) return missing("iss", iss_p);
  if (iss != policy.issuer) return Error(Status::bad_issuer, "issuer \"" + printable(iss) + "\" is not accepted");

  size_t aud_count = 0;
  if (auto err = check_audience(claims, policy, aud_count)) return err;

  double exp = 0;
  const Presence exp_p = json::get_number(claims, "exp", exp);
  if (exp_p == Presence::absent && policy.require_exp) return missing("exp", exp_p);
  // RFC 7519 §4.1.4: rejected "on or after" exp.
  if (exp_p == Presence::present && now >= exp + tol) return Error(Status::expired, "token expired");

  double nbf = 0;
  if (json::get_number(claims, "nbf", nbf) == Presence::present && now < nbf - tol)
    return Error(Status::not_yet_valid, "token is not valid yet (nbf)");

  double iat = 0;
  const bool has_iat = json::get_number(claims, "iat", iat) == Presence::present;
  if (has_iat && iat > now + tol) return Error(Status::issued_in_future, "token was issued in the future (iat)");
  // exp before iat: the token was never valid. Each claim can pass the clock checks on its
  // own thanks to the leeway, so the pair is checked without it.
  if (has_iat && exp_p == Presence::present && iat > exp)
    return Error(Status::expired, "token expired before it was issued (exp is before iat)");

  std::string_view azp;
  const bool has_azp = json::get_string(claims, "azp", azp) == Presence::present;
  if (policy.azp) {
    // OpenID Connect Core §3.1.3.7: with several audiences the authorized party must be
    // present; when present it must be this client.
    if (aud_count > 1 && !has_azp) return Error(Status::bad_audience, "several audiences but no \"azp\"");
    if (has_azp && azp != *policy.azp) return Error(Status::bad_audience, "authorized party \"" + printable(azp) + "\" is not accepted");
  }

  for (const auto& name : policy.required_claims) {
    element e;
    if (claims.at_key(name).get(e) || e.is_null()) return missing(name, Presence::absent);
  }

  if (policy.max_age) {
    double auth_time = 0;
    if (json::get_number(claims, "auth_time", auth_time) != Presence::present) {
      if (!has_iat) return missing("auth_time", Presence::absent);
      auth_time = iat;
    }
    if (now > auth_time + static_cast<double>(*policy.max_age) + tol)
      return Error(Status::too_old, "authentication is older than max_age");
  }

  if (nonce) {
    std::string_view got;
    const Presence p = json::get_string(claims, "nonce", got);
    if (p != Presence::present) return Error(Status::bad_nonce, "token carries no nonce");
    if (got.size() != nonce->size() || sodium_memcmp(got.data(), nonce->data(), got.size()) != 0)
      return Error(Status::bad_nonce, "nonce does not match");
  }
  return {};
}

}  // namespace oidcore::jose
