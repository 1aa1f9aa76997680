'use strict';

const path = require('node:path');
const { OidcoreError } = require('./lib/errors');
const { toConfig, renameInMessage } = require('./lib/options');

const native = require(path.join(__dirname, 'build', 'Release', 'oidcore.node'));

function fail(outcome) {
  return new OidcoreError(outcome.code, outcome.message);
}

function toResult(outcome) {
  return {
    claims: JSON.parse(outcome.claims),
    principal: outcome.principal === null ? null : JSON.parse(outcome.principal),
    header: { alg: outcome.alg, kid: outcome.kid === '' ? undefined : outcome.kid },
  };
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
      if (e && typeof e.code === 'string') throw new OidcoreError(e.code, renameInMessage(e.message, names));
      throw e;
    }
  }

  /**
   * Verifies a token. With cached keys it completes without leaving the calling thread's fast
   * path; only a key fetch runs on the libuv pool, so the event loop never waits on the
   * network. Resolves to `{ claims, principal, header }`; rejects with an OidcoreError.
   */
  verify(token) {
    let outcome;
    try {
      outcome = this.#native.verifyCached(token);
    } catch (e) {
      return Promise.reject(e);
    }
    if (outcome.code === undefined) return Promise.resolve(toResult(outcome));
    if (outcome.code !== 'needs_fetch') return Promise.reject(fail(outcome));
    return this.#native.verifyAsync(token).then((o) => {
      if (o.code !== undefined) throw fail(o);
      return toResult(o);
    });
  }

  /**
   * Synchronous verification, for keys that are cached (inline keys always are; call
   * `await verifier.ready()` first for remote keys). If keys must be fetched it blocks the
   * thread for at most the configured HTTP timeouts.
   */
  verifySync(token) {
    let outcome = this.#native.verifyCached(token);
    if (outcome.code === 'needs_fetch') outcome = this.#native.verifyBlocking(token);
    if (outcome.code !== undefined) throw fail(outcome);
    return toResult(outcome);
  }

  /** Fetches remote keys now (discovery first when configured). Rejects on failure. */
  async ready() {
    const err = await this.#native.refreshAsync();
    if (err) throw fail(err);
  }

  /** Counters: verifications by outcome and, for remote keys, the key cache. */
  stats() {
    const s = this.#native.stats();
    if (typeof s !== 'string') throw fail(s);
    return JSON.parse(s);
  }
}

const { MemoryStore, RedisStore, ExchangeCodes, StateStore } = require('./lib/stores')(native);

module.exports = {
  Verifier,
  MemoryStore,
  RedisStore,
  ExchangeCodes,
  StateStore,
  OidcoreError,
  version: native.version(),
  /** The OpenSSL oidcore's calls run on: inside Node, Node's own (see the README). */
  cryptoVersion: native.cryptoVersion,
  codes: Object.freeze(native.statusNames.filter((c) => c !== 'ok' && c !== 'needs_fetch')),
};
