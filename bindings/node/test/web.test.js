'use strict';
// The web helpers against the npm packages Express apps use today (cookie, cookie-signature),
// and with hostile input: wrong types, NUL bytes, huge values.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const cookie = require('cookie');
const signature = require('cookie-signature');
const { cookies, safeRedirect, extractToken, Verifier, OidcoreError } = require('..');
const { makeKey, sign, claims } = require('./helpers');

const code = (c) => (e) => e instanceof OidcoreError && e.code === c && typeof e.message === 'string';
const invalid = code('invalid_argument');

// A deterministic generator, so that a failure can be replayed.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const TOKEN_CHARS = "!#$&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const VALUE_CHARS = "!#$&'()*+-./0123456789:<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";
const pick = (r, chars, n) => Array.from({ length: n }, () => chars[Math.floor(r() * chars.length)]).join('');

// A Set-Cookie value as {pair, attributes} with attribute names in lower case, for comparing
// headers whose attributes come in another order.
function setCookieParts(header) {
  const [pair, ...attrs] = header.split('; ');
  const attributes = {};
  for (const a of attrs) {
    const eq = a.indexOf('=');
    attributes[(eq < 0 ? a : a.slice(0, eq)).toLowerCase()] = eq < 0 ? true : a.slice(eq + 1);
  }
  return { pair, attributes };
}

test('cookies.parse agrees with the cookie package', () => {
  const cases = [
    '', 'a=b', 'a=b; c=d', ' a = b ;  c=d ', 'a="quoted value"', 'a=%E2%82%AC', 'a=%ZZ%', 'a=b; a=c',
    'foo', 'a=b;;c=d', 'a=', 'a=b=c', 'a=\tb\t', 'sid=s%3Aabc.def; theme=dark', 'a=%22%22',
  ];
  for (const header of cases) assert.deepEqual({ ...cookies.parse(header) }, { ...cookie.parse(header) }, header);
  // Random headers of token names and cookie-octet values, some percent-encoded.
  const r = rng(42);
  for (let i = 0; i < 500; i++) {
    const pairs = Array.from({ length: 1 + Math.floor(r() * 6) }, () => {
      let value = pick(r, VALUE_CHARS, Math.floor(r() * 20));
      if (r() < 0.3) value += encodeURIComponent(pick(r, 'é€ \u00ff;,"', 2));
      return `${pick(r, TOKEN_CHARS, 1 + Math.floor(r() * 8))}=${value}`;
    });
    const header = pairs.join(r() < 0.5 ? '; ' : ';');
    assert.deepEqual({ ...cookies.parse(header) }, { ...cookie.parse(header) }, header);
  }
});

test('cookies.parse: junk is skipped, wrong types refused, huge headers too_large', () => {
  // Where it is stricter than the cookie package: a name that is not an RFC 6265 token.
  assert.deepEqual({ ...cookies.parse('bad name=1; ok=2') }, { ok: '2' });
  assert.deepEqual(cookies.parse(undefined), {});
  assert.deepEqual(cookies.parse(null), {});
  assert.deepEqual({ ...cookies.parse('a=b\0c; d=e') }, { a: 'b\0c', d: 'e' });
  // "__proto__" is a plain key, never the prototype.
  const parsed = cookies.parse('__proto__=x; constructor=y');
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  assert.equal(parsed.constructor, 'y');
  for (const bad of [42, {}, [], true, Symbol('s'), Buffer.from('a=b')]) assert.throws(() => cookies.parse(bad), invalid);
  assert.throws(() => cookies.parse(`a=${'x'.repeat(70000)}`), code('too_large'));
  assert.equal(cookies.parse(`a=${'x'.repeat(60000)}`).a.length, 60000);
});

