'use strict';

const { OidcoreError, fromNative, rethrowNative } = require('./errors');
const { toConfig, renameInMessage } = require('./options');

function nativeStore(native, config, what) {
  const { json, names } = toConfig(config, what);
  try {
    return new native.NativeStore(json);
  } catch (e) {
    return rethrowNative(e, (m) => renameInMessage(m, names));
  }
}

function unwrap(outcome) {
  if (outcome.code !== undefined) throw fromNative(outcome);
  return outcome.value;
}

function optionsJson(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? JSON.stringify(out) : '';
}

function checkBinding(binding) {
  if (binding !== undefined && (typeof binding !== 'string' || binding === '')) {
    throw new OidcoreError('invalid_argument', 'binding must be a non-empty string');
  }
  return binding === undefined ? '' : binding;
}

module.exports = (native) => {
  /** The embedded store: this process only. */
  class MemoryStore {
    constructor(options = {}) {
      this._native = nativeStore(native, { type: 'memory', ...options }, 'MemoryStore');
    }
  }

  /** Redis: shared by several processes or machines. */
  class RedisStore {
    constructor(options) {
      this._native = nativeStore(native, { type: 'redis', ...options }, 'RedisStore');
    }
  }

  function storeOf(options, what, code = 'invalid_argument') {
    const store = options && options.store;
    if (!(store instanceof MemoryStore || store instanceof RedisStore)) {
      throw new OidcoreError(code, `${what} needs { store: MemoryStore | RedisStore }`);
    }
    return store._native;
  }

  /**
   * One-time codes that carry a payload (tokens) from the backend to the frontend. At rest the
   * store holds only a hash of the code and the payload sealed under a key derived from it.
   */
  class ExchangeCodes {
    constructor(options) {
      this._store = storeOf(options, 'ExchangeCodes');
      this._ttl = options.ttl;
    }

    /** Resolves to the code (43 URL-safe characters). */
    async create(payload, { binding, ttl } = {}) {
      const text = JSON.stringify(payload);
      if (text === undefined) throw new OidcoreError('invalid_argument', 'payload must be JSON-serialisable');
      const value = unwrap(await this._store.codeCreate(text, optionsJson({ ttl: ttl ?? this._ttl, binding: binding === undefined ? undefined : checkBinding(binding) })));
      return value.toString('utf8');
    }

    /** Resolves to the payload exactly once; rejects with code 'not_found' after that. */
    async redeem(code, { binding } = {}) {
      if (typeof code !== 'string') throw new OidcoreError('invalid_argument', 'code must be a string');
      const value = unwrap(await this._store.codeRedeem(code, checkBinding(binding)));
      return JSON.parse(value.toString('utf8'));
    }
  }

  /** Login state: CSRF `state`, `nonce` and PKCE verifier, consumed exactly once. */
  class StateStore {
    constructor(options) {
      this._store = storeOf(options, 'StateStore');
      this._ttl = options.ttl;
    }

    async create({ redirectAfter, extra, binding, ttl } = {}) {
      const opts = optionsJson({ redirect_after: redirectAfter, extra, ttl: ttl ?? this._ttl,
        binding: binding === undefined ? undefined : checkBinding(binding) });
      const r = JSON.parse(unwrap(await this._store.stateCreate(opts, '')).toString('utf8'));
      return { state: r.state, nonce: r.nonce, codeVerifier: r.code_verifier, codeChallenge: r.code_challenge,
        codeChallengeMethod: r.code_challenge_method };
    }

    async consume(state, { binding } = {}) {
      if (typeof state !== 'string') throw new OidcoreError('invalid_argument', 'state must be a string');
      const r = JSON.parse(unwrap(await this._store.stateConsume(state, checkBinding(binding))).toString('utf8'));
      return { redirectAfter: r.redirect_after, extra: r.extra, nonce: r.nonce, codeVerifier: r.code_verifier,
        createdAt: r.created_at };
    }
  }

  return { MemoryStore, RedisStore, ExchangeCodes, StateStore, storeOf };
};
