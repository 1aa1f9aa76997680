#include "jose/jwk.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <utility>

#include "encoding/base64url.hpp"
#include "jose/openssl_support.hpp"
#include "json/strict_json.hpp"

namespace oidcore::jose {

using json::Presence;
using simdjson::dom::element;
using simdjson::dom::object;

namespace {
std::atomic<uint64_t> next_key_id{1};
}  // namespace

Jwk::Jwk() : id(next_key_id.fetch_add(1, std::memory_order_relaxed)) {}

Jwk::~Jwk() {
  for (auto* ctx : prepared) EVP_PKEY_CTX_free(ctx);
  for (auto* ctx : prepared_mac) EVP_MAC_CTX_free(ctx);  // cleanses the keyed state
  EVP_PKEY_free(pkey);
  if (!secret.empty()) sodium_memzero(secret.data(), secret.size());
}

bool Jwk::usable_with(Alg a) const noexcept {
  if (alg && *alg != a) return false;
  if (key_type_for(a) != kty) return false;
  switch (kty) {
    case KeyType::rsa:
      return prepared[static_cast<int>(a)] != nullptr;
    case KeyType::ec:
    case KeyType::okp:
      return curve_for(a) == crv;
    case KeyType::oct:
      // RFC 7518 §3.2: a key at least as long as the hash output.
      return secret.size() >= digest_size(a);
  }
  return false;
}

namespace {

using Unique = std::unique_ptr<Jwk>;

Error skip(std::string reason) { return Error(Status::malformed, std::move(reason)); }

// Reads a required base64url member into bytes; strict decoding. `secret`: key material,
// decoded in time independent of its characters.
Error read_b64(object obj, std::string_view name, std::string& out, std::string_view* text = nullptr,
               bool secret = false) {
  std::string_view s;
  switch (json::get_string(obj, name, s)) {
    case Presence::absent:
      return skip("missing member \"" + std::string(name) + "\"");
    case Presence::wrong_type:
      return skip("member \"" + std::string(name) + "\" is not a string");
    case Presence::present:
      break;
  }
  if (!(secret ? encoding::base64url_decode_secret(s, out) : encoding::base64url_decode(s, out)))
    return skip("member \"" + std::string(name) + "\" is not strict base64url");
  if (text) *text = s;
  return {};
}

Error load_rsa(object obj, const KeyPolicy& policy, Jwk& key) {
  std::string n, e;
  if (auto err = read_b64(obj, "n", n)) return err;
  if (auto err = read_b64(obj, "e", e)) return err;
  // RFC 7518 §6.3.1: minimum octets, so no leading zero byte.
  if (n.empty() || static_cast<unsigned char>(n[0]) == 0) return skip("RSA modulus is empty or has a leading zero");
  if (e.empty() || static_cast<unsigned char>(e[0]) == 0) return skip("RSA exponent is empty or has a leading zero");
  if (e.size() > 8) return skip("RSA exponent is too large");
  const int bits = static_cast<int>(n.size() * 8) - __builtin_clz(static_cast<unsigned char>(n[0])) + 24;
  key.bits = bits;
  key.rsa_modulus_bytes = n.size();
  if (bits < policy.min_rsa_bits)
    return skip("RSA key of " + std::to_string(bits) + " bits is under the minimum of " +
                std::to_string(policy.min_rsa_bits));
  if (bits > policy.max_rsa_bits)
    return skip("RSA key of " + std::to_string(bits) + " bits is over the maximum of " +
                std::to_string(policy.max_rsa_bits));
  // e must be odd and at least 65537: e = 1 and e = 3 make forgeries feasible against
  // lenient padding checks, and every real identity provider uses 65537.
  uint64_t ev = 0;
  for (unsigned char c : e) ev = (ev << 8) | c;
  if (ev < 65537 || (ev & 1) == 0) return skip("RSA public exponent must be odd and at least 65537");
  if (rsa_modulus_is_roca(reinterpret_cast<const unsigned char*>(n.data()), n.size()))
    return skip("RSA modulus has the ROCA fingerprint (CVE-2017-15361)");

  key.pkey = rsa_public_key(reinterpret_cast<const unsigned char*>(n.data()), n.size(),
                            reinterpret_cast<const unsigned char*>(e.data()), e.size());
  if (!key.pkey) return skip("RSA key is not valid");
  for (Alg a : {Alg::RS256, Alg::RS384, Alg::RS512, Alg::PS256, Alg::PS384, Alg::PS512}) {
    key.prepared[static_cast<int>(a)] = prepare_rsa_context(key.pkey, a);
    if (!key.prepared[static_cast<int>(a)]) return Error(Status::internal, "cannot prepare an RSA context");
  }
  return {};
}

Error load_ec(object obj, Jwk& key) {
  std::string_view crv;
  if (json::get_string(obj, "crv", crv) != Presence::present) return skip("EC key without a string \"crv\"");
  size_t coord = 0;
  if (crv == "P-256") {
    key.crv = Curve::p256, coord = 32;
  } else if (crv == "P-384") {
    key.crv = Curve::p384, coord = 48;
  } else if (crv == "P-521") {
    key.crv = Curve::p521, coord = 66;
  } else {
    return skip("unsupported EC curve \"" + printable(crv) + "\"");
  }
  std::string x, y;
  if (auto err = read_b64(obj, "x", x)) return err;
  if (auto err = read_b64(obj, "y", y)) return err;
  // RFC 7518 §6.2.1.2: coordinates MUST be the full size of the field.
  if (x.size() != coord || y.size() != coord) return skip("EC coordinates are not the full field size");
  key.bits = key.crv == Curve::p521 ? 521 : static_cast<int>(coord * 8);
  key.pkey = ec_public_key(key.crv, reinterpret_cast<const unsigned char*>(x.data()),
                           reinterpret_cast<const unsigned char*>(y.data()), coord);
  if (!key.pkey) return skip("EC public key is not a valid point on " + std::string(crv));
  for (Alg a : {Alg::ES256, Alg::ES384, Alg::ES512}) {
    if (curve_for(a) != key.crv) continue;
    key.prepared[static_cast<int>(a)] = prepare_ec_context(key.pkey);
    if (!key.prepared[static_cast<int>(a)]) return Error(Status::internal, "cannot prepare an EC context");
  }
  return {};
}

Error load_okp(object obj, Jwk& key) {
  std::string_view crv;
  if (json::get_string(obj, "crv", crv) != Presence::present) return skip("OKP key without a string \"crv\"");
  if (crv != "Ed25519") return skip("unsupported OKP curve \"" + printable(crv) + "\" (only Ed25519 signs JWS)");
  key.crv = Curve::ed25519;
  std::string x;
  if (auto err = read_b64(obj, "x", x)) return err;
  if (x.size() != 32) return skip("Ed25519 public key is not 32 bytes");
  // Rejects non-canonical encodings, points not on the curve and small-order points.
  if (crypto_core_ed25519_is_valid_point(reinterpret_cast<const unsigned char*>(x.data())) != 1)
    return skip("Ed25519 public key is not a valid point");
  std::copy(x.begin(), x.end(), key.ed25519.begin());
  key.bits = 256;
  return {};
}

Error load_oct(object obj, const KeyPolicy& policy, Jwk& key) {
  if (!policy.allow_symmetric) return skip("symmetric (oct) key in a key set that allows none");
  std::string k;
  if (auto err = read_b64(obj, "k", k, nullptr, /*secret=*/true)) return err;
  if (k.size() < 32) {
    sodium_memzero(k.data(), k.size());
    return skip("HMAC key shorter than 256 bits");
  }
  key.secret.assign(k.begin(), k.end());
  sodium_memzero(k.data(), k.size());
  key.bits = static_cast<int>(key.secret.size() * 8);
  for (Alg a : {Alg::HS256, Alg::HS384, Alg::HS512}) {
    // RFC 7518 §3.2: only with a key at least as long as the hash (usable_with says the same).
    if (key.secret.size() < digest_size(a)) continue;
    key.prepared_mac[static_cast<int>(a)] = prepare_hmac_context(key.secret.data(), key.secret.size(), a);
    if (!key.prepared_mac[static_cast<int>(a)]) return Error(Status::internal, "cannot prepare an HMAC context");
  }
  return {};
}

// x5c (RFC 7517 §4.7): when present, the leaf certificate must hold this very key.
Error check_x5c(object obj, Jwk& key) {
  element x5c;
  if (obj.at_key("x5c").get(x5c)) return {};
  key.has_x5c = true;
  simdjson::dom::array arr;
  if (x5c.get_array().get(arr) || arr.size() == 0) return skip("\"x5c\" is not a non-empty array");
  std::string_view leaf_b64;
  if (arr.at(0).get_string().get(leaf_b64)) return skip("\"x5c\" entries must be strings");
  if (key.kty == KeyType::oct) return skip("\"x5c\" on a symmetric key");
  // libsodium's decoder takes any byte from 0x80 up for a character: only ASCII reaches it.
  for (char c : leaf_b64)
    if (static_cast<unsigned char>(c) >= 0x80) return skip("\"x5c\" leaf is not base64");
  std::vector<unsigned char> der(leaf_b64.size());
  size_t der_len = 0;
  const char* end = nullptr;
  // x5c is standard base64 with padding (not base64url).
  if (sodium_base642bin(der.data(), der.size(), leaf_b64.data(), leaf_b64.size(), nullptr, &der_len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != leaf_b64.data() + leaf_b64.size())
    return skip("\"x5c\" leaf is not base64");
  if (!x509_leaf_matches(der.data(), der_len, key)) return skip("\"x5c\" leaf certificate holds a different key");
  return {};
}

constexpr std::string_view kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};

Error load_common(object obj, const KeyPolicy& policy, Jwk& key, bool& skippable) {
  skippable = true;
  std::string_view kty;
  switch (json::get_string(obj, "kty", kty)) {
    case Presence::absent: return skip("missing member \"kty\"");
    case Presence::wrong_type: return skip("\"kty\" is not a string");
    default: break;
  }
  std::string_view s;
  switch (json::get_string(obj, "kid", s)) {
    case Presence::wrong_type: return skip("\"kid\" is not a string");
    case Presence::present:
      key.kid.assign(s);
      key.has_kid = true;
      break;
    default: break;
  }
  if (kty != "oct" && policy.reject_private) {
    for (auto m : kPrivateMembers) {
      element ignored;
      if (!obj.at_key(m).get(ignored)) {
        skippable = false;
        return Error(Status::malformed, "key set contains private key material (member \"" + std::string(m) + "\")");
      }
    }
  }
  switch (json::get_string(obj, "use", s)) {
    case Presence::wrong_type: return skip("\"use\" is not a string");
    case Presence::present:
      key.use.assign(s);
      if (s != "sig") return skip("key is for \"use\":\"" + printable(s) + "\", not \"sig\"");
      break;
    default: break;
  }
  element ops;
  if (!obj.at_key("key_ops").get(ops)) {
    simdjson::dom::array arr;
    if (ops.get_array().get(arr)) return skip("\"key_ops\" is not an array");
    bool verify = false;
    for (element op : arr) {
      std::string_view name;
      if (op.get_string().get(name)) return skip("\"key_ops\" holds a non-string");
      if (name == "verify") verify = true;
    }
    if (!verify) return skip("\"key_ops\" does not include \"verify\"");
  }
  switch (json::get_string(obj, "alg", s)) {
    case Presence::wrong_type: return skip("\"alg\" is not a string");
    case Presence::present: {
      auto a = alg_from_name(s);
      if (!a) return skip("key names an unknown or non-signature alg \"" + printable(s) + "\"");
      key.alg = *a;
      break;
    }
    default: break;
  }

  Error err;
  if (kty == "RSA") {
    key.kty = KeyType::rsa;
    err = load_rsa(obj, policy, key);
  } else if (kty == "EC") {
    key.kty = KeyType::ec;
    err = load_ec(obj, key);
  } else if (kty == "OKP") {
    key.kty = KeyType::okp;
    err = load_okp(obj, key);
  } else if (kty == "oct") {
    key.kty = KeyType::oct;
    err = load_oct(obj, policy, key);
  } else {
    // RFC 7517 §5: members of unknown key types are ignored.
    return skip("unsupported kty \"" + printable(kty) + "\"");
  }
  if (err) return err;
  if (key.alg && (key_type_for(*key.alg) != key.kty ||
                  (key.kty != KeyType::rsa && key.kty != KeyType::oct && curve_for(*key.alg) != key.crv)))
    return skip("key's alg \"" + std::string(alg_name(*key.alg)) + "\" does not fit its type or curve");
  if (key.alg && key.kty == KeyType::oct && key.secret.size() < digest_size(*key.alg))
    return skip("HMAC key shorter than its algorithm's hash");
  if (auto xerr = check_x5c(obj, key)) return xerr;
  return {};
}

Error thumbprint_of(object obj, std::string& out) {
  std::string_view kty;
  if (json::get_string(obj, "kty", kty) != Presence::present) return skip("missing string \"kty\"");
  std::vector<std::string_view> names;
  if (kty == "RSA") names = {"e", "kty", "n"};
  else if (kty == "EC") names = {"crv", "kty", "x", "y"};
  else if (kty == "OKP") names = {"crv", "kty", "x"};
  else if (kty == "oct") names = {"k", "kty"};
  else return skip("unsupported kty for a thumbprint");
  std::string canonical = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    std::string_view v;
    if (json::get_string(obj, names[i], v) != Presence::present)
      return skip("missing string member \"" + std::string(names[i]) + "\"");
    if (i) canonical += ',';
    json::append_json_string(canonical, names[i]);
    canonical += ':';
    json::append_json_string(canonical, v);
  }
  canonical += '}';
  unsigned char digest[32];
  if (!sha256(canonical.data(), canonical.size(), digest)) return Error(Status::internal, "SHA-256 failed");
  out = encoding::base64url_encode(digest, sizeof digest);
  return {};
}

JwkLoad load_object(object obj, const KeyPolicy& policy) {
  JwkLoad result;
  auto key = std::make_shared<Jwk>();
  result.error = load_common(obj, policy, *key, result.skippable);
  if (!result.error) {
    if (auto terr = thumbprint_of(obj, key->thumbprint)) result.error = terr;
  }
  // Leave nothing in OpenSSL's error queue: inside Node it would surface in Node's own
  // crypto error messages.
  ERR_clear_error();
  if (!result.error) result.key = std::move(key);
  return result;
}

}  // namespace

