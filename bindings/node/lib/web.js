'use strict';
// The HTTP side of a relying party: cookies, safe redirects and finding a request's token.
// Pure functions over the C ABI, called synchronously (no I/O).

const native = require('./native');
const { OidcoreError, fromNative } = require('./errors');
const { toOptions, renameInMessage, isPlainObject } = require('./options');

const invalid = (message) => new OidcoreError('invalid_argument', message);

function unwrap(result, names) {
  if (typeof result === 'string') return result;
  throw fromNative(result, names ? (m) => renameInMessage(m, names) : undefined);
}

function requireString(value, what) {
  if (typeof value !== 'string') throw invalid(`${what} must be a string`);
  return value;
}

const describe = (v) => (v === null ? 'null' : v === undefined ? 'undefined' : typeof v);

// A cookie's value: a non-empty string. A missing one is never stringified into "undefined"
// or "null" (what the old way put into a refresh cookie when the provider gave no token).
function requireValue(value, name) {
  if (value === undefined || value === null || value === '') {
    throw invalid(`the value of cookie "${name}" is missing (${value === '' ? 'empty' : describe(value)}): `
      + 'no cookie is set from a missing value (cookies.clear deletes one)');
  }
  if (typeof value !== 'string') throw invalid(`the value of cookie "${name}" must be a string, not ${describe(value)}`);
  return value;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// A secret: a non-empty string, or bytes (a Buffer) for sign().
function secretBytes(secret) {
  if (typeof secret === 'string' || secret instanceof Uint8Array) return secret;
  throw invalid('secret must be a string or a Buffer');
}

// The secrets of unsign() as the core's JSON array of strings.
function secretsJson(secrets) {
  const list = Array.isArray(secrets) ? secrets : [secrets];
  if (list.length === 0) throw invalid('at least one secret is needed');
  const strings = list.map((s) => {
    if (typeof s === 'string') return s;
    if (s instanceof Uint8Array) {
      try {
        return utf8.decode(s);
      } catch {
        throw invalid('a Buffer secret must be valid UTF-8 for unsign');
      }
    }
    throw invalid('secrets must be strings or Buffers');
  });
  return JSON.stringify(strings);
}

const cookies = Object.freeze({
  /** Parses a Cookie header into { name: value } (like the npm `cookie` package). */
  parse(header) {
    if (header === undefined || header === null) return {};
    return JSON.parse(unwrap(native.cookieParse(requireString(header, 'the Cookie header'))));
  },

  /** Signs a value as cookie-parser does: 's:' + value + '.' + HMAC-SHA256, base64 without '='. */
  sign(value, secret) {
    return unwrap(native.cookieSign(requireString(value, 'value'), secretBytes(secret)));
  },

  /**
   * The value of a signed cookie, or false when it is not signed ("s:" missing) or no
   * secret matches (like cookie-signature). `secrets`: one secret or several (rotation).
   */
  unsign(signedValue, secrets) {
    const r = native.cookieUnsign(requireString(signedValue, 'signed value'), secretsJson(secrets));
    if (typeof r === 'string') return r;
    if (r.code === 'malformed' || r.code === 'bad_signature') return false;
    throw fromNative(r);
  },

  /**
   * A Set-Cookie header value. Options (camelCase): httpOnly (default true), secure (default
   * true), sameSite 'lax' (default) | 'strict' | 'none', path (default '/'), domain, maxAge
   * (seconds), expires (a Date or Unix seconds), maxAgeFromToken (a JWT: Max-Age is what is
   * left of its lifetime, from its `exp` read without verifying the signature; `maxAge` is
   * then the fallback for a token without one). A missing value (undefined, null, '') or one
   * that is not a string throws OidcoreError 'invalid_argument': no cookie is ever set from
   * a missing value (cookies.clear deletes one).
   */
  serialize(name, value, options) {
    requireString(name, 'cookie name');
    requireValue(value, name);
    if (isPlainObject(options) && Object.hasOwn(options, 'maxAgeFromToken') && typeof options.maxAgeFromToken !== 'string') {
      throw invalid(`maxAgeFromToken of cookie "${name}" must be the token (a string), not ${describe(options.maxAgeFromToken)}`);
    }
    const { json, names } = toOptions(options, 'cookie');
    return unwrap(native.cookieSerialize(name, value, json), names);
  },

  /**
   * The Max-Age (seconds) for a cookie that carries `token`: its `exp` minus now, never
   * below 0. The claims are read without verifying the signature: this only sizes a cookie.
   * `options.now`: Unix seconds (or a Date) instead of the clock. A token that is not a JWT
   * throws OidcoreError 'malformed', one without a numeric `exp` 'missing_claim'.
   */
  maxAgeFromToken(token, options) {
    if (typeof token !== 'string') throw invalid(`the token must be a string, not ${describe(token)}`);
    let now = 0;
    if (options !== undefined && options !== null) {
      if (!isPlainObject(options)) throw invalid('maxAgeFromToken options must be an object');
      const n = options.now instanceof Date ? Math.floor(options.now.getTime() / 1000) : options.now;
      if (n !== undefined) {
        if (!Number.isSafeInteger(n) || n <= 0) throw invalid('now must be Unix seconds (a positive whole number) or a Date');
        now = n;
      }
    }
    const r = native.cookieMaxAgeFromToken(token, now);
    if (typeof r === 'number') return r;
    throw fromNative(r);
  },

  /** The Set-Cookie header value that deletes the cookie set with the same options. */
  clear(name, options) {
    const { json, names } = toOptions(options, 'cookie');
    return unwrap(native.cookieClear(requireString(name, 'cookie name'), json), names);
  },
});

/**
 * `target` when it is a safe same-site relative path, else `fallback`; without a fallback an
 * unsafe target throws OidcoreError 'unsafe_redirect'. A target that is not a string (an
 * array from a repeated query parameter, ...) is unsafe.
 */
function safeRedirect(target, fallback) {
  const hasFallback = fallback !== undefined && fallback !== null;
  if (hasFallback && typeof fallback !== 'string') throw invalid('fallback must be a string');
  const t = typeof target === 'string' ? target : '';
  return unwrap(native.safeRedirect(t, hasFallback ? fallback : null));
}

// ---------------------------------------------------------------------------------------
// Headers of a request

function join(value, separator) {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const parts = value.filter((v) => typeof v === 'string');
    return parts.length ? parts.join(separator) : undefined;
  }
  return undefined;
}

