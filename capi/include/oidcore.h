/*
 * oidcore: the relying-party side of OpenID Connect as one native library.
 *
 * This header is the library's only public API and its stable ABI. It is plain C99 and
 * uses standard headers only. Every function is prefixed `oidcore_`, every type
 * `oidcore_`, every macro `OIDCORE_`.
 *
 * Conventions that hold for every function below:
 *  - Inputs come first as (pointer, length); outputs follow; an optional caller-owned
 *    `oidcore_error *` comes last. Pass NULL when the details are not wanted: the returned
 *    status alone says what happened. Nothing is ever stored in a handle, so handles can be
 *    shared between threads without an error state getting mixed up.
 *  - Every fallible function returns an `oidcore_status`. `OIDCORE_OK` is 0.
 *  - Strings passed in are (pointer, length) and may contain NUL bytes; nothing is compared
 *    as a C string. Strings handed out are NUL-terminated and their length is also given.
 *  - Whatever the library allocates is released with the matching `oidcore_*_free`; every
 *    free function accepts NULL.
 *  - No C++ exception ever crosses this boundary. A NULL or nonsensical argument yields
 *    `OIDCORE_INVALID_ARGUMENT`, never a crash.
 */
#ifndef OIDCORE_H
#define OIDCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define OIDCORE_API __attribute__((visibility("default")))
#define OIDCORE_NODISCARD __attribute__((warn_unused_result))
#else
#define OIDCORE_API
#define OIDCORE_NODISCARD
#endif

/* Compile-time version. Compare with oidcore_version() / oidcore_abi_version() at run time. */
#define OIDCORE_VERSION_MAJOR 0
#define OIDCORE_VERSION_MINOR 1
#define OIDCORE_VERSION_PATCH 0
#define OIDCORE_VERSION_STRING "0.1.0"
/* Bumped only when a change breaks binary compatibility. Additions keep it. */
#define OIDCORE_ABI_VERSION 1

/*
 * Status codes. The numeric values are part of the ABI: they are never renumbered and
 * never reused. oidcore_status_name() gives the stable string code (the one the Node and
 * Python bindings expose as `.code`).
 */
typedef enum oidcore_status {
  OIDCORE_OK = 0,
  OIDCORE_MALFORMED = 1,          /* "malformed": not a compact JWS, bad base64url/JSON/header, unknown crit */
  OIDCORE_TOO_LARGE = 2,          /* "too_large": token or response over its size limit */
  OIDCORE_UNSUPPORTED_ALG = 3,    /* "unsupported_alg": `none` or an algorithm oidcore does not implement */
  OIDCORE_ALG_NOT_ALLOWED = 4,    /* "alg_not_allowed": an algorithm outside the configured list */
  OIDCORE_KEY_NOT_FOUND = 5,      /* "key_not_found": no usable key with that kid / of that type */
  OIDCORE_BAD_SIGNATURE = 6,      /* "bad_signature" */
  OIDCORE_EXPIRED = 7,            /* "expired": exp */
  OIDCORE_NOT_YET_VALID = 8,      /* "not_yet_valid": nbf */
  OIDCORE_ISSUED_IN_FUTURE = 9,   /* "issued_in_future": iat */
  OIDCORE_BAD_ISSUER = 10,        /* "bad_issuer" */
  OIDCORE_BAD_AUDIENCE = 11,      /* "bad_audience" (also a wrong azp) */
  OIDCORE_BAD_TYPE = 12,          /* "bad_type": typ header */
  OIDCORE_BAD_NONCE = 13,         /* "bad_nonce" */
  OIDCORE_TOO_OLD = 14,           /* "too_old": max age from auth_time / iat exceeded */
  OIDCORE_MISSING_CLAIM = 15,     /* "missing_claim": a required claim is absent or of the wrong JSON type */
  OIDCORE_JWKS_UNAVAILABLE = 16,  /* "jwks_unavailable" */
  OIDCORE_HTTP_ERROR = 17,        /* "http_error" */
  OIDCORE_IDP_ERROR = 18,         /* "idp_error" */
  OIDCORE_STORE_UNAVAILABLE = 19, /* "store_unavailable" */
  OIDCORE_NOT_FOUND = 20,         /* "not_found" */
  OIDCORE_UNSAFE_REDIRECT = 21,   /* "unsafe_redirect" */
  OIDCORE_INVALID_CONFIG = 22,    /* "invalid_config": the message names the offending key */
  OIDCORE_INVALID_ARGUMENT = 23,  /* "invalid_argument" */
  OIDCORE_INTERNAL = 24,          /* "internal": a bug, never expected */
  /* "needs_fetch": not a failure. Returned only by oidcore_verifier_verify_cached() (and by
   * the request verifications called with "allow_fetch": false) when the verification
   * needs the network (first fetch, expired keys, unknown kid); call
   * oidcore_verifier_verify() (from a worker thread) for that token, or the same request
   * verification with fetching allowed. */
  OIDCORE_NEEDS_FETCH = 25,
  /* "revoked": the token verified, but its session was ended: a logout put it (its `sid`,
   * else its `jti`, else the token itself) on the deny list of a verifier that consults
   * one ("deny_list"). */
  OIDCORE_REVOKED = 26
} oidcore_status;

/* One past the highest status value defined by this header. */
#define OIDCORE_STATUS_COUNT 27

/* Size of the message buffer inside oidcore_error, NUL included. Longer messages are cut. */
#define OIDCORE_ERROR_MESSAGE_SIZE 256
/* Size of the idp_error buffer inside oidcore_error, NUL included. */
#define OIDCORE_IDP_ERROR_SIZE 64

/*
 * Details of a failure, owned by the caller (typically on the stack). Filled by any call
 * that receives a non-NULL pointer: on success `status` is OIDCORE_OK and `message` empty.
 * The message is human-readable English; it never contains token bytes unescaped.
 */
