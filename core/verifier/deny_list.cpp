#include "verifier/deny_list.hpp"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "encoding/base64url.hpp"
#include "json/strict_json.hpp"

namespace oidcore::deny_list {
namespace {

// The BLAKE2b key of the deny-list keys: a constant (every process must compute the same
// key), which separates these hashes from any other use of BLAKE2b.
constexpr unsigned char kHashKey[32] = {'o', 'i', 'd', 'c', 'o', 'r', 'e', ' ', 'd', 'e', 'n', 'y', '-',
                                        'l', 'i', 's', 't', ' ', 'k', 'e', 'y', ' ', 'v', '1', 0,   0,
                                        0,   0,   0,   0,   0,   0};
// Longest sid or jti used as such; a longer one (never seen in practice) is hashed as the
// token would be, which is as good a key.
constexpr size_t kMaxIdBytes = 1024;

struct Subject {
  std::string_view kind = "token";
  std::string_view iss;
  std::string_view value;
};

// Reads what identifies the session. The views point into `parser`'s document or `token`.
Subject subject_of(json::StrictParser& parser, std::string_view claims_json, std::string_view token,
                   std::optional<double>* exp = nullptr, std::optional<double>* iat = nullptr) {
  Subject s;
  s.value = token;
  simdjson::dom::element root;
  simdjson::dom::object claims;
  if (parser.parse(claims_json, root) || root.get_object().get(claims)) return s;
  std::string_view v;
  if (json::get_string(claims, "iss", v) == json::Presence::present) s.iss = v;
  if (json::get_string(claims, "sid", v) == json::Presence::present && !v.empty() && v.size() <= kMaxIdBytes) {
    s.kind = "sid";
    s.value = v;
  } else if (json::get_string(claims, "jti", v) == json::Presence::present && !v.empty() && v.size() <= kMaxIdBytes) {
    s.kind = "jti";
    s.value = v;
  }
  if (exp) {
    double e = 0;
    if (json::get_number(claims, "exp", e) == json::Presence::present && std::isfinite(e)) *exp = e;
  }
  if (iat) {
    double i = 0;
    if (json::get_number(claims, "iat", i) == json::Presence::present && std::isfinite(i)) *iat = i;
  }
  return s;
}

std::string key_of(const Subject& s) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, kHashKey, sizeof kHashKey, 32);
  const auto feed = [&](std::string_view part) {
    // Length-prefixed, so that no two (kind, iss, value) triples hash the same bytes.
    const uint64_t n = part.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    crypto_generichash_update(&st, len, sizeof len);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(part.data()), part.size());
  };
  feed(s.kind);
  feed(s.iss);
  feed(s.value);
  unsigned char digest[32];
  crypto_generichash_final(&st, digest, sizeof digest);
  return "deny:" + encoding::base64url_encode(digest, sizeof digest);
}

}  // namespace

std::string key_for(std::string_view claims_json, std::string_view token) {
  json::StrictParser parser;
  return key_of(subject_of(parser, claims_json, token));
}

Listing listing_for(std::string_view claims_json, std::string_view token) {
  thread_local json::StrictParser parser;
  const Subject s = subject_of(parser, claims_json, token);
  return Listing{key_of(s), s.kind};  // s.kind: a literal, not a view into the parser
}

std::string_view keyed_by(std::string_view claims_json) {
  json::StrictParser parser;
  const Subject s = subject_of(parser, claims_json, {});
  return s.kind;  // a literal, not a view into the parser
}

Error add(store::Store& store, std::string_view claims_json, std::string_view token, int64_t now,
          int64_t clock_tolerance, bool& listed) {
  listed = false;
  json::StrictParser parser;
  std::optional<double> exp, iat;
  const Subject s = subject_of(parser, claims_json, token, &exp, &iat);
  if (!exp) return {};
  // Until the last second a verifier could still accept the token (exp + tolerance), with
  // fractions rounded up; bounded so that the arithmetic cannot overflow.
  constexpr double kMaxTtl = 10.0 * 365 * 86400;
  double ttl = std::ceil(*exp) + static_cast<double>(clock_tolerance) - static_cast<double>(now);
  if (!(ttl >= 1)) return {};
  // A session: any of its tokens issued up to now (one refreshed a moment before the logout)
  // lives at most the lifetime this one was given, so the entry stays until the last of them
  // could still be accepted.
  if (s.kind == "sid" && iat && *iat <= *exp && *exp - *iat <= kMaxTtl)
    ttl = std::max(ttl, std::ceil(*exp - *iat) + static_cast<double>(clock_tolerance));
  const int64_t ttl_seconds = static_cast<int64_t>(ttl > kMaxTtl ? kMaxTtl : ttl);
  store::PutResult result;
  if (Error err = store.put(key_of(s), "1", ttl_seconds, false, result)) {
    if (err.status != Status::store_unavailable)
      return Error(Status::store_unavailable, "deny list: the store failed: " + err.message);
    err.message = "deny list: " + err.message;
    return err;
  }
  listed = true;
  return {};
}

Error check(store::Store& store, std::string_view claims_json, std::string_view token) {
  return check(store, listing_for(claims_json, token));
}

Error check(store::Store& store, const Listing& listing) {
  std::string value;
  Error err = store.get(listing.key, value);
  if (!err)
    return Error(Status::revoked, std::string("the token's session was ended (logout; deny list by ") +
                                      std::string(listing.kind) + ")");
  if (err.status == Status::not_found) return {};
  return Error(Status::store_unavailable, "deny list: " + err.message);
}

}  // namespace oidcore::deny_list
