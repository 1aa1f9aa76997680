'use strict';

const native = require('./native');
const { OidcoreError, fromNative, rethrowNative } = require('./errors');
const { toConfig, renameInMessage } = require('./options');
const { extractToken } = require('./web');

/** {claims, principal, alg, kid} from the addon → { claims, principal, header }. */
function toResult(outcome) {
  return {
    claims: JSON.parse(outcome.claims),
    principal: outcome.principal === null ? null : JSON.parse(outcome.principal),
    header: { alg: outcome.alg, kid: outcome.kid === '' ? undefined : outcome.kid },
  };
}

function settled(outcome) {
  if (outcome.code !== undefined) throw fromNative(outcome);
  return toResult(outcome);
}

/** The token of a request for verifyRequest(), or a rejection with code 'not_found'. */
function requestToken(req, options) {
  const found = extractToken(req, options);
  if (found === null) throw new OidcoreError('not_found', 'no access token in the request (cookie or Authorization: Bearer)');
  return found.token;
}

/**
 * Verifies JWTs for one issuer and audience. Immutable; share one per issuer.
 * Keys come inline (`jwks`), from a file (`jwksFile`), over HTTP (`jwksUri`) or through
 * `discovery: true`; every option of the core's configuration is accepted in camelCase.
 */
class Verifier {
  #native;

  constructor(options) {
    const { json, names } = toConfig(options, 'Verifier');
    try {
      this.#native = new native.NativeVerifier(json);
    } catch (e) {
      rethrowNative(e, (m) => renameInMessage(m, names));
    }
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
   * Headers, or a plain headers object): the cookie `cookieName` first, then
   * `Authorization: Bearer` (see extractToken). No token: OidcoreError 'not_found'.
   */
  async verifyRequest(req, options) {
    return this.verify(requestToken(req, options));
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

module.exports = { Verifier, toResult, requestToken };
