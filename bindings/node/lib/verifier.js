'use strict';

const native = require('./native');
const { OidcoreError, fromNative, rethrowNative } = require('./errors');
const { toConfig, toOptions, renameInMessage } = require('./options');
const { requestHeaders } = require('./web');

/**
 * A verification's result: { claims, principal, header } plus `source` ('cookie' | 'bearer')
 * for a request verification. The claims are parsed from the core's JSON when first read: a
 * guard that only needs the principal never pays for them.
 */
class VerifyResult {
  #claimsJson;
  #claims;

  // `claims` is an own, enumerable property (spread, Object.keys and JSON see it) whose value
  // is parsed on first read. One descriptor for every result: no closure per result.
  static #claimsProperty = {
    get() {
      if (this.#claims === undefined) this.#claims = JSON.parse(this.#claimsJson);
      return this.#claims;
    },
    set(value) {
      this.#claims = value;
    },
    enumerable: true,
    configurable: true,
  };

  // outcome: the native [claims, principal | null, alg, kid(, source)].
  constructor(outcome) {
    this.#claimsJson = outcome[0];
    Object.defineProperty(this, 'claims', VerifyResult.#claimsProperty);
    this.principal = outcome[1] === null ? null : parsePrincipal(outcome[1]);
    this.header = { alg: outcome[2], kid: outcome[3] === '' ? undefined : outcome[3] };
    if (outcome.length > 4) this.source = outcome[4];
  }

  // console.log and util.inspect show the claims, not [Getter/Setter].
  [Symbol.for('nodejs.util.inspect.custom')](depth, options, inspect) {
    return inspect({ ...this }, options);
  }
}

// The principal is a flat object ({sub, email, name, organizationId, role}: strings, numbers
// or null), the same JSON again and again for a user who comes back. Its parse is kept: a
// known JSON is answered with a fresh shallow copy of the first parse, which is the same
// object JSON.parse makes, at a fraction of its cost inside a busy server. Bounded: emptied
// when full.
const PRINCIPALS_KEPT = 1024;
const principals = new Map();
function parsePrincipal(json) {
  const known = principals.get(json);
  if (known !== undefined) return { ...known };
  const parsed = JSON.parse(json);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)
      || !Object.values(parsed).every((v) => v === null || typeof v !== 'object')) {
    return parsed;  // never expected: not flat, so not kept
  }
  if (principals.size >= PRINCIPALS_KEPT) principals.clear();
  principals.set(json, parsed);
  return { ...parsed };
}

function toResult(outcome) {
  return new VerifyResult(outcome);
}

function settled(outcome) {
  if (outcome.code !== undefined) throw fromNative(outcome);
  return toResult(outcome);
}

// Whether an options object can never change again: frozen all the way down, data properties
// only (a getter could answer differently next time).
function deeplyFrozen(value, depth = 0) {
  if (value === null || typeof value !== 'object') return true;
  if (depth > 8 || !Object.isFrozen(value)) return false;
  return Object.values(Object.getOwnPropertyDescriptors(value))
    .every((d) => 'value' in d && deeplyFrozen(d.value, depth + 1));
}

// The options as the core's JSON twice, without fetching (for this thread) and with (for the
// libuv pool). Kept for an options object that cannot change (OidcoreStrategy's are frozen):
// converting it anew on every request was a tenth of a cached verification's cost.
const preparedOptions = new WeakMap();
function optionInputs(options) {
  const reusable = options !== null && typeof options === 'object';
  if (reusable) {
    const prepared = preparedOptions.get(options);
    if (prepared !== undefined) return prepared;
    if (Object.hasOwn(options, 'allowFetch') || Object.hasOwn(options, 'allow_fetch')) {
      throw new OidcoreError('invalid_argument',
        'allowFetch is not an option of verifyRequest: a key fetch, when needed, runs on the libuv pool');
    }
  }
  const { json, names } = toOptions(options, 'verifyRequest');
  const members = json === null ? '' : json.slice(1, -1);
  const prepared = {
    names,
    cached: `{${members}${members === '' ? '' : ','}"allow_fetch":false}`,
    blocking: json,
  };
  if (reusable && deeplyFrozen(options)) preparedOptions.set(options, prepared);
  return prepared;
}

/**
 * A request verification through the core (oidcore_verifier_verify_request or
 * oidcore_rp_verify_request on `native`) from memory, on the calling thread: every source of
 * the request that holds a token is tried, in order, until one verifies; else the most
 * specific failure, thrown. Undefined when the answer needs the network first (keys or the
 * provider's metadata to fetch, a deny-list lookup in Redis).
 */
function verifyRequestCachedWith(native, req, options) {
  return fromMemory(native, requestHeaders(req), optionInputs(options));
}

function fromMemory(native, { cookie, authorization }, prepared) {
  const outcome = native.verifyRequestSync(cookie ?? null, authorization ?? null, prepared.cached);
  if (outcome.code === undefined) return toResult(outcome);
  if (outcome.code === 'needs_fetch') return undefined;
  throw requestFailure(outcome, prepared.names);
}

/**
 * The same as a promise: from memory when it can be, else once more on the libuv pool, where
 * keys and metadata may be fetched and a store asked.
 */
function verifyRequestWith(native, req, options) {
  let headers;
  let prepared;
  let result;
  try {
    headers = requestHeaders(req);
    prepared = optionInputs(options);
    result = fromMemory(native, headers, prepared);
  } catch (e) {
    return Promise.reject(e);
  }
  if (result !== undefined) return Promise.resolve(result);
  const pending = native.verifyRequestAsync(headers.cookie ?? null, headers.authorization ?? null, prepared.blocking);
  return pending.then((o) => {
    if (o.code !== undefined) throw requestFailure(o, prepared.names);
    return toResult(o);
  });
}