JwkLoad parse_jwk(std::string_view json_text, const KeyPolicy& policy) {
  json::StrictParser parser;
  element root;
  if (auto err = parser.parse(json_text, root)) return {nullptr, err, false};
  object obj;
  if (root.get_object().get(obj)) return {nullptr, Error(Status::malformed, "a JWK must be a JSON object"), false};
  return load_object(obj, policy);
}

Error parse_jwks(std::string_view json_text, const KeyPolicy& policy, KeySet& out) {
  out = KeySet{};
  json::StrictParser parser;
  element root;
  if (auto err = parser.parse(json_text, root)) return err;
  object obj;
  if (root.get_object().get(obj)) return Error(Status::malformed, "a JWK Set must be a JSON object");

  std::vector<std::pair<size_t, object>> entries;  // with their index in "keys"
  element keys;
  std::string_view kty_probe;
  if (!obj.at_key("keys").get(keys)) {
    simdjson::dom::array arr;
    if (keys.get_array().get(arr)) return Error(Status::malformed, "\"keys\" must be an array");
    if (arr.size() > policy.max_keys)
      return Error(Status::too_large, "JWK Set has " + std::to_string(arr.size()) + " keys, more than the limit of " +
                                          std::to_string(policy.max_keys));
    size_t index = 0;
    for (element e : arr) {
      object k;
      if (e.get_object().get(k)) {
        out.skipped.push_back({index, "", "entry is not a JSON object"});
      } else {
        entries.emplace_back(index, k);
      }
      ++index;
    }
  } else if (json::get_string(obj, "kty", kty_probe) != Presence::absent) {
    entries.emplace_back(0, obj);  // a bare JWK
  }
  // else: `{}` or an object without keys — an empty set.

  std::vector<std::pair<size_t, JwkPtr>> loaded;
  for (auto [index, k] : entries) {
    JwkLoad r = load_object(k, policy);
    if (r.error) {
      if (!r.skippable) {
        out = KeySet{};
        return r.error;
      }
      std::string_view kid;
      (void)json::get_string(k, "kid", kid);
      out.skipped.push_back({index, std::string(kid), r.error.message});
    } else {
      loaded.emplace_back(index, std::move(r.key));
    }
  }
  // Two entries of one type under one kid are ambiguous (RFC 7517 §4.5): use neither — also
  // when only one of them loads here, since a more lenient parser would load both.
  std::set<std::pair<std::string, std::string>> seen, dup;
  for (const auto& [index, k] : entries) {
    std::string_view kid, kty;
    if (json::get_string(k, "kid", kid) == Presence::present && json::get_string(k, "kty", kty) == Presence::present &&
        !seen.emplace(std::string(kid), std::string(kty)).second)
      dup.emplace(std::string(kid), std::string(kty));
  }
  for (auto& [i, k] : loaded) {
    if (k->has_kid && dup.count({k->kid, std::string(key_type_name(k->kty))})) {
      out.skipped.push_back({i, k->kid, "duplicate kid for the same key type"});
      continue;
    }
    out.keys.push_back(std::move(k));
  }
  return {};
}

