// Fuzz target: compact JWS framing, the protected header and the whole verification path.
//
// Each input is used three ways:
//  1. as a token: split_compact + parse_header directly, then Verifier::verify through two
//     verifiers (a permissive and a strict policy) holding RS256/PS256, ES256, EdDSA and
//     HS256 keys;
//  2. re-signed: when it has a dot, everything before the last dot is MACed with the HS256
//     key, so mutated headers and payloads get past the signature into the claim checks;
//  3. as a claim set: the bytes become the payload of an HS256 token signed here.
// Besides "no crash, no sanitizer report", it checks properties that must always hold:
// statuses in range, failure messages printable one-line ASCII (never raw token bytes),
// and a success only for an allowed algorithm, returning exactly the signed payload.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "encoding/base64url.hpp"
#include "fuzz_keys.hpp"
#include "jose/jws.hpp"
#include "verifier/verifier.hpp"

namespace {

using oidcore::Status;

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_jws: property violated: %s %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

struct Targets {
  std::unique_ptr<oidcore::Verifier> permissive;
  std::unique_ptr<oidcore::Verifier> strict;
  std::string hs256_key;
};

std::unique_ptr<oidcore::Verifier> make(const std::string& config) {
  oidcore::Error err;
  auto v = oidcore::Verifier::create(config, err);
  if (!v) fail("fuzz verifier configuration refused:", err.message);
  return v;
}

const Targets& targets() {
  static const Targets* t = [] {
    auto* t = new Targets;
    const std::string common = std::string(R"("issuer":")") + oidcore::fuzz::kIssuer + R"(","now":)" +
                               std::to_string(oidcore::fuzz::kNow) + R"(,"jwks":)" + oidcore::fuzz::kJwks;
    t->permissive = make(
        "{" + common +
        R"(,"audience":["fuzz-aud","https://rp.example"],"algorithms":["RS256","PS256","ES256","EdDSA","HS256"],)"
        R"("clock_tolerance":30,"principal":{"organization_id_claim":"org","roles":[{"group":"admins","role":"admin"}]}})");
    t->strict = make("{" + common +
                     R"(,"audience":"fuzz-aud","algorithms":["HS256","EdDSA"],"typ":"at+jwt","azp":"client-1",)"
                     R"("max_age":3600,"required_claims":["sub","scope"],"max_token_bytes":4096})");
    if (!oidcore::encoding::base64url_decode(oidcore::fuzz::kHs256KeyB64, t->hs256_key)) fail("HS256 key");
    return t;
  }();
  return *t;
}

void check_message(const oidcore::Error& err) {
  const int s = static_cast<int>(err.status);
  if (s <= 0 || s >= oidcore::kStatusCount) fail("status out of range");
  for (unsigned char c : err.message)
    if (c < 0x20 || c > 0x7e) fail("message with a raw byte:", oidcore::printable(err.message, 200));
}

// Verifies and checks the invariants; `signed_payload`, when given, is what a success must return.
Status verify(const oidcore::Verifier& v, std::string_view token, const std::string* signed_payload = nullptr) {
  oidcore::VerifiedToken out;
  const oidcore::Error err = v.verify(token, out);
  if (err) {
    check_message(err);
    return err.status;
  }
  if (!v.config().algorithms.contains(out.alg)) fail("accepted an algorithm outside the allow-list");
  // The payload exactly as signed: a JSON object, possibly after JSON whitespace.
  const size_t start = out.claims.find_first_not_of(" \t\r\n");
  if (start == std::string::npos || out.claims[start] != '{') fail("claims are not an object");
  if (signed_payload && out.claims != *signed_payload) fail("claims differ from the signed payload");
  if (v.config().principal.has_value() == out.principal.empty()) fail("principal present iff configured");
  return Status::ok;
}

std::string hs256(const std::string& key, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
            input.size(), mac, &len))
    fail("HMAC");
  return oidcore::encoding::base64url_encode(mac, len);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Targets& t = targets();
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // 1. The building blocks, then the whole path.
  {
    oidcore::jose::CompactJws jws;
    if (auto err = oidcore::jose::split_compact(input, 1 << 20, jws)) {
      check_message(err);
    } else {
      if (jws.signing_input.size() >= input.size() || input.substr(0, jws.signing_input.size()) != jws.signing_input)
        fail("signing input is not a prefix of the token");
      oidcore::jose::JwsHeader header;
      if (auto herr = oidcore::jose::parse_header(jws.header_json, header)) check_message(herr);
    }
  }
  verify(*t.permissive, input);
  verify(*t.strict, input);

  // 2. Re-signed with the HS256 key.
  const size_t dot = input.rfind('.');
  if (dot != std::string_view::npos && dot > 0) {
    const std::string_view signing_input = input.substr(0, dot);
    const std::string token = std::string(signing_input) + "." + hs256(t.hs256_key, signing_input);
    verify(*t.permissive, token);
    verify(*t.strict, token);
  }

  // 3. The input as the claim set of a correctly signed token.
  {
    const std::string payload(input);
    std::string token = oidcore::encoding::base64url_encode(R"({"alg":"HS256","typ":"at+jwt"})") + "." +
                        oidcore::encoding::base64url_encode(payload);
    token += "." + hs256(t.hs256_key, token);
    verify(*t.permissive, token, &payload);
    verify(*t.strict, token, &payload);
  }
  return 0;
}
