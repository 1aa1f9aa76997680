/*
 * The C ABI exercised from plain C99, exactly as a C program or an FFI sees it: only
 * <oidcore.h> and liboidcore.so, nothing from the C++ core.
 *
 * usage: c_api_test SAMPLE_DIR ISSUER AUDIENCE
 *   SAMPLE_DIR holds what `sample_token SAMPLE_DIR ISSUER AUDIENCE` wrote (jwks.json and
 *   rs256.jwt, es256.jwt, eddsa.jwt, expired.jwt, tampered.jwt, wrong-audience.jwt,
 *   alg-none.jwt), freshly generated for this run.
 */
#include <oidcore.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                           \
  do {                                                                        \
    ++checks;                                                                 \
    if (!(cond)) {                                                            \
      ++failures;                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                         \
  } while (0)

#define CHECK_STATUS(got, want)                                                               \
  do {                                                                                        \
    oidcore_status got_ = (got);                                                              \
    ++checks;                                                                                 \
    if (got_ != (want)) {                                                                     \
      ++failures;                                                                             \
      fprintf(stderr, "%s:%d: status %s (%d), expected %s (%d)\n", __FILE__, __LINE__,        \
              oidcore_status_name(got_), (int)got_, oidcore_status_name(want), (int)(want)); \
    }                                                                                         \
  } while (0)

/* A string literal as the (pointer, length) pair the API takes. */
#define LIT(s) (s), (sizeof(s) - 1)

static const char *sample_dir;
static const char *issuer;
static const char *audience;

/* ------------------------------------------------------------------------------------ */
/* Helpers                                                                              */
/* ------------------------------------------------------------------------------------ */

/* Reads a whole file; trailing newlines are dropped (the sample writer adds one). */
static char *read_file(const char *name, size_t *len_out) {
  char path[4096];
  FILE *f;
  char *buf;
  size_t cap = 4096, len = 0, n;
  if ((size_t)snprintf(path, sizeof path, "%s/%s", sample_dir, name) >= sizeof path) return NULL;
  f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  buf = (char *)malloc(cap + 1);
  while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) {
      char *bigger = (char *)realloc(buf, cap * 2 + 1);
      if (!bigger) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) {
    fprintf(stderr, "out of memory reading %s\n", path);
    exit(2);
  }
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) --len;
  buf[len] = '\0';
  if (len_out) *len_out = len;
  return buf;
}

static int contains(const char *haystack, const char *needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* Whether `message` is a proper C string inside the error's buffer and not empty. */
static int message_ok(const oidcore_error *err) {
  return memchr(err->message, '\0', OIDCORE_ERROR_MESSAGE_SIZE) != NULL && err->message[0] != '\0';
}

/* A clean error struct filled with junk, so a test sees what the call wrote. */
static void dirty(oidcore_error *err) {
  memset(err, 0x5a, sizeof *err);
  err->status = OIDCORE_INTERNAL;
  err->detail = 12345;
}

static void base64url(const unsigned char *in, size_t len, char *out) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t i = 0, o = 0;
  while (i + 2 < len) {
    unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8) | in[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = alphabet[(v >> 6) & 63];
    out[o++] = alphabet[v & 63];
    i += 3;
  }
  if (len - i == 1) {
    unsigned v = (unsigned)in[i] << 16;
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
  } else if (len - i == 2) {
    unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8);
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = alphabet[(v >> 6) & 63];
  }
  out[o] = '\0';
}

/* A verifier for the sample issuer/audience/keys plus `extra` members ("" for none). */
static oidcore_status make_verifier(const char *extra, oidcore_verifier **out, oidcore_error *err) {
  char config[8192];
  int n = snprintf(config, sizeof config, "{\"jwks_file\":\"%s/jwks.json\",\"issuer\":\"%s\",\"audience\":\"%s\"%s%s}",
                   sample_dir, issuer, audience, extra[0] ? "," : "", extra);
  if (n < 0 || (size_t)n >= sizeof config) {
    fprintf(stderr, "configuration too long\n");
    exit(2);
  }
  return oidcore_verifier_new(config, (size_t)n, out, err);
}

/* Verifies `token` with a fresh verifier built from `extra`; returns the status and leaves
 * the error in *err. A successful result is released here. */
static oidcore_status verify_with(const char *extra, const char *token, size_t len, oidcore_error *err) {
  oidcore_verifier *v = NULL;
  oidcore_result *r = NULL;
  oidcore_status st = make_verifier(extra, &v, err);
  if (st != OIDCORE_OK) {
    fprintf(stderr, "verifier config {%s} refused: %s: %s\n", extra, oidcore_status_name(st), err->message);
    return st;
  }
  dirty(err);
  st = oidcore_verifier_verify(v, token, len, &r, err);
  CHECK(err->status == st);
  CHECK((st == OIDCORE_OK) == (r != NULL));
  oidcore_result_free(r);
  oidcore_verifier_free(v);
  return st;
}

/* ------------------------------------------------------------------------------------ */
/* Versions and status table                                                            */
/* ------------------------------------------------------------------------------------ */

static void test_versions(void) {
  char composed[64];
  snprintf(composed, sizeof composed, "%d.%d.%d", OIDCORE_VERSION_MAJOR, OIDCORE_VERSION_MINOR, OIDCORE_VERSION_PATCH);
  CHECK(strcmp(composed, OIDCORE_VERSION_STRING) == 0);
  CHECK(oidcore_version() != NULL);
  CHECK(strcmp(oidcore_version(), OIDCORE_VERSION_STRING) == 0);
  CHECK(oidcore_abi_version() == OIDCORE_ABI_VERSION);
}

/* The codes of DESIGN.md, in enum order. Never renumbered: a change here is an ABI break. */
static const char *const expected_names[] = {
    "ok",           "malformed",     "too_large",        "unsupported_alg", "alg_not_allowed",
    "key_not_found", "bad_signature", "expired",          "not_yet_valid",   "issued_in_future",
    "bad_issuer",   "bad_audience",  "bad_type",         "bad_nonce",       "too_old",
    "missing_claim", "jwks_unavailable", "http_error",   "idp_error",       "store_unavailable",
    "not_found",    "unsafe_redirect", "invalid_config", "invalid_argument", "internal", "needs_fetch",
    "revoked"};

static void test_status_table(void) {
  int i, j;
  CHECK(sizeof expected_names / sizeof expected_names[0] == OIDCORE_STATUS_COUNT);
  CHECK(OIDCORE_OK == 0);
  CHECK(OIDCORE_NEEDS_FETCH == 25 && OIDCORE_REVOKED == 26 && OIDCORE_REVOKED == OIDCORE_STATUS_COUNT - 1);
  /* A sample of the numeric values that are part of the ABI. */
  CHECK(OIDCORE_MALFORMED == 1 && OIDCORE_BAD_SIGNATURE == 6 && OIDCORE_EXPIRED == 7 && OIDCORE_BAD_AUDIENCE == 11);
  CHECK(OIDCORE_INVALID_CONFIG == 22 && OIDCORE_INVALID_ARGUMENT == 23);
  for (i = 0; i < OIDCORE_STATUS_COUNT; ++i) {
    const char *name = oidcore_status_name((oidcore_status)i);
    const char *message = oidcore_status_message((oidcore_status)i);
    CHECK(name != NULL && name[0] != '\0');
    CHECK(message != NULL && message[0] != '\0');
    if (name == NULL || message == NULL) continue;
    if (strcmp(name, expected_names[i]) != 0) {
      ++failures;
      fprintf(stderr, "status %d is named \"%s\", DESIGN.md says \"%s\"\n", i, name, expected_names[i]);
    }
    /* Names are machine codes: lower-case snake_case. */
    for (j = 0; name[j]; ++j) CHECK((name[j] >= 'a' && name[j] <= 'z') || name[j] == '_');
    for (j = 0; j < i; ++j) {
      CHECK(strcmp(name, oidcore_status_name((oidcore_status)j)) != 0);
      CHECK(strcmp(message, oidcore_status_message((oidcore_status)j)) != 0);
    }
  }
  /* Values outside the table: "internal", never NULL, never a crash. */
  {
    const int unknown[] = {OIDCORE_STATUS_COUNT, OIDCORE_STATUS_COUNT + 1, 1000, -1, INT_MAX, INT_MIN};
    for (i = 0; i < (int)(sizeof unknown / sizeof unknown[0]); ++i) {
      const char *name = oidcore_status_name((oidcore_status)unknown[i]);
      const char *message = oidcore_status_message((oidcore_status)unknown[i]);
      CHECK(name != NULL && strcmp(name, "internal") == 0);
      CHECK(message != NULL && strcmp(message, oidcore_status_message(OIDCORE_INTERNAL)) == 0);
      CHECK(oidcore_status_is_unavailable((oidcore_status)unknown[i]) == 0);
    }
  }
  /* Unavailable: a service could not be reached, exactly these three; never a verdict on a
   * token (expired, revoked, ...), a bad input, or the provider's own OAuth error. */
  for (i = 0; i < OIDCORE_STATUS_COUNT; ++i) {
    const int want = i == OIDCORE_JWKS_UNAVAILABLE || i == OIDCORE_HTTP_ERROR || i == OIDCORE_STORE_UNAVAILABLE;
    if (oidcore_status_is_unavailable((oidcore_status)i) != want) {
      ++failures;
      fprintf(stderr, "oidcore_status_is_unavailable(%s) is not %d\n", oidcore_status_name((oidcore_status)i), want);
    }
  }
}

/* ------------------------------------------------------------------------------------ */
/* Verification                                                                          */
/* ------------------------------------------------------------------------------------ */

static void check_valid(const oidcore_verifier *v, const char *file, const char *alg, const char *kid) {
  size_t len = 0, claims_len = 0;
  char *token = read_file(file, &len);
  oidcore_result *r = NULL;
  oidcore_error err;
  oidcore_status st;
  char expect[1024];
  dirty(&err);
  st = oidcore_verifier_verify(v, token, len, &r, &err);
  CHECK_STATUS(st, OIDCORE_OK);
  CHECK(err.status == OIDCORE_OK && err.message[0] == '\0' && err.detail == 0);
  CHECK(r != NULL);
  if (r) {
    const char *claims = oidcore_result_claims(r, &claims_len);
    CHECK(claims != NULL);
    CHECK(claims != NULL && strlen(claims) == claims_len);
    CHECK(claims != NULL && claims[0] == '{' && claims[claims_len - 1] == '}');
    snprintf(expect, sizeof expect, "\"iss\":\"%s\"", issuer);
    CHECK(contains(claims, expect));
    snprintf(expect, sizeof expect, "\"aud\":\"%s\"", audience);
    CHECK(contains(claims, expect));
    CHECK(contains(claims, "\"sub\":\"4f1d9c0e\""));
    CHECK(contains(claims, "\"email\":\"ada@example.com\""));
    CHECK(contains(claims, "\"groups\":[\"engineering\",\"app-admins\"]"));
    CHECK(oidcore_result_claims(r, NULL) == claims); /* len is optional */
    CHECK(oidcore_result_alg(r) != NULL && strcmp(oidcore_result_alg(r), alg) == 0);
    CHECK(oidcore_result_kid(r) != NULL && strcmp(oidcore_result_kid(r), kid) == 0);
    /* No principal mapping configured: none is given. */
    claims_len = 99;
    CHECK(oidcore_result_principal(r, &claims_len) == NULL && claims_len == 0);
  }
  oidcore_result_free(r);
  free(token);
}

static void test_verify_valid(void) {
  oidcore_verifier *v = NULL;
  oidcore_error err;
  dirty(&err);
  CHECK_STATUS(make_verifier("", &v, &err), OIDCORE_OK);
  CHECK(v != NULL && err.status == OIDCORE_OK && err.message[0] == '\0');
  if (!v) return;
  check_valid(v, "rs256.jwt", "RS256", "rsa-2026");
  check_valid(v, "es256.jwt", "ES256", "ec-2026");
  check_valid(v, "eddsa.jwt", "EdDSA", "ed-2026");
  oidcore_verifier_free(v);

  /* error is optional: the status alone says what happened. */
  {
    size_t len;
    char *token = read_file("es256.jwt", &len);
    oidcore_result *r = NULL;
    CHECK_STATUS(make_verifier("", &v, NULL), OIDCORE_OK);
    CHECK_STATUS(oidcore_verifier_verify(v, token, len, &r, NULL), OIDCORE_OK);
    oidcore_result_free(r);
    r = NULL;
    CHECK_STATUS(oidcore_verifier_verify(v, LIT("x"), &r, NULL), OIDCORE_MALFORMED);
    CHECK(r == NULL);
    oidcore_verifier_free(v);
    free(token);
  }
}

