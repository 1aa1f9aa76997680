'use strict';

const native = require('./lib/native');
const { OidcoreError } = require('./lib/errors');
const { Verifier } = require('./lib/verifier');
const { cookies, safeRedirect, extractToken } = require('./lib/web');
const { OidcoreStrategy } = require('./lib/strategy');
const stores = require('./lib/stores')(native);
const { RelyingParty } = require('./lib/relying-party')(stores);

const { MemoryStore, RedisStore, ExchangeCodes, StateStore } = stores;

module.exports = {
  RelyingParty,
  Verifier,
  MemoryStore,
  RedisStore,
  ExchangeCodes,
  StateStore,
  cookies,
  safeRedirect,
  extractToken,
  OidcoreStrategy,
  OidcoreError,
  version: native.version(),
  /** The OpenSSL oidcore's calls run on: inside Node, Node's own (see the README). */
  cryptoVersion: native.cryptoVersion,
  codes: Object.freeze(native.statusNames.filter((c) => c !== 'ok' && c !== 'needs_fetch')),
};
