// tests/vectors/rfc-jws-vectors.json: the JWS/JWK examples printed in RFC 7515, 7517, 7520,
// 7638, 7797 and 8037, plus derived negatives (see the file's `field_semantics`, and
// tests/vectors/README.md). Every entry is run and counted:
//
//  * jws-verify (126): compact tokens go through vector_test::jws_verify (split_compact,
//    parse_header, an allow-list of exactly [alg], parse_jwks, the verifier's key
//    selection, verify_signature). JSON serializations and detached payloads are invalid
//    for oidcore (compact, attached payloads only). Every rejection is checked for its exact
//    status. Every entry also goes through a full oidcore::Verifier (its `jwt_expected` is
//    "invalid" for all of them); for the attack-* entries that are JWS-valid but
//    JWT-invalid the Verifier must say Status::malformed.
//  * jwk-thumbprint (5): jose::jwk_thumbprint equals expected_thumbprint_sha256.
//  * jwks-parse (4): valid sets parse and expose exactly the usable keys; the private set
//    and the symmetric set are refused as remote verification sets under the default
//    KeyPolicy (private → parse error; symmetric → no usable key).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "encoding/base64url.hpp"
#include "jose/algorithm.hpp"
#include "jose/jwk.hpp"
#include "status.hpp"
#include "token_factory.hpp"
#include "vector_test_support.hpp"
#include "verifier/verifier.hpp"