static void test_principal(void) {
  oidcore_verifier *v = NULL;
  oidcore_result *r = NULL;
  oidcore_error err;
  size_t len = 0, plen = 0;
  char *token = read_file("eddsa.jwt", &len);
  const char *principal;
  CHECK_STATUS(make_verifier("\"principal\":{\"groups_claim\":\"groups\",\"default_role\":\"user\","
                             "\"roles\":[{\"group\":\"app-admins\",\"role\":\"admin\"}]}",
                             &v, &err),
               OIDCORE_OK);
  if (v) {
    CHECK_STATUS(oidcore_verifier_verify(v, token, len, &r, &err), OIDCORE_OK);
    principal = oidcore_result_principal(r, &plen);
    CHECK(principal != NULL && strlen(principal) == plen);
    CHECK(contains(principal, "\"sub\":\"4f1d9c0e\""));
    CHECK(contains(principal, "\"email\":\"ada@example.com\""));
    CHECK(contains(principal, "\"name\":\"Ada Lovelace\""));
    CHECK(contains(principal, "\"organizationId\":\"4f1d9c0e\""));
    CHECK(contains(principal, "\"role\":\"admin\""));
    CHECK(oidcore_result_principal(r, NULL) == principal);
  }
  oidcore_result_free(r);
  oidcore_verifier_free(v);
  free(token);
}

static void check_rejected(const char *extra, const char *file, oidcore_status want, const char *message_part) {
  size_t len;
  char *token = read_file(file, &len);
  oidcore_error err;
  oidcore_status st = verify_with(extra, token, len, &err);
  if (st != want) fprintf(stderr, "  (token %s, config {%s}: %s)\n", file, extra, err.message);
  CHECK_STATUS(st, want);
  CHECK(err.status == want);
  CHECK(message_ok(&err));
  if (message_part && !contains(err.message, message_part)) {
    ++failures;
    fprintf(stderr, "message \"%s\" does not mention \"%s\"\n", err.message, message_part);
  }
  free(token);
}

static void test_rejections(void) {
  check_rejected("", "tampered.jwt", OIDCORE_BAD_SIGNATURE, NULL);
  check_rejected("", "expired.jwt", OIDCORE_EXPIRED, "expired");
  check_rejected("", "wrong-audience.jwt", OIDCORE_BAD_AUDIENCE, "another-api");
  check_rejected("", "alg-none.jwt", OIDCORE_UNSUPPORTED_ALG, "none");
  /* Policy knobs. */
  check_rejected("\"algorithms\":[\"ES256\"]", "rs256.jwt", OIDCORE_ALG_NOT_ALLOWED, "RS256");
  check_rejected("\"typ\":\"at+jwt\"", "rs256.jwt", OIDCORE_BAD_TYPE, "at+jwt");
  check_rejected("\"required_claims\":[\"tenant\"]", "rs256.jwt", OIDCORE_MISSING_CLAIM, "tenant");
  check_rejected("\"max_token_bytes\":64", "rs256.jwt", OIDCORE_TOO_LARGE, NULL);
  check_rejected("\"now\":1", "rs256.jwt", OIDCORE_ISSUED_IN_FUTURE, NULL);
  check_rejected("\"now\":99999999999", "es256.jwt", OIDCORE_EXPIRED, NULL);
  check_rejected("\"azp\":\"someone-else\",\"required_claims\":[\"azp\"]", "eddsa.jwt", OIDCORE_MISSING_CLAIM, "azp");
  /* The wrong-audience token passes once its audience is accepted too: only `aud` failed. */
  {
    size_t len;
    char *token = read_file("wrong-audience.jwt", &len);
    oidcore_verifier *v = NULL;
    oidcore_result *r = NULL;
    oidcore_error err;
    char config[4096];
    int n = snprintf(config, sizeof config,
                     "{\"jwks_file\":\"%s/jwks.json\",\"issuer\":\"%s\",\"audience\":[\"%s\",\"another-api\"]}",
                     sample_dir, issuer, audience);
    CHECK_STATUS(oidcore_verifier_new(config, (size_t)n, &v, &err), OIDCORE_OK);
    CHECK_STATUS(oidcore_verifier_verify(v, token, len, &r, &err), OIDCORE_OK);
    CHECK(contains(oidcore_result_claims(r, NULL), "\"aud\":\"another-api\""));
    oidcore_result_free(r);
    oidcore_verifier_free(v);
    free(token);
  }
  /* Another issuer configured. */
  {
    size_t len;
    char *token = read_file("rs256.jwt", &len);
    oidcore_verifier *v = NULL;
    oidcore_result *r = NULL;
    oidcore_error err;
    char config[4096];
    int n = snprintf(config, sizeof config,
                     "{\"jwks_file\":\"%s/jwks.json\",\"issuer\":\"https://evil.example\",\"audience\":[\"x\",\"%s\"]}",
                     sample_dir, audience);
    CHECK_STATUS(oidcore_verifier_new(config, (size_t)n, &v, &err), OIDCORE_OK);
    CHECK_STATUS(oidcore_verifier_verify(v, token, len, &r, &err), OIDCORE_BAD_ISSUER);
    CHECK(r == NULL && message_ok(&err));
    oidcore_verifier_free(v);
    free(token);
  }
}

/* A token whose header names a kid the key set does not have, with the original payload
 * and signature: no key may be tried. */
static void test_unknown_kid(void) {
  static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"not-in-the-set\"}";
  size_t len;
  char *token = read_file("rs256.jwt", &len);
  char *forged = (char *)malloc(len + sizeof header * 2);
  char *rest = strchr(token, '.');
  oidcore_error err;
  CHECK(forged != NULL && rest != NULL);
  if (forged && rest) {
    base64url((const unsigned char *)header, sizeof header - 1, forged);
    strcat(forged, rest);
    CHECK_STATUS(verify_with("", forged, strlen(forged), &err), OIDCORE_KEY_NOT_FOUND);
    CHECK(contains(err.message, "not-in-the-set"));
  }
  free(forged);
  free(token);
}

/* ------------------------------------------------------------------------------------ */
/* Misuse: NULL and garbage never crash                                                  */
/* ------------------------------------------------------------------------------------ */