/**
 * The Cookie and Authorization headers of an Express/Node request, a Fetch Request, a Fetch
 * Headers object or a plain headers object (names in any case; arrays joined).
 */
function requestHeaders(source) {
  if (source === null || (typeof source !== 'object' && typeof source !== 'function')) {
    throw invalid('a request, a Headers object or a headers object expected');
  }
  let headers = source;
  if (source.headers !== null && typeof source.headers === 'object') headers = source.headers;
  if (typeof headers.get === 'function' && typeof headers.has === 'function') {
    // Fetch Headers (case-insensitive, repeated values already combined).
    const pick = (name) => {
      const v = headers.get(name);
      return typeof v === 'string' ? v : undefined;
    };
    return { cookie: pick('cookie'), authorization: pick('authorization') };
  }
  // Only names of six or thirteen characters can be either: the others are not lowercased.
  let cookie;
  let authorization;
  for (const key of Object.keys(headers)) {
    const n = key.length;
    if (n !== 6 && n !== 13) continue;
    const lower = key.toLowerCase();
    if (lower === 'cookie') {
      const v = join(headers[key], '; ');
      if (v !== undefined) cookie = cookie === undefined ? v : `${cookie}; ${v}`;
    } else if (lower === 'authorization') {
      // Two Authorization headers are ambiguous: joined, they are no bearer token.
      const v = join(headers[key], ', ');
      if (v !== undefined) authorization = authorization === undefined ? v : `${authorization}, ${v}`;
    }
  }
  return { cookie, authorization };
}

/**
 * The access token of a request: from the cookie `cookieName` (default "access_token";
 * unsigned with `cookieSecrets` when given), then `Authorization: Bearer`, in `order`.
 * Returns { token, source: 'cookie' | 'bearer' } or null when there is none.
 */
function extractToken(reqOrHeaders, options) {
  const { cookie, authorization } = requestHeaders(reqOrHeaders);
  const { json, names } = toOptions(options, 'extractToken');
  const r = native.extractToken(cookie ?? null, authorization ?? null, json);
  if (typeof r === 'string') return JSON.parse(r);
  if (r.code === 'not_found') return null;
  throw fromNative(r, (m) => renameInMessage(m, names));
}

/** The principal of a set of claims ({sub, email, name, organizationId, role}). */
function principalFromClaims(claimsJson, configJson) {
  const r = native.principalFromClaims(claimsJson, configJson ?? null);
  return typeof r === 'string' ? JSON.parse(r) : null;
}

module.exports = { cookies, safeRedirect, extractToken, requestHeaders, principalFromClaims };