typedef struct oidcore_error {
  oidcore_status status;
  long detail; /* numeric detail when there is one (e.g. an HTTP status), else 0 */
  char message[OIDCORE_ERROR_MESSAGE_SIZE];
  /* OIDCORE_IDP_ERROR only (else empty strings): the provider's OAuth `error` code
   * ("invalid_grant", "invalid_client", ...) and its `error_description`, printable ASCII,
   * cut to fit. */
  char idp_error[OIDCORE_IDP_ERROR_SIZE];
  char idp_error_description[OIDCORE_ERROR_MESSAGE_SIZE];
} oidcore_error;

/* The stable string code of a status ("expired", "bad_signature", ...). Static storage,
 * never NULL: an unknown value gives "internal". */
OIDCORE_API const char *oidcore_status_name(oidcore_status status);

/* A static one-line English description of a status. Never NULL. */
OIDCORE_API const char *oidcore_status_message(oidcore_status status);

/* 1 when the status says a service could not be reached: the provider or its keys
 * (OIDCORE_JWKS_UNAVAILABLE, OIDCORE_HTTP_ERROR) or the store (OIDCORE_STORE_UNAVAILABLE).
 * The verdict is then unknown, not a fault of the token or the input: retry later (an HTTP
 * application answers 503, never 401, so a good session is not dropped). 0 otherwise,
 * unknown values included. */
OIDCORE_API int oidcore_status_is_unavailable(oidcore_status status);

/* The library's version string, e.g. "0.1.0". Static storage. */
OIDCORE_API const char *oidcore_version(void);

/* The ABI version the library was built with (OIDCORE_ABI_VERSION of its header). */
OIDCORE_API int oidcore_abi_version(void);

/* The OpenSSL the library's calls actually run on, as OpenSSL_version() reports it (e.g.
 * "OpenSSL 3.0.19 ..."). Inside a host that carries its own OpenSSL (Node), this is the
 * host's copy. Static storage. */
OIDCORE_API const char *oidcore_crypto_version(void);

/* ------------------------------------------------------------------------------------ */
/* Token verification                                                                    */
/* ------------------------------------------------------------------------------------ */

/*
 * A verifier: one issuer, its audiences, its keys and its policy. Immutable once created;
 * safe to use from any number of threads at once without locking.
 */
typedef struct oidcore_verifier oidcore_verifier;

/* A store (memory or Redis): see "Stores, login state and exchange codes" below. */
typedef struct oidcore_store oidcore_store;

/*
 * Creates a verifier from a JSON configuration object (snake_case keys; see the README for
 * every key). An unknown key, a wrong type or an unusable value is OIDCORE_INVALID_CONFIG
 * with a message naming the key.
 *
 * On success *out receives a new verifier, owned by the caller, to be released with
 * oidcore_verifier_free(). On failure *out is set to NULL.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_verifier_new(const char *config_json,
                                                                 size_t config_len,
                                                                 oidcore_verifier **out,
                                                                 oidcore_error *error);

/*
 * Creates a verifier that consults a deny list of ended sessions kept in `store` (see
 * oidcore_rp_logout()). The configuration must say "deny_list": true (a verifier created by
 * oidcore_verifier_new() with that key is OIDCORE_INVALID_CONFIG, as is a store given
 * without it). A token that passes every other check (or comes from the verified-token
 * cache) is then looked up in the store, one round trip: listed (its `sid`, else its `jti`,
 * else the token itself), OIDCORE_REVOKED; a store that fails, OIDCORE_STORE_UNAVAILABLE
 * (fail closed: the token is not accepted), unless "deny_list_fail_open": true, which accepts
 * the token and leaves the store alone for 5 s. Tokens that fail any other check never reach
 * the store. oidcore_verifier_verify_cached() (and "allow_fetch": false) does not wait on a
 * Redis store: it answers OIDCORE_NEEDS_FETCH; a memory store is asked inline. `store` must
 * outlive the verifier. Otherwise as oidcore_verifier_new().
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_verifier_new_with_store(const char *config_json,
                                                                            size_t config_len,
                                                                            oidcore_store *store,
                                                                            oidcore_verifier **out,
                                                                            oidcore_error *error);

/* Releases a verifier. NULL is accepted. No call on it may still be running. */
OIDCORE_API void oidcore_verifier_free(oidcore_verifier *verifier);

/*
 * Ends the session of `token` on the deny list of a verifier made by
 * oidcore_verifier_new_with_store() (for applications that log out without
 * oidcore_rp_logout()): the token is verified first, so that a forged one never ends another
 * user's session; then its session (`sid`, else `jti`, else the token) is listed until its
 * exp plus the clock tolerance, and every verifier consulting that store refuses it
 * (OIDCORE_REVOKED). OIDCORE_OK with *denied (when not NULL) = 1 when the session is listed
 * (now, or already), 0 for a token past its exp (nothing left to refuse). A token that fails
 * verification: its status (OIDCORE_BAD_SIGNATURE, ...), nothing listed. A verifier without a
 * deny list: OIDCORE_INVALID_CONFIG. A store that fails: OIDCORE_STORE_UNAVAILABLE. Blocks for
 * the store's round trips (and a key fetch when needed).
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_verifier_deny(const oidcore_verifier *verifier,
                                                                  const char *token,
                                                                  size_t token_len,
                                                                  int *denied,
                                                                  oidcore_error *error);

/* The outcome of a successful verification: the claims and, when configured, the principal. */
typedef struct oidcore_result oidcore_result;

