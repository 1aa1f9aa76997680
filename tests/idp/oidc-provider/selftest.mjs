// Smoke test of drive.mjs against server.mjs: `node --test selftest.mjs` (run by ctest as
// oidc_provider_js_selftest).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import {
  CookieJar, driveLogin, driveLogout, startProvider,
} from './drive.mjs';

const REDIRECT = 'http://127.0.0.1:3000/auth/callback';
const BYE = 'http://127.0.0.1:3000/bye';
let idp;
let discovery;

before(async () => {
  idp = await startProvider(['--post-logout-redirect-uri', BYE]);
  discovery = await (await fetch(`${idp.issuer}.well-known/openid-configuration`)).json();
});

after(async () => {
  await idp?.stop();
});

function authorizationUrl(extra = {}) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    client_id: idp.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid email profile',
    state: crypto.randomBytes(8).toString('hex'),
    nonce: crypto.randomBytes(8).toString('hex'),
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url: `${discovery.authorization_endpoint}?${params}`, verifier, state: params.get('state') };
}

test('the READY line', () => {
  assert.equal(idp.issuer, `http://127.0.0.1:${idp.port}/application/o/oidcore/`);
  assert.equal(idp.clientId, 'oidcore-test');
  assert.match(idp.clientSecret, /[+/=%&:]/);
  assert.equal(discovery.issuer, idp.issuer);
});

test('alice logs in and the callback has a code and the state', async () => {
  const { url, state } = authorizationUrl();
  const callback = new URL(await driveLogin(url, { user: 'alice', password: 'alice-password' }));
  assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT);
  assert.ok(callback.searchParams.get('code'));
  assert.equal(callback.searchParams.get('state'), state);
  assert.equal(callback.searchParams.get('iss'), null);
});

test('a wrong password is rejected on the login page', async () => {
  const { url } = authorizationUrl();
  await assert.rejects(driveLogin(url, { user: 'alice', password: 'nope' }), /login rejected.*Invalid username or password/);
});

test('code exchange, then logout to the registered post-logout URI with state', async () => {
  const jar = new CookieJar();
  const { url, verifier } = authorizationUrl();
  const callback = new URL(await driveLogin(url, { user: 'bob', password: 'bob-password', jar }));
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code'),
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: idp.clientId,
      client_secret: idp.clientSecret,
    }),
  });
  const tokens = await res.json();
  assert.equal(res.status, 200, JSON.stringify(tokens));
  assert.equal(tokens.refresh_token, undefined);
  const logout = `${discovery.end_session_endpoint}?${new URLSearchParams({
    id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE, state: 'bye-state',
  })}`;
  assert.equal(await driveLogout(logout, { jar }), `${BYE}?state=bye-state`);
  const userinfo = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(userinfo.status, 401);
});

test('the control API answers', async () => {
  assert.deepEqual(await idp.control('token_mode', { mode: 'status', status: 503, body: 'down' }),
    { token_mode: { mode: 'status', status: 503, body: 'down' } });
  const res = await fetch(discovery.token_endpoint, { method: 'POST' });
  assert.equal(res.status, 503);
  assert.equal(await res.text(), 'down');
  await idp.control('reset');
  assert.deepEqual((await idp.control('requests')).requests, []);
});
