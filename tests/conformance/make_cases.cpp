// Writes cases.json: one verifier configuration and a list of tokens with the verdict every
// binding must give ("ok" or the error code). The C++, Node and Python tests all read the
// same file, so the three languages are held to the same answers.
// usage: make_cases > cases.json   (the committed file was made this way; keys are random)
#include <iostream>
#include <string>
#include <vector>

#include "token_factory.hpp"

using namespace oidcore::testing;

namespace {

constexpr long long kNow = 1800000000;  // the verifier's frozen clock
const std::string kIss = "https://auth.example.com/application/o/conformance/";

std::string claims(const std::string& extra = "", long long exp = kNow + 300) {
  return "{\"iss\":" + json_string(kIss) + ",\"aud\":\"conformance-app\",\"sub\":\"user-7\",\"iat\":" +
         std::to_string(kNow - 10) + ",\"exp\":" + std::to_string(exp) + extra + "}";
}

std::string header(const std::string& alg, const std::string& kid, const std::string& extra = "") {
  return "{\"alg\":" + json_string(alg) + ",\"typ\":\"JWT\",\"kid\":" + json_string(kid) + extra + "}";
}

std::string with_signature(const std::string& token, const std::string& sig_bytes) {
  return token.substr(0, token.rfind('.') + 1) + b64url(sig_bytes);
}

}  // namespace