test('cookies.sign / unsign are cookie-parser compatible', () => {
  const r = rng(7);
  for (let i = 0; i < 300; i++) {
    const value = i % 10 === 0 ? pick(r, 'é€\0.:s ', 8) : pick(r, VALUE_CHARS + ' .', Math.floor(r() * 40));
    const secret = i % 3 === 0 ? crypto.randomBytes(16).toString('hex') : pick(r, VALUE_CHARS, 1 + Math.floor(r() * 30));
    const signed = cookies.sign(value, secret);
    // cookie-parser stores 's:' + cookie-signature's sign() and unsigns after the 's:'.
    assert.equal(signed, `s:${signature.sign(value, secret)}`);
    assert.equal(signature.unsign(signed.slice(2), secret), value);
    assert.equal(cookies.unsign(`s:${signature.sign(value, secret)}`, secret), value);
  }
  // Buffer secrets, as cookie-signature accepts them.
  const key = crypto.randomBytes(32);
  assert.equal(cookies.sign('v', key), `s:${signature.sign('v', key)}`);
  const utf8Key = Buffer.from('clé');
  assert.equal(cookies.unsign(cookies.sign('v', utf8Key), utf8Key), 'v');
  // Rotation: any of several secrets, as cookie-parser's array.
  const old = cookies.sign('session', 'old-secret');
  assert.equal(cookies.unsign(old, ['new-secret', 'old-secret']), 'session');
  assert.equal(cookies.unsign(old, ['new-secret']), false);
  // Like cookie-signature: false for a wrong signature, a tampered value, an unsigned value.
  assert.equal(cookies.unsign(old, 'other'), false);
  assert.equal(cookies.unsign(old.replace('session', 'sessioN'), 'old-secret'), false);
  assert.equal(cookies.unsign('session', 'old-secret'), false);
  assert.equal(cookies.unsign(signature.sign('session', 'old-secret'), 'old-secret'), false, 'no s: prefix');
  assert.equal(cookies.unsign('s:', 'k'), false);
  assert.equal(cookies.unsign('s:a.', 'k'), false);
  assert.equal(cookies.unsign('', 'k'), false);
  // NUL bytes and large values go through untouched.
  assert.equal(cookies.unsign(cookies.sign('a\0b.c', 'k\0k'), 'k\0k'), 'a\0b.c');
  const big = 'x'.repeat(1 << 20);
  assert.equal(cookies.unsign(cookies.sign(big, 'k'), 'k'), big);
});

test('cookies.sign / unsign refuse what is not a value or a secret', () => {
  for (const bad of [undefined, null, 42, {}, [], Buffer.from('v')]) {
    assert.throws(() => cookies.sign(bad, 'k'), invalid);
    assert.throws(() => cookies.unsign(bad, 'k'), invalid);
  }
  for (const bad of [undefined, null, 42, {}, '']) assert.throws(() => cookies.sign('v', bad), invalid);
  assert.throws(() => cookies.sign('v', 'k'.repeat(70000)), invalid);
  for (const bad of [undefined, 42, [], [42], [''], ['k', {}], Buffer.from([0xff, 0xfe])]) {
    assert.throws(() => cookies.unsign('s:v.sig', bad), invalid, String(bad));
  }
});

