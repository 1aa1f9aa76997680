'use strict';
// A Passport strategy with passport-jwt's contract, without depending on passport: passport
// only needs `name` and `authenticate(req, options)`, and attaches success/fail/error to an
// object created from the strategy (Object.create(strategy)) for each request. Hence plain
// properties here, no private fields: they would not be reachable through that object.

const { debuglog } = require('node:util');
const { OidcoreError } = require('./errors');

const debug = debuglog('oidcore');

// The challenge sent with a 401: generic, never the reason.
const CHALLENGE = 'Bearer';

function reporter(logger) {
  if (logger === undefined || logger === null) {
    return (err) => debug('token rejected: %s: %s', err.code, err.message);
  }
  if (typeof logger === 'function') return (err) => logger(`oidcore: token rejected: ${err.code}: ${err.message}`, err);
  const method = ['debug', 'log', 'info', 'warn'].find((m) => typeof logger[m] === 'function');
  if (!method) throw new TypeError('OidcoreStrategy: logger must be a function or have a debug/log/info/warn method');
  return (err) => logger[method](`oidcore: token rejected: ${err.code}: ${err.message}`);
}

class OidcoreStrategy {
  /**
   * @param options `{ verifier, cookieName, order, cookieSecrets, passReqToCallback,
   *   passResultToCallback, logger }`; `verifier` is a Verifier or a RelyingParty (anything
   *   with verifyRequest; its verifyRequestCached, when it has one, answers a request whose
   *   keys are in memory without a promise): the core tries every source of the request that
   *   holds a token, in `order`, until one verifies, so a stale or junk cookie never turns a
   *   good bearer token into a 401. A token that fails is a 401 (Passport's fail: the reason goes to `logger`
   *   only); keys, provider metadata or a store that cannot be reached is a Passport error
   *   (the OidcoreError: `jwks_unavailable`, `http_error`, `store_unavailable`), for the
   *   application to answer 503, so an outage never looks like a bad token to the client.
   * @param verify `(payload, done)` or, with passReqToCallback, `(req, payload, done)`, as
   *   passport-jwt: payload is the verified claims; `done(err, user, info)`. With
   *   passResultToCallback the whole verification result (`{ claims, principal, header,
   *   source }`: the core's principal, so the application need not rebuild it) comes after
   *   the payload: `(payload, result, done)` / `(req, payload, result, done)`.
   */
  constructor(options, verify) {
    if (options === null || typeof options !== 'object') throw new TypeError('OidcoreStrategy requires an options object');
    const { verifier } = options;
    if (!verifier || typeof verifier.verifyRequest !== 'function') {
      throw new TypeError('OidcoreStrategy requires options.verifier: a Verifier or a RelyingParty');
    }
    if (typeof verify !== 'function') throw new TypeError('OidcoreStrategy requires a verify callback');
    this.name = 'oidcore';
    this._verifier = verifier;
    this._verify = verify;
    this._passReqToCallback = options.passReqToCallback === true;
    this._passResultToCallback = options.passResultToCallback === true;
    this._report = reporter(options.logger);
    // A frozen copy (arrays copied too): the binding then converts it for the core once, not
    // on every request.
    const request = {};
    for (const key of ['cookieName', 'order', 'cookieSecrets']) {
      const value = options[key];
      if (value !== undefined) request[key] = Array.isArray(value) ? Object.freeze([...value]) : value;
    }
    this._requestOptions = Object.freeze(request);
  }

  authenticate(req) {
    // From memory on this thread when the verifier can (verifyRequestCached: cached keys and
    // token), so a known token costs no promise; else the verifier's promise.
    let result;
    try {
      if (typeof this._verifier.verifyRequestCached === 'function') {
        result = this._verifier.verifyRequestCached(req, this._requestOptions);
      }
    } catch (e) {
      this._refused(e);
      return;
    }
    if (result !== undefined) {
      this._verified(req, result);
      return;
    }
    let pending;
    try {
      pending = Promise.resolve(this._verifier.verifyRequest(req, this._requestOptions));
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then((r) => this._verified(req, r), (err) => this._refused(err));
  }

  // The verification succeeded: the application's verify callback decides.
  _verified(req, result) {
    const verified = (err, user, info) => {
      if (err) return this.error(err);
      if (!user) return this.fail(info);
      return this.success(user, info);
    };
    try {
      const args = this._passReqToCallback ? [req, result.claims] : [result.claims];
      if (this._passResultToCallback) args.push(result);
      this._verify(...args, verified);
    } catch (ex) {
      this.error(ex);
    }
  }

  // The verification failed: a 401, or an error when it is not the token's fault.
  _refused(err) {
    // Anything but an OidcoreError is a bug, not a bad token: an error, not a 401.
    if (!(err instanceof OidcoreError)) return this.error(err);
    // The provider's keys or metadata, or the store, could not be had: a 401 would tell the
    // client to log in again (and drop a good session). A Passport error instead (next(err);
    // a NestJS AuthGuard throws it), for the application to answer 503.
    if (err.unavailable) return this.error(err);
    try {
      this._report(err);
    } catch {
      // a failing logger does not change the answer
    }
    return this.fail(CHALLENGE, 401);
  }
}

module.exports = { OidcoreStrategy };