/*
 * Verifies a compact JWS/JWT: framing, header, algorithm policy, key, signature, then the
 * claims (exp, nbf, iat, iss, aud, typ, required claims, max age, azp).
 *
 * On OIDCORE_OK, *out receives a result owned by the caller (release it with
 * oidcore_result_free()). On any other status *out is NULL and `error` (when given) says why.
 * Thread-safe: any number of threads may verify through one verifier at once.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_verifier_verify(const oidcore_verifier *verifier,
                                                                    const char *token,
                                                                    size_t token_len,
                                                                    oidcore_result **out,
                                                                    oidcore_error *error);

/*
 * Like oidcore_verifier_verify(), but never touches the network and never blocks: when the
 * verification needs keys that are not cached (first use, keys past their TTL, a kid the
 * cached set does not know and a refetch is permitted) it returns OIDCORE_NEEDS_FETCH and
 * does nothing else. A binding calls this on its main thread and, only on
 * OIDCORE_NEEDS_FETCH, calls oidcore_verifier_verify() for the same token from a worker.
 * For verifiers with inline keys it never returns OIDCORE_NEEDS_FETCH.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_verifier_verify_cached(const oidcore_verifier *verifier,
                                                                           const char *token,
                                                                           size_t token_len,
                                                                           oidcore_result **out,
                                                                           oidcore_error *error);

/*
 * Fetches the verifier's remote keys now (discovery first when configured), blocking for
 * at most the configured HTTP timeouts; concurrent callers share one fetch. Useful at
 * start-up. OIDCORE_OK for verifiers with inline keys. Thread-safe.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_verifier_refresh(const oidcore_verifier *verifier,
                                                                     oidcore_error *error);

/*
 * Counters of a verifier as a JSON object:
 * {"verifications":{"ok":N,"expired":N,...},            (only codes seen so far)
 *  "token_cache":{"hits":N,"entries":N,"capacity":N},   (hits: "ok" answers given from the
 *                                                         verified-token cache)
 *  "jwks":{"fetches":N,"fetch_failures":N,"rate_limited":N,"last_success":UNIX|null,
 *          "last_failure":UNIX|null,"last_error":STR|null,"key_count":N,"cache_age":SEC|null,
 *          "stale":BOOL}}                               ("jwks" only with remote keys)
 * On OIDCORE_OK *out receives a NUL-terminated string to release with oidcore_string_free().
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_verifier_stats(const oidcore_verifier *verifier,
                                                                   char **out,
                                                                   size_t *out_len,
                                                                   oidcore_error *error);

/*
 * The verified claims as one JSON object (the token's payload), NUL-terminated; its length
 * goes to *len when len is not NULL. Owned by the result: valid until oidcore_result_free().
 */
OIDCORE_API const char *oidcore_result_claims(const oidcore_result *result, size_t *len);

/*
 * The principal as a JSON object {"sub","email","name","organizationId","role"} when the
 * verifier was configured with a `principal` mapping, else NULL. Owned by the result.
 */
OIDCORE_API const char *oidcore_result_principal(const oidcore_result *result, size_t *len);

/* The JWS algorithm ("RS256", ...) and the kid of the key that verified (empty string when
 * the key had none). Static or result-owned storage; NULL only when result is NULL. */
OIDCORE_API const char *oidcore_result_alg(const oidcore_result *result);
OIDCORE_API const char *oidcore_result_kid(const oidcore_result *result);

/*
 * Verifies a request rather than a token: every source of the request that holds a token
 * (the cookie and the "Authorization: Bearer" header, in the configured order) is tried
 * until one verifies, so a stale or forged cookie never hides a good bearer token (nor the
 * reverse). `cookie_header` and `authorization` are the raw header values, NULL/0 when
 * absent; `options_json` (NULL/0 for the defaults) takes the options of
 * oidcore_extract_token() ("cookie_name", "order", "cookie_secrets": a cookie that is not
 * signed with one of them counts as absent) plus
 *   "allow_fetch": BOOL (default true; false behaves like oidcore_verifier_verify_cached():
 *       nothing touches the network and OIDCORE_NEEDS_FETCH may be answered).
 * An "Authorization" header of another scheme (Basic, ...) holds no token; a "Bearer" value
 * that is not a token68 is a value that is not a token (OIDCORE_MALFORMED).
 *
 * The first token that verifies wins: OIDCORE_OK, *out as oidcore_verifier_verify() gives
 * it, and oidcore_result_source() says where it came from. When none verifies, the most
 * specific failure is returned, from most to least specific:
 *   1. the keys could not be had (OIDCORE_JWKS_UNAVAILABLE, OIDCORE_HTTP_ERROR): the
 *      verdict is unknown, so this is a retryable failure, not a rejection;
 *   2. a real token rejected (OIDCORE_EXPIRED, OIDCORE_BAD_SIGNATURE, OIDCORE_BAD_AUDIENCE,
 *      OIDCORE_KEY_NOT_FOUND, OIDCORE_UNSUPPORTED_ALG, ...);
 *   3. a value that is not even a token (OIDCORE_MALFORMED, OIDCORE_TOO_LARGE);
 *   4. no token anywhere (OIDCORE_NOT_FOUND).
 * Between failures of the same rank the first source in order wins; the message names the
 * source. OIDCORE_NEEDS_FETCH from any source stops at once and is returned: call this
 * function again with fetching allowed (from a worker thread), which walks the sources again
 * in the same order. Bad options: OIDCORE_INVALID_ARGUMENT naming the key. Thread-safe.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_verifier_verify_request(const oidcore_verifier *verifier,
                                                                            const char *cookie_header,
                                                                            size_t cookie_len,
                                                                            const char *authorization,
                                                                            size_t authorization_len,
                                                                            const char *options_json,
                                                                            size_t options_len,
                                                                            oidcore_result **out,
                                                                            oidcore_error *error);

/* Where the token of a request verification's result came from: "cookie" or "bearer"; ""
 * for the result of a call that verifies a given token. Static storage; NULL only when
 * result is NULL. */
OIDCORE_API const char *oidcore_result_source(const oidcore_result *result);

/* Releases a result. NULL is accepted. */
OIDCORE_API void oidcore_result_free(oidcore_result *result);

/* ------------------------------------------------------------------------------------ */
/* Keys                                                                                  */
/* ------------------------------------------------------------------------------------ */

/* Length of an RFC 7638 thumbprint in base64url (SHA-256, 32 bytes), without the NUL. */
#define OIDCORE_THUMBPRINT_LEN 43