int main() {
  const TestKey rsa = TestKey::generate(KeyKind::rsa2048, "rsa-1");
  const TestKey ec = TestKey::generate(KeyKind::p256, "ec-1");
  const TestKey ed = TestKey::generate(KeyKind::ed25519, "ed-1");
  const TestKey attacker = TestKey::generate(KeyKind::rsa2048, "rsa-1");
  const std::string jwks = "{\"keys\":[" + rsa.public_jwk("\"alg\":\"RS256\",\"use\":\"sig\"") + "," +
                           ec.public_jwk("\"alg\":\"ES256\",\"use\":\"sig\"") + "," +
                           ed.public_jwk("\"alg\":\"EdDSA\",\"use\":\"sig\"") + "]}";

  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> cases;  // name → (token, verdict)
  auto add = [&](const std::string& name, const std::string& token, const std::string& verdict) {
    cases.push_back({name, {token, verdict}});
  };
  const std::string good_rs = make_jws(rsa, "RS256", header("RS256", "rsa-1"), claims());
  add("valid RS256", good_rs, "ok");
  add("valid ES256", make_jws(ec, "ES256", header("ES256", "ec-1"), claims()), "ok");
  add("valid EdDSA", make_jws(ed, "EdDSA", header("EdDSA", "ed-1"), claims()), "ok");
  add("valid, audience in an array", make_jws(rsa, "RS256", header("RS256", "rsa-1"),
      "{\"iss\":" + json_string(kIss) + ",\"aud\":[\"other\",\"conformance-app\"],\"exp\":" + std::to_string(kNow + 5) + "}"), "ok");
  add("expired at exactly exp", make_jws(rsa, "RS256", header("RS256", "rsa-1"), claims("", kNow)), "expired");
  add("nbf in the future", make_jws(rsa, "RS256", header("RS256", "rsa-1"), claims(",\"nbf\":" + std::to_string(kNow + 60))), "not_yet_valid");
  add("iat in the future", make_jws(ec, "ES256", header("ES256", "ec-1"),
      "{\"iss\":" + json_string(kIss) + ",\"aud\":\"conformance-app\",\"iat\":" + std::to_string(kNow + 60) + ",\"exp\":" + std::to_string(kNow + 600) + "}"), "issued_in_future");
  add("issuer with an extra slash", make_jws(rsa, "RS256", header("RS256", "rsa-1"),
      "{\"iss\":" + json_string(kIss + "/") + ",\"aud\":\"conformance-app\",\"exp\":" + std::to_string(kNow + 60) + "}"), "bad_issuer");
  add("another audience", make_jws(rsa, "RS256", header("RS256", "rsa-1"),
      "{\"iss\":" + json_string(kIss) + ",\"aud\":\"other-app\",\"exp\":" + std::to_string(kNow + 60) + "}"), "bad_audience");
  add("no exp", make_jws(rsa, "RS256", header("RS256", "rsa-1"), "{\"iss\":" + json_string(kIss) + ",\"aud\":\"conformance-app\"}"), "missing_claim");
  add("exp as a string", make_jws(rsa, "RS256", header("RS256", "rsa-1"),
      "{\"iss\":" + json_string(kIss) + ",\"aud\":\"conformance-app\",\"exp\":\"" + std::to_string(kNow + 60) + "\"}"), "missing_claim");
  add("duplicate sub", make_jws(rsa, "RS256", header("RS256", "rsa-1"), claims(",\"sub\":\"admin\"")), "malformed");
  add("alg none", make_jws_unsigned("{\"alg\":\"none\"}", claims()), "unsupported_alg");
  add("alg NoNe", make_jws_unsigned("{\"alg\":\"NoNe\"}", claims()), "unsupported_alg");
  add("alg rs256 (lower case)", make_jws(rsa, "RS256", header("rs256", "rsa-1"), claims()), "unsupported_alg");
  add("HS256 keyed with the RSA public key PEM", make_jws_hmac("HS256", rsa.spki_pem(), header("HS256", "rsa-1"), claims()), "alg_not_allowed");
  add("payload swapped", good_rs.substr(0, good_rs.find('.') + 1) + b64url(claims(",\"admin\":true")) + good_rs.substr(good_rs.rfind('.')), "bad_signature");
  add("signed by another key with the same kid", make_jws(attacker, "RS256", header("RS256", "rsa-1"), claims()), "bad_signature");
  add("embedded attacker jwk", make_jws(attacker, "RS256", header("RS256", "rsa-1", ",\"jwk\":" + attacker.public_jwk()), claims()), "bad_signature");
  add("unknown kid", make_jws(rsa, "RS256", header("RS256", "rsa-9"), claims()), "key_not_found");
  add("RS256 token against the EC key's kid", make_jws(rsa, "RS256", header("RS256", "ec-1"), claims()), "key_not_found");
  {
    const std::string t = make_jws(ec, "ES256", header("ES256", "ec-1"), claims());
    const std::string raw = b64url_decode(t.substr(t.rfind('.') + 1));
    add("ES256 signature in DER", with_signature(t, ecdsa_raw_to_der(raw)), "bad_signature");
    add("ES256 signature all zero", with_signature(t, std::string(64, '\0')), "bad_signature");
  }
  add("signature stripped", good_rs.substr(0, good_rs.rfind('.') + 1), "bad_signature");
  add("two segments", good_rs.substr(0, good_rs.rfind('.')), "malformed");
  add("trailing dot", good_rs + ".", "malformed");
  add("padded signature", good_rs + "==", "malformed");
  add("space inside", good_rs.substr(0, 10) + " " + good_rs.substr(10), "malformed");
  add("crit extension", make_jws(rsa, "RS256", header("RS256", "rsa-1", ",\"crit\":[\"exp\"],\"exp\":1"), claims()), "malformed");
  add("payload not an object", make_jws(rsa, "RS256", header("RS256", "rsa-1"), "\"just a string\""), "malformed");
  add("header with a BOM", make_jws(rsa, "RS256", "\xEF\xBB\xBF" + header("RS256", "rsa-1"), claims()), "malformed");
  add("too large", make_jws(rsa, "RS256", header("RS256", "rsa-1"), claims(",\"pad\":\"" + std::string(17000, 'x') + "\"")), "too_large");

  std::cout << "{\n  \"description\": \"Tokens and the verdict every oidcore binding must give for them (see make_cases.cpp).\",\n";
  std::cout << "  \"config\": {\"issuer\":" << json_string(kIss) << ",\"audience\":\"conformance-app\",\"now\":" << kNow
            << ",\"jwks\":" << jwks << "},\n  \"cases\": [\n";
  for (size_t i = 0; i < cases.size(); ++i) {
    std::cout << "    {\"name\":" << json_string(cases[i].first) << ",\"expected\":" << json_string(cases[i].second.second)
              << ",\"token\":" << json_string(cases[i].second.first) << "}" << (i + 1 < cases.size() ? "," : "") << "\n";
  }
  std::cout << "  ]\n}\n";
  return 0;
}
