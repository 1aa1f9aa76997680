'use strict';
// OidcoreStrategy under the real passport (and @nestjs/passport's PassportStrategy mixin):
// passport-jwt's contract, a generic 401 on any token failure, the reason only in the log.
require('reflect-metadata');
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Passport } = require('passport');
const { OidcoreStrategy, Verifier, OidcoreError, cookies } = require('..');
const { makeKey, sign, claims, now } = require('./helpers');

const key = makeKey('RS256', 'k1');
const verifier = new Verifier({ issuer: claims().iss, audience: 'app', jwks: { keys: [key.jwk] } });
const good = sign(key, claims({ sub: 'alice', email: 'alice@example.com' }));
const expired = sign(key, claims({ exp: now() - 60 }));

// A plain node http server with passport.authenticate as its only middleware.
async function serve(passport, name, options = { session: false }) {
  const server = http.createServer((req, res) => {
    passport.authenticate(name, options)(req, res, (err) => {
      if (err) {
        res.statusCode = 500;
        return res.end(`error: ${err.message}`);
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ user: req.user, authInfo: req.authInfo ?? null }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    get: (headers = {}) => fetch(`${base}/api`, { headers }),
    close: () => new Promise((r) => server.close(r)),
  };
}

test('passport: success, a generic 401, and the reason only in the log', async (t) => {
  const passport = new Passport();
  const logged = [];
  passport.use(new OidcoreStrategy({ verifier, logger: (message, err) => logged.push([message, err.code]) },
    (payload, done) => done(null, { id: payload.sub, email: payload.email }, { scope: 'all' })));
  const app = await serve(passport, 'oidcore');
  t.after(() => app.close());

  let res = await app.get({ authorization: `Bearer ${good}` });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { user: { id: 'alice', email: 'alice@example.com' }, authInfo: { scope: 'all' } });
  res = await app.get({ cookie: `theme=dark; access_token=${good}` });
  assert.equal((await res.json()).user.id, 'alice');

  for (const [headers, reason] of [
    [{}, 'not_found'],
    [{ authorization: `Bearer ${expired}` }, 'expired'],
    [{ authorization: `Bearer ${good.slice(0, -4)}AAAA` }, 'bad_signature'],
    [{ authorization: 'Bearer garbage' }, 'malformed'],
    [{ authorization: `Basic ${Buffer.from('u:p').toString('base64')}` }, 'not_found'],
  ]) {
    logged.length = 0;
    res = await app.get(headers);
    assert.equal(res.status, 401, reason);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    const body = await res.text();
    assert.equal(body, 'Unauthorized');
    assert.ok(!body.includes(reason));
    assert.equal(logged.length, 1);
    assert.equal(logged[0][1], reason);
    assert.match(logged[0][0], new RegExp(`token rejected: ${reason}`));
  }
});

test('passport: the verify callback decides, exactly as with passport-jwt', async (t) => {
  const passport = new Passport();
  const seen = [];
  passport.use('with-req', new OidcoreStrategy(
    { verifier, passReqToCallback: true, cookieName: 'session', order: ['cookie'] },
    (req, payload, done) => {
      seen.push([req.url, payload.sub]);
      if (payload.sub === 'blocked') return done(null, false, { message: 'blocked user' });
      if (payload.sub === 'boom') return done(new Error('database down'));
      if (payload.sub === 'throws') throw new Error('verify threw');
      return done(null, { sub: payload.sub });
    }));
  const app = await serve(passport, 'with-req');
  t.after(() => app.close());
  const as = (sub) => ({ cookie: `session=${sign(key, claims({ sub }))}` });

  let res = await app.get(as('bob'));
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json()).user, { sub: 'bob' });
  assert.deepEqual(seen.at(-1), ['/api', 'bob']);
  // order: ['cookie']: a bearer token is not looked at.
  res = await app.get({ authorization: `Bearer ${good}` });
  assert.equal(res.status, 401);
  res = await app.get(as('blocked'));
  assert.equal(res.status, 401);
  res = await app.get(as('boom'));
  assert.equal(res.status, 500);
  assert.equal(await res.text(), 'error: database down');
  res = await app.get(as('throws'));
  assert.equal(res.status, 500);
  assert.equal(await res.text(), 'error: verify threw');
});