/*
 * Computes the RFC 7638 JWK thumbprint (SHA-256, base64url) of one public JWK.
 * `out` must hold OIDCORE_THUMBPRINT_LEN + 1 bytes; it receives a NUL-terminated string.
 * A JWK missing its required members, or of an unknown kty, is OIDCORE_MALFORMED.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_jwk_thumbprint(const char *jwk_json,
                                                                   size_t jwk_len,
                                                                   char out[OIDCORE_THUMBPRINT_LEN + 1],
                                                                   oidcore_error *error);

/*
 * Describes a JWKS as the verifier would load it, for diagnostics: a JSON object
 * {"keys":[{"kid","kty","alg","use","crv","bits","thumbprint"}...],
 *  "skipped":[{"index","kid","reason"}...]}.
 * `options_json` may be NULL or a JSON object with `min_rsa_bits` and `allow_symmetric`.
 * On OIDCORE_OK *out receives a NUL-terminated string to release with oidcore_string_free().
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_jwks_describe(const char *jwks_json,
                                                                  size_t jwks_len,
                                                                  const char *options_json,
                                                                  size_t options_len,
                                                                  char **out,
                                                                  size_t *out_len,
                                                                  oidcore_error *error);

/* ------------------------------------------------------------------------------------ */
/* Diagnostics                                                                           */
/* ------------------------------------------------------------------------------------ */

/*
 * Inspects an identity provider for people debugging an integration (what `oidcore
 * discover` and `oidcore doctor` print). `config_json`: {"issuer", "jwks_uri"?,
 * "internal_url"?, "ca_file"?, "ca_dir"?, "http_timeout"?, "connect_timeout"?,
 * "client_id"?, "client_secret"?, "min_rsa_bits"?}. Blocks for the network calls (each
 * bounded by the timeouts). The report is one JSON object: "discovery" (endpoints),
 * "discovery_error", "jwks_uri", "jwks_error", "keys" and "skipped" (as
 * oidcore_jwks_describe), "algorithms" {"provider","common"}, "server_date", "clock_skew"
 * (seconds, this machine minus the provider), "client_check" {"result": "accepted" |
 * "invalid_client" | "error", "detail"} when credentials were given, and "problems" (a list
 * of plain-language findings, empty when all is well).
 * Provider failures are part of the report; the status is not OK only for a bad
 * configuration. *out is released with oidcore_string_free().
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_provider_inspect(const char *config_json,
                                                                     size_t config_len,
                                                                     char **out,
                                                                     size_t *out_len,
                                                                     oidcore_error *error);

/* ------------------------------------------------------------------------------------ */
/* Stores, login state and exchange codes                                                */
/* ------------------------------------------------------------------------------------ */

/*
 * A store for one-time records (login state, exchange codes): in this process ("memory")
 * or shared by several processes ("redis"). Safe to use from any number of threads at once.
 * Records are kept sealed: the store holds a keyed hash of each state or code as the key
 * and the record encrypted (XChaCha20-Poly1305) under a key derived from that state or
 * code, so whoever reads the store gets neither usable codes nor tokens. The same store can
 * hold the deny list of ended sessions (oidcore_rp_logout(), oidcore_verifier_new_with_store()),
 * whose keys are hashes too.
 */

/*
 * Creates a store from a JSON configuration object:
 *   {"type":"memory", "max_entries":N (default 100000), "key_prefix":STR (default "oidcore:")}
 *   {"type":"redis", "url":"redis://[user:pass@]host:port/db" | "unix:///path?db=N",
 *    "key_prefix":STR, "pool_size":N (1..1024, default 4),
 *    "connect_timeout":SEC, "command_timeout":SEC (default 1.0 each)}
 * "type" defaults to "memory". A full memory store refuses new records with
 * OIDCORE_STORE_UNAVAILABLE ("full") rather than growing. A Redis store connects on first
 * use, so the server need not be up yet. An unknown key, a wrong type or an unusable value
 * is OIDCORE_INVALID_CONFIG with a message naming the key.
 *
 * On success *out receives a new store, owned by the caller, to be released with
 * oidcore_store_free(). On failure *out is set to NULL.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_store_new(const char *config_json,
                                                              size_t config_len,
                                                              oidcore_store **out,
                                                              oidcore_error *error);

/* Releases a store (a memory store's records go with it). NULL is accepted. No call on it
 * may still be running. */
OIDCORE_API void oidcore_store_free(oidcore_store *store);

