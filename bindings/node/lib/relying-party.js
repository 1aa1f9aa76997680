'use strict';

const native = require('./native');
const { OidcoreError, fromNative, rethrowNative } = require('./errors');
const { toConfig, toOptions, renameInMessage, camelKeys } = require('./options');
const { toResult, verifyRequestWith, verifyRequestCachedWith } = require('./verifier');

const invalid = (message) => new OidcoreError('invalid_argument', message);

function requireToken(value, what) {
  if (typeof value !== 'string') throw invalid(`${what} must be a string`);
  return value;
}

// A synchronous string result of the addon, or its {code, message} failure thrown.
function valueOrThrow(r) {
  if (typeof r === 'string') return r;
  throw fromNative(r);
}

// The value of a {value} / {code, message} outcome of the addon.
function valueOf(outcome, names) {
  if (outcome.code !== undefined) throw fromNative(outcome, names ? (m) => renameInMessage(m, names) : undefined);
  return outcome.value;
}

// The callback of completeLogin: the callback URL (absolute, or a path like Express's
// req.url / req.originalUrl), its query string, a URL or URLSearchParams.
function callbackText(callback) {
  if (typeof callback === 'string') return callback;
  if (callback instanceof URL) return callback.href;
  if (callback instanceof URLSearchParams) return callback.toString();
  throw invalid('completeLogin needs the callback URL, its query string, a URL or URLSearchParams');
}