test('passport: signed cookies, a RelyingParty-like verifier, loggers and callbacks', async (t) => {
  const passport = new Passport();
  // Anything with verifyRequest will do (a RelyingParty in real life).
  const calls = [];
  const rpLike = { verifyRequest: (req, options) => { calls.push(options); return verifier.verifyRequest(req, options); } };
  const messages = [];
  const nestLogger = { debug: (m) => messages.push(m) };
  passport.use(new OidcoreStrategy({ verifier: rpLike, cookieSecrets: ['k2', 'k1'], logger: nestLogger },
    (payload, done) => done(null, payload.sub)));
  const app = await serve(passport, 'oidcore');
  t.after(() => app.close());
  const signedCookie = cookies.serialize('access_token', cookies.sign(good, 'k1')).split(';')[0];
  let res = await app.get({ cookie: signedCookie });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).user, 'alice');
  assert.deepEqual(calls.at(-1), { cookieSecrets: ['k2', 'k1'] });
  res = await app.get({ cookie: `access_token=${good}` });  // not signed: ignored
  assert.equal(res.status, 401);
  assert.match(messages.at(-1), /token rejected: not_found/);

  // A custom callback sees (null, false, challenge, status), as with any failing strategy.
  const outcome = await new Promise((resolve) => {
    passport.authenticate('oidcore', { session: false }, (...args) => resolve(args))({ headers: {} }, {}, () => {});
  });
  assert.deepEqual(outcome, [null, false, 'Bearer', 401]);
});

