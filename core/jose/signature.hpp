// The signature primitive shared by the verifier and the conformance tests: one key, one
// algorithm, the exact signing input and the decoded signature bytes.
#pragma once

#include <cstddef>
#include <string_view>

#include "jose/algorithm.hpp"
#include "jose/jwk.hpp"
#include "status.hpp"

namespace oidcore::jose {

// Returns Status::ok when `sig` is a valid signature of `input` under `key` with `alg`;
// Status::bad_signature when it is not (including every malformed signature shape);
// Status::key_not_found when the key may not be used with `alg`.
// Thread-safe; never leaves anything in OpenSSL's error queue.
[[nodiscard]] Status verify_signature(const Jwk& key, Alg alg, std::string_view input,
                                      const unsigned char* sig, size_t sig_len) noexcept;

}  // namespace oidcore::jose