// The OidcoreError of a failed request verification, its message naming the caller's options.
function requestFailure(outcome, names) {
  return fromNative(outcome, (m) => renameInMessage(m, names));
}

/**
 * Verifies JWTs for one issuer and audience. Immutable; share one per issuer.
 * Keys come inline (`jwks`), from a file (`jwksFile`), over HTTP (`jwksUri`) or through
 * `discovery: true`; every option of the core's configuration is accepted in camelCase.
 * `denyList: true` with `store` (a MemoryStore or RedisStore): tokens whose session was
 * logged out (RelyingParty.logout, Verifier.deny) are refused with code 'revoked'; one
 * store lookup per verification, after every other check; a store that fails refuses the
 * token ('store_unavailable'). A Redis lookup runs on the libuv pool, never on the event loop.
 */
class Verifier {
  #native;

  constructor(options) {
    let store;
    let rest = options;
    if (options !== null && typeof options === 'object' && Object.hasOwn(options, 'store')) {
      ({ store, ...rest } = options);
      if (!store || typeof store !== 'object' || !store._native) {
        throw new OidcoreError('invalid_config', 'Verifier: store must be a MemoryStore or a RedisStore');
      }
    }
    const { json, names } = toConfig(rest, 'Verifier');
    try {
      this.#native = store ? new native.NativeVerifier(json, store._native) : new native.NativeVerifier(json);
    } catch (e) {
      rethrowNative(e, (m) => renameInMessage(m, names));
    }
  }

  /**
   * Ends the session of `token` on the deny list (a verifier with `denyList` and `store`):
   * the token is verified first (a forged one ends nothing: it rejects with its code), then
   * its session (`sid`, else `jti`, else the token) is listed until its exp. Resolves to true
   * when listed (now or already), false for an expired token (nothing left to refuse).
   */
  async deny(token) {
    if (typeof token !== 'string') throw new OidcoreError('invalid_argument', 'token must be a string');
    const r = await this.#native.denyAsync(token);
    if (r.code !== undefined) throw fromNative(r);
    return r.value === 'true';
  }

  /**
   * Verifies a token. With cached keys it completes without leaving the calling thread's fast
   * path; only a key fetch runs on the libuv pool, so the event loop never waits on the
   * network. With `{ nonce }` (an ID token's expected nonce) the whole verification runs on
   * the pool. Resolves to `{ claims, principal, header }`; rejects with an OidcoreError.
   */
  verify(token, options) {
    let outcome;
    try {
      if (options !== undefined && options !== null) {
        if (typeof options !== 'object') throw new OidcoreError('invalid_argument', 'verify options must be an object');
        if (options.nonce !== undefined) {
          if (typeof options.nonce !== 'string') throw new OidcoreError('invalid_argument', 'nonce must be a string');
          return this.#native.verifyNonceAsync(token, options.nonce).then(settled);
        }
      }
      outcome = this.#native.verifyCached(token);
    } catch (e) {
      return Promise.reject(e);
    }
    if (outcome.code === undefined) return Promise.resolve(toResult(outcome));
    if (outcome.code !== 'needs_fetch') return Promise.reject(fromNative(outcome));
    return this.#native.verifyAsync(token).then(settled);
  }

  /**
   * Synchronous verification, for keys that are cached (inline keys always are; call
   * `await verifier.ready()` first for remote keys). If keys must be fetched it blocks the
   * thread for at most the configured HTTP timeouts.
   */
  verifySync(token) {
    let outcome = this.#native.verifyCached(token);
    if (outcome.code === 'needs_fetch') outcome = this.#native.verifyBlocking(token);
    return settled(outcome);
  }

  /**
   * Verifies the access token of a request (an Express/Node request, a Fetch Request or
   * Headers, or a plain headers object). Options as extractToken's (`cookieName`, `order`,
   * `cookieSecrets`). Every source that holds a token is tried in `order` (the cookie first
   * by default) until one verifies, so a stale or junk cookie never hides a good bearer token;
   * resolves to verify()'s result plus `source` ('cookie' | 'bearer'). When none verifies it
   * rejects with the most specific failure: keys unreachable, then a rejected token
   * ('expired', 'bad_signature', ...), then a value that is no token ('malformed',
   * 'too_large'), then 'not_found'; ties go to the first source in order.
   */
  verifyRequest(req, options) {
    return verifyRequestWith(this.#native, req, options);
  }

  /**
   * verifyRequest without a promise, for a guard or middleware on a hot path: the request is
   * verified from memory (cached keys, the token cache, a MemoryStore's deny list) on the
   * calling thread, which never waits on the network. Returns the result; throws the
   * OidcoreError of a refused request; returns undefined when the answer needs the network
   * first (keys to fetch, a deny-list lookup in Redis): call verifyRequest then.
   */
  verifyRequestCached(req, options) {
    return verifyRequestCachedWith(this.#native, req, options);
  }

  /** Fetches remote keys now (discovery first when configured). Rejects on failure. */
  async ready() {
    const r = await this.#native.refreshAsync();
    if (r.code !== undefined) throw fromNative(r);
  }

  /** Counters: verifications by outcome and, for remote keys, the key cache. */
  stats() {
    const s = this.#native.stats();
    if (typeof s !== 'string') throw fromNative(s);
    return JSON.parse(s);
  }
}

module.exports = { Verifier, toResult, verifyRequestWith, verifyRequestCachedWith };