/*
 * Creates the login state of an authorization request and keeps its record in `store`.
 * `options_json` may be NULL (length 0) or a JSON object with:
 *   "redirect_after": STR   where to go after the login (check it before redirecting)
 *   "extra": any JSON       returned as is (minified) when the state is consumed
 *   "binding": STR          ties the state to one browser (non-empty); only a hash is kept
 *   "ttl": N                seconds, 1..86400, default 600
 * An unknown option is OIDCORE_INVALID_ARGUMENT naming it.
 *
 * On OIDCORE_OK *out receives a NUL-terminated JSON object
 *   {"state","nonce","code_verifier","code_challenge","code_challenge_method":"S256"}
 * to be released with oidcore_string_free(). `state` and `nonce` go into the authorization
 * request with the challenge; each is 43 URL-safe characters carrying 256 random bits.
 * A store that cannot be reached is OIDCORE_STORE_UNAVAILABLE, and no state is handed out.
 * Thread-safe.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_state_create(oidcore_store *store,
                                                                 const char *options_json,
                                                                 size_t options_len,
                                                                 char **out,
                                                                 size_t *out_len,
                                                                 oidcore_error *error);

/*
 * Consumes a state (the `state` parameter of the callback): at most one call ever succeeds
 * for a state, even when several run at once. `binding` (NULL with length 0 for none) must
 * be the same bytes as at creation when one was given there; a wrong or missing binding
 * spends the state. Unknown, expired, already consumed, malformed (refused without touching
 * the store) or wrongly bound: OIDCORE_NOT_FOUND. A store that cannot be reached is
 * OIDCORE_STORE_UNAVAILABLE, never a success.
 *
 * On OIDCORE_OK *out receives a NUL-terminated JSON object
 *   {"redirect_after":STR|null,"extra":JSON|null,"nonce","code_verifier","created_at":UNIX}
 * to be released with oidcore_string_free(). Thread-safe.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_state_consume(oidcore_store *store,
                                                                  const char *state,
                                                                  size_t state_len,
                                                                  const char *binding,
                                                                  size_t binding_len,
                                                                  char **out,
                                                                  size_t *out_len,
                                                                  oidcore_error *error);

/*
 * Stores `payload` (any bytes, typically the tokens as JSON; at most 256 KiB, else
 * OIDCORE_TOO_LARGE) under a new one-time exchange code. `options_json` may be NULL (length
 * 0) or a JSON object with "ttl" (seconds, 1..86400, default 60) and "binding" (a non-empty
 * string tying the code to one browser). An unknown option is OIDCORE_INVALID_ARGUMENT
 * naming it.
 *
 * On OIDCORE_OK *out receives the code, 43 URL-safe characters carrying 256 random bits,
 * NUL-terminated, to be released with oidcore_string_free(). A store that cannot be reached
 * is OIDCORE_STORE_UNAVAILABLE and no code is handed out. Thread-safe.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_exchange_code_create(oidcore_store *store,
                                                                         const char *payload,
                                                                         size_t payload_len,
                                                                         const char *options_json,
                                                                         size_t options_len,
                                                                         char **out,
                                                                         size_t *out_len,
                                                                         oidcore_error *error);

/*
 * Redeems an exchange code: at most one call ever succeeds for a code, even when several
 * run at once. `binding` (NULL with length 0 for none) must be the same bytes as at
 * creation when one was given there; a wrong or missing binding spends the code. Unknown,
 * expired, already redeemed, malformed (refused without touching the store) or wrongly
 * bound: OIDCORE_NOT_FOUND. A store that cannot be reached is OIDCORE_STORE_UNAVAILABLE,
 * never a success.
 *
 * On OIDCORE_OK *out receives the payload given at creation, NUL-terminated (it may itself
 * contain NUL bytes: use *out_len), to be released with oidcore_string_free(). Thread-safe.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_exchange_code_redeem(oidcore_store *store,
                                                                         const char *code,
                                                                         size_t code_len,
                                                                         const char *binding,
                                                                         size_t binding_len,
                                                                         char **out,
                                                                         size_t *out_len,
                                                                         oidcore_error *error);

/* ------------------------------------------------------------------------------------ */
/* Login flow (relying party)                                                            */
/* ------------------------------------------------------------------------------------ */

/*
 * A relying party: the authorization-code flow with PKCE (S256) against one OpenID
 * Provider, found by discovery from its issuer. Safe to use from any number of threads.
 * Every call that needs the provider blocks for at most the configured HTTP timeouts
 * (bindings run them on worker threads); the first one fetches the discovery document.
 */
typedef struct oidcore_rp oidcore_rp;

/*
 * Creates a relying party from a JSON configuration object (see the README, "Login flow"):
 * required "issuer", "client_id", "client_secret", "redirect_uri"; optional "scopes"
 * (default ["openid","profile","email"]; must include "openid"), "token_endpoint_auth_method"
 * ("client_secret_post" default | "client_secret_basic"), "basic_auth_encoding" ("form"
 * default, RFC 6749 | "raw"), "hs256_client_secret" (verify tokens with HS256 keyed with the
 * client secret: for providers without a signing key; never a fallback), "internal_url",
 * "browser_binding" (default true: every login is tied to the browser that started it),
 * "validate_access_token" (default true: a JWT access token is verified), "access_token_audience",
 * "post_logout_redirect_uri", "state_ttl" (600), "exchange_code_ttl" (60), "discovery_ttl"
 * (3600), "refresh_reuse_window" (2 s, 0..60: see oidcore_rp_refresh), "authorization_params" (extra string parameters such as "prompt"),
 * "deny_list" (default false: see oidcore_rp_logout; the deny list is kept in `store`),
 * "deny_list_fail_open" (default false: see oidcore_verifier_new_with_store), and the verifier
 * keys "algorithms", "clock_tolerance", "principal", "max_age", "min_rsa_bits", "ca_file",
 * "ca_dir", "connect_timeout", "http_timeout", "max_response_bytes", "cache_*",
 * "stale_if_error", "jwks_refetch_interval", "jwks_requests_per_minute", "jwks_retry_interval",
 * "max_token_bytes".
 * "refresh_tokens" (default true: the application refreshes its sessions; see
 * oidcore_rp_warnings()).
 * `store` keeps the login states and exchange codes; it must outlive the relying party.
 * A bad configuration is OIDCORE_INVALID_CONFIG naming the key. Nothing is fetched here.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_new(const char *config_json,
                                                           size_t config_len,
                                                           oidcore_store *store,
                                                           oidcore_rp **out,
                                                           oidcore_error *error);

/* Releases a relying party. NULL is accepted. No call on it may still be running. */
OIDCORE_API void oidcore_rp_free(oidcore_rp *rp);

