#include "verifier/verifier.hpp"

#include <ctime>

#include "jose/jws.hpp"
#include "jose/signature.hpp"
#include "json/strict_json.hpp"

namespace oidcore {

Verifier::Verifier(VerifierConfig config) : config_(std::move(config)) {}

std::unique_ptr<Verifier> Verifier::create(std::string_view config_json, Error& error) {
  VerifierConfig config;
  error = parse_verifier_config(config_json, config);
  if (error) return nullptr;
  return std::make_unique<Verifier>(std::move(config));
}

int64_t Verifier::now() const noexcept {
  if (config_.fixed_now) return *config_.fixed_now;
  return static_cast<int64_t>(std::time(nullptr));
}

Error Verifier::verify(std::string_view token, VerifiedToken& out, const VerifyOptions& options) const {
  // Buffers reused across calls on this thread: no allocation per token once warm.
  thread_local jose::CompactJws jws;
  thread_local jose::JwsHeader header;

  if (auto err = jose::split_compact(token, config_.max_token_bytes, jws)) return err;
  if (auto err = jose::parse_header(jws.header_json, header)) return err;
  const jose::Alg alg = header.alg;
  if (!config_.algorithms.contains(alg))
    return Error(Status::alg_not_allowed, "algorithm " + std::string(jose::alg_name(alg)) + " is not allowed");

  // Keys come from configuration only. The kid is an opaque lookup string, compared with
  // its full length; the key must fit the algorithm (type, curve, its own alg).
  const auto* sig = reinterpret_cast<const unsigned char*>(jws.signature.data());
  const jose::Jwk* verified_by = nullptr;
  size_t candidates = 0;
  for (const auto& key : config_.keys.keys) {
    if (header.has_kid ? !(key->has_kid && key->kid == header.kid) : false) continue;
    if (!key->usable_with(alg)) continue;
    if (!header.has_kid && candidates >= kMaxKidlessCandidates) break;
    ++candidates;
    const Status st = jose::verify_signature(*key, alg, jws.signing_input, sig, jws.signature.size());
    if (st == Status::ok) {
      verified_by = key.get();
      break;
    }
    if (st != Status::bad_signature) return Error(st, "signature verification failed");
  }
  if (!verified_by) {
    if (candidates == 0)
      return Error(Status::key_not_found,
                   header.has_kid ? "no " + std::string(jose::alg_name(alg)) + " key with kid \"" + printable(header.kid) + "\""
                                  : "no key for " + std::string(jose::alg_name(alg)));
    return Error(Status::bad_signature, "signature does not verify");
  }

  simdjson::dom::element root;
  if (auto err = json::thread_parser().parse_padded(jws.payload_json.data(), jws.payload_json.size(), root)) {
    err.message = "payload: " + err.message;
    return err;
  }
  simdjson::dom::object claims;
  if (root.get_object().get(claims)) return Error(Status::malformed, "payload is not a JSON object (a JWT claim set)");

  if (auto err = jose::check_claims(claims, config_.claims, now(), options.nonce)) return err;
  if (config_.typ) {
    if (!header.has_typ) return Error(Status::bad_type, "token has no \"typ\"; \"" + *config_.typ + "\" is required");
    if (!jose::typ_matches(*config_.typ, header.typ))
      return Error(Status::bad_type, "token type \"" + printable(header.typ) + "\" is not \"" + *config_.typ + "\"");
  }

  out.claims.assign(jws.payload_json);
  out.principal.clear();
  if (config_.principal) jose::build_principal(claims, *config_.principal, out.principal);
  out.alg = alg;
  out.kid.assign(verified_by->kid);
  return {};
}

}  // namespace oidcore
