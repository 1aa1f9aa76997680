// The signature primitive shared by the verifier and the conformance tests: one key, one
// algorithm, the exact signing input and the decoded signature bytes.
#pragma once

#include <cstddef>
#include <string_view>

#include "jose/algorithm.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "status.hpp"

namespace oidcore::jose {

// Returns Status::ok when `sig` is a valid signature of `input` under `key` with `alg`;
// Status::bad_signature when it is not (including every malformed signature shape);
// Status::key_not_found when the key may not be used with `alg`.
// Thread-safe; never leaves anything in OpenSSL's error queue. The verification context of
// a key and algorithm is copied once per thread and reused for the following tokens.
[[nodiscard]] Status verify_signature(const Jwk& key, Alg alg, std::string_view input,
                                      const unsigned char* sig, size_t sig_len) noexcept;

// Verification contexts the calling thread keeps ready (at most 16): each (key, algorithm)
// pair it verified with recently has one. For tests and diagnostics.
size_t thread_context_count() noexcept;

// At most this many keys are tried for a token without `kid` (bounds CPU per token).
inline constexpr size_t kMaxKidlessCandidates = 3;

// Chooses the key(s) for a parsed token and verifies its signature. Keys come from `keys`
// only; the kid is an opaque lookup string compared with its full length, and a key must
// fit the algorithm (type, curve, its own alg). Without a kid, at most
// kMaxKidlessCandidates fitting keys are tried. On success `used` is the key that verified.
// The allow-list is the caller's business: this checks keys and signature only.
[[nodiscard]] Error verify_with_key_set(const CompactJws& jws, const JwsHeader& header, const KeySet& keys,
                                        const Jwk*& used) noexcept;

}  // namespace oidcore::jose