test('passport: keys that cannot be fetched are an error, never a 401 that ends the session', async (t) => {
  // A provider that is not there: nothing listens on the port once the server is closed.
  const down = http.createServer();
  await new Promise((r) => down.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${down.address().port}/application/o/app/`;
  await new Promise((r) => down.close(r));
  const unreachable = new Verifier({ issuer, audience: 'app', discovery: true, connectTimeout: 0.5, httpTimeout: 1 });
  const passport = new Passport();
  const logged = [];
  passport.use(new OidcoreStrategy({ verifier: unreachable, logger: (m, e) => logged.push(e.code) },
    (payload, done) => done(null, payload.sub)));
  const token = sign(key, claims({ iss: issuer }));
  const outcome = await new Promise((resolve) => {
    passport.authenticate('oidcore', { session: false }, (...args) => resolve(args))(
      { headers: { authorization: `Bearer ${token}` } }, {}, () => {});
  });
  assert.ok(outcome[0] instanceof OidcoreError, String(outcome[0]));
  assert.equal(outcome[0].code, 'jwks_unavailable');
  assert.deepEqual(logged, [], 'an outage is not a rejected token');
  // Through plain passport middleware the error reaches next(err), as any error would.
  const app = await serve(passport, 'oidcore');
  t.after(() => app.close());
  const res = await app.get({ authorization: `Bearer ${token}` });
  assert.equal(res.status, 500);
  assert.match(await res.text(), /^error: /);
  // A bad token is still the generic 401.
  const noToken = await app.get({});
  assert.equal(noToken.status, 401);
});

test('the strategy refuses a broken setup at construction, and reports bugs as errors', async () => {
  const ok = (p, done) => done(null, p);
  assert.throws(() => new OidcoreStrategy(undefined, ok), TypeError);
  assert.throws(() => new OidcoreStrategy({}, ok), TypeError);
  assert.throws(() => new OidcoreStrategy({ verifier: {} }, ok), TypeError);
  assert.throws(() => new OidcoreStrategy({ verifier }), TypeError);
  assert.throws(() => new OidcoreStrategy({ verifier, logger: 42 }, ok), TypeError);
  const s = new OidcoreStrategy({ verifier }, ok);
  assert.equal(s.name, 'oidcore');
  assert.equal(typeof s.authenticate, 'function');

  // Not an OidcoreError (a bug in a custom verifier): error(), not a 401.
  const run = (strategy, req) => new Promise((resolve) => {
    const attempt = Object.create(strategy);
    attempt.success = (user) => resolve(['success', user]);
    attempt.fail = (challenge, status) => resolve(['fail', challenge, status]);
    attempt.error = (err) => resolve(['error', err.message]);
    attempt.authenticate(req, {});
  });
  const buggy = new OidcoreStrategy({ verifier: { verifyRequest: () => { throw new TypeError('bug'); } } }, ok);
  assert.deepEqual(await run(buggy, { headers: {} }), ['error', 'bug']);
  const failing = new OidcoreStrategy({ verifier: { verifyRequest: async () => { throw new OidcoreError('expired', 'old'); } },
    logger: () => { throw new Error('logger broken'); } }, ok);
  assert.deepEqual(await run(failing, { headers: {} }), ['fail', 'Bearer', 401]);
  // An outage (keys, provider, store): error(), for the application to answer 503.
  for (const code of ['jwks_unavailable', 'http_error', 'store_unavailable']) {
    const down = new OidcoreStrategy({ verifier: { verifyRequest: async () => { throw new OidcoreError(code, 'down'); } } }, ok);
    assert.deepEqual(await run(down, { headers: {} }), ['error', 'down'], code);
  }
  // A request that is not one: invalid_argument, a 401 like any other failure.
  assert.deepEqual(await run(s, null), ['fail', 'Bearer', 401]);
  const [outcome, payload] = await run(s, { headers: { authorization: `Bearer ${good}` } });
  assert.equal(outcome, 'success');
  assert.deepEqual(payload, verifier.verifySync(good).claims);
});

test('a token verified from memory is answered before authenticate returns; else through the promise', async () => {
  // The attempt object passport makes for a request; records what was called, and when.
  const attempt = (strategy, req) => {
    const seen = [];
    const a = Object.create(strategy);
    a.success = (user) => seen.push(['success', user]);
    a.fail = (challenge, status) => seen.push(['fail', challenge, status]);
    a.error = (err) => seen.push(['error', err.code ?? err.message]);
    a.authenticate(req, {});
    return seen;
  };
  const ok = (p, done) => done(null, p.sub);
  const s = new OidcoreStrategy({ verifier }, ok);
  assert.deepEqual(attempt(s, { headers: { authorization: `Bearer ${good}` } }), [['success', 'alice']]);
  assert.deepEqual(attempt(s, { headers: { authorization: `Bearer ${expired}` } }), [['fail', 'Bearer', 401]]);
  assert.deepEqual(attempt(s, null), [['fail', 'Bearer', 401]]);
  // verifyRequestCached's undefined (keys to fetch): verifyRequest decides, later.
  let promised = 0;
  const later = new OidcoreStrategy({
    verifier: {
      verifyRequestCached: () => undefined,
      verifyRequest: (req, options) => { promised += 1; return verifier.verifyRequest(req, options); },
    },
  }, ok);
  const seen = attempt(later, { headers: { authorization: `Bearer ${good}` } });
  assert.deepEqual(seen, []);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, [['success', 'alice']]);
  assert.equal(promised, 1);
  // What verifyRequestCached throws is judged as a rejection would be.
  const thrown = (err) => new OidcoreStrategy({
    verifier: { verifyRequestCached: () => { throw err; }, verifyRequest: () => assert.fail('not asked') },
  }, ok);
  assert.deepEqual(attempt(thrown(new OidcoreError('store_unavailable', 'down')), { headers: {} }), [['error', 'store_unavailable']]);
  assert.deepEqual(attempt(thrown(new OidcoreError('revoked', 'logged out')), { headers: {} }), [['fail', 'Bearer', 401]]);
  assert.deepEqual(attempt(thrown(new TypeError('bug')), { headers: {} }), [['error', 'bug']]);
});

test('@nestjs/passport: PassportStrategy(OidcoreStrategy, "oidcore") registers and validates', async (t) => {
  const { PassportStrategy } = require('@nestjs/passport');
  const passport = require('passport');
  class JwtStrategy extends PassportStrategy(OidcoreStrategy, 'oidcore') {
    constructor() {
      super({ verifier, cookieName: 'access_token' });
    }

    async validate(payload) {
      if (payload.sub === 'nobody') return null;
      return { userId: payload.sub, email: payload.email };
    }
  }
  const strategy = new JwtStrategy();
  assert.ok(strategy instanceof OidcoreStrategy);
  assert.equal(passport._strategy('oidcore'), strategy);
  t.after(() => passport.unuse('oidcore'));

  const app = await serve(passport, 'oidcore');
  t.after(() => app.close());
  let res = await app.get({ cookie: `access_token=${good}` });
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json()).user, { userId: 'alice', email: 'alice@example.com' });
  res = await app.get({ authorization: `Bearer ${sign(key, claims({ sub: 'nobody' }))}` });
  assert.equal(res.status, 401);
  res = await app.get({ authorization: `Bearer ${expired}` });
  assert.equal(res.status, 401);

  // With passReqToCallback, validate(req, payload).
  class WithReq extends PassportStrategy(OidcoreStrategy, 'oidcore-req') {
    constructor() {
      super({ verifier, passReqToCallback: true });
    }

    validate(req, payload) {
      return { url: req.url, sub: payload.sub };
    }
  }
  new WithReq();
  t.after(() => passport.unuse('oidcore-req'));
  const app2 = await serve(passport, 'oidcore-req');
  t.after(() => app2.close());
  res = await app2.get({ authorization: `Bearer ${good}` });
  assert.deepEqual((await res.json()).user, { url: '/api', sub: 'alice' });
});

test('passResultToCallback: the core\'s principal comes after the payload (plain passport and the Nest mixin)', async (t) => {
  const mapped = new Verifier({
    issuer: claims().iss, audience: 'app', jwks: { keys: [key.jwk] },
    principal: { roles: [{ group: 'staff', role: 'editor' }], organizationIdClaim: 'tenant', organizationFallback: 'none' },
  });
  const staff = sign(key, claims({ sub: 'carol', groups: ['staff'], tenant: 't-9' }));
  const loner = sign(key, claims({ sub: 'dave' }));
  const passport = new Passport();
  const seen = [];
  passport.use('with-result', new OidcoreStrategy({ verifier: mapped, passResultToCallback: true },
    (payload, result, done) => {
      seen.push([payload.sub, result.source, result.header.alg]);
      done(null, result.principal);
    }));
  passport.use('req-and-result', new OidcoreStrategy({ verifier: mapped, passReqToCallback: true, passResultToCallback: true },
    (req, payload, result, done) => done(null, { url: req.url, role: result.principal.role })));
  const app = await serve(passport, 'with-result');
  const app2 = await serve(passport, 'req-and-result');
  t.after(() => app.close());
  t.after(() => app2.close());
  let res = await app.get({ authorization: `Bearer ${staff}` });
  assert.deepEqual((await res.json()).user,
    { sub: 'carol', email: null, name: null, organizationId: 't-9', role: 'editor' });
  assert.deepEqual(seen.at(-1), ['carol', 'bearer', 'RS256']);
  res = await app.get({ cookie: `access_token=${loner}` });
  assert.deepEqual((await res.json()).user, { sub: 'dave', email: null, name: null, organizationId: null, role: 'user' });
  res = await app2.get({ authorization: `Bearer ${staff}` });
  assert.deepEqual((await res.json()).user, { url: '/api', role: 'editor' });
  res = await app.get({ authorization: `Bearer ${expired}` });
  assert.equal(res.status, 401);

  // The @nestjs/passport mixin: validate(payload, result) — passport-jwt's validate(payload) still works.
  const { PassportStrategy } = require('@nestjs/passport');
  class WithPrincipal extends PassportStrategy(OidcoreStrategy, 'oidcore-principal') {
    constructor() {
      super({ verifier: mapped, passResultToCallback: true });
    }

    validate(payload, result) {
      return { sub: payload.sub, ...result.principal };
    }
  }
  new WithPrincipal();
  t.after(() => require('passport').unuse('oidcore-principal'));
  const app3 = await serve(require('passport'), 'oidcore-principal');
  t.after(() => app3.close());
  res = await app3.get({ authorization: `Bearer ${staff}` });
  assert.equal((await res.json()).user.organizationId, 't-9');
});

test('an OidcoreError is what reaches the logger', async () => {
  const seen = [];
  const s = new OidcoreStrategy({ verifier, logger: (m, e) => seen.push(e) }, (p, d) => d(null, p));
  await new Promise((resolve) => {
    const attempt = Object.create(s);
    attempt.fail = resolve;
    attempt.authenticate({ headers: { authorization: `Bearer ${expired}` } });
  });
  assert.ok(seen[0] instanceof OidcoreError);
  assert.equal(seen[0].code, 'expired');
});