test('cookies.serialize agrees with the cookie package', () => {
  const at = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
  const cases = [
    ['sid', 'abc', {}],
    ['sid', 'a b;c,d=é€', { path: '/app', maxAge: 3600 }],
    ['sid', '=', { sameSite: 'strict', domain: 'example.com', expires: at }],
    ['sid', 'v', { httpOnly: false, secure: false, sameSite: 'lax' }],
    ['__Secure-x', 'v', { sameSite: 'none', maxAge: 0 }],
    ['__Host-x', 'v', { path: '/', sameSite: 'Strict' }],
    ['sid', 'v', { domain: '.example.com', expires: Math.floor(at.getTime() / 1000) }],
  ];
  for (const [name, value, options] of cases) {
    const ours = setCookieParts(cookies.serialize(name, value, options));
    // The cookie package has no defaults: spell ours out (HttpOnly, Secure, SameSite=Lax, Path=/).
    const expires = typeof options.expires === 'number' ? new Date(options.expires * 1000) : options.expires;
    const theirs = setCookieParts(cookie.serialize(name, value, {
      httpOnly: true, secure: true, sameSite: 'lax', path: '/', ...options, expires,
    }));
    assert.deepEqual(ours, theirs, `${name} ${JSON.stringify(options)}`);
  }
  assert.match(cookies.serialize('a', 'b'), /^a=b; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
});

test('no cookie from a missing value: serialize("refresh_token", undefined) throws', () => {
  // The old way wrote `refresh_token=undefined` when the provider gave no refresh token.
  const tokens = { accessToken: 'at' };   // no offline_access: no refreshToken member
  for (const missing of [tokens.refreshToken, null, '']) {
    assert.throws(() => cookies.serialize('refresh_token', missing, { path: '/auth/refresh', maxAge: 3600 }),
      (e) => invalid(e) && /refresh_token/.test(e.message) && /missing/.test(e.message), String(missing));
  }
  for (const wrong of [42, {}, [], true, Buffer.from('v'), () => 'v']) {
    assert.throws(() => cookies.serialize('refresh_token', wrong), (e) => invalid(e) && /must be a string/.test(e.message));
  }
  // Missing values are never stringified: the strings themselves are ordinary values.
  assert.match(cookies.serialize('a', 'undefined'), /^a=undefined; /);
  assert.match(cookies.serialize('a', 'null'), /^a=null; /);
});

test('cookies: Max-Age from the token\'s remaining lifetime', () => {
  const key = makeKey('RS256', 'k1');
  const t = Math.floor(Date.now() / 1000);
  const token = sign(key, claims({ exp: t + 3600 }));
  const maxAge = (header) => Number(/; Max-Age=(\d+);/.exec(header)?.[1]);
  // The 7-day cookie around a 1-hour token, done right: the cookie dies with the token.
  const header = cookies.serialize('access_token', token, { maxAgeFromToken: token, maxAge: 7 * 24 * 3600 });
  assert.ok(maxAge(header) >= 3598 && maxAge(header) <= 3600, header);
  assert.ok(header.startsWith(`access_token=${token}; Path=/; Max-Age=`));
  assert.equal(cookies.maxAgeFromToken(token, { now: t }), 3600);
  assert.equal(cookies.maxAgeFromToken(token, { now: new Date((t + 600) * 1000) }), 3000);
  assert.equal(cookies.maxAgeFromToken(token, { now: t + 7200 }), 0);  // expired: 0, never negative
  const clock = cookies.maxAgeFromToken(token);
  assert.ok(clock >= 3598 && clock <= 3600, String(clock));
  // Only the size of a cookie: a token whose signature does not verify is read all the same.
  assert.equal(cookies.maxAgeFromToken(`${token.slice(0, -4)}AAAA`, { now: t }), 3600);
  const expired = sign(key, claims({ exp: t - 60 }));
  assert.match(cookies.serialize('a', expired, { maxAgeFromToken: expired }), /; Max-Age=0;/);

  // An opaque token: the caller's fallback, else an error naming the option.
  assert.match(cookies.serialize('refresh_token', 'opaque', { maxAgeFromToken: 'opaque', maxAge: 120 }), /; Max-Age=120;/);
  assert.throws(() => cookies.serialize('refresh_token', 'opaque', { maxAgeFromToken: 'opaque' }),
    (e) => invalid(e) && e.message.includes('"maxAgeFromToken"'));
  assert.throws(() => cookies.maxAgeFromToken('opaque'), code('malformed'));
  assert.throws(() => cookies.maxAgeFromToken(sign(key, claims({ exp: undefined }))), code('missing_claim'));
  // A token that is missing is not "no Max-Age": it is refused like a missing value.
  for (const bad of [undefined, null, 42]) {
    assert.throws(() => cookies.serialize('a', 'v', { maxAgeFromToken: bad, maxAge: 60 }),
      (e) => invalid(e) && /maxAgeFromToken/.test(e.message));
    assert.throws(() => cookies.maxAgeFromToken(bad), invalid);
  }
  for (const now of [-1, 1.5, '1', NaN, new Date(NaN)]) assert.throws(() => cookies.maxAgeFromToken(token, { now }), invalid);
});

test('cookies.clear deletes with the same attributes', () => {
  const options = { path: '/auth/refresh', domain: 'example.com', sameSite: 'strict', maxAge: 600 };
  const set = setCookieParts(cookies.serialize('rt', 'token', options));
  const cleared = setCookieParts(cookies.clear('rt', options));
  assert.equal(cleared.pair, 'rt=');
  assert.equal(cleared.attributes['max-age'], '0');
  assert.equal(cleared.attributes.expires, 'Thu, 01 Jan 1970 00:00:00 GMT');
  for (const a of ['path', 'domain', 'samesite', 'httponly', 'secure']) assert.equal(cleared.attributes[a], set.attributes[a], a);
  assert.equal(setCookieParts(cookies.clear('x')).attributes.path, '/');
});

test('cookies.serialize / clear refuse broken names, values and options', () => {
  for (const bad of [undefined, null, 42, {}, '', 'a b', 'a;b', 'a=b', 'a\0b', 'é']) {
    assert.throws(() => cookies.serialize(bad, 'v'), invalid, String(bad));
    assert.throws(() => cookies.clear(bad), invalid, String(bad));
  }
  for (const bad of [undefined, null, 42, {}, Buffer.from('v')]) assert.throws(() => cookies.serialize('n', bad), invalid);
  const refused = [
    [{ maxAge: -1 }, 'maxAge'], [{ maxAge: 1.5 }, 'maxAge'], [{ maxAge: '60' }, 'maxAge'],
    [{ expires: new Date(NaN) }, 'expires'], [{ expires: -5 }, 'expires'],
    [{ sameSite: 'sometimes' }, 'sameSite'], [{ sameSite: true }, 'sameSite'],
    [{ path: 'relative' }, 'path'], [{ path: '/a;b' }, 'path'], [{ path: '/a\0b' }, 'path'],
    [{ domain: 'ex ample.com' }, 'domain'], [{ domain: 'a;b' }, 'domain'],
    [{ httpOnly: 'yes' }, 'httpOnly'], [{ priority: 'high' }, 'priority'], [{ maxage: 5 }, 'maxage'],
  ];
  for (const [options, key] of refused) {
    assert.throws(() => cookies.serialize('n', 'v', options),
      (e) => invalid(e) && e.message.includes(`"${key}"`), JSON.stringify(options));
  }
  // The rules of the prefixes and of SameSite=None.
  assert.throws(() => cookies.serialize('__Secure-a', 'v', { secure: false }), invalid);
  assert.throws(() => cookies.serialize('__host-a', 'v', { path: '/x' }), invalid);
  assert.throws(() => cookies.serialize('__Host-a', 'v', { domain: 'example.com' }), invalid);
  assert.throws(() => cookies.serialize('a', 'v', { sameSite: 'none', secure: false }), invalid);
  // Options that are not an object, or not JSON.
  for (const bad of ['lax', 42, [], [1]]) assert.throws(() => cookies.serialize('n', 'v', bad), invalid);
  assert.throws(() => cookies.serialize('n', 'v', { maxAge: 10n }), invalid);
  const cyclic = { path: '/' };
  cyclic.self = cyclic;
  assert.throws(() => cookies.serialize('n', 'v', cyclic), invalid);
  // A lone surrogate is replaced (U+FFFD), never a crash; a megabyte value is fine.
  assert.match(cookies.serialize('n', '\ud800'), /^n=%EF%BF%BD;/);
  assert.equal(cookies.serialize('n', 'x'.repeat(1 << 20)).length, (1 << 20) + 2 + '; Path=/; HttpOnly; Secure; SameSite=Lax'.length);
});

test('safeRedirect keeps same-site paths and refuses everything else', () => {
  for (const ok of ['/', '/dashboard', '/a/b?c=d&e=%2F#frag', '/%20space', '/é']) {
    assert.equal(safeRedirect(ok), ok);
    assert.equal(safeRedirect(ok, '/home'), ok);
  }
  const unsafe = [
    '', 'dashboard', '//evil.com', '/\\evil.com', '\\\\evil.com', 'https://evil.com', 'javascript:alert(1)',
    '/%2F%2Fevil.com', '/%252F%252Fevil.com', '/%5Cevil.com', '/\t/evil.com', '/a\0b', '/a\nb', '/\u0085x',
    ' /x', `/${'a'.repeat(3000)}`, 'http:/evil.com',
  ];
  for (const target of unsafe) {
    assert.throws(() => safeRedirect(target), code('unsafe_redirect'), JSON.stringify(target));
    assert.equal(safeRedirect(target, '/home'), '/home', JSON.stringify(target));
  }
  // Not a string (e.g. ?next=a&next=b parsed into an array): unsafe, never coerced.
  for (const target of [undefined, null, 42, ['/ok'], { toString: () => '/ok' }]) {
    assert.throws(() => safeRedirect(target), code('unsafe_redirect'));
    assert.equal(safeRedirect(target, '/'), '/');
  }
  // The fallback must be a safe string itself.
  assert.throws(() => safeRedirect('/ok', '//evil.com'), invalid);
  assert.throws(() => safeRedirect('/ok', 42), invalid);
  assert.equal(safeRedirect('/ok', null), '/ok');
});

test('extractToken reads Express requests, plain headers and Fetch Headers', () => {
  const expressLike = { headers: { cookie: 'theme=dark; access_token=from-cookie', authorization: 'Bearer from-bearer' }, get() {} };
  assert.deepEqual(extractToken(expressLike), { token: 'from-cookie', source: 'cookie' });
  assert.deepEqual(extractToken(expressLike, { order: ['bearer', 'cookie'] }), { token: 'from-bearer', source: 'bearer' });
  assert.deepEqual(extractToken(expressLike, { order: ['bearer'] }), { token: 'from-bearer', source: 'bearer' });
  assert.deepEqual(extractToken(expressLike, { cookieName: 'theme' }), { token: 'dark', source: 'cookie' });
  // Header names in any case; arrays joined.
  assert.deepEqual(extractToken({ Authorization: 'bearer   abc.def-ghi_jkl~+/==' }), { token: 'abc.def-ghi_jkl~+/==', source: 'bearer' });
  assert.deepEqual(extractToken({ COOKIE: ['a=1', 'access_token=t2'] }), { token: 't2', source: 'cookie' });
  // Fetch Headers and a Fetch Request.
  assert.deepEqual(extractToken(new Headers({ Authorization: 'Bearer fetch' })), { token: 'fetch', source: 'bearer' });
  const request = new Request('http://localhost/', { headers: { cookie: 'access_token=req' } });
  assert.deepEqual(extractToken(request), { token: 'req', source: 'cookie' });
  // No token.
  for (const none of [{}, { headers: {} }, new Headers(), { authorization: 'Basic dXNlcjpwdw==' },
    { authorization: 'Bearer' }, { authorization: 'Bearer a b' }, { authorization: 'Bearer a\0b' },
    { authorization: ['Bearer a', 'Bearer b'] }, { Authorization: 'Bearer a', authorization: 'Bearer b' },
    { cookie: 'access_token=' }, { cookie: 42 }, { authorization: 42 }]) {
    assert.equal(extractToken(none), null, JSON.stringify(none));
  }
});

test('extractToken: signed cookies, limits and refused input', () => {
  const signed = cookies.sign('tok', 'secret');
  const headers = { cookie: `access_token=${encodeURIComponent(signed)}`, authorization: 'Bearer fallback' };
  assert.deepEqual(extractToken(headers, { cookieSecrets: ['old', 'secret'] }), { token: 'tok', source: 'cookie' });
  // A bad signature or an unsigned value means no cookie token: the next source is tried.
  assert.deepEqual(extractToken(headers, { cookieSecrets: ['other'] }), { token: 'fallback', source: 'bearer' });
  assert.equal(extractToken({ cookie: 'access_token=tok' }, { cookieSecrets: ['secret'] }), null);
  // Over 64 KiB, when that source is reached.
  assert.throws(() => extractToken({ cookie: `access_token=${'x'.repeat(70000)}` }), code('too_large'));
  assert.deepEqual(extractToken({ cookie: `x=${'x'.repeat(70000)}`, authorization: 'Bearer b' }, { order: ['bearer', 'cookie'] }),
    { token: 'b', source: 'bearer' });
  // Options are checked and named as written.
  assert.throws(() => extractToken({}, { cookieNam: 'x' }), (e) => invalid(e) && e.message.includes('"cookieNam"'));
  assert.throws(() => extractToken({}, { order: [] }), invalid);
  assert.throws(() => extractToken({}, { order: ['bearer', 'bearer'] }), invalid);
  assert.throws(() => extractToken({}, { order: ['header'] }), invalid);
  assert.throws(() => extractToken({}, { cookieSecrets: 'not-an-array' }), invalid);
  assert.throws(() => extractToken({}, 'options'), invalid);
  for (const bad of [undefined, null, 42, 'Bearer x', true]) assert.throws(() => extractToken(bad), invalid);
});

test('verifyRequest on a Verifier: cookie first, then Bearer; no token is not_found', async () => {
  const key = makeKey('ES256', 'k');
  const v = new Verifier({ issuer: claims().iss, audience: 'app', jwks: { keys: [key.jwk] } });
  const a = sign(key, claims({ sub: 'from-cookie' }));
  const b = sign(key, claims({ sub: 'from-bearer' }));
  const req = { headers: { cookie: `access_token=${a}`, authorization: `Bearer ${b}` } };
  assert.equal((await v.verifyRequest(req)).claims.sub, 'from-cookie');
  assert.equal((await v.verifyRequest(req, { order: ['bearer', 'cookie'] })).claims.sub, 'from-bearer');
  assert.equal((await v.verifyRequest({ headers: { cookie: `sid=${a}` } }, { cookieName: 'sid' })).claims.sub, 'from-cookie');
  await assert.rejects(v.verifyRequest({ headers: {} }), code('not_found'));
  await assert.rejects(v.verifyRequest({ headers: { authorization: 'Bearer not.a.jwt' } }), code('malformed'));
  await assert.rejects(v.verifyRequest({ headers: { authorization: `Bearer ${b.slice(0, -4)}AAAA` } }), code('bad_signature'));
  await assert.rejects(v.verifyRequest(null), invalid);
  await assert.rejects(v.verifyRequest(req, { cookieName: 42 }), invalid);
});

test('OidcoreError carries the code and the provider\'s details', () => {
  const e = new OidcoreError('idp_error', 'the provider answered invalid_grant', { error: 'invalid_grant', errorDescription: 'used', status: 400 });
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'OidcoreError');
  assert.equal(e.code, 'idp_error');
  assert.equal(e.error, 'invalid_grant');
  assert.equal(e.errorDescription, 'used');
  assert.equal(e.status, 400);
  const plain = new OidcoreError('not_found');
  assert.equal(plain.message, 'not_found');
  assert.ok(!('error' in plain) && !('errorDescription' in plain) && !('status' in plain));
});

test('the ES module exports the same API', async () => {
  const esm = await import('../index.mjs');
  const cjs = require('..');
  for (const name of ['RelyingParty', 'MemoryStore', 'RedisStore', 'ExchangeCodes', 'StateStore', 'Verifier', 'cookies',
    'safeRedirect', 'extractToken', 'OidcoreError', 'OidcoreStrategy', 'version', 'cryptoVersion', 'codes']) {
    assert.ok(name in esm, name);
    assert.equal(esm[name], cjs[name], name);
  }
  assert.equal(esm.default, cjs);
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).filter((k) => k !== 'default').sort());
});