/*
 * What the configuration was warned about when the relying party was created: *out is a
 * JSON array [{"code": STR, "message": STR}, ...], "[]" when there is nothing to say, to be
 * released with oidcore_string_free(). Codes are stable: "no_offline_access" when
 * "refresh_tokens" is true (the default) and "scopes" lack "offline_access", without which
 * providers such as Authentik issue no refresh token. Applications should log them.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_warnings(const oidcore_rp *rp,
                                                                char **out,
                                                                size_t *out_len,
                                                                oidcore_error *error);

/*
 * Starts a login. `options_json` (NULL/0 for none): {"redirect_after": STR (must be a safe
 * relative path, else OIDCORE_UNSAFE_REDIRECT), "extra": JSON, "binding": STR, "scopes":
 * STR|[STR], "params": {STR: STR} (extra authorization parameters; the flow's own are
 * refused)}. The login state is stored; on OIDCORE_OK *out is
 * {"url": the authorization URL for the browser, "state": STR, "binding": STR|null,
 *  "expires_in": SEC}. `binding` (a new random value, or the one given in the options; null
 * only with "browser_binding": false) ties the login to this browser: keep it in a
 * short-lived HttpOnly cookie (SameSite=Lax survives the redirect back from the provider)
 * and give it to oidcore_rp_complete_login, which refuses the callback without it.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_begin_login(oidcore_rp *rp,
                                                                   const char *options_json,
                                                                   size_t options_len,
                                                                   char **out,
                                                                   size_t *out_len,
                                                                   oidcore_error *error);

/*
 * Completes a login from the callback: `callback` is the callback URL or its query string.
 * `options_json` (NULL/0): {"binding": STR (what begin_login handed out), "exchange_code":
 * BOOL, "exchange_code_ttl": SEC, "exchange_code_binding": STR (default: the binding)}. The
 * state is consumed first (unknown, expired, replayed, or without / with another binding:
 * OIDCORE_NOT_FOUND); an `error` from the provider is OIDCORE_IDP_ERROR; the
 * code is exchanged with the PKCE verifier and the ID token verified (signature, iss, aud,
 * azp, exp, iat, nonce), the access token too when it is a JWT. On OIDCORE_OK *out is
 *   {"access_token","token_type","id_token","refresh_token"|null,"expires_in"|null,
 *    "expires_at"|null,"refresh_expires_in"|null,"scope"|null,"claims","access_claims"|null,
 *    "principal","redirect_after"|null,"extra"|null}
 * ("refresh_expires_in": the refresh token's lifetime in seconds when the provider gives it)
 * or, with "exchange_code": true, {"exchange_code","claims","principal","redirect_after",
 * "extra"}: the token set (the same members as above) is then the code's payload, for
 * oidcore_exchange_code_redeem() on the same store.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_complete_login(oidcore_rp *rp,
                                                                      const char *callback,
                                                                      size_t callback_len,
                                                                      const char *options_json,
                                                                      size_t options_len,
                                                                      char **out,
                                                                      size_t *out_len,
                                                                      oidcore_error *error);

/*
 * The refresh grant. Concurrent calls with the same refresh token make one request to the
 * provider and all get its outcome, as do calls with that token arriving within
 * "refresh_reuse_window" seconds after a successful refresh (callers that raced it). On OIDCORE_OK *out is the token set (as
 * complete_login, without redirect_after/extra); "refresh_token" is the rotated one (or the
 * same when the provider does not rotate). A refused token is OIDCORE_IDP_ERROR
 * (idp_error "invalid_grant"). An empty refresh token (the login gave none: no
 * "offline_access" scope) is OIDCORE_INVALID_ARGUMENT, with a message that says so.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_refresh(oidcore_rp *rp,
                                                               const char *refresh_token,
                                                               size_t refresh_token_len,
                                                               char **out,
                                                               size_t *out_len,
                                                               oidcore_error *error);

/* The userinfo endpoint's claims for an access token, as a JSON object. */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_userinfo(oidcore_rp *rp,
                                                                const char *access_token,
                                                                size_t access_token_len,
                                                                char **out,
                                                                size_t *out_len,
                                                                oidcore_error *error);

/* Revokes a token (RFC 7009). `token_type_hint`: NULL/0, "access_token" or
 * "refresh_token". A provider without a revocation endpoint: OIDCORE_INVALID_CONFIG. */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_revoke(oidcore_rp *rp,
                                                              const char *token,
                                                              size_t token_len,
                                                              const char *token_type_hint,
                                                              size_t hint_len,
                                                              oidcore_error *error);

/*
 * The RP-initiated logout URL (end_session_endpoint). `options_json` (NULL/0):
 * {"id_token_hint": STR, "post_logout_redirect_uri": STR (default from the configuration),
 * "state": STR}. *out is the URL, NUL-terminated. "access_token" and "refresh_token" are
 * OIDCORE_INVALID_ARGUMENT here: only oidcore_rp_logout() acts on them.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_logout_url(oidcore_rp *rp,
                                                                  const char *options_json,
                                                                  size_t options_len,
                                                                  char **out,
                                                                  size_t *out_len,
                                                                  oidcore_error *error);

/*
 * Ends a session, whatever state its tokens are in. `options_json` (NULL/0):
 *   {"access_token": STR, "refresh_token": STR   (the browser's tokens; null, "" or absent
 *                                                  = none; expired or junk is fine),
 *    "id_token_hint": STR, "post_logout_redirect_uri": STR (default from the configuration),
 *    "state": STR}
 * In order: the end-session URL is built (client_id, id_token_hint, post_logout_redirect_uri,
 * state); with "deny_list": true in the configuration, an access token that still verifies
 * has its session (`sid`, else `jti`, else the token) put on the deny list in the relying
 * party's store until the token's exp (+ clock tolerance), so that every relying party or
 * verifier consulting that store refuses it at once (OIDCORE_REVOKED); a token that does not
 * verify (forged, foreign) lists nothing, an expired one needs nothing; then the refresh token
 * is revoked at the provider (RFC 7009) when discovery names a revocation_endpoint.
 * The deny list and the revocation never fail the call: on OIDCORE_OK *out is
 *   {"logout_url": STR|null (null: the provider has no end_session_endpoint),
 *    "revoked": BOOL, "denied": BOOL (listed now, or already),
 *    "revoke_error": ERR|null, "deny_error": ERR|null}
 * with ERR = {"code","message"[,"idp_error","idp_error_description"]} saying why a step that
 * had something to do did not happen (e.g. "http_error" when the provider is down,
 * "invalid_config" when it cannot revoke, "bad_signature" for a forged access token,
 * "store_unavailable"). The call itself fails only before doing anything: a bad option or
 * post_logout_redirect_uri (OIDCORE_INVALID_ARGUMENT), provider metadata that cannot be had
 * (OIDCORE_HTTP_ERROR), an end-session endpoint that is not a URL. Whatever the outcome,
 * clear the session's cookies.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_logout(oidcore_rp *rp,
                                                              const char *options_json,
                                                              size_t options_len,
                                                              char **out,
                                                              size_t *out_len,
                                                              oidcore_error *error);

/*
 * Verifies an access token (an API request's bearer token) as complete_login does: the
 * provider's keys, its issuer, "access_token_audience". Blocks on the first key fetch.
 * The result always has a principal (the configured mapping, else the default one).
 * With "deny_list": true, a token whose session was logged out is OIDCORE_REVOKED (and a
 * store that fails the lookup, OIDCORE_STORE_UNAVAILABLE).
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_verify_access_token(oidcore_rp *rp,
                                                                           const char *token,
                                                                           size_t token_len,
                                                                           oidcore_result **out,
                                                                           oidcore_error *error);

/*
 * The request verification of oidcore_verifier_verify_request() (same inputs, options and
 * rule) with the relying party's access-token check (oidcore_rp_verify_access_token()). With
 * "allow_fetch": false nothing touches the network: OIDCORE_NEEDS_FETCH when the provider's
 * metadata (not fetched yet, or past "discovery_ttl") or its keys must be fetched first.
 * The result always has a principal and a source.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_rp_verify_request(oidcore_rp *rp,
                                                                      const char *cookie_header,
                                                                      size_t cookie_len,
                                                                      const char *authorization,
                                                                      size_t authorization_len,
                                                                      const char *options_json,
                                                                      size_t options_len,
                                                                      oidcore_result **out,
                                                                      oidcore_error *error);

/*
 * Verifies an ID token with an expected nonce (as oidcore_verifier_verify, plus the nonce
 * claim must equal `nonce`: else OIDCORE_BAD_NONCE).
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_verifier_verify_nonce(const oidcore_verifier *verifier,
                                                                          const char *token,
                                                                          size_t token_len,
                                                                          const char *nonce,
                                                                          size_t nonce_len,
                                                                          oidcore_result **out,
                                                                          oidcore_error *error);

/* Releases a string allocated by the library. NULL is accepted. */
OIDCORE_API void oidcore_string_free(char *s);

