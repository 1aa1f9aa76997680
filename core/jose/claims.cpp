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

// Registered claims whose JSON type is fixed by their specification, read in one walk
// over the claim set (the object is checked for duplicates already, so each appears once).
enum StringClaim { kIss, kSub, kAzp, kNonce, kJti, kClientId, kScope, kSid, kStringClaimCount };
enum NumberClaim { kExp, kNbf, kIat, kAuthTime, kNumberClaimCount };
constexpr std::string_view kStringClaims[kStringClaimCount] = {"iss", "sub",       "azp",   "nonce",
                                                               "jti", "client_id", "scope", "sid"};
constexpr std::string_view kNumberClaims[kNumberClaimCount] = {"exp", "nbf", "iat", "auth_time"};

struct ClaimView {
  std::string_view str[kStringClaimCount];
  bool has_str[kStringClaimCount] = {};
  double num[kNumberClaimCount] = {};
  bool has_num[kNumberClaimCount] = {};
  element aud;
  bool has_aud = false;
};

// Which registered claim a member name is: its index in kStringClaims, kNumberClaims plus
// kStringClaimCount, kAud for "aud", -1 for any other name. Compares by length first, with
// the literal's length known here (no call per candidate).
constexpr int kFirstNumber = static_cast<int>(kStringClaimCount);
constexpr int kAud = kFirstNumber + static_cast<int>(kNumberClaimCount);
constexpr int claim_index(std::string_view k) {
  switch (k.size()) {
    case 3:
      if (k == "iss") return kIss;
      if (k == "sub") return kSub;
      if (k == "aud") return kAud;
      if (k == "exp") return kFirstNumber + kExp;
      if (k == "iat") return kFirstNumber + kIat;
      if (k == "nbf") return kFirstNumber + kNbf;
      if (k == "azp") return kAzp;
      if (k == "jti") return kJti;
      if (k == "sid") return kSid;
      return -1;
    case 5:
      if (k == "nonce") return kNonce;
      if (k == "scope") return kScope;
      return -1;
    case 9:
      if (k == "client_id") return kClientId;
      if (k == "auth_time") return kFirstNumber + kAuthTime;
      return -1;
    default:
      return -1;
  }
}

constexpr bool claim_index_matches_tables() {
  for (int i = 0; i < kStringClaimCount; ++i)
    if (claim_index(kStringClaims[i]) != i) return false;
  for (int i = 0; i < kNumberClaimCount; ++i)
    if (claim_index(kNumberClaims[i]) != kFirstNumber + i) return false;
  return claim_index("aud") == kAud && claim_index("email") == -1 && claim_index("") == -1;
}
static_assert(claim_index_matches_tables());

// Fills `view`; a registered claim of the wrong JSON type is missing_claim, the first one
// in the order of the tables above.
Error read_claims(simdjson::dom::object claims, ClaimView& view) {
  bool wrong_str[kStringClaimCount] = {}, wrong_num[kNumberClaimCount] = {};
  bool any_wrong = false;
  for (auto field : claims) {
    const int i = claim_index(field.key);
    if (i < 0) continue;
    if (i == kAud) {
      view.aud = field.value;
      view.has_aud = true;
    } else if (i < kStringClaimCount) {
      if (field.value.get_string().get(view.str[i])) wrong_str[i] = any_wrong = true;
      else view.has_str[i] = true;
    } else {
      const int j = i - kFirstNumber;
      if (auto n = json::as_number(field.value)) view.num[j] = *n, view.has_num[j] = true;
      else wrong_num[j] = any_wrong = true;
    }
  }
  if (any_wrong) {
    for (int i = 0; i < kStringClaimCount; ++i)
      if (wrong_str[i]) return missing(kStringClaims[i], Presence::wrong_type);
    for (int i = 0; i < kNumberClaimCount; ++i)
      if (wrong_num[i]) return missing(kNumberClaims[i], Presence::wrong_type);
  }
  return {};
}

bool audience_allowed(const ClaimPolicy& policy, std::string_view aud) {
  for (const auto& want : policy.audiences)
    if (want == aud) return true;
  return false;
}

Error check_audience(const ClaimView& view, const ClaimPolicy& policy, size_t& count) {
  count = 0;
  if (!view.has_aud) return missing("aud", Presence::absent);
  const element aud = view.aud;
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
  ClaimView view;
  if (auto err = read_claims(claims, view)) return err;
  const double now = static_cast<double>(now_int);
  const double tol = static_cast<double>(policy.clock_tolerance);

  if (!view.has_str[kIss]) return missing("iss", Presence::absent);
  const std::string_view iss = view.str[kIss];
  if (iss != policy.issuer) return Error(Status::bad_issuer, "issuer \"" + printable(iss) + "\" is not accepted");

  size_t aud_count = 0;
  if (auto err = check_audience(view, policy, aud_count)) return err;

  const bool has_exp = view.has_num[kExp];
  const double exp = view.num[kExp];
  if (!has_exp && policy.require_exp) return missing("exp", Presence::absent);
  // RFC 7519 §4.1.4: rejected "on or after" exp.
  if (has_exp && now >= exp + tol) return Error(Status::expired, "token expired");

  if (view.has_num[kNbf] && now < view.num[kNbf] - tol)
    return Error(Status::not_yet_valid, "token is not valid yet (nbf)");

  const bool has_iat = view.has_num[kIat];
  const double iat = view.num[kIat];
  if (has_iat && iat > now + tol) return Error(Status::issued_in_future, "token was issued in the future (iat)");
  // exp before iat: the token was never valid. Each claim can pass the clock checks on its
  // own thanks to the leeway, so the pair is checked without it.
  if (has_iat && has_exp && iat > exp)
    return Error(Status::expired, "token expired before it was issued (exp is before iat)");

  if (policy.azp) {
    // OpenID Connect Core §3.1.3.7: with several audiences the authorized party must be
    // present; when present it must be this client.
    const bool has_azp = view.has_str[kAzp];
    if (aud_count > 1 && !has_azp) return Error(Status::bad_audience, "several audiences but no \"azp\"");
    if (has_azp && view.str[kAzp] != *policy.azp)
      return Error(Status::bad_audience, "authorized party \"" + printable(view.str[kAzp]) + "\" is not accepted");
  }

  for (const auto& name : policy.required_claims) {
    element e;
    if (claims.at_key(name).get(e) || e.is_null()) return missing(name, Presence::absent);
  }

  if (policy.max_age) {
    double auth_time = view.num[kAuthTime];
    if (!view.has_num[kAuthTime]) {
      if (!has_iat) return missing("auth_time", Presence::absent);
      auth_time = iat;
    }
    if (now > auth_time + static_cast<double>(*policy.max_age) + tol)
      return Error(Status::too_old, "authentication is older than max_age");
  }

  if (nonce) {
    if (!view.has_str[kNonce]) return Error(Status::bad_nonce, "token carries no nonce");
    const std::string_view got = view.str[kNonce];
    if (got.size() != nonce->size() || sodium_memcmp(got.data(), nonce->data(), got.size()) != 0)
      return Error(Status::bad_nonce, "nonce does not match");
  }
  return {};
}

}  // namespace oidcore::jose
