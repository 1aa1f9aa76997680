// Exchange codes: a one-time code that carries the tokens from the backend's login callback
// to the frontend. The code is redeemed exactly once, even by concurrent redeemers, and
// only within its TTL. At rest the store holds a hash of the code as the key and the
// payload sealed under a key derived from the code (see sealed_records.hpp): reading the
// store yields neither a redeemable code nor the tokens.
//
// Thread-safe: the functions keep no state of their own; they are as concurrent as the
// store they are given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "status.hpp"
#include "store/store.hpp"

namespace oidcore::flow {

inline constexpr int64_t kDefaultExchangeCodeTtl = 60;          // seconds
inline constexpr size_t kMaxExchangePayloadBytes = 256 * 1024;  // bytes

struct ExchangeCodeOptions {
  int64_t ttl_seconds = kDefaultExchangeCodeTtl;  // 1 .. 86400
  // A value tying the code to one browser (e.g. a hash of a cookie set for the callback).
  // When given, redemption must present the same bytes. Must not be empty.
  std::optional<std::string> binding;
};

// Stores `payload` (any bytes, at most kMaxExchangePayloadBytes: else Status::too_large)
// and sets `code` to a new code: 43 base64url characters, 256 bits from libsodium's CSPRNG.
// Store failures are Status::store_unavailable and no code is handed out.
[[nodiscard]] Error create_exchange_code(store::Store& store, std::string_view payload, std::string& code,
                                         const ExchangeCodeOptions& options = {});

// Redeems `code`: on success `payload` holds what was stored, and the code is spent.
// Unknown, expired, already used, malformed (checked before any store round trip), or
// redeemed with the wrong binding (which spends it too): Status::not_found. Without a
// binding at creation, none is needed (any given is ignored). Store failures:
// Status::store_unavailable, never a success.
[[nodiscard]] Error redeem_exchange_code(store::Store& store, std::string_view code,
                                         std::optional<std::string_view> binding, std::string& payload);

}  // namespace oidcore::flow