namespace {

namespace jose = oidcore::jose;
namespace vt = oidcore::vector_test;
using oidcore::Status;
using oidcore::status_name;
using simdjson::dom::element;

std::unique_ptr<vt::JsonDoc> load_rfc_vectors() { return vt::load_json(vt::vectors_dir() + "/rfc-jws-vectors.json"); }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The key material of an entry as JSON text: its `jwks`, else its `jwk` (a bare JWK is a set
// of one for parse_jwks), else the empty set. `jwk_private` is never used here.
std::string keys_of(element v) {
  if (!vt::is_null_or_absent(v, "jwks")) return simdjson::minify(vt::member(v, "jwks"));
  if (!vt::is_null_or_absent(v, "jwk")) return simdjson::minify(vt::member(v, "jwk"));
  return "{}";
}

// The allow-list "exactly [alg]"; `alg` may list several ("RS256,ES512,HS256") or name
// something that is not an algorithm ("none"), which leaves the allow-list empty.
jose::AlgSet allow_list(std::string_view alg_field) {
  jose::AlgSet set;
  while (!alg_field.empty()) {
    const size_t comma = alg_field.find(',');
    if (auto a = jose::alg_from_name(alg_field.substr(0, comma))) set.add(*a);
    if (comma == std::string_view::npos) break;
    alg_field.remove_prefix(comma + 1);
  }
  return set;
}

std::string_view str_serialization(element v) { return vt::str_or(v, "serialization", "compact"); }

// The status a rejected jws-verify entry must get, from what the entry says is wrong.
// Every invalid entry must be covered (an unknown name fails the test).
std::optional<Status> expected_rejection(std::string_view name, element v) {
  // Printed RFC negatives and non-compact forms.
  static const std::map<std::string_view, Status> exact = {
      {"rfc7515-A.5-alg-none-unsecured", Status::unsupported_alg},
      // alg "none" plus an unknown crit: the alg is what oidcore refuses first.
      {"rfc7515-E-crit-unknown", Status::unsupported_alg},
      // header..signature: the empty payload segment is refused before anything else.
      {"rfc7520-4.5-HS256-detached-content", Status::malformed},
      {"rfc7797-4.2-HS256-b64-false-detached", Status::malformed},
      // Attacks on the RFC keys.
      {"attack-embedded-jwk-attacker-key", Status::bad_signature},  // embedded jwk ignored
      // jku never fetched; the token's kid names no configured key (the RFC 7515 A.2 key has
      // no kid), and a kid is only ever matched against configured keys.
      {"attack-jku-injection", Status::key_not_found},
      {"attack-x5u-injection", Status::bad_signature},              // x5u never fetched
      {"attack-kid-path-traversal-HS256-empty-key", Status::alg_not_allowed},
      {"attack-kid-sql-injection-HS256", Status::alg_not_allowed},
      {"attack-alg-None-capitalised", Status::unsupported_alg},
      {"attack-alg-NONE-upper", Status::unsupported_alg},
      {"attack-alg-nOnE-mixed", Status::unsupported_alg},
      {"attack-alg-none-with-signature", Status::unsupported_alg},
      {"attack-alg-lowercase-rs256", Status::unsupported_alg},  // names are case-sensitive
      {"attack-alg-missing", Status::malformed},
      {"attack-alg-not-a-string", Status::malformed},
      {"attack-crit-unknown-param-signed", Status::malformed},
      {"attack-crit-empty-list", Status::malformed},
      {"attack-crit-lists-registered-alg", Status::malformed},
      {"attack-crit-b64-attached-compact", Status::malformed},
      {"attack-duplicate-alg-header-last-RS256", Status::malformed},  // duplicate members
      {"attack-header-not-object", Status::malformed},
      {"attack-header-utf8-bom", Status::malformed},
  };
  if (auto it = exact.find(name); it != exact.end()) return it->second;
  if (str_serialization(v) != "compact") return Status::malformed;
  // Strict base64url (RFC 7515 §2): padding, standard alphabet, non-zero unused bits, LF.
  if (vt::boolean_or(v, "strict_encoding", false)) return Status::malformed;
  // Derived mutations of the RFC examples.
  if (ends_with(name, "-sig-bitflip") || ends_with(name, "-payload-swapped") ||
      ends_with(name, "-signature-stripped"))
    return Status::bad_signature;
  if (ends_with(name, "-alg-none-rewrite")) return Status::unsupported_alg;
  if (ends_with(name, "-trailing-dot")) return Status::malformed;
  // HS256 keyed with the RSA key's PEM, against an allow-list of [RS256] / [PS384].
  if (ends_with(name, "-alg-confusion-HS256-with-RSA-PEM")) return Status::alg_not_allowed;
  // ECDSA signatures that are not raw r||s of the right size, or r = s = 0.
  if (ends_with(name, "-sig-DER-encoded") || ends_with(name, "-sig-zero-r-s")) return Status::bad_signature;
  return std::nullopt;
}

// The JWS-valid but JWT-invalid attacks: the JWS layer accepts them, the Verifier must not.
bool is_jwt_only_attack(element v) {
  return starts_with(vt::str(v, "name"), "attack-") && vt::str(v, "expected") == "valid" &&
         vt::str(v, "jwt_expected") == "invalid";
}

// The attack entries use the RFC 7515 A.2 RSA key and claims
// {"iss":"https://issuer.example","aud":"api","exp":4102444800,...}.
constexpr const char* kAttackIssuer = "https://issuer.example";
constexpr const char* kAttackAudience = "api";
constexpr int64_t kAttackNow = 1700000000;

std::string verifier_config(const std::string& jwks, std::string_view alg, std::string_view issuer,
                            std::string_view audience, int64_t now) {
  return "{\"issuer\":" + oidcore::testing::json_string(issuer) + ",\"audience\":" +
         oidcore::testing::json_string(audience) + ",\"jwks\":" + jwks + ",\"algorithms\":[" +
         oidcore::testing::json_string(alg) + "],\"now\":" + std::to_string(now) + "}";
}

// ---------------------------------------------------------------------------

TEST(RfcVectors, InventoryAndCounts) {
  auto doc = load_rfc_vectors();
  std::map<std::string, size_t> by_kind, by_kind_expected;
  std::set<std::string> names;
  size_t total = 0;
  for (element v : vt::array(doc->root, "vectors")) {
    ++total;
    const std::string kind(vt::str(v, "kind"));
    ++by_kind[kind];
    ++by_kind_expected[kind + "/" + std::string(vt::str(v, "expected"))];
    EXPECT_TRUE(names.insert(std::string(vt::str(v, "name"))).second) << "duplicate name " << vt::str(v, "name");
  }
  EXPECT_EQ(total, 135u);
  EXPECT_EQ(static_cast<size_t>(vt::integer(vt::member(doc->root, "counts"), "total")), total);
  EXPECT_EQ(by_kind, (std::map<std::string, size_t>{{"jws-verify", 126}, {"jwk-thumbprint", 5}, {"jwks-parse", 4}}));
  EXPECT_EQ(by_kind_expected, (std::map<std::string, size_t>{{"jws-verify/valid", 14},
                                                             {"jws-verify/invalid", 112},
                                                             {"jwk-thumbprint/valid", 5},
                                                             {"jwks-parse/valid", 2},
                                                             {"jwks-parse/invalid", 2}}));
}

TEST(RfcVectors, JwsVerify) {
  auto doc = load_rfc_vectors();
  size_t entries = 0, accepted = 0, rejected = 0, exact = 0, non_compact = 0, detached = 0, strict = 0;
  for (element v : vt::array(doc->root, "vectors")) {
    if (vt::str(v, "kind") != "jws-verify") continue;
    ++entries;
    const std::string name(vt::str(v, "name"));
    SCOPED_TRACE(name);
    const std::string keys = keys_of(v);
    const jose::AlgSet allowed = allow_list(vt::str(v, "alg"));
    std::string_view expected = vt::str(v, "expected");

    std::string token;
    if (str_serialization(v) != "compact") {
      // JWS JSON serialization: oidcore reads compact tokens only.
      ++non_compact;
      EXPECT_EQ(expected, "invalid");
      token = simdjson::minify(vt::member(v, "json"));
    } else {
      token = std::string(vt::str(v, "token"));
    }
    if (vt::has_member(v, "detached_payload")) {
      ++detached;
      EXPECT_EQ(expected, "invalid");
    }
    if (vt::boolean_or(v, "strict_encoding", false)) ++strict;

    const vt::JwsOutcome out = vt::jws_verify(token, keys, allowed);
    if (expected == "valid") {
      EXPECT_TRUE(out.error.ok()) << status_name(out.error.status) << ": " << out.error.message;
      if (!out.error.ok()) continue;
      ++accepted;
      if (vt::has_member(v, "expected_payload_b64u")) {
        std::string want;
        ASSERT_TRUE(oidcore::encoding::base64url_decode(vt::str(v, "expected_payload_b64u"), want));
        EXPECT_EQ(out.payload, want);
      }
      if (vt::has_member(v, "expected_payload")) {
        EXPECT_EQ(out.payload, vt::str(v, "expected_payload"));
      }
      continue;
    }
    ASSERT_EQ(expected, "invalid");
    EXPECT_FALSE(out.error.ok()) << "verified but must be rejected";
    if (!out.error.ok()) ++rejected;
    const std::optional<Status> want = expected_rejection(name, v);
    EXPECT_TRUE(want.has_value()) << "no expected status for this entry: extend expected_rejection()";
    if (want) {
      ++exact;
      EXPECT_EQ(out.error.status, *want) << "got " << status_name(out.error.status) << " (" << out.error.message
                                         << "), expected " << status_name(*want);
    }
  }
  EXPECT_EQ(entries, 126u);
  EXPECT_EQ(accepted, 14u);
  EXPECT_EQ(rejected, 112u);
  EXPECT_EQ(exact, 112u);
  EXPECT_EQ(non_compact, 3u);  // RFC 7520 4.6, 4.7, 4.8
  EXPECT_EQ(detached, 2u);     // RFC 7520 4.5, RFC 7797 4.2
  EXPECT_EQ(strict, 32u);
}

// RFC 7520 4.1 with a set where an EC P-521 key and the RSA key share the kid, plus an oct
// key: selection filters by kid AND type, the EC key is not an error, the oct key is never
// loaded (no HS* allowed). RFC 7517 A.3 + RFC 7515 A.1: no kid, the A128KW key is skipped.
TEST(RfcVectors, KeySelectionAcrossTypes) {
  auto doc = load_rfc_vectors();
  size_t checked = 0;
  for (element v : vt::array(doc->root, "vectors")) {
    const std::string_view name = vt::str(v, "name");
    if (name == "rfc7520-4.1-RS256-jwks-kid-shared-across-kty") {
      jose::AlgSet rs256;
      rs256.add(jose::Alg::RS256);
      const vt::JwsOutcome out = vt::jws_verify(vt::str(v, "token"), keys_of(v), rs256);
      ASSERT_TRUE(out.error.ok()) << out.error.message;
      EXPECT_EQ(out.kid, "bilbo.baggins@hobbiton.example");
      EXPECT_EQ(out.keys.keys.size(), 2u);     // EC + RSA
      EXPECT_EQ(out.keys.skipped.size(), 1u);  // the oct key
      for (const auto& k : out.keys.keys) EXPECT_NE(k->kty, jose::KeyType::oct);
      ++checked;
    }
    if (name == "rfc7517-A.3-jwks+rfc7515-A.1-HS256") {
      jose::AlgSet hs256;
      hs256.add(jose::Alg::HS256);
      const vt::JwsOutcome out = vt::jws_verify(vt::str(v, "token"), keys_of(v), hs256);
      ASSERT_TRUE(out.error.ok()) << out.error.message;
      EXPECT_EQ(out.kid, "HMAC key used in JWS A.1 example");
      ASSERT_EQ(out.keys.skipped.size(), 1u);
      EXPECT_EQ(out.keys.skipped[0].index, 0u);  // the A128KW key
      // And without HS256 in the allow-list the same token is refused before any key.
      EXPECT_EQ(vt::jws_verify(vt::str(v, "token"), keys_of(v), jose::AlgSet::asymmetric()).error.status,
                Status::alg_not_allowed);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2u);
}

// jwt_expected is "invalid" for every jws-verify entry: a full Verifier configured with the
// entry's keys and [alg] must reject each one (at configuration or at verification). The
// JWS-valid attack entries must be rejected as malformed payloads, and a well-formed control
// token signed with the same RFC key under the same configuration must pass, so the
// rejection is about the defect and nothing else.
TEST(RfcVectors, FullVerifierRejectsEveryEntry) {
  auto doc = load_rfc_vectors();
  std::string a2_private, a2_public_n;
  for (element v : vt::array(doc->root, "vectors"))
    if (vt::str(v, "name") == "rfc7515-A.2-RS256") {
      a2_private = simdjson::minify(vt::member(v, "jwk_private"));
      a2_public_n = std::string(vt::str(vt::member(v, "jwk"), "n"));
    }
  ASSERT_FALSE(a2_private.empty());
  const auto signer = oidcore::testing::TestKey::from_private_jwk(a2_private);

  size_t entries = 0, not_compact = 0, refused_config = 0, refused_verify = 0, attacks = 0;
  for (element v : vt::array(doc->root, "vectors")) {
    if (vt::str(v, "kind") != "jws-verify") continue;
    ++entries;
    const std::string name(vt::str(v, "name"));
    SCOPED_TRACE(name);
    EXPECT_EQ(vt::str(v, "jwt_expected"), "invalid");
    if (str_serialization(v) != "compact") {
      ++not_compact;  // covered by JwsVerify: not a compact token at all
      continue;
    }
    std::string_view alg = vt::str(v, "alg");
    if (!jose::alg_from_name(alg)) alg = "RS256";  // "none" cannot be configured; the header decides anyway
    const bool attack = is_jwt_only_attack(v);
    const int64_t now = vt::has_member(v, "jwt_valid_at") ? vt::integer(v, "jwt_valid_at") : kAttackNow;
    const std::string config = attack ? verifier_config("{\"keys\":[" + keys_of(v) + "]}", alg, kAttackIssuer,
                                                        kAttackAudience, kAttackNow)
                                      : verifier_config(keys_of(v), alg, "joe", "rp", now);
    oidcore::Error create_error;
    auto verifier = oidcore::Verifier::create(config, create_error);
    if (!verifier) {
      EXPECT_FALSE(attack) << create_error.message;
      EXPECT_EQ(create_error.status, Status::invalid_config);
      ++refused_config;
      continue;
    }
    oidcore::VerifiedToken verified;
    const oidcore::Error err = verifier->verify(vt::str(v, "token"), verified);
    EXPECT_FALSE(err.ok()) << "a full verifier accepted it";
    if (!err.ok()) ++refused_verify;
    if (!attack) continue;

    ++attacks;
    EXPECT_EQ(err.status, Status::malformed) << status_name(err.status) << ": " << err.message;
    // The JWS layer alone accepts it (the signature is right): the payload is the defect.
    EXPECT_TRUE(vt::jws_verify(vt::str(v, "token"), keys_of(v), allow_list(alg)).error.ok());
    // Control: same key, same configuration, a proper claim set.
    ASSERT_EQ(vt::str(vt::member(v, "jwk"), "n"), a2_public_n) << "attack entries use the RFC 7515 A.2 key";
    const std::string control = oidcore::testing::make_jws(
        signer, "RS256", R"({"alg":"RS256"})",
        R"({"iss":"https://issuer.example","sub":"alice","aud":"api","exp":4102444800})");
    EXPECT_TRUE(verifier->verify(control, verified).ok()) << "control token refused: configuration is wrong";
  }
  EXPECT_EQ(entries, 126u);
  EXPECT_EQ(attacks, 3u);  // duplicate-sub-claim, payload-not-json-object, nested-jws-in-payload
  EXPECT_EQ(not_compact, 3u);
  EXPECT_EQ(not_compact + refused_config + refused_verify, entries);
}

TEST(RfcVectors, JwkThumbprints) {
  auto doc = load_rfc_vectors();
  size_t checked = 0;
  for (element v : vt::array(doc->root, "vectors")) {
    if (vt::str(v, "kind") != "jwk-thumbprint") continue;
    SCOPED_TRACE(std::string(vt::str(v, "name")));
    EXPECT_EQ(vt::str(v, "expected"), "valid");
    const std::string jwk = simdjson::minify(vt::member(v, "jwk"));
    std::string thumbprint;
    const oidcore::Error err = jose::jwk_thumbprint(jwk, thumbprint);
    ASSERT_TRUE(err.ok()) << err.message;
    EXPECT_EQ(thumbprint, vt::str(v, "expected_thumbprint_sha256"));
    // A key that loads carries the same thumbprint (the use:"enc" EC key does not load).
    const jose::JwkLoad load = jose::parse_jwk(jwk, jose::KeyPolicy{});
    if (load.key) {
      EXPECT_EQ(load.key->thumbprint, thumbprint);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 5u);
}

TEST(RfcVectors, JwksParse) {
  auto doc = load_rfc_vectors();
  size_t valid = 0, private_refused = 0, symmetric_refused = 0;
  const jose::KeyPolicy policy;  // default: a remote verification set
  for (element v : vt::array(doc->root, "vectors")) {
    if (vt::str(v, "kind") != "jwks-parse") continue;
    const std::string name(vt::str(v, "name"));
    SCOPED_TRACE(name);
    jose::KeySet set;
    const oidcore::Error err = jose::parse_jwks(keys_of(v), policy, set);
    std::set<std::string> usable;
    for (const auto& k : set.keys)
      for (int i = 0; i < jose::kAlgCount; ++i)
        if (k->usable_with(static_cast<jose::Alg>(i))) usable.insert(k->kid);

    if (vt::str(v, "expected") == "valid") {
      ASSERT_TRUE(err.ok()) << err.message;
      if (vt::has_member(v, "expected_usable_for_verification")) {
        std::set<std::string> want;
        for (element kid : vt::array(v, "expected_usable_for_verification"))
          want.insert(std::string(kid.get_string().value()));
        EXPECT_EQ(usable, want);
      } else {
        // RFC 7517 B: an RSA key whose x5c leaf certificate holds the same key.
        EXPECT_EQ(usable, std::set<std::string>{"1b94c"});
        ASSERT_EQ(set.keys.size(), 1u);
        EXPECT_TRUE(set.keys[0]->has_x5c);
      }
      ++valid;
      continue;
    }
    ASSERT_EQ(vt::str(v, "expected"), "invalid");
    if (name == "rfc7517-A.2-private-jwks") {
      // Private key material refuses the whole set.
      EXPECT_EQ(err.status, Status::malformed) << err.message;
      EXPECT_TRUE(set.keys.empty());
      ++private_refused;
    } else if (name == "rfc7517-A.3-symmetric-jwks") {
      // Parses, but without allow_symmetric no oct key becomes a verification key.
      ASSERT_TRUE(err.ok()) << err.message;
      EXPECT_TRUE(set.keys.empty());
      EXPECT_TRUE(usable.empty());
      EXPECT_EQ(set.skipped.size(), 2u);
      ++symmetric_refused;
    } else {
      ADD_FAILURE() << "unexpected invalid jwks-parse entry";
    }
  }
  EXPECT_EQ(valid, 2u);
  EXPECT_EQ(private_refused, 1u);
  EXPECT_EQ(symmetric_refused, 1u);
}

}  // namespace