/* ------------------------------------------------------------------------------------ */
/* Web helpers                                                                           */
/* ------------------------------------------------------------------------------------ */

/*
 * Pure functions for the HTTP side of a relying party: no handle, no state, thread-safe.
 * Each hands its result out in *out (NUL-terminated, its length in *out_len when out_len is
 * not NULL), to be released with oidcore_string_free(); on failure *out is NULL. For an
 * optional input, NULL with length 0 means "absent"; NULL with another length is
 * OIDCORE_INVALID_ARGUMENT.
 */

/*
 * Parses a Cookie request header ("a=b; c=d", RFC 6265 §5.4) into one JSON object
 * {"name":"value",...}, like the npm `cookie` package's parse. Tolerant of junk: a pair
 * without '=' or whose name is not an RFC 6265 token is skipped; the first occurrence of a
 * name wins; spaces and tabs around names and values are trimmed; a value in double quotes
 * is unquoted; a value holding '%' is decoded like decodeURIComponent and left as it is
 * when that decoding fails; a value that is not valid UTF-8 drops its cookie. A header over
 * 64 KiB is OIDCORE_TOO_LARGE; nothing else fails. `header` may be NULL/0 (gives "{}").
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_cookie_parse(const char *header,
                                                                 size_t header_len,
                                                                 char **out_json,
                                                                 size_t *out_len,
                                                                 oidcore_error *error);

/*
 * Signs a cookie value as Express does (cookie-parser / cookie-signature): *out is
 * "s:" + value + "." + base64(HMAC-SHA256(secret, value)) with the '=' padding removed
 * (standard base64 alphabet). An empty secret (or one over 64 KiB) is
 * OIDCORE_INVALID_ARGUMENT.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_cookie_sign(const char *value,
                                                                size_t value_len,
                                                                const char *secret,
                                                                size_t secret_len,
                                                                char **out,
                                                                size_t *out_len,
                                                                oidcore_error *error);

/*
 * The inverse of oidcore_cookie_sign(): on OIDCORE_OK *out is the original value. Each
 * secret of `secrets_json` (a JSON array of non-empty strings, at least one; else
 * OIDCORE_INVALID_ARGUMENT) is tried in turn, so keys can be rotated as with
 * cookie-parser's array of secrets; MACs are compared in constant time. The value ends at
 * the last '.'. Not starting with "s:", or no '.': OIDCORE_MALFORMED. No secret matches:
 * OIDCORE_BAD_SIGNATURE.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_cookie_unsign(const char *signed_value,
                                                                  size_t signed_len,
                                                                  const char *secrets_json,
                                                                  size_t secrets_len,
                                                                  char **out,
                                                                  size_t *out_len,
                                                                  oidcore_error *error);

/*
 * Builds a Set-Cookie header value "name=value; Path=/; Max-Age=N; Expires=<date>;
 * Domain=d; HttpOnly; Secure; SameSite=Lax". `options_json` may be NULL/0 or a JSON object:
 *   "http_only": BOOL (default true)     "secure": BOOL (default true)
 *   "same_site": "lax" | "strict" | "none" (default "lax", any case)
 *   "path": STR (default "/"; starts with '/', printable ASCII, no ';')
 *   "domain": STR (a host name: letters, digits, '-', '.'; an optional leading '.')
 *   "max_age": seconds (a whole number >= 0)
 *   "expires": Unix seconds (0 .. 253402300799), written as "Wed, 21 Oct 2015 07:28:00 GMT"
 *   "max_age_from_token": STR, a JWT whose "exp" gives Max-Age (as
 *       oidcore_cookie_max_age_from_token(), with the system clock); "max_age" is then only
 *       the fallback for a token without a readable "exp" (an opaque token), and without
 *       that fallback such a token is OIDCORE_INVALID_ARGUMENT
 * The value is encoded like encodeURIComponent (as the npm `cookie` package's serialize);
 * it must be valid UTF-8 and not empty: a cookie is never set from a missing value
 * (oidcore_cookie_clear() deletes one). The name must be an RFC 6265 token. Rules enforced:
 * a name starting with "__Secure-" needs secure; "__Host-" needs secure, path "/" and no
 * domain (both prefixes matched in any case); SameSite=None needs secure. Any violation, an
 * unknown option or a wrong type: OIDCORE_INVALID_ARGUMENT, the message naming the rule or
 * the key.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_cookie_serialize(const char *name,
                                                                     size_t name_len,
                                                                     const char *value,
                                                                     size_t value_len,
                                                                     const char *options_json,
                                                                     size_t options_len,
                                                                     char **out,
                                                                     size_t *out_len,
                                                                     oidcore_error *error);

/*
 * The Max-Age for a cookie that carries `token`, so that the cookie lives as long as the
 * token and no longer: *out_seconds = the token's "exp" claim - `now` (Unix seconds; 0 for
 * the system clock), rounded down, never below 0 (an expired token gives 0: the browser
 * drops the cookie) and at most 2^53 - 1. The claims are read WITHOUT verifying the
 * signature: the result only sizes a cookie and says nothing about the token's validity.
 * Not a compact JWS (three base64url segments, a JSON object of claims): OIDCORE_MALFORMED
 * (an opaque token: use the lifetime the provider gave, e.g. "expires_in"); no numeric
 * "exp": OIDCORE_MISSING_CLAIM; over 64 KiB: OIDCORE_TOO_LARGE. *out_seconds is 0 on failure.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_cookie_max_age_from_token(const char *token,
                                                                              size_t token_len,
                                                                              int64_t now,
                                                                              int64_t *out_seconds,
                                                                              oidcore_error *error);

/*
 * The Set-Cookie header value that deletes the cookie set with the same options: same name,
 * Path, Domain, HttpOnly, Secure and SameSite, an empty value, "Max-Age=0" and
 * "Expires=Thu, 01 Jan 1970 00:00:00 GMT" ("max_age" and "expires" of the options are
 * checked but not used). Same validation as oidcore_cookie_serialize().
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_cookie_clear(const char *name,
                                                                 size_t name_len,
                                                                 const char *options_json,
                                                                 size_t options_len,
                                                                 char **out,
                                                                 size_t *out_len,
                                                                 oidcore_error *error);

/*
 * Checks a post-login redirect target. Safe means a same-site relative path: it starts
 * with exactly one '/' (the second character neither '/' nor '\'), holds no '\', no ASCII
 * control character, space or DEL and no C1 control, is valid UTF-8 and at most 2048
 * bytes; and every percent-decoded form of it (decoded again up to 4 times, so
 * "%252F%252F" is seen as "//") still passes those checks (a decoded space excepted).
 * Anything with a scheme ("https:", "javascript:") fails the first rule.
 * A safe target: OIDCORE_OK and *out is the target, unchanged. An unsafe one: when
 * `fallback` is not NULL *out is the fallback and the status OIDCORE_OK; else
 * OIDCORE_UNSAFE_REDIRECT. A given fallback must be safe itself, whatever the target
 * (else OIDCORE_INVALID_ARGUMENT). `target` NULL/0 is an empty (unsafe) target.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_safe_redirect(const char *target,
                                                                  size_t target_len,
                                                                  const char *fallback,
                                                                  size_t fallback_len,
                                                                  char **out,
                                                                  size_t *out_len,
                                                                  oidcore_error *error);

/*
 * Finds a request's access token. `cookie_header`: the raw Cookie header or NULL/0;
 * `authorization`: the raw Authorization header or NULL/0. `options_json` may be NULL/0 or
 * a JSON object:
 *   "cookie_name": STR (default "access_token")
 *   "order": ["cookie","bearer"] (the default; any non-empty subset, in order, no repeats)
 *   "cookie_secrets": [STR...] when given, the cookie is a cookie-parser signed cookie
 *       ("s:...") and is unsigned (oidcore_cookie_unsign()); an unsigned value or a bad
 *       signature means no token in the cookie, and the next source is tried.
 * Bearer: the scheme "Bearer" in any case, one or more spaces, then a token68 (RFC 7235:
 * 1*(ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/") *"=") and nothing else; anything
 * else is no bearer token. An empty cookie value is no token.
 * On OIDCORE_OK *out is {"token": STR, "source": "cookie" | "bearer"}. No token:
 * OIDCORE_NOT_FOUND. A header over 64 KiB, when its source is reached: OIDCORE_TOO_LARGE.
 * Bad options: OIDCORE_INVALID_ARGUMENT naming the key.
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_extract_token(const char *cookie_header,
                                                                  size_t cookie_len,
                                                                  const char *authorization,
                                                                  size_t authorization_len,
                                                                  const char *options_json,
                                                                  size_t options_len,
                                                                  char **out,
                                                                  size_t *out_len,
                                                                  oidcore_error *error);

/*
 * The principal of a set of claims, as the verifier builds it: *out is
 * {"sub","email","name","organizationId","role"}. `claims_json` is a JSON object (else
 * OIDCORE_MALFORMED). `config_json` is NULL/0 for the defaults or the object of the
 * verifier's "principal" key: {"organization_id_claim" (default "organizationId"),
 * "organization_fallback" ("sub", the default: organizationId is the subject when the claim
 * is absent | "none": null then), "groups_claim", "roles":[{"group","role"}...],
 * "default_role"} (else OIDCORE_INVALID_ARGUMENT naming the key).
 */
OIDCORE_API OIDCORE_NODISCARD oidcore_status oidcore_principal_from_claims(const char *claims_json,
                                                                          size_t claims_len,
                                                                          const char *config_json,
                                                                          size_t config_len,
                                                                          char **out,
                                                                          size_t *out_len,
                                                                          oidcore_error *error);

#ifdef __cplusplus
}
#endif

#endif /* OIDCORE_H */