static void test_null_and_garbage(void) {
  static const char config_ok[] = "{}"; /* content irrelevant where NULL is checked first */
  oidcore_verifier *v = (oidcore_verifier *)&failures; /* must be overwritten with NULL */
  oidcore_result *r = (oidcore_result *)&failures;
  oidcore_error err;
  char tp[OIDCORE_THUMBPRINT_LEN + 1];
  char *s = (char *)&failures;
  size_t n = 77;
  size_t len;
  char *token = read_file("rs256.jwt", &len);
  static const char garbage[] = "\x00\xff\x01.\x80\x7f..\xc3\x28";

  /* oidcore_verifier_new */
  dirty(&err);
  CHECK_STATUS(oidcore_verifier_new(NULL, 0, &v, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(v == NULL && err.status == OIDCORE_INVALID_ARGUMENT && message_ok(&err));
  CHECK_STATUS(oidcore_verifier_new(NULL, 10, &v, NULL), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_verifier_new(config_ok, sizeof config_ok - 1, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_verifier_new(config_ok, sizeof config_ok - 1, NULL, NULL), OIDCORE_INVALID_ARGUMENT);
  /* Garbage configuration text is a configuration error, not a crash. */
  v = (oidcore_verifier *)&failures;
  CHECK_STATUS(oidcore_verifier_new(garbage, sizeof garbage - 1, &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(v == NULL && message_ok(&err));
  CHECK_STATUS(oidcore_verifier_new(LIT(""), &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK_STATUS(oidcore_verifier_new(LIT("[]"), &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK_STATUS(oidcore_verifier_new(LIT("{\"issuer\":1}"), &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "issuer"));
  /* The length is honoured: the text after it is never read. */
  CHECK_STATUS(oidcore_verifier_new(LIT("{}garbage"), &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(!contains(err.message, "garbage"));

  /* oidcore_verifier_verify */
  CHECK_STATUS(make_verifier("", &v, &err), OIDCORE_OK);
  CHECK_STATUS(oidcore_verifier_verify(NULL, token, len, &r, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(r == NULL && err.status == OIDCORE_INVALID_ARGUMENT && message_ok(&err));
  r = (oidcore_result *)&failures;
  CHECK_STATUS(oidcore_verifier_verify(v, NULL, 10, &r, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(r == NULL);
  CHECK_STATUS(oidcore_verifier_verify(v, token, len, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_verifier_verify(v, token, len, NULL, NULL), OIDCORE_INVALID_ARGUMENT);
  /* An empty token (NULL with length 0 included) is a malformed token. */
  CHECK_STATUS(oidcore_verifier_verify(v, NULL, 0, &r, &err), OIDCORE_MALFORMED);
  CHECK(r == NULL);
  CHECK_STATUS(oidcore_verifier_verify(v, LIT(""), &r, &err), OIDCORE_MALFORMED);
  CHECK_STATUS(oidcore_verifier_verify(v, garbage, sizeof garbage - 1, &r, &err), OIDCORE_MALFORMED);
  CHECK(r == NULL && message_ok(&err));
  /* The token's own bytes may contain NUL: nothing is read as a C string. */
  {
    char *with_nul = (char *)malloc(len + 1);
    if (with_nul) {
      memcpy(with_nul, token, len);
      with_nul[len] = '\0';
      CHECK_STATUS(oidcore_verifier_verify(v, with_nul, len + 1, &r, &err), OIDCORE_MALFORMED);
      CHECK(r == NULL);
      /* ...and the length is honoured: a prefix (here, of the signature) is not the token. */
      CHECK_STATUS(oidcore_verifier_verify(v, with_nul, len - 2, &r, &err), OIDCORE_BAD_SIGNATURE);
      free(with_nul);
    }
  }
  /* Oversized input is refused before anything is decoded. */
  {
    const size_t big = 4u << 20;
    char *huge = (char *)malloc(big);
    if (huge) {
      memset(huge, 'A', big);
      CHECK_STATUS(oidcore_verifier_verify(v, huge, big, &r, &err), OIDCORE_TOO_LARGE);
      free(huge);
    }
  }
  oidcore_verifier_free(v);

  /* Result accessors on NULL. */
  n = 77;
  CHECK(oidcore_result_claims(NULL, &n) == NULL && n == 0);
  CHECK(oidcore_result_claims(NULL, NULL) == NULL);
  n = 77;
  CHECK(oidcore_result_principal(NULL, &n) == NULL && n == 0);
  CHECK(oidcore_result_alg(NULL) == NULL);
  CHECK(oidcore_result_kid(NULL) == NULL);

  /* Keys. */
  memset(tp, 'z', sizeof tp);
  CHECK_STATUS(oidcore_jwk_thumbprint(NULL, 10, tp, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(message_ok(&err));
  CHECK_STATUS(oidcore_jwk_thumbprint(LIT("{}"), NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_jwk_thumbprint(garbage, sizeof garbage - 1, tp, &err), OIDCORE_MALFORMED);
  CHECK(tp[0] == '\0');
  CHECK_STATUS(oidcore_jwks_describe(NULL, 3, NULL, 0, &s, &n, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(s == NULL && n == 0);
  CHECK_STATUS(oidcore_jwks_describe(LIT("{}"), NULL, 0, NULL, &n, &err), OIDCORE_INVALID_ARGUMENT);
  s = (char *)&failures;
  CHECK_STATUS(oidcore_jwks_describe(garbage, sizeof garbage - 1, NULL, 0, &s, &n, &err), OIDCORE_MALFORMED);
  CHECK(s == NULL);
  CHECK_STATUS(oidcore_jwks_describe(LIT("{}"), garbage, sizeof garbage - 1, &s, &n, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(s == NULL && message_ok(&err));
  CHECK_STATUS(oidcore_jwks_describe(LIT("{}"), LIT("[1]"), &s, &n, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_jwks_describe(LIT("{}"), LIT("{\"min_rsa_bits\":\"many\"}"), &s, &n, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "min_rsa_bits"));
  CHECK_STATUS(oidcore_jwks_describe(LIT("{}"), LIT("{\"min_rsa_bits\":512}"), &s, &n, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_jwks_describe(LIT("{}"), LIT("{\"allow_symmetric\":1}"), &s, &n, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "allow_symmetric"));
  CHECK_STATUS(oidcore_jwks_describe(LIT("{}"), LIT("{\"allow_symetric\":true}"), &s, &n, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "allow_symetric"));

  /* Every free function accepts NULL. */
  oidcore_verifier_free(NULL);
  oidcore_result_free(NULL);
  oidcore_string_free(NULL);
  free(token);
}

static void test_config_errors(void) {
  oidcore_verifier *v = NULL;
  oidcore_error err;
  /* A typo must not silently weaken a check: unknown keys are refused, by name. */
  static const char *const typos[] = {"\"clock_tolerence\":5", "\"audiences\":[\"x\"]", "\"Issuer\":\"x\"",
                                      "\"max_token_size\":100", "\"allow_none\":true"};
  static const char *const names[] = {"clock_tolerence", "audiences", "Issuer", "max_token_size", "allow_none"};
  size_t i;
  for (i = 0; i < sizeof typos / sizeof typos[0]; ++i) {
    dirty(&err);
    v = (oidcore_verifier *)&failures;
    CHECK_STATUS(make_verifier(typos[i], &v, &err), OIDCORE_INVALID_CONFIG);
    CHECK(v == NULL && err.status == OIDCORE_INVALID_CONFIG && err.detail == 0);
    if (!contains(err.message, names[i])) {
      ++failures;
      fprintf(stderr, "invalid_config message \"%s\" does not name \"%s\"\n", err.message, names[i]);
    }
  }
  CHECK_STATUS(make_verifier("\"principal\":{\"grups_claim\":\"groups\"}", &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "grups_claim"));
  /* Wrong types and unusable values name the key too. */
  CHECK_STATUS(make_verifier("\"clock_tolerance\":\"5\"", &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "clock_tolerance"));
  CHECK_STATUS(make_verifier("\"clock_tolerance\":100000", &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "clock_tolerance"));
  CHECK_STATUS(make_verifier("\"algorithms\":[\"none\"]", &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "algorithms"));
  CHECK_STATUS(make_verifier("\"algorithms\":[\"HS1\"]", &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "algorithms"));
  CHECK_STATUS(make_verifier("\"max_token_bytes\":-1", &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "max_token_bytes"));
  CHECK_STATUS(make_verifier("\"issuer\":\"twice\"", &v, &err), OIDCORE_INVALID_CONFIG); /* duplicate member */
  /* Keys that fit none of the allowed algorithms. */
  CHECK_STATUS(make_verifier("\"algorithms\":[\"PS512\",\"ES384\"]", &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "jwks"));
  /* Missing required keys. */
  CHECK_STATUS(oidcore_verifier_new(LIT("{\"issuer\":\"a\",\"audience\":\"b\"}"), &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "jwks"));
  CHECK_STATUS(oidcore_verifier_new(LIT("{\"audience\":\"b\",\"jwks\":{\"keys\":[]}}"), &v, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "issuer"));
  /* The message buffer is bounded and always terminated, however long the offending key. */
  {
    char extra[2048];
    memset(extra, 0, sizeof extra);
    extra[0] = '"';
    memset(extra + 1, 'k', 1500);
    strcat(extra, "\":1");
    CHECK_STATUS(make_verifier(extra, &v, &err), OIDCORE_INVALID_CONFIG);
    CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
    CHECK(strlen(err.message) < OIDCORE_ERROR_MESSAGE_SIZE);
    CHECK(contains(err.message, "kkkk"));
    CHECK(contains(err.message, "...")); /* the key is shown cut, not whole */
  }
}

/* ------------------------------------------------------------------------------------ */
/* Keys: thumbprints and JWKS descriptions                                               */
/* ------------------------------------------------------------------------------------ */

/* RFC 7638 §3.1 and RFC 8037 Appendix A.3. */
static const char rfc7638_jwk[] =
    "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
    "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZ"
    "gnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-"
    "csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
static const char rfc7638_thumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
static const char rfc8037_jwk[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
static const char rfc8037_thumbprint[] = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

static void test_thumbprint(void) {
  char tp[OIDCORE_THUMBPRINT_LEN + 1];
  oidcore_error err;
  dirty(&err);
  CHECK_STATUS(oidcore_jwk_thumbprint(rfc7638_jwk, sizeof rfc7638_jwk - 1, tp, &err), OIDCORE_OK);
  CHECK(strcmp(tp, rfc7638_thumbprint) == 0);
  CHECK(strlen(tp) == OIDCORE_THUMBPRINT_LEN);
  CHECK(err.status == OIDCORE_OK && err.message[0] == '\0');
  CHECK_STATUS(oidcore_jwk_thumbprint(rfc8037_jwk, sizeof rfc8037_jwk - 1, tp, NULL), OIDCORE_OK);
  CHECK(strcmp(tp, rfc8037_thumbprint) == 0);
  /* Missing required member, unknown kty, not an object, non-string member. */
  CHECK_STATUS(oidcore_jwk_thumbprint(LIT("{\"kty\":\"RSA\",\"n\":\"AQAB\"}"), tp, &err), OIDCORE_MALFORMED);
  CHECK(contains(err.message, "e"));
  CHECK_STATUS(oidcore_jwk_thumbprint(LIT("{\"kty\":\"XYZ\",\"x\":\"AQAB\"}"), tp, &err), OIDCORE_MALFORMED);
  CHECK_STATUS(oidcore_jwk_thumbprint(LIT("[]"), tp, &err), OIDCORE_MALFORMED);
  CHECK_STATUS(oidcore_jwk_thumbprint(LIT("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":7}"), tp, &err), OIDCORE_MALFORMED);
  CHECK(message_ok(&err));
}

static void test_jwks_describe(void) {
  oidcore_error err;
  char *out = NULL;
  size_t out_len = 0, len = 0;
  char *jwks = read_file("jwks.json", &len);
  char set[1024];
  int n;

  /* The sample set: three keys, nothing skipped. */
  dirty(&err);
  CHECK_STATUS(oidcore_jwks_describe(jwks, len, NULL, 0, &out, &out_len, &err), OIDCORE_OK);
  CHECK(err.status == OIDCORE_OK && err.message[0] == '\0');
  CHECK(out != NULL && strlen(out) == out_len);
  CHECK(contains(out, "{\"kid\":\"rsa-2026\",\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"crv\":null,\"bits\":2048,"));
  CHECK(contains(out, "{\"kid\":\"ec-2026\",\"kty\":\"EC\",\"alg\":\"ES256\",\"use\":\"sig\",\"crv\":\"P-256\",\"bits\":256,"));
  CHECK(contains(out, "{\"kid\":\"ed-2026\",\"kty\":\"OKP\",\"alg\":\"EdDSA\",\"use\":\"sig\",\"crv\":\"Ed25519\",\"bits\":256,"));
  CHECK(contains(out, "\"skipped\":[]"));
  oidcore_string_free(out);
  out = NULL;

  /* A stricter policy skips the 2048-bit RSA key, and says why. */
  CHECK_STATUS(oidcore_jwks_describe(jwks, len, LIT("{\"min_rsa_bits\":3072}"), &out, NULL, &err), OIDCORE_OK);
  CHECK(contains(out, "\"skipped\":[{\"index\":0,\"kid\":\"rsa-2026\",\"reason\":\""));
  CHECK(contains(out, "2048"));
  CHECK(!contains(out, "\"kid\":\"rsa-2026\",\"kty\""));
  oidcore_string_free(out);
  out = NULL;

  /* Thumbprints agree with oidcore_jwk_thumbprint; unusable entries are listed. */
  n = snprintf(set, sizeof set,
               "{\"keys\":[%s,{\"kty\":\"oct\",\"kid\":\"hmac\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"},"
               "{\"kty\":\"XYZ\",\"kid\":\"odd\"},42]}",
               rfc8037_jwk);
  CHECK_STATUS(oidcore_jwks_describe(set, (size_t)n, NULL, 0, &out, &out_len, &err), OIDCORE_OK);
  CHECK(contains(out, rfc8037_thumbprint));
  CHECK(contains(out, "\"kid\":null,\"kty\":\"OKP\""));
  CHECK(contains(out, "{\"index\":3,\"kid\":\"\",\"reason\":\"entry is not a JSON object\"}"));
  CHECK(contains(out, "\"kid\":\"hmac\",\"reason\":"));
  CHECK(contains(out, "\"kid\":\"odd\",\"reason\":"));
  oidcore_string_free(out);
  out = NULL;
  /* Symmetric keys only on request. */
  CHECK_STATUS(oidcore_jwks_describe(set, (size_t)n, LIT("{\"allow_symmetric\":true}"), &out, &out_len, &err), OIDCORE_OK);
  CHECK(contains(out, "{\"kid\":\"hmac\",\"kty\":\"oct\",\"alg\":null,\"use\":null,\"crv\":null,\"bits\":256,"));
  oidcore_string_free(out);
  out = NULL;

  /* Structural problems refuse the whole set. */
  n = snprintf(set, sizeof set, "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\",\"d\":\"AAAA\"}]}");
  CHECK_STATUS(oidcore_jwks_describe(set, (size_t)n, NULL, 0, &out, &out_len, &err), OIDCORE_MALFORMED);
  CHECK(out == NULL && out_len == 0 && contains(err.message, "private"));
  CHECK_STATUS(oidcore_jwks_describe(LIT("{\"keys\":{}}"), NULL, 0, &out, &out_len, &err), OIDCORE_MALFORMED);
  CHECK(out == NULL);
  free(jwks);
}

/* ------------------------------------------------------------------------------------ */
/* Stores, login state and exchange codes                                                */
/* ------------------------------------------------------------------------------------ */

/* Copies the string member `name` of a flat JSON object whose string values need no
 * escapes (the base64url values of a new state) into `out`; empty when absent. */
static void json_member(const char *json, const char *name, char *out, size_t cap) {
  char pattern[64];
  const char *start, *end;
  out[0] = '\0';
  snprintf(pattern, sizeof pattern, "\"%s\":\"", name);
  start = json ? strstr(json, pattern) : NULL;
  if (!start) return;
  start += strlen(pattern);
  end = strchr(start, '"');
  if (!end || (size_t)(end - start) >= cap) return;
  memcpy(out, start, (size_t)(end - start));
  out[end - start] = '\0';
}

static int url_safe(const char *s) {
  for (; *s; ++s)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
      return 0;
  return 1;
}

static void test_store_config(void) {
  oidcore_store *store = (oidcore_store *)&failures;
  oidcore_error err;
  size_t i;
  /* Unknown keys are refused by name, per store type. */
  static const char *const configs[] = {
      "{\"type\":\"memory\",\"max_entrys\":10}", "{\"type\":\"memory\",\"url\":\"redis://127.0.0.1\"}",
      "{\"type\":\"redis\",\"max_entries\":10}", "{\"type\":\"redis\",\"pool\":2}", "{\"typ\":\"memory\"}"};
  static const char *const names[] = {"max_entrys", "url", "max_entries", "pool", "typ"};
  for (i = 0; i < sizeof configs / sizeof configs[0]; ++i) {
    dirty(&err);
    store = (oidcore_store *)&failures;
    CHECK_STATUS(oidcore_store_new(configs[i], strlen(configs[i]), &store, &err), OIDCORE_INVALID_CONFIG);
    CHECK(store == NULL && err.status == OIDCORE_INVALID_CONFIG);
    if (!contains(err.message, names[i])) {
      ++failures;
      fprintf(stderr, "invalid_config message \"%s\" does not name \"%s\"\n", err.message, names[i]);
    }
  }
  /* Wrong types and unusable values name the key too. */
  CHECK_STATUS(oidcore_store_new(LIT("{\"type\":\"sql\"}"), &store, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "type"));
  CHECK_STATUS(oidcore_store_new(LIT("{\"max_entries\":0}"), &store, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "max_entries"));
  CHECK_STATUS(oidcore_store_new(LIT("{\"max_entries\":1.5}"), &store, &err), OIDCORE_INVALID_CONFIG);
  CHECK_STATUS(oidcore_store_new(LIT("{\"key_prefix\":7}"), &store, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "key_prefix"));
  CHECK_STATUS(oidcore_store_new(LIT("{\"type\":\"redis\",\"pool_size\":0}"), &store, &err), OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "pool_size"));
  CHECK_STATUS(oidcore_store_new(LIT("{\"type\":\"redis\",\"command_timeout\":-1}"), &store, &err),
               OIDCORE_INVALID_CONFIG);
  CHECK(contains(err.message, "command_timeout"));
  CHECK_STATUS(oidcore_store_new(LIT("[]"), &store, &err), OIDCORE_INVALID_CONFIG);
  CHECK_STATUS(oidcore_store_new(LIT(""), &store, &err), OIDCORE_INVALID_CONFIG);
  CHECK(store == NULL);
  /* NULL arguments. */
  CHECK_STATUS(oidcore_store_new(NULL, 0, &store, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(store == NULL && message_ok(&err));
  CHECK_STATUS(oidcore_store_new(LIT("{}"), NULL, &err), OIDCORE_INVALID_ARGUMENT);
  /* The defaults: a memory store. */
  CHECK_STATUS(oidcore_store_new(LIT("{}"), &store, NULL), OIDCORE_OK);
  CHECK(store != NULL);
  oidcore_store_free(store);
  oidcore_store_free(NULL);

  /* A Redis store is created without a server; with none listening, nothing is handed out
   * and nothing is redeemed: store_unavailable, within the timeouts. */
  store = NULL;
  CHECK_STATUS(oidcore_store_new(LIT("{\"type\":\"redis\",\"url\":\"redis://127.0.0.1:1/0\",\"key_prefix\":\"t:\","
                                     "\"pool_size\":2,\"connect_timeout\":0.5,\"command_timeout\":0.5}"),
                                 &store, &err),
               OIDCORE_OK);
  if (store) {
    char *out = (char *)&failures;
    size_t n = 77;
    CHECK_STATUS(oidcore_exchange_code_create(store, LIT("tokens"), NULL, 0, &out, &n, &err), OIDCORE_STORE_UNAVAILABLE);
    CHECK(out == NULL && n == 0 && message_ok(&err));
    out = (char *)&failures;
    CHECK_STATUS(oidcore_exchange_code_redeem(store, LIT("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), NULL, 0, &out, &n,
                                              &err),
                 OIDCORE_STORE_UNAVAILABLE);
    CHECK(out == NULL);
    CHECK_STATUS(oidcore_state_create(store, NULL, 0, &out, &n, &err), OIDCORE_STORE_UNAVAILABLE);
    CHECK(out == NULL);
  }
  oidcore_store_free(store);
}

static void test_login_state(void) {
  oidcore_store *store = NULL;
  oidcore_error err;
  char *out = NULL, *record = NULL;
  size_t out_len = 0, record_len = 0;
  char state[64], nonce[64], verifier[64], challenge[64];

  CHECK_STATUS(oidcore_store_new(LIT("{\"type\":\"memory\",\"max_entries\":100,\"key_prefix\":\"c:\"}"), &store, &err),
               OIDCORE_OK);
  if (!store) return;
  dirty(&err);
  CHECK_STATUS(oidcore_state_create(store,
                                    LIT("{\"redirect_after\":\"/orders?id=7\",\"extra\":{\"tenant\":\"acme\",\"n\":[1,2]},"
                                        "\"binding\":\"browser-cookie\",\"ttl\":120}"),
                                    &out, &out_len, &err),
               OIDCORE_OK);
  CHECK(err.status == OIDCORE_OK && err.message[0] == '\0');
  CHECK(out != NULL && strlen(out) == out_len);
  json_member(out, "state", state, sizeof state);
  json_member(out, "nonce", nonce, sizeof nonce);
  json_member(out, "code_verifier", verifier, sizeof verifier);
  json_member(out, "code_challenge", challenge, sizeof challenge);
  CHECK(strlen(state) == 43 && url_safe(state));
  CHECK(strlen(nonce) == 43 && url_safe(nonce));
  CHECK(strlen(verifier) == 43 && url_safe(verifier));
  CHECK(strlen(challenge) == 43 && url_safe(challenge));
  CHECK(contains(out, "\"code_challenge_method\":\"S256\""));
  oidcore_string_free(out);
  out = NULL;

  /* The right binding gets the record, once. */
  CHECK_STATUS(oidcore_state_consume(store, state, strlen(state), LIT("browser-cookie"), &record, &record_len, &err),
               OIDCORE_OK);
  CHECK(record != NULL && strlen(record) == record_len);
  CHECK(contains(record, "{\"redirect_after\":\"/orders?id=7\",\"extra\":{\"tenant\":\"acme\",\"n\":[1,2]},"));
  CHECK(contains(record, nonce) && contains(record, verifier));
  CHECK(contains(record, "\"created_at\":"));
  oidcore_string_free(record);
  record = (char *)&failures;
  CHECK_STATUS(oidcore_state_consume(store, state, strlen(state), LIT("browser-cookie"), &record, &record_len, &err),
               OIDCORE_NOT_FOUND);
  CHECK(record == NULL && record_len == 0 && message_ok(&err));

  /* A wrong binding spends the state. */
  CHECK_STATUS(oidcore_state_create(store, LIT("{\"binding\":\"browser-cookie\"}"), &out, NULL, &err), OIDCORE_OK);
  json_member(out, "state", state, sizeof state);
  oidcore_string_free(out);
  out = NULL;
  CHECK_STATUS(oidcore_state_consume(store, state, strlen(state), LIT("forged"), &record, NULL, &err), OIDCORE_NOT_FOUND);
  CHECK_STATUS(oidcore_state_consume(store, state, strlen(state), LIT("browser-cookie"), &record, NULL, &err),
               OIDCORE_NOT_FOUND);

  /* No options: no binding needed; redirect_after and extra come back null. */
  CHECK_STATUS(oidcore_state_create(store, NULL, 0, &out, NULL, NULL), OIDCORE_OK);
  json_member(out, "state", state, sizeof state);
  oidcore_string_free(out);
  out = NULL;
  CHECK_STATUS(oidcore_state_consume(store, state, strlen(state), NULL, 0, &record, NULL, NULL), OIDCORE_OK);
  CHECK(contains(record, "{\"redirect_after\":null,\"extra\":null,"));
  oidcore_string_free(record);
  record = NULL;

  /* Bad states: not found, never a crash. */
  CHECK_STATUS(oidcore_state_consume(store, LIT(""), NULL, 0, &record, NULL, &err), OIDCORE_NOT_FOUND);
  CHECK_STATUS(oidcore_state_consume(store, NULL, 0, NULL, 0, &record, NULL, &err), OIDCORE_NOT_FOUND);
  CHECK_STATUS(oidcore_state_consume(store, LIT("../../x\x01"), NULL, 0, &record, NULL, &err), OIDCORE_NOT_FOUND);
  CHECK(record == NULL);
  /* Options: unknown keys and bad values are named. */
  CHECK_STATUS(oidcore_state_create(store, LIT("{\"redirect\":\"/\"}"), &out, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(out == NULL && contains(err.message, "redirect"));
  CHECK_STATUS(oidcore_state_create(store, LIT("{\"ttl\":0}"), &out, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "ttl"));
  CHECK_STATUS(oidcore_state_create(store, LIT("{\"binding\":\"\"}"), &out, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "binding"));
  CHECK_STATUS(oidcore_state_create(store, LIT("{\"redirect_after\":5}"), &out, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_state_create(store, LIT("not json"), &out, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  /* NULL arguments. */
  CHECK_STATUS(oidcore_state_create(NULL, NULL, 0, &out, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_state_create(store, NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_state_create(store, NULL, 3, &out, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_state_consume(NULL, LIT("x"), NULL, 0, &record, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_state_consume(store, LIT("x"), NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_state_consume(store, NULL, 5, NULL, 0, &record, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_state_consume(store, LIT("x"), NULL, 5, &record, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(out == NULL && record == NULL);
  oidcore_store_free(store);
}

static void test_exchange_codes(void) {
  static const char payload[] = "{\"access_token\":\"at\",\"id_token\":\"it\"}\0after-nul";
  oidcore_store *store = NULL;
  oidcore_error err;
  char *code = NULL, *out = NULL;
  size_t code_len = 0, out_len = 0;
  int i;

  CHECK_STATUS(oidcore_store_new(LIT("{\"type\":\"memory\",\"max_entries\":3}"), &store, &err), OIDCORE_OK);
  if (!store) return;
  dirty(&err);
  CHECK_STATUS(oidcore_exchange_code_create(store, payload, sizeof payload - 1, NULL, 0, &code, &code_len, &err),
               OIDCORE_OK);
  CHECK(err.status == OIDCORE_OK && err.message[0] == '\0');
  CHECK(code != NULL && code_len == 43 && strlen(code) == 43 && url_safe(code));
  /* Redeemed once, byte for byte (NUL included), then never again. */
  CHECK_STATUS(oidcore_exchange_code_redeem(store, code, code_len, NULL, 0, &out, &out_len, &err), OIDCORE_OK);
  CHECK(out != NULL && out_len == sizeof payload - 1 && memcmp(out, payload, out_len) == 0 && out[out_len] == '\0');
  oidcore_string_free(out);
  out = (char *)&failures;
  dirty(&err);
  CHECK_STATUS(oidcore_exchange_code_redeem(store, code, code_len, NULL, 0, &out, &out_len, &err), OIDCORE_NOT_FOUND);
  CHECK(out == NULL && out_len == 0 && err.status == OIDCORE_NOT_FOUND && message_ok(&err));
  oidcore_string_free(code);
  code = NULL;

  /* A bound code: a wrong binding spends it. */
  CHECK_STATUS(oidcore_exchange_code_create(store, LIT("tokens"), LIT("{\"binding\":\"cookie\",\"ttl\":30}"), &code, NULL,
                                            &err),
               OIDCORE_OK);
  CHECK_STATUS(oidcore_exchange_code_redeem(store, code, strlen(code), LIT("other"), &out, NULL, &err), OIDCORE_NOT_FOUND);
  CHECK_STATUS(oidcore_exchange_code_redeem(store, code, strlen(code), LIT("cookie"), &out, NULL, &err), OIDCORE_NOT_FOUND);
  oidcore_string_free(code);
  code = NULL;
  CHECK_STATUS(oidcore_exchange_code_create(store, LIT("tokens"), LIT("{\"binding\":\"cookie\"}"), &code, NULL, &err),
               OIDCORE_OK);
  CHECK_STATUS(oidcore_exchange_code_redeem(store, code, strlen(code), LIT("cookie"), &out, &out_len, &err), OIDCORE_OK);
  CHECK(out != NULL && strcmp(out, "tokens") == 0 && out_len == 6);
  oidcore_string_free(out);
  out = NULL;
  oidcore_string_free(code);
  code = NULL;

  /* A full store hands out no code, and says so. */
  for (i = 0; i < 3; ++i) {
    CHECK_STATUS(oidcore_exchange_code_create(store, LIT("p"), NULL, 0, &code, NULL, &err), OIDCORE_OK);
    oidcore_string_free(code);
    code = NULL;
  }
  code = (char *)&failures;
  CHECK_STATUS(oidcore_exchange_code_create(store, LIT("p"), NULL, 0, &code, NULL, &err), OIDCORE_STORE_UNAVAILABLE);
  CHECK(code == NULL && contains(err.message, "full"));

  /* Bad codes: not found; bad options: named. */
  CHECK_STATUS(oidcore_exchange_code_redeem(store, LIT(""), NULL, 0, &out, NULL, &err), OIDCORE_NOT_FOUND);
  CHECK_STATUS(oidcore_exchange_code_redeem(store, LIT("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="), NULL, 0, &out, NULL,
                                            &err),
               OIDCORE_NOT_FOUND);
  {
    const size_t big = 1u << 20;
    char *huge = (char *)malloc(big);
    if (huge) {
      memset(huge, 'A', big);
      CHECK_STATUS(oidcore_exchange_code_redeem(store, huge, big, NULL, 0, &out, NULL, &err), OIDCORE_NOT_FOUND);
      free(huge);
    }
  }
  CHECK(out == NULL);
  CHECK_STATUS(oidcore_exchange_code_create(store, LIT("p"), LIT("{\"redirect_after\":\"/\"}"), &code, NULL, &err),
               OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "redirect_after"));
  CHECK_STATUS(oidcore_exchange_code_create(store, LIT("p"), LIT("{\"ttl\":\"60\"}"), &code, NULL, &err),
               OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "ttl"));
  /* NULL arguments. */
  CHECK_STATUS(oidcore_exchange_code_create(NULL, LIT("p"), NULL, 0, &code, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_exchange_code_create(store, LIT("p"), NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_exchange_code_create(store, NULL, 4, NULL, 0, &code, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_exchange_code_redeem(NULL, LIT("x"), NULL, 0, &out, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_exchange_code_redeem(store, LIT("x"), NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_exchange_code_redeem(store, NULL, 43, NULL, 0, &out, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(code == NULL && out == NULL && message_ok(&err));
  oidcore_store_free(store);
}

/* ------------------------------------------------------------------------------------ */
/* Web helpers                                                                          */
/* ------------------------------------------------------------------------------------ */

/* Checks one string-returning web call: its status, and *out equal to `want` (NULL: *out
 * must be NULL) with its length. Frees *out. Takes the addresses, so *out is read only
 * after the call (the order in which arguments are evaluated is unspecified). */
static void check_out(oidcore_status got, oidcore_status want_status, char **outp, size_t *lenp, const char *want) {
  char *out = *outp;
  size_t out_len = *lenp;
  *outp = NULL;
  CHECK_STATUS(got, want_status);
  if (want) {
    CHECK(out != NULL && strcmp(out, want) == 0 && out_len == strlen(want));
    if (out && strcmp(out, want) != 0) fprintf(stderr, "  got:  %s\n  want: %s\n", out, want);
  } else {
    CHECK(out == NULL && out_len == 0);
  }
  oidcore_string_free(out);
}

static void test_web_cookies(void) {
  oidcore_error err;
  char *out = NULL;
  size_t len = 0;
  /* Parse: junk skipped, first wins, quotes, percent-decoding (invalid left raw). */
  check_out(oidcore_cookie_parse(LIT("a=1; a=2;;junk; =x; b=\"q\"; c=%E2%82%AC; d=%zz"), &out, &len, &err), OIDCORE_OK,
            &out, &len, "{\"a\":\"1\",\"b\":\"q\",\"c\":\"\xe2\x82\xac\",\"d\":\"%zz\"}");
  dirty(&err);
  check_out(oidcore_cookie_parse(NULL, 0, &out, &len, &err), OIDCORE_OK, &out, &len, "{}");
  CHECK(err.status == OIDCORE_OK && err.message[0] == '\0');
  {
    const size_t big = 64 * 1024 + 1;
    char *huge = (char *)malloc(big);
    if (huge) {
      memset(huge, 'a', big);
      out = NULL;
      CHECK_STATUS(oidcore_cookie_parse(huge, big, &out, &len, &err), OIDCORE_TOO_LARGE);
      CHECK(out == NULL && len == 0);
      free(huge);
    }
  }

  /* Sign / unsign: cookie-signature's own vector, a round trip, rotation, tampering. */
  check_out(oidcore_cookie_sign(LIT("hello"), LIT("tobiiscool"), &out, &len, &err), OIDCORE_OK, &out, &len,
            "s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI");
  check_out(oidcore_cookie_unsign(LIT("s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI"),
                                  LIT("[\"new\",\"tobiiscool\"]"), &out, &len, &err),
            OIDCORE_OK, &out, &len, "hello");
  check_out(oidcore_cookie_unsign(LIT("s:hellO.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI"), LIT("[\"tobiiscool\"]"),
                                  &out, &len, &err),
            OIDCORE_BAD_SIGNATURE, &out, &len, NULL);
  check_out(oidcore_cookie_unsign(LIT("hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI"), LIT("[\"tobiiscool\"]"),
                                  &out, &len, &err),
            OIDCORE_MALFORMED, &out, &len, NULL);
  check_out(oidcore_cookie_unsign(LIT("s:hello"), LIT("[\"tobiiscool\"]"), &out, &len, &err), OIDCORE_MALFORMED, &out,
            &len, NULL);
  check_out(oidcore_cookie_unsign(LIT("s:hello.x"), LIT("[]"), &out, &len, &err), OIDCORE_INVALID_ARGUMENT, &out, &len,
            NULL);
  check_out(oidcore_cookie_unsign(LIT("s:hello.x"), LIT("[\"\"]"), &out, &len, &err), OIDCORE_INVALID_ARGUMENT, &out,
            &len, NULL);
  {
    char *signed_value = NULL;
    size_t signed_len = 0;
    CHECK_STATUS(oidcore_cookie_sign(LIT("a.b=c;\xe2\x82\xac"), LIT("k"), &signed_value, &signed_len, &err), OIDCORE_OK);
    check_out(oidcore_cookie_unsign(signed_value, signed_len, LIT("[\"k\"]"), &out, &len, &err), OIDCORE_OK, &out, &len,
              "a.b=c;\xe2\x82\xac");
    oidcore_string_free(signed_value);
  }
  check_out(oidcore_cookie_sign(LIT("v"), "", 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);

  /* Serialize and clear. */
  check_out(oidcore_cookie_serialize(LIT("sid"), LIT("a b"), NULL, 0, &out, &len, &err), OIDCORE_OK, &out, &len,
            "sid=a%20b; Path=/; HttpOnly; Secure; SameSite=Lax");
  check_out(oidcore_cookie_serialize(LIT("sid"), LIT("v"),
                                     LIT("{\"same_site\":\"Strict\",\"path\":\"/app\",\"domain\":\"example.com\","
                                         "\"max_age\":60,\"expires\":1445412480,\"http_only\":false}"),
                                     &out, &len, &err),
            OIDCORE_OK, &out, &len,
            "sid=v; Path=/app; Max-Age=60; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Domain=example.com; Secure; "
            "SameSite=Strict");
  check_out(oidcore_cookie_clear(LIT("sid"), LIT("{\"path\":\"/app\",\"max_age\":60}"), &out, &len, &err), OIDCORE_OK,
            &out, &len, "sid=; Path=/app; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax");
  check_out(oidcore_cookie_serialize(LIT("__Host-sid"), LIT("v"), LIT("{\"domain\":\"example.com\"}"), &out, &len, &err),
            OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);
  CHECK(contains(err.message, "__Host-") && message_ok(&err));
  check_out(oidcore_cookie_serialize(LIT("sid"), LIT("v"), LIT("{\"same_site\":\"none\",\"secure\":false}"), &out, &len,
                                     &err),
            OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);
  CHECK(contains(err.message, "SameSite=None"));
  check_out(oidcore_cookie_clear(LIT("__Secure-x"), LIT("{\"secure\":false}"), &out, &len, &err),
            OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);
  check_out(oidcore_cookie_serialize(LIT("sid"), LIT("v"), LIT("{\"maxAge\":1}"), &out, &len, &err),
            OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);
  CHECK(contains(err.message, "maxAge"));
  check_out(oidcore_cookie_serialize(LIT("a b"), LIT("v"), NULL, 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT, &out,
            &len, NULL);

  /* NULL arguments. */
  CHECK_STATUS(oidcore_cookie_parse(LIT("a=1"), NULL, &len, &err), OIDCORE_INVALID_ARGUMENT);
  out = NULL;
  CHECK_STATUS(oidcore_cookie_parse(NULL, 3, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_sign(LIT("v"), NULL, 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_sign(NULL, 1, LIT("k"), &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_sign(LIT("v"), LIT("k"), NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_unsign(LIT("s:v.x"), NULL, 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_unsign(NULL, 5, LIT("[\"k\"]"), &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_unsign(LIT("s:v.x"), LIT("[\"k\"]"), NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_serialize(NULL, 0, LIT("v"), NULL, 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_serialize(LIT("a"), NULL, 1, NULL, 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_serialize(LIT("a"), LIT("v"), NULL, 2, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_serialize(LIT("a"), LIT("v"), NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_clear(NULL, 0, NULL, 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_clear(LIT("a"), NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(out == NULL && len == 0 && message_ok(&err));
  /* No cookie from a missing value: an empty value (NULL/0 or "") is refused; clear deletes. */
  check_out(oidcore_cookie_serialize(LIT("refresh_token"), NULL, 0, NULL, 0, &out, &len, &err),
            OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);
  CHECK(contains(err.message, "empty") && message_ok(&err));
  check_out(oidcore_cookie_serialize(LIT("refresh_token"), "", 0, LIT("{\"max_age\":60}"), &out, &len, &err),
            OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);
  /* "undefined" is a value like any other here; the bindings never make it out of nothing. */
  check_out(oidcore_cookie_serialize(LIT("a"), LIT("undefined"), NULL, 0, &out, &len, &err), OIDCORE_OK, &out, &len,
            "a=undefined; Path=/; HttpOnly; Secure; SameSite=Lax");
}

/* An unsigned JWT "e30.<claims>.c2ln" of the claims (only the claims are read). */
static void jwt_of(const char *claims, char *out) {
  strcpy(out, "e30.");
  base64url((const unsigned char *)claims, strlen(claims), out + 4);
  strcat(out, ".c2ln");
}

static void test_web_cookie_max_age(void) {
  oidcore_error err;
  char token[256], opts[512], want[512], claims[64];
  char *out = NULL;
  size_t len = 0;
  int64_t seconds = -1;
  const int64_t now = 1700000000;

  jwt_of("{\"sub\":\"a\",\"exp\":1700003600}", token);
  CHECK_STATUS(oidcore_cookie_max_age_from_token(token, strlen(token), now, &seconds, &err), OIDCORE_OK);
  CHECK(seconds == 3600);
  /* Expired: 0, never negative. */
  CHECK_STATUS(oidcore_cookie_max_age_from_token(token, strlen(token), now + 7200, &seconds, &err), OIDCORE_OK);
  CHECK(seconds == 0);
  /* 0 is the system clock: a token that expires in an hour from now. */
  snprintf(claims, sizeof claims, "{\"exp\":%lld}", (long long)time(NULL) + 3600);
  jwt_of(claims, token);
  CHECK_STATUS(oidcore_cookie_max_age_from_token(token, strlen(token), 0, &seconds, &err), OIDCORE_OK);
  CHECK(seconds >= 3598 && seconds <= 3600);
  /* Serialize takes Max-Age from it: the cookie lives as long as the token, not 7 days. */
  snprintf(opts, sizeof opts, "{\"max_age_from_token\":\"%s\",\"max_age\":604800}", token);
  CHECK_STATUS(oidcore_cookie_serialize(LIT("access_token"), token, strlen(token), opts, strlen(opts), &out, &len, &err),
               OIDCORE_OK);
  CHECK(out != NULL && (contains(out, "; Max-Age=3600;") || contains(out, "; Max-Age=3599;")) &&
        !contains(out, "604800"));
  oidcore_string_free(out);
  out = NULL;

  /* No readable exp: malformed (opaque) / missing_claim, and 0 out. */
  seconds = 5;
  CHECK_STATUS(oidcore_cookie_max_age_from_token(LIT("opaque-refresh-token"), now, &seconds, &err), OIDCORE_MALFORMED);
  CHECK(seconds == 0 && message_ok(&err));
  jwt_of("{\"sub\":\"a\"}", token);
  CHECK_STATUS(oidcore_cookie_max_age_from_token(token, strlen(token), now, &seconds, &err), OIDCORE_MISSING_CLAIM);
  CHECK(contains(err.message, "exp"));
  /* ... in serialize: the caller's fallback, else a refusal naming the option. */
  CHECK_STATUS(oidcore_cookie_serialize(LIT("refresh_token"), LIT("opaque"),
                                        LIT("{\"max_age_from_token\":\"opaque\",\"max_age\":120}"), &out, &len, &err),
               OIDCORE_OK);
  snprintf(want, sizeof want, "refresh_token=opaque; Path=/; Max-Age=120; HttpOnly; Secure; SameSite=Lax");
  CHECK(out != NULL && strcmp(out, want) == 0);
  oidcore_string_free(out);
  out = NULL;
  check_out(oidcore_cookie_serialize(LIT("refresh_token"), LIT("opaque"), LIT("{\"max_age_from_token\":\"opaque\"}"),
                                     &out, &len, &err),
            OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);
  CHECK(contains(err.message, "max_age_from_token") && message_ok(&err));

  /* NULL arguments and a clock before 1970. */
  CHECK_STATUS(oidcore_cookie_max_age_from_token(LIT("a.b.c"), now, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_max_age_from_token(NULL, 3, now, &seconds, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_cookie_max_age_from_token(NULL, 0, now, &seconds, &err), OIDCORE_MALFORMED);
  CHECK_STATUS(oidcore_cookie_max_age_from_token(LIT("a.b.c"), -1, &seconds, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(seconds == 0);
}

static void test_web_redirect(void) {
  static const char *const hostile[] = {"//evil.com", "/\\evil.com", "/%2F%2Fevil.com", "/%5Cevil.com",
                                        "/%252F%252Fevil.com", "https://evil.com", "javascript:alert(1)",
                                        "/\t/evil.com", "evil.com", "/%00", " /x"};
  oidcore_error err;
  char *out = NULL;
  size_t len = 0, i;
  check_out(oidcore_safe_redirect(LIT("/dashboard?tab=1#top"), NULL, 0, &out, &len, &err), OIDCORE_OK, &out, &len,
            "/dashboard?tab=1#top");
  for (i = 0; i < sizeof hostile / sizeof hostile[0]; ++i) {
    out = NULL;
    CHECK_STATUS(oidcore_safe_redirect(hostile[i], strlen(hostile[i]), NULL, 0, &out, &len, &err),
                 OIDCORE_UNSAFE_REDIRECT);
    CHECK(out == NULL && len == 0 && message_ok(&err));
    check_out(oidcore_safe_redirect(hostile[i], strlen(hostile[i]), LIT("/home"), &out, &len, &err), OIDCORE_OK, &out,
              &len, "/home");
  }
  /* The NUL byte inside is seen: lengths are honoured, nothing is a C string. */
  check_out(oidcore_safe_redirect("/a\0//evil.com", 13, NULL, 0, &out, &len, &err), OIDCORE_UNSAFE_REDIRECT, &out, &len,
            NULL);
  check_out(oidcore_safe_redirect(NULL, 0, LIT("/home"), &out, &len, &err), OIDCORE_OK, &out, &len, "/home");
  check_out(oidcore_safe_redirect(NULL, 0, NULL, 0, &out, &len, &err), OIDCORE_UNSAFE_REDIRECT, &out, &len, NULL);
  check_out(oidcore_safe_redirect(LIT("/ok"), LIT("//evil.com"), &out, &len, &err), OIDCORE_INVALID_ARGUMENT, &out, &len,
            NULL);
  CHECK(contains(err.message, "fallback"));
  check_out(oidcore_safe_redirect(LIT("//x"), "", 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);
  CHECK_STATUS(oidcore_safe_redirect(NULL, 4, NULL, 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_safe_redirect(LIT("/x"), NULL, 4, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_safe_redirect(LIT("/x"), NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(out == NULL);
}

static void test_web_tokens(void) {
  oidcore_error err;
  char *out = NULL, *signed_value = NULL;
  size_t len = 0, signed_len = 0;
  char cookie[256];
  check_out(oidcore_extract_token(LIT("access_token=c"), LIT("Bearer b"), NULL, 0, &out, &len, &err), OIDCORE_OK, &out,
            &len, "{\"token\":\"c\",\"source\":\"cookie\"}");
  check_out(oidcore_extract_token(LIT("access_token=c"), LIT("Bearer b"), LIT("{\"order\":[\"bearer\",\"cookie\"]}"),
                                  &out, &len, &err),
            OIDCORE_OK, &out, &len, "{\"token\":\"b\",\"source\":\"bearer\"}");
  check_out(oidcore_extract_token(NULL, 0, LIT("bearer  x.y.z"), NULL, 0, &out, &len, &err), OIDCORE_OK, &out, &len,
            "{\"token\":\"x.y.z\",\"source\":\"bearer\"}");
  check_out(oidcore_extract_token(NULL, 0, LIT("Basic abc"), NULL, 0, &out, &len, &err), OIDCORE_NOT_FOUND, &out, &len,
            NULL);
  check_out(oidcore_extract_token(NULL, 0, NULL, 0, NULL, 0, &out, &len, &err), OIDCORE_NOT_FOUND, &out, &len, NULL);
  /* A signed cookie, as Express writes it (URL-encoded), and a forged one. */
  CHECK_STATUS(oidcore_cookie_sign(LIT("tok"), LIT("k"), &signed_value, &signed_len, &err), OIDCORE_OK);
  if (signed_value) {
    snprintf(cookie, sizeof cookie, "jwt=s%%3A%s", signed_value + 2);
    check_out(oidcore_extract_token(cookie, strlen(cookie), NULL, 0,
                                    LIT("{\"cookie_name\":\"jwt\",\"cookie_secrets\":[\"old\",\"k\"]}"), &out, &len,
                                    &err),
              OIDCORE_OK, &out, &len, "{\"token\":\"tok\",\"source\":\"cookie\"}");
    check_out(oidcore_extract_token(cookie, strlen(cookie), NULL, 0,
                                    LIT("{\"cookie_name\":\"jwt\",\"cookie_secrets\":[\"other\"]}"), &out, &len, &err),
              OIDCORE_NOT_FOUND, &out, &len, NULL);
    oidcore_string_free(signed_value);
  }
  check_out(oidcore_extract_token(NULL, 0, NULL, 0, LIT("{\"order\":[]}"), &out, &len, &err), OIDCORE_INVALID_ARGUMENT,
            &out, &len, NULL);
  CHECK(contains(err.message, "order"));
  check_out(oidcore_extract_token(NULL, 0, NULL, 0, LIT("{\"cookie\":\"x\"}"), &out, &len, &err),
            OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);
  CHECK(contains(err.message, "cookie"));
  CHECK_STATUS(oidcore_extract_token(NULL, 1, NULL, 0, NULL, 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_extract_token(NULL, 0, NULL, 1, NULL, 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_extract_token(NULL, 0, NULL, 0, NULL, 1, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_extract_token(NULL, 0, LIT("Bearer b"), NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(out == NULL);

  /* Claims → principal. */
  check_out(oidcore_principal_from_claims(LIT("{\"sub\":\"u\",\"email\":\"e@x\",\"groups\":[\"admins\"]}"),
                                          LIT("{\"roles\":[{\"group\":\"admins\",\"role\":\"admin\"}]}"), &out, &len,
                                          &err),
            OIDCORE_OK, &out, &len,
            "{\"sub\":\"u\",\"email\":\"e@x\",\"name\":null,\"organizationId\":\"u\",\"role\":\"admin\"}");
  check_out(oidcore_principal_from_claims(LIT("{\"sub\":\"u\"}"), NULL, 0, &out, &len, &err), OIDCORE_OK, &out, &len,
            "{\"sub\":\"u\",\"email\":null,\"name\":null,\"organizationId\":\"u\",\"role\":\"user\"}");
  check_out(oidcore_principal_from_claims(LIT("{\"sub\":\"u\",\"tenant\":\"t-1\"}"),
                                          LIT("{\"organization_id_claim\":\"tenant\",\"organization_fallback\":\"none\"}"),
                                          &out, &len, &err),
            OIDCORE_OK, &out, &len,
            "{\"sub\":\"u\",\"email\":null,\"name\":null,\"organizationId\":\"t-1\",\"role\":\"user\"}");
  check_out(oidcore_principal_from_claims(LIT("{\"sub\":\"u\"}"), LIT("{\"organization_fallback\":\"none\"}"), &out,
                                          &len, &err),
            OIDCORE_OK, &out, &len,
            "{\"sub\":\"u\",\"email\":null,\"name\":null,\"organizationId\":null,\"role\":\"user\"}");
  check_out(oidcore_principal_from_claims(LIT("{}"), LIT("{\"organization_fallback\":\"email\"}"), &out, &len, &err),
            OIDCORE_INVALID_ARGUMENT, &out, &len, NULL);
  CHECK(contains(err.message, "organization_fallback"));
  check_out(oidcore_principal_from_claims(LIT("not json"), NULL, 0, &out, &len, &err), OIDCORE_MALFORMED, &out, &len,
            NULL);
  check_out(oidcore_principal_from_claims(LIT("{}"), LIT("{\"roles\":5}"), &out, &len, &err), OIDCORE_INVALID_ARGUMENT,
            &out, &len, NULL);
  CHECK(contains(err.message, "roles"));
  CHECK_STATUS(oidcore_principal_from_claims(NULL, 0, NULL, 0, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_principal_from_claims(LIT("{}"), NULL, 3, &out, &len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_principal_from_claims(LIT("{}"), NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(out == NULL && message_ok(&err));
}

/* The relying party's entry points: NULLs and bad configuration refused, the callback's own
 * problems found before the network, and the provider's error kept in the error struct.
 * (The flow against a real provider is in tests/flow.) */
static void test_relying_party(void) {
  oidcore_error err;
  oidcore_store *store = NULL;
  oidcore_rp *rp = NULL;
  char *out = NULL;
  size_t out_len = 0;
  oidcore_result *res = NULL;
  static const char config[] =
      "{\"issuer\":\"http://127.0.0.1:9/application/o/app/\",\"client_id\":\"app\",\"client_secret\":\"s\","
      "\"redirect_uri\":\"http://127.0.0.1:3000/cb\",\"connect_timeout\":0.2,\"http_timeout\":0.5}";

  CHECK_STATUS(oidcore_store_new(LIT("{}"), &store, &err), OIDCORE_OK);
  CHECK_STATUS(oidcore_rp_new(LIT(config), NULL, &rp, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(rp == NULL);
  CHECK_STATUS(oidcore_rp_new(NULL, 5, store, &rp, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_new(LIT("{\"issuer\":\"x\"}"), store, &rp, &err), OIDCORE_INVALID_CONFIG);
  CHECK_STATUS(oidcore_rp_new(LIT("{\"isuer\":1}"), store, &rp, &err), OIDCORE_INVALID_CONFIG);
  CHECK(strstr(err.message, "isuer") != NULL);
  CHECK_STATUS(oidcore_rp_new(LIT(config), store, &rp, &err), OIDCORE_OK);
  CHECK(rp != NULL);

  /* No offline_access in the scopes: the relying party says so, with a stable code. */
  CHECK_STATUS(oidcore_rp_warnings(rp, &out, &out_len, &err), OIDCORE_OK);
  CHECK(out != NULL && strlen(out) == out_len && contains(out, "[{\"code\":\"no_offline_access\",\"message\":") &&
        contains(out, "offline_access\\\" to \\\"scopes\\\""));
  oidcore_string_free(out);
  out = NULL;
  CHECK_STATUS(oidcore_rp_warnings(NULL, &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_warnings(rp, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  {
    oidcore_rp *quiet = NULL;
    static const char with_offline[] =
        "{\"issuer\":\"http://127.0.0.1:9/application/o/app/\",\"client_id\":\"app\",\"client_secret\":\"s\","
        "\"redirect_uri\":\"http://127.0.0.1:3000/cb\",\"scopes\":\"openid offline_access\"}";
    static const char no_refresh[] =
        "{\"issuer\":\"http://127.0.0.1:9/application/o/app/\",\"client_id\":\"app\",\"client_secret\":\"s\","
        "\"redirect_uri\":\"http://127.0.0.1:3000/cb\",\"refresh_tokens\":false}";
    CHECK_STATUS(oidcore_rp_new(LIT(with_offline), store, &quiet, &err), OIDCORE_OK);
    check_out(oidcore_rp_warnings(quiet, &out, &out_len, &err), OIDCORE_OK, &out, &out_len, "[]");
    oidcore_rp_free(quiet);
    quiet = NULL;
    CHECK_STATUS(oidcore_rp_new(LIT(no_refresh), store, &quiet, &err), OIDCORE_OK);
    check_out(oidcore_rp_warnings(quiet, &out, &out_len, &err), OIDCORE_OK, &out, &out_len, "[]");
    oidcore_rp_free(quiet);
  }

  CHECK_STATUS(oidcore_rp_begin_login(NULL, NULL, 0, &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_begin_login(rp, NULL, 3, &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_begin_login(rp, NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_begin_login(rp, LIT("{\"redirect_after\":\"//evil.com\"}"), &out, &out_len, &err),
               OIDCORE_UNSAFE_REDIRECT);
  CHECK_STATUS(oidcore_rp_begin_login(rp, LIT("{\"params\":{\"nonce\":\"x\"}}"), &out, &out_len, &err),
               OIDCORE_INVALID_ARGUMENT);
  /* Nobody listens at the issuer: an http_error within the timeouts, no output. */
  CHECK_STATUS(oidcore_rp_begin_login(rp, NULL, 0, &out, &out_len, &err), OIDCORE_HTTP_ERROR);
  CHECK(out == NULL && out_len == 0);

  CHECK_STATUS(oidcore_rp_complete_login(rp, NULL, 4, NULL, 0, &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_complete_login(rp, LIT("code=a"), NULL, 0, &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_complete_login(rp, LIT("code=a&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), NULL, 0,
                                         &out, &out_len, &err),
               OIDCORE_NOT_FOUND);
  CHECK_STATUS(oidcore_rp_complete_login(rp, LIT("?error=access_denied&error_description=no+thanks"), NULL, 0, &out,
                                         &out_len, &err),
               OIDCORE_IDP_ERROR);
  CHECK(strcmp(err.idp_error, "access_denied") == 0);
  CHECK(strcmp(err.idp_error_description, "no thanks") == 0);
  CHECK_STATUS(oidcore_rp_complete_login(rp, LIT("code=a&state=b"), LIT("{\"exchange_code\":1}"), &out, &out_len,
                                         &err),
               OIDCORE_INVALID_ARGUMENT);

  CHECK_STATUS(oidcore_rp_refresh(rp, NULL, 0, &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "offline_access"));
  CHECK_STATUS(oidcore_rp_refresh(rp, NULL, 7, &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_userinfo(rp, LIT("a b"), &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_revoke(rp, LIT("t"), LIT("id_token"), &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_revoke(NULL, LIT("t"), NULL, 0, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_logout_url(rp, LIT("{\"post_logout_redirect_uri\":\"javascript:x\"}"), &out, &out_len, &err),
               OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_logout_url(rp, LIT("{\"unknown\":1}"), &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  /* Tokens would be ignored by the URL alone: refused, so a caller meaning to end the
   * session finds oidcore_rp_logout. An absent one (null) is no token. */
  CHECK_STATUS(oidcore_rp_logout_url(rp, LIT("{\"refresh_token\":\"rt\"}"), &out, &out_len, &err),
               OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "refresh_token"));
  CHECK_STATUS(oidcore_rp_logout_url(rp, LIT("{\"access_token\":\"at\"}"), &out, &out_len, &err),
               OIDCORE_INVALID_ARGUMENT);
  /* Logout: caller mistakes first, then a provider nobody serves (nothing can be done). */
  CHECK_STATUS(oidcore_rp_logout(NULL, NULL, 0, &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_logout(rp, NULL, 0, NULL, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_logout(rp, NULL, 2, &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_logout(rp, LIT("{\"post_logout_redirect_uri\":\"//evil.com\"}"), &out, &out_len, &err),
               OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_logout(rp, LIT("{\"refresh_token\":5}"), &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "refresh_token"));
  CHECK_STATUS(oidcore_rp_logout(rp, LIT("{\"acces_token\":\"x\"}"), &out, &out_len, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_logout(rp, LIT("{\"access_token\":null,\"refresh_token\":\"\"}"), &out, &out_len, &err),
               OIDCORE_HTTP_ERROR);
  CHECK(out == NULL && out_len == 0);
  {
    oidcore_rp *bad = NULL;
    static const char bad_deny[] =
        "{\"issuer\":\"http://127.0.0.1:9/application/o/app/\",\"client_id\":\"app\",\"client_secret\":\"s\","
        "\"redirect_uri\":\"http://127.0.0.1:3000/cb\",\"deny_list\":\"on\"}";
    CHECK_STATUS(oidcore_rp_new(LIT(bad_deny), store, &bad, &err), OIDCORE_INVALID_CONFIG);
    CHECK(bad == NULL && contains(err.message, "deny_list"));
  }
  CHECK_STATUS(oidcore_rp_verify_access_token(rp, LIT("x"), NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_verify_access_token(NULL, LIT("x"), &res, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(res == NULL);
  CHECK(out == NULL);

  oidcore_rp_free(rp);
  oidcore_rp_free(NULL);
  oidcore_store_free(store);
}

/* ------------------------------------------------------------------------------------ */
/* Deny list: a logged-out token is refused by every verifier sharing the store          */
/* ------------------------------------------------------------------------------------ */

/* A verifier for the samples consulting the deny list in `store`. */
static oidcore_status make_deny_verifier(const char *extra, oidcore_store *store, oidcore_verifier **out,
                                         oidcore_error *err) {
  char config[8192];
  int n = snprintf(config, sizeof config,
                   "{\"jwks_file\":\"%s/jwks.json\",\"issuer\":\"%s\",\"audience\":\"%s\"%s%s}", sample_dir, issuer,
                   audience, extra[0] ? "," : "", extra);
  if (n < 0 || (size_t)n >= sizeof config) exit(2);
  return oidcore_verifier_new_with_store(config, (size_t)n, store, out, err);
}

static void test_deny_list(void) {
  oidcore_error err;
  oidcore_store *store = NULL, *other_store = NULL;
  oidcore_verifier *a = NULL, *b = NULL, *plain = NULL, *elsewhere = NULL;
  oidcore_result *r = NULL;
  size_t len = 0, len2 = 0;
  char *token = read_file("rs256.jwt", &len);
  char *token2 = read_file("es256.jwt", &len2);
  int denied = -1;

  CHECK_STATUS(oidcore_store_new(LIT("{}"), &store, &err), OIDCORE_OK);
  CHECK_STATUS(oidcore_store_new(LIT("{}"), &other_store, &err), OIDCORE_OK);
  /* Never half configured: the option needs a store and a store needs the option. */
  CHECK_STATUS(make_verifier("\"deny_list\":true", &a, &err), OIDCORE_INVALID_CONFIG);
  CHECK(a == NULL && contains(err.message, "deny_list"));
  CHECK_STATUS(make_deny_verifier("", store, &a, &err), OIDCORE_INVALID_CONFIG);
  CHECK(a == NULL && contains(err.message, "deny_list"));
  CHECK_STATUS(make_deny_verifier("\"deny_list\":\"yes\"", store, &a, &err), OIDCORE_INVALID_CONFIG);
  CHECK_STATUS(make_deny_verifier("\"deny_list\":true", NULL, &a, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_verifier_new_with_store(NULL, 0, store, &a, &err), OIDCORE_INVALID_ARGUMENT);

  CHECK_STATUS(make_deny_verifier("\"deny_list\":true", store, &a, &err), OIDCORE_OK);
  CHECK_STATUS(make_deny_verifier("\"deny_list\":true", store, &b, &err), OIDCORE_OK);
  CHECK_STATUS(make_deny_verifier("\"deny_list\":true", other_store, &elsewhere, &err), OIDCORE_OK);
  CHECK_STATUS(make_verifier("", &plain, &err), OIDCORE_OK);
  if (!a || !b || !plain || !elsewhere || !token || !token2) goto done;

  /* Verified twice by b: the second answer comes from its verified-token cache. */
  CHECK_STATUS(oidcore_verifier_verify(b, token, len, &r, &err), OIDCORE_OK);
  oidcore_result_free(r);
  r = NULL;
  CHECK_STATUS(oidcore_verifier_verify(b, token, len, &r, &err), OIDCORE_OK);
  oidcore_result_free(r);
  r = NULL;

  /* A forged token lists nothing and says why. */
  {
    char *forged = (char *)malloc(len + 1);
    memcpy(forged, token, len + 1);
    forged[len - 3] = forged[len - 3] == 'A' ? 'B' : 'A';
    CHECK_STATUS(oidcore_verifier_deny(a, forged, len, &denied, &err), OIDCORE_BAD_SIGNATURE);
    CHECK(denied == 0);
    free(forged);
  }
  CHECK_STATUS(oidcore_verifier_deny(plain, token, len, &denied, &err), OIDCORE_INVALID_CONFIG);
  CHECK_STATUS(oidcore_verifier_deny(NULL, token, len, &denied, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_verifier_verify(b, token, len, &r, &err), OIDCORE_OK);
  oidcore_result_free(r);
  r = NULL;

  /* Logged out through a: refused by a and by b (from b's cache too), inline for a memory
   * store; not by a verifier without the deny list, nor by one on another store. */
  CHECK_STATUS(oidcore_verifier_deny(a, token, len, &denied, &err), OIDCORE_OK);
  CHECK(denied == 1);
  CHECK_STATUS(oidcore_verifier_verify(a, token, len, &r, &err), OIDCORE_REVOKED);
  CHECK(r == NULL && strcmp(oidcore_status_name(err.status), "revoked") == 0);
  CHECK_STATUS(oidcore_verifier_verify(b, token, len, &r, &err), OIDCORE_REVOKED);
  CHECK_STATUS(oidcore_verifier_verify_cached(b, token, len, &r, &err), OIDCORE_REVOKED);
  CHECK(r == NULL);
  CHECK_STATUS(oidcore_verifier_verify(plain, token, len, &r, &err), OIDCORE_OK);
  oidcore_result_free(r);
  r = NULL;
  CHECK_STATUS(oidcore_verifier_verify(elsewhere, token, len, &r, &err), OIDCORE_OK);
  oidcore_result_free(r);
  r = NULL;
  /* Another session is not touched; a second logout of the same one is fine. */
  CHECK_STATUS(oidcore_verifier_verify(b, token2, len2, &r, &err), OIDCORE_OK);
  oidcore_result_free(r);
  r = NULL;
  denied = 0;
  CHECK_STATUS(oidcore_verifier_deny(b, token, len, &denied, &err), OIDCORE_OK);
  CHECK(denied == 1);
  CHECK_STATUS(oidcore_verifier_deny(b, token, len, NULL, &err), OIDCORE_OK);
  /* The counters name the outcome. */
  {
    char *stats = NULL;
    CHECK_STATUS(oidcore_verifier_stats(b, &stats, NULL, &err), OIDCORE_OK);
    CHECK(stats != NULL && contains(stats, "\"revoked\":"));
    oidcore_string_free(stats);
  }

done:
  free(token);
  free(token2);
  oidcore_verifier_free(a);
  oidcore_verifier_free(b);
  oidcore_verifier_free(plain);
  oidcore_verifier_free(elsewhere);
  oidcore_store_free(store);
  oidcore_store_free(other_store);
}

/* ------------------------------------------------------------------------------------ */
/* Request verification: a bad token in one source never hides a good one in the other   */
/* ------------------------------------------------------------------------------------ */

/* Verifies a request with `v`: the headers as C strings ("" = absent), options NULL or a
 * JSON object. On OIDCORE_OK checks the source and the algorithm (the cookie carries the
 * RS256 sample, the bearer header the ES256 one, so both tell where the token came from). */
static oidcore_status request_with(const oidcore_verifier *v, const char *cookie, const char *authorization,
                                   const char *options, const char *want_source, const char *want_alg) {
  oidcore_error err;
  oidcore_result *r = NULL;
  oidcore_status st;
  dirty(&err);
  st = oidcore_verifier_verify_request(v, cookie, strlen(cookie), authorization, strlen(authorization), options,
                                       options ? strlen(options) : 0, &r, &err);
  CHECK(err.status == st);
  CHECK((st == OIDCORE_OK) == (r != NULL));
  if (st == OIDCORE_OK) {
    CHECK(err.message[0] == '\0');
    if (want_source) CHECK(strcmp(oidcore_result_source(r), want_source) == 0);
    if (want_alg) CHECK(strcmp(oidcore_result_alg(r), want_alg) == 0);
    CHECK(contains(oidcore_result_claims(r, NULL), "ada@example.com"));
  } else {
    CHECK(message_ok(&err));
  }
  oidcore_result_free(r);
  return st;
}

static void test_request_verification(void) {
  oidcore_error err;
  oidcore_verifier *v = NULL;
  oidcore_result *r = NULL;
  oidcore_store *store = NULL;
  oidcore_rp *rp = NULL;
  char *good = read_file("rs256.jwt", NULL), *good_es = read_file("es256.jwt", NULL);
  char *expired = read_file("expired.jwt", NULL), *tampered = read_file("tampered.jwt", NULL);
  char *none = read_file("alg-none.jwt", NULL), *audience_other = read_file("wrong-audience.jwt", NULL);
  char *signed_value = NULL;
  size_t signed_len = 0;
  static char c[8192], a[8192];
  static const char rp_config[] =
      "{\"issuer\":\"http://127.0.0.1:9/application/o/app/\",\"client_id\":\"app\",\"client_secret\":\"s\","
      "\"redirect_uri\":\"http://127.0.0.1:3000/cb\",\"connect_timeout\":0.2,\"http_timeout\":0.5}";
#define COOKIE(value) (snprintf(c, sizeof c, "theme=dark; access_token=%s; lang=en", (value)), (const char *)c)
#define BEARER(value) (snprintf(a, sizeof a, "Bearer %s", (value)), (const char *)a)

  CHECK_STATUS(make_verifier("", &v, &err), OIDCORE_OK);

  /* Junk, expired, forged or alg:none cookie + valid bearer: the bearer token. */
  CHECK_STATUS(request_with(v, COOKIE("junk"), BEARER(good_es), NULL, "bearer", "ES256"), OIDCORE_OK);
  CHECK_STATUS(request_with(v, COOKIE(expired), BEARER(good_es), NULL, "bearer", "ES256"), OIDCORE_OK);
  CHECK_STATUS(request_with(v, COOKIE(tampered), BEARER(good_es), NULL, "bearer", "ES256"), OIDCORE_OK);
  CHECK_STATUS(request_with(v, COOKIE(none), BEARER(good_es), NULL, "bearer", "ES256"), OIDCORE_OK);
  /* Valid cookie + junk bearer: the cookie. */
  CHECK_STATUS(request_with(v, COOKIE(good), "Bearer junk", NULL, "cookie", "RS256"), OIDCORE_OK);
  CHECK_STATUS(request_with(v, COOKIE(good), "Bearer not a token", NULL, "cookie", "RS256"), OIDCORE_OK);
  CHECK_STATUS(request_with(v, COOKIE(good), BEARER(expired), NULL, "cookie", "RS256"), OIDCORE_OK);
  /* Both bad: the most specific failure. */
  CHECK_STATUS(request_with(v, COOKIE("junk"), BEARER(expired), NULL, NULL, NULL), OIDCORE_EXPIRED);
  CHECK_STATUS(request_with(v, COOKIE(expired), "Bearer not.a.jwt", NULL, NULL, NULL), OIDCORE_EXPIRED);
  CHECK_STATUS(request_with(v, COOKIE(audience_other), "Bearer junk", NULL, NULL, NULL), OIDCORE_BAD_AUDIENCE);
  /* Equally specific: the first source in order. */
  CHECK_STATUS(request_with(v, COOKIE(tampered), BEARER(expired), NULL, NULL, NULL), OIDCORE_BAD_SIGNATURE);
  CHECK_STATUS(request_with(v, COOKIE(tampered), BEARER(expired), "{\"order\":[\"bearer\",\"cookie\"]}", NULL, NULL),
               OIDCORE_EXPIRED);
  /* No token. */
  CHECK_STATUS(request_with(v, "", "", NULL, NULL, NULL), OIDCORE_NOT_FOUND);
  CHECK_STATUS(request_with(v, "access_token=", "Basic YTpi", NULL, NULL, NULL), OIDCORE_NOT_FOUND);
  /* The order is respected when both verify. */
  CHECK_STATUS(request_with(v, COOKIE(good), BEARER(good_es), NULL, "cookie", "RS256"), OIDCORE_OK);
  CHECK_STATUS(request_with(v, COOKIE(good), BEARER(good_es), "{\"order\":[\"bearer\",\"cookie\"]}", "bearer", "ES256"),
               OIDCORE_OK);
  CHECK_STATUS(request_with(v, COOKIE(good), "", "{\"order\":[\"bearer\"]}", NULL, NULL), OIDCORE_NOT_FOUND);
  /* A signed cookie with a bad signature is skipped. */
  CHECK_STATUS(oidcore_cookie_sign(good, strlen(good), LIT("attacker"), &signed_value, &signed_len, &err), OIDCORE_OK);
  if (signed_value) {
    snprintf(c, sizeof c, "sid=%s", signed_value);
    CHECK_STATUS(request_with(v, c, BEARER(good_es), "{\"cookie_name\":\"sid\",\"cookie_secrets\":[\"k\"]}", "bearer",
                              "ES256"),
                 OIDCORE_OK);
    CHECK_STATUS(request_with(v, c, "", "{\"cookie_name\":\"sid\",\"cookie_secrets\":[\"k\"]}", NULL, NULL),
                 OIDCORE_NOT_FOUND);
    CHECK_STATUS(request_with(v, c, "", "{\"cookie_name\":\"sid\",\"cookie_secrets\":[\"k\",\"attacker\"]}", "cookie",
                              "RS256"),
                 OIDCORE_OK);
    /* Options parsed once are reused only for the same text: a secret accepted by one call
     * never sticks to the next, nor does a refused options text. */
    CHECK_STATUS(request_with(v, c, "", "{\"cookie_name\":\"sid\",\"cookie_secrets\":[\"k\"]}", NULL, NULL),
                 OIDCORE_NOT_FOUND);
    CHECK_STATUS(request_with(v, c, "", "{\"cookie_name\":\"sid\",\"cookie_secrets\":[\"k\"],\"order\":[1]}", NULL, NULL),
                 OIDCORE_INVALID_ARGUMENT);
    CHECK_STATUS(request_with(v, c, "", "{\"cookie_name\":\"sid\",\"cookie_secrets\":[\"k\"]}", NULL, NULL),
                 OIDCORE_NOT_FOUND);
    CHECK_STATUS(request_with(v, c, "", "{\"cookie_name\":\"si\"}", NULL, NULL), OIDCORE_NOT_FOUND);
    CHECK_STATUS(request_with(v, COOKIE(good), "", "{\"cookie_name\":\"access_token\"}", "cookie", "RS256"), OIDCORE_OK);
    CHECK_STATUS(request_with(v, COOKIE(good), "", "{\"cookie_name\":\"access_toke\"}", NULL, NULL), OIDCORE_NOT_FOUND);
    CHECK_STATUS(request_with(v, COOKIE(good), "", "{\"cookie_name\":\"access_token\"}", "cookie", "RS256"), OIDCORE_OK);
    oidcore_string_free(signed_value);
  }
  /* allow_fetch false with inline keys: the same answers. */
  CHECK_STATUS(request_with(v, COOKIE("junk"), BEARER(good_es), "{\"allow_fetch\":false}", "bearer", "ES256"),
               OIDCORE_OK);
  CHECK_STATUS(request_with(v, COOKIE("junk"), BEARER(expired), "{\"allow_fetch\":false}", NULL, NULL),
               OIDCORE_EXPIRED);

  /* Misuse. */
  CHECK_STATUS(request_with(v, "", "", "{\"allow_fetch\":1}", NULL, NULL), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_verifier_verify_request(v, NULL, 0, NULL, 0, LIT("{\"allowFetch\":true}"), &r, &err),
               OIDCORE_INVALID_ARGUMENT);
  CHECK(contains(err.message, "allowFetch") && r == NULL);
  CHECK_STATUS(oidcore_verifier_verify_request(v, NULL, 1, NULL, 0, NULL, 0, &r, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_verifier_verify_request(v, NULL, 0, NULL, 1, NULL, 0, &r, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_verifier_verify_request(v, NULL, 0, NULL, 0, NULL, 1, &r, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_verifier_verify_request(v, NULL, 0, LIT("Bearer x"), NULL, 0, NULL, &err),
               OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_verifier_verify_request(NULL, NULL, 0, LIT("Bearer x"), NULL, 0, &r, &err),
               OIDCORE_INVALID_ARGUMENT);
  CHECK(r == NULL);
  /* A plain verification's result has no source. */
  CHECK_STATUS(oidcore_verifier_verify(v, good, strlen(good), &r, &err), OIDCORE_OK);
  CHECK(r != NULL && strcmp(oidcore_result_source(r), "") == 0);
  oidcore_result_free(r);
  r = NULL;
  CHECK(oidcore_result_source(NULL) == NULL);
  oidcore_verifier_free(v);

  /* The relying party's request check. Nobody listens at its issuer: without fetching, a
   * token needs the fetch; no token needs nothing; with fetching, the failure is the
   * network's, not a rejection. */
  CHECK_STATUS(oidcore_store_new(LIT("{}"), &store, &err), OIDCORE_OK);
  CHECK_STATUS(oidcore_rp_new(LIT(rp_config), store, &rp, &err), OIDCORE_OK);
  COOKIE("junk");
  BEARER(good);
  CHECK_STATUS(oidcore_rp_verify_request(rp, c, strlen(c), a, strlen(a), LIT("{\"allow_fetch\":false}"), &r, &err),
               OIDCORE_NEEDS_FETCH);
  CHECK_STATUS(oidcore_rp_verify_request(rp, NULL, 0, NULL, 0, LIT("{\"allow_fetch\":false}"), &r, &err),
               OIDCORE_NOT_FOUND);
  CHECK_STATUS(oidcore_rp_verify_request(rp, NULL, 0, LIT("Basic YTpi"), NULL, 0, &r, &err), OIDCORE_NOT_FOUND);
  CHECK_STATUS(oidcore_rp_verify_request(rp, c, strlen(c), a, strlen(a), NULL, 0, &r, &err), OIDCORE_HTTP_ERROR);
  CHECK(message_ok(&err));
  CHECK_STATUS(oidcore_rp_verify_request(rp, NULL, 0, NULL, 0, LIT("{\"order\":[]}"), &r, &err),
               OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_verify_request(rp, NULL, 3, NULL, 0, NULL, 0, &r, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_verify_request(NULL, NULL, 0, NULL, 0, NULL, 0, &r, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK_STATUS(oidcore_rp_verify_request(rp, NULL, 0, NULL, 0, NULL, 0, NULL, &err), OIDCORE_INVALID_ARGUMENT);
  CHECK(r == NULL);
  oidcore_rp_free(rp);
  oidcore_store_free(store);

#undef COOKIE
#undef BEARER
  free(good);
  free(good_es);
  free(expired);
  free(tampered);
  free(none);
  free(audience_other);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: c_api_test SAMPLE_DIR ISSUER AUDIENCE\n");
    return 2;
  }
  sample_dir = argv[1];
  issuer = argv[2];
  audience = argv[3];

  test_versions();
  test_status_table();
  test_verify_valid();
  test_principal();
  test_rejections();
  test_unknown_kid();
  test_null_and_garbage();
  test_config_errors();
  test_thumbprint();
  test_jwks_describe();
  test_store_config();
  test_login_state();
  test_exchange_codes();
  test_web_cookies();
  test_web_cookie_max_age();
  test_web_redirect();
  test_web_tokens();
  test_relying_party();
  test_deny_list();
  test_request_verification();

  if (failures) {
    fprintf(stderr, "c_api_test: %d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("c_api_test: all %d checks passed\n", checks);
  return 0;
}