std::string describe_key_set(const KeySet& set) {
  using json::append_json_string;
  std::string s = "{\"keys\":[";
  for (size_t i = 0; i < set.keys.size(); ++i) {
    const auto& k = *set.keys[i];
    if (i) s += ',';
    s += "{\"kid\":";
    if (k.has_kid) append_json_string(s, k.kid); else s += "null";
    s += ",\"kty\":";
    append_json_string(s, key_type_name(k.kty));
    s += ",\"alg\":";
    if (k.alg) append_json_string(s, alg_name(*k.alg)); else s += "null";
    s += ",\"use\":";
    if (!k.use.empty()) append_json_string(s, k.use); else s += "null";
    s += ",\"crv\":";
    if (k.crv != Curve::none) append_json_string(s, curve_name(k.crv)); else s += "null";
    s += ",\"bits\":" + std::to_string(k.bits) + ",\"thumbprint\":";
    append_json_string(s, k.thumbprint);
    s += '}';
  }
  s += "],\"skipped\":[";
  for (size_t i = 0; i < set.skipped.size(); ++i) {
    const auto& sk = set.skipped[i];
    if (i) s += ',';
    s += "{\"index\":" + std::to_string(sk.index) + ",\"kid\":";
    append_json_string(s, sk.kid);
    s += ",\"reason\":";
    append_json_string(s, sk.reason);
    s += '}';
  }
  s += "]}";
  return s;
}

Error jwk_thumbprint(std::string_view json_text, std::string& out) {
  json::StrictParser parser;
  element root;
  if (auto err = parser.parse(json_text, root)) return err;
  object obj;
  if (root.get_object().get(obj)) return Error(Status::malformed, "a JWK must be a JSON object");
  return thumbprint_of(obj, out);
}

}  // namespace oidcore::jose
