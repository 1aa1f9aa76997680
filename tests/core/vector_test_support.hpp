// Shared by wycheproof_test.cpp and rfc_vectors_test.cpp: loading the JSON vector files
// (tests/vectors/, folder given by OIDCORE_VECTORS_DIR) and jws_verify(), a JWS-layer
// verification that runs the verifier's own key selection (jose::verify_with_key_set) but stops
// before the JWT claim checks (most vector payloads are not JWT claim sets).
//
// Header only: the build compiles tests/core/*.cpp, so this file is never a test by itself.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "jose/algorithm.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "jose/signature.hpp"
#include "status.hpp"
#include "verifier/verifier.hpp"

#ifndef OIDCORE_VECTORS_DIR
#error "OIDCORE_VECTORS_DIR must name the tests/vectors folder (set by tests/CMakeLists.txt)"
#endif

namespace oidcore::vector_test {

inline std::string vectors_dir() { return OIDCORE_VECTORS_DIR; }

// ---------------------------------------------------------------------------
// JSON access
// ---------------------------------------------------------------------------

// A parsed JSON file. The parser owns the document, so it travels with the root.
struct JsonDoc {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};

inline std::unique_ptr<JsonDoc> load_json(const std::string& path) {
  auto doc = std::make_unique<JsonDoc>();
  if (auto err = doc->parser.load(path).get(doc->root))
    throw std::runtime_error("cannot load " + path + ": " + simdjson::error_message(err));
  return doc;
}

// Strict accessors: a vector file that is not shaped as expected fails the test (gtest
// reports the exception); nothing is silently skipped.
inline simdjson::dom::element member(simdjson::dom::element obj, std::string_view key) {
  simdjson::dom::element v;
  if (obj.at_key(key).get(v)) throw std::runtime_error("vector has no member \"" + std::string(key) + "\"");
  return v;
}
inline bool has_member(simdjson::dom::element obj, std::string_view key) {
  simdjson::dom::element v;
  return !obj.at_key(key).get(v);
}
inline bool is_null_or_absent(simdjson::dom::element obj, std::string_view key) {
  simdjson::dom::element v;
  return obj.at_key(key).get(v) || v.is_null();
}
inline std::string_view str(simdjson::dom::element obj, std::string_view key) {
  std::string_view s;
  if (member(obj, key).get_string().get(s))
    throw std::runtime_error("member \"" + std::string(key) + "\" is not a string");
  return s;
}
inline std::string_view str_or(simdjson::dom::element obj, std::string_view key, std::string_view fallback) {
  simdjson::dom::element v;
  std::string_view s;
  if (obj.at_key(key).get(v) || v.get_string().get(s)) return fallback;
  return s;
}
inline int64_t integer(simdjson::dom::element obj, std::string_view key) {
  int64_t n = 0;
  if (member(obj, key).get_int64().get(n))
    throw std::runtime_error("member \"" + std::string(key) + "\" is not an integer");
  return n;
}
inline bool boolean_or(simdjson::dom::element obj, std::string_view key, bool fallback) {
  simdjson::dom::element v;
  bool b = fallback;
  if (obj.at_key(key).get(v) || v.get_bool().get(b)) return fallback;
  return b;
}
inline simdjson::dom::array array(simdjson::dom::element obj, std::string_view key) {
  simdjson::dom::array a;
  if (member(obj, key).get_array().get(a))
    throw std::runtime_error("member \"" + std::string(key) + "\" is not an array");
  return a;
}
inline bool has_flag(simdjson::dom::element test, std::string_view flag) {
  simdjson::dom::array flags;
  if (test.at_key("flags").get_array().get(flags)) return false;
  for (simdjson::dom::element f : flags) {
    std::string_view s;
    if (!f.get_string().get(s) && s == flag) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Public part of a vector's key material
// ---------------------------------------------------------------------------

// One JWK object without the private members of RSA/EC/OKP keys (d, p, q, dp, dq, qi,
// oth). `oct` keys stay whole: their secret is the verification key.
inline std::string public_jwk_text(simdjson::dom::object key) {
  std::string_view kty;
  const bool is_oct = !key["kty"].get_string().get(kty) && kty == "oct";
  std::string out = "{";
  bool first = true;
  for (auto field : key) {
    const std::string_view k = field.key;
    if (!is_oct && (k == "d" || k == "p" || k == "q" || k == "dp" || k == "dq" || k == "qi" || k == "oth")) continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out.append(k.data(), k.size());  // JWK member names in the vectors are plain ASCII
    out += "\":";
    out += simdjson::minify(field.value);
  }
  out += '}';
  return out;
}

// A JWK or a JWK Set ({"keys":[...]}) with every key reduced to its public part.
inline std::string public_part(simdjson::dom::element v) {
  simdjson::dom::object obj;
  if (v.get_object().get(obj)) return simdjson::minify(v);
  simdjson::dom::array keys;
  if (obj["keys"].get_array().get(keys)) return public_jwk_text(obj);
  std::string out = "{\"keys\":[";
  bool first = true;
  for (simdjson::dom::element k : keys) {
    if (!first) out += ',';
    first = false;
    simdjson::dom::object ko;
    out += k.get_object().get(ko) ? simdjson::minify(k) : public_jwk_text(ko);
  }
  out += "]}";
  return out;
}

// ---------------------------------------------------------------------------
// JWS-layer verification with the verifier's key selection
// ---------------------------------------------------------------------------

inline bool allows_hmac(jose::AlgSet set) { return set.has_hmac(); }

struct JwsOutcome {
  Error error;           // ok() when the token verified
  std::string payload;   // the decoded payload, on success
  std::string kid;       // kid of the key that verified, on success
  bool keys_parsed = false;  // the key set was accepted by parse_jwks
  size_t usable_keys = 0;    // keys of the set usable with the header's alg
  jose::KeySet keys;         // what parse_jwks produced
};

// Verifies a compact JWS against a JWK or JWK Set given as JSON text, the way
// oidcore::Verifier::verify does up to (not including) the payload/claim checks:
//   split_compact → parse_header → allow-list → parse_jwks → key selection → signature.
// `allowed` is the algorithm allow-list; std::nullopt means "exactly the header's own alg"
// (the most permissive configuration an attacker could hope for). Symmetric keys are
// loaded only when the allow-list holds an HS* algorithm, as in parse_verifier_config.
// Key selection: when the header has a kid, only keys with that exact kid; otherwise
// every key; in both cases only keys usable with the alg (type, curve, the key's own alg),
// at most Verifier::kMaxKidlessCandidates tried without a kid.
inline JwsOutcome jws_verify(std::string_view token, std::string_view jwks_json,
                             std::optional<jose::AlgSet> allowed = std::nullopt) {
  JwsOutcome out;
  jose::CompactJws jws;
  if (auto err = jose::split_compact(token, jose::kDefaultMaxTokenBytes, jws)) {
    out.error = std::move(err);
    return out;
  }
  jose::JwsHeader header;
  if (auto err = jose::parse_header(jws.header_json, header)) {
    out.error = std::move(err);
    return out;
  }
  jose::AlgSet allow;
  if (allowed) {
    allow = *allowed;
  } else {
    allow.add(header.alg);
  }
  if (!allow.contains(header.alg)) {
    out.error = Error(Status::alg_not_allowed, "algorithm " + std::string(jose::alg_name(header.alg)) + " is not allowed");
    return out;
  }
  jose::KeyPolicy policy;
  policy.allow_symmetric = allows_hmac(allow);
  if (auto err = jose::parse_jwks(jwks_json, policy, out.keys)) {
    out.error = std::move(err);
    return out;
  }
  out.keys_parsed = true;
  for (const auto& key : out.keys.keys)
    if (key->usable_with(header.alg)) ++out.usable_keys;

  // The verifier's own key selection and signature check.
  const jose::Jwk* verified_by = nullptr;
  if (auto err = jose::verify_with_key_set(jws, header, out.keys, verified_by)) {
    out.error = std::move(err);
    return out;
  }
  out.payload = jws.payload_json;
  out.kid = verified_by->kid;
  return out;
}

}  // namespace oidcore::vector_test
