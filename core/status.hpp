// Status codes and error values of the core. The numbering mirrors oidcore_status in the
// public C header one to one (a test checks it), so the C ABI can cast between them.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace oidcore {

enum class Status : int {
  ok = 0,
  malformed = 1,
  too_large = 2,
  unsupported_alg = 3,
  alg_not_allowed = 4,
  key_not_found = 5,
  bad_signature = 6,
  expired = 7,
  not_yet_valid = 8,
  issued_in_future = 9,
  bad_issuer = 10,
  bad_audience = 11,
  bad_type = 12,
  bad_nonce = 13,
  too_old = 14,
  missing_claim = 15,
  jwks_unavailable = 16,
  http_error = 17,
  idp_error = 18,
  store_unavailable = 19,
  not_found = 20,
  unsafe_redirect = 21,
  invalid_config = 22,
  invalid_argument = 23,
  internal = 24,
  // Not a failure: the verification needs the network (a key fetch) and the caller asked
  // not to block. Call the blocking verification (on a worker thread) instead.
  needs_fetch = 25,
  // A token that verified but whose session was ended (logout put it on the deny list).
  revoked = 26,
};

inline constexpr int kStatusCount = 27;

// Stable string code ("expired") of a status; "internal" for out-of-range values.
std::string_view status_name(Status s) noexcept;
// Static one-line description.
std::string_view status_message(Status s) noexcept;
// A service could not be reached (the provider, its keys, the store): the verdict is unknown,
// not a fault of the token or the input. Retry later; an application answers 503, not 401.
bool is_unavailable(Status s) noexcept;

// A failure: a status plus a human message (and a numeric detail such as an HTTP status).
// Default-constructed means success.
struct Error {
  Status status = Status::ok;
  std::string message;
  long detail = 0;
  // Status::idp_error only: the provider's OAuth `error` and `error_description`.
  std::string idp_error;
  std::string idp_error_description;

  Error() = default;
  Error(Status s, std::string msg, long d = 0) : status(s), message(std::move(msg)), detail(d) {}
  [[nodiscard]] bool ok() const noexcept { return status == Status::ok; }
  explicit operator bool() const noexcept { return status != Status::ok; }
};

// Makes message text safe to show: printable ASCII kept, everything else escaped, and cut
// to a bounded length. Used whenever attacker-controlled bytes end up in a message.
std::string printable(std::string_view bytes, size_t max_len = 64);

}  // namespace oidcore