module.exports = ({ ExchangeCodes, storeOf }) => {
  /**
   * The relying party of one OpenID Provider (found by discovery from `issuer`): the
   * authorization-code flow with PKCE, refresh, userinfo, revocation, logout URL and access
   * token verification. Every call that may wait on the provider or the store runs on the
   * libuv pool. Options are the core's configuration in camelCase plus `store`;
   * `authorizationParams` is passed as given.
   */
  class RelyingParty {
    #native;
    #codes;
    #warnings;

    constructor(options) {
      const nativeStore = storeOf(options, 'RelyingParty', 'invalid_config');
      const { store, ...rest } = options;
      const { json, names } = toConfig(rest, 'RelyingParty');
      try {
        this.#native = new native.NativeRelyingParty(json, nativeStore);
      } catch (e) {
        rethrowNative(e, (m) => renameInMessage(m, names));
      }
      this.#codes = new ExchangeCodes({ store });
      // Configuration keys in the messages, spelled as in JavaScript.
      const spelled = new Map([...names, ['refresh_tokens', 'refreshTokens']]);
      this.#warnings = Object.freeze(JSON.parse(valueOrThrow(this.#native.warnings()))
        .map((w) => Object.freeze({ code: w.code, message: renameInMessage(w.message, spelled) })));
      for (const w of this.#warnings) {
        // OIDCORE_NO_OFFLINE_ACCESS, ...: `node --no-warnings` or process.on('warning') as usual.
        process.emitWarning(`oidcore: ${w.message}`, { type: 'OidcoreWarning', code: `OIDCORE_${w.code.toUpperCase()}` });
      }
    }

    /**
     * What the configuration was warned about at creation (also sent to
     * process.emitWarning): `[{ code, message }]`, e.g. code 'no_offline_access' when the
     * scopes lack "offline_access" and `refreshTokens` is not false.
     */
    get warnings() {
      return this.#warnings;
    }

    /**
     * Starts a login: `{ redirectAfter, extra, binding, scopes, params }` (`extra` and
     * `params` as given). Resolves to `{ url, state, expiresIn }`; send the browser to `url`.
     */
    async beginLogin(options) {
      const { json, names } = toOptions(options, 'beginLogin', ['extra', 'params']);
      return camelKeys(JSON.parse(valueOf(await this.#native.beginLogin(json), names)));
    }

    /**
     * Completes a login from the callback URL (or its query). Options: `{ binding,
     * exchangeCode, exchangeCodeTtl, exchangeCodeBinding }`. Resolves to the token set with
     * `claims`, `accessClaims`, `principal`, `redirectAfter` and `extra`, or with
     * `exchangeCode: true` to `{ exchangeCode, claims, principal, redirectAfter, extra }`.
     */
    async completeLogin(callback, options) {
      const text = callbackText(callback);
      const { json, names } = toOptions(options, 'completeLogin');
      return camelKeys(JSON.parse(valueOf(await this.#native.completeLogin(text, json), names)));
    }

    /** The token set an exchange code carries, exactly once (else OidcoreError 'not_found'). */
    async redeemExchangeCode(code, options) {
      return camelKeys(await this.#codes.redeem(code, options ?? {}));
    }

    /**
     * The refresh grant. Concurrent calls with one refresh token share one request to the
     * provider (the core's single flight, which also answers callers that raced a refresh
     * finished less than `refreshReuseWindow` seconds ago).
     */
    async refresh(refreshToken) {
      // A missing refresh token goes to the core as an empty one: its invalid_argument says
      // why there is none (no "offline_access" scope) for this relying party.
      const token = refreshToken === undefined || refreshToken === null ? '' : requireToken(refreshToken, 'refresh token');
      return camelKeys(JSON.parse(valueOf(await this.#native.refresh(token))));
    }

    /** The userinfo endpoint's claims for an access token. */
    async userinfo(accessToken) {
      const token = requireToken(accessToken, 'access token');
      return JSON.parse(valueOf(await this.#native.userinfo(token)));
    }

    /** Revokes a token (RFC 7009); `tokenTypeHint`: 'access_token' or 'refresh_token'. */
    async revoke(token, options) {
      requireToken(token, 'token');
      if (options !== undefined && options !== null && typeof options !== 'object') {
        throw invalid('revoke options must be an object');
      }
      const hint = options?.tokenTypeHint;
      if (hint !== undefined && hint !== null && typeof hint !== 'string') throw invalid('tokenTypeHint must be a string');
      valueOf(await this.#native.revoke(token, hint ?? null));
    }

    /** The RP-initiated logout URL: `{ idTokenHint, postLogoutRedirectUri, state }`. */
    async logoutUrl(options) {
      const { json, names } = toOptions(options, 'logoutUrl');
      return valueOf(await this.#native.logoutUrl(json), names);
    }

    /**
     * Ends a session, whatever state its tokens are in: `{ accessToken, refreshToken,
     * idTokenHint, postLogoutRedirectUri, state }` (every one optional; expired or junk tokens
     * are fine). Builds the end-session URL; with `denyList: true` puts the session of a still
     * valid access token on the deny list in the store (every instance sharing it refuses the
     * token at once, code 'revoked'); revokes the refresh token when the provider can. Resolves
     * to `{ logoutUrl, revoked, denied, revokeError, denyError }`: a revocation or deny-list
     * failure is reported there (an OidcoreError, else null), never thrown. Rejects only when
     * nothing could be done (a bad option, the provider unreachable). Clear the cookies
     * whatever happens.
     */
    async logout(options) {
      const { json, names } = toOptions(options, 'logout');
      const r = JSON.parse(valueOf(await this.#native.logout(json), names));
      const error = (e) => (e === null ? null : new OidcoreError(e.code, e.message, {
        error: e.idp_error, errorDescription: e.idp_error_description,
      }));
      return {
        logoutUrl: r.logout_url,
        revoked: r.revoked,
        denied: r.denied,
        revokeError: error(r.revoke_error),
        denyError: error(r.deny_error),
      };
    }

    /** Verifies an access token with the provider's keys and issuer. Resolves like Verifier.verify. */
    async verifyAccessToken(token) {
      requireToken(token, 'access token');
      const outcome = await this.#native.verifyAccessToken(token);
      if (outcome.code !== undefined) throw fromNative(outcome);
      return toResult(outcome);
    }

    /**
     * Verifies the access token of a request as Verifier.verifyRequest does (every source that
     * holds a token, in order, until one verifies; `source` in the result), with the
     * provider's keys and issuer. From memory on the calling thread when the provider's
     * metadata and keys are there; else on the libuv pool.
     */
    verifyRequest(req, options) {
      return verifyRequestWith(this.#native, req, options);
    }

    /**
     * As Verifier.verifyRequestCached, with the provider's keys and issuer: the result, the
     * thrown OidcoreError, or undefined when the provider's metadata or keys must be fetched
     * first (or the deny list is in Redis): call verifyRequest then.
     */
    verifyRequestCached(req, options) {
      return verifyRequestCachedWith(this.#native, req, options);
    }
  }

  return { RelyingParty };
};
