// A real OpenID Connect provider (the npm package oidc-provider) configured to behave like
// Authentik, for login-flow tests. See README.md beside this file for the options, the users,
// the control API and what is (and is not) Authentik-like.
//
//   node server.mjs [--port N] [--slug NAME] [--alg RS256|ES256|HS256] [--redirect-uri URL]...
//
// Prints exactly one line `READY {json}` on stdout once it accepts connections, logs to
// stderr only, and exits when its stdin closes.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

import * as jose from 'jose';
import Provider, { errors as oidcErrors } from 'oidc-provider';

// stdout carries the READY line and nothing else: oidc-provider prints notices with
// console.info, which would break a reader waiting for READY.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

const CLIENT_ID = 'oidcore-test';
const ACR = 'goauthentik.io/providers/oauth2/default';
// Authentik's default `sub` is sha256("<user pk>-<installation id>").
const INSTALLATION_ID = 'oidcore-test-installation';

function usage(message) {
  process.stderr.write(`server.mjs: ${message}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      slug: { type: 'string', default: 'oidcore' },
      alg: { type: 'string', default: 'RS256' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'access-ttl': { type: 'string', default: '3600' },
      'id-token-ttl': { type: 'string', default: '3600' },
      'refresh-ttl': { type: 'string', default: String(30 * 24 * 3600) },
      'code-ttl': { type: 'string', default: '60' },
      'basic-decoding': { type: 'string', default: 'raw' },
      'client-secret': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (err) {
  usage(err.message);
}

const ALG = args.alg;
if (!['RS256', 'ES256', 'HS256'].includes(ALG)) usage(`--alg must be RS256, ES256 or HS256, not ${ALG}`);
if (!/^[a-z0-9][a-z0-9_-]*$/i.test(args.slug)) usage('--slug must be letters, digits, - and _');
if (!['raw', 'rfc6749'].includes(args['basic-decoding'])) usage('--basic-decoding must be raw or rfc6749');
const seconds = (name) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n <= 0) usage(`--${name} must be a positive integer (seconds)`);
  return n;
};
const TTL = {
  access: seconds('access-ttl'),
  idToken: seconds('id-token-ttl'),
  refresh: seconds('refresh-ttl'),
  code: seconds('code-ttl'),
};
const REDIRECT_URIS = args['redirect-uri'] ?? ['http://127.0.0.1:3000/auth/callback'];
const POST_LOGOUT_REDIRECT_URIS = args['post-logout-redirect-uri'] ?? [];
for (const uri of [...REDIRECT_URIS, ...POST_LOGOUT_REDIRECT_URIS]) {
  if (!URL.canParse(uri)) usage(`not an absolute URL: ${uri}`);
}

// A generated secret with the punctuation that form-encoding changes (+ / = % & :), as an
// Authentik-generated secret may have: RFC 6749 Basic encoding and raw Basic differ on it.
function generateSecret() {
  const alnum = (n) => {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    return Array.from(crypto.randomBytes(n), (b) => chars[b % chars.length]).join('');
  };
  return `${alnum(20)}+/=%&:${alnum(20)}`;
}
const CLIENT_SECRET = args['client-secret'] ?? generateSecret();

// ---------------------------------------------------------------------------------------
// Users

const subFor = (username) => crypto.createHash('sha256').update(`${username}-${INSTALLATION_ID}`).digest('hex');
const USERS = [
  {
    username: 'alice', password: 'alice-password', email: 'alice@example.com', name: 'Alice Example',
    groups: ['admins', 'staff'], organizationId: 'org-alice',
  },
  {
    username: 'bob', password: 'bob-password', email: 'bob@example.com', name: 'Bob Example',
    groups: [], organizationId: undefined,
  },
].map((u) => ({ ...u, sub: subFor(u.username) }));
const usersBySub = new Map(USERS.map((u) => [u.sub, u]));
const usersByName = new Map(USERS.map((u) => [u.username, u]));

// Every user claim, whatever the scope; oidc-provider filters them by the `claims` mapping
// below, and scopeClaims() does the same for access tokens and userinfo.
function allClaims(user) {
  return {
    sub: user.sub,
    email: user.email,
    email_verified: true,
    name: user.name,
    given_name: user.name,
    preferred_username: user.username,
    nickname: user.username,
    groups: [...user.groups],
    ...(user.organizationId !== undefined ? { organizationId: user.organizationId } : {}),
  };
}
const SCOPE_CLAIMS = {
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'preferred_username', 'nickname', 'groups'],
  organization: ['organizationId'],
};
function scopeClaims(user, scopes) {
  const all = allClaims(user);
  const out = {};
  for (const scope of scopes) {
    for (const claim of SCOPE_CLAIMS[scope] ?? []) {
      if (all[claim] !== undefined) out[claim] = all[claim];
    }
  }
  return out;
}
const scopeSet = (scope) => new Set(String(scope ?? '').split(' ').filter(Boolean));

// ---------------------------------------------------------------------------------------
// Keys

// A fresh signing key; kid = md5 hex of the DER SubjectPublicKeyInfo, as Authentik's
// md5-of-the-key kid. Only this key is ever published.
function generateKey(alg) {
  const { privateKey, publicKey } = alg === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = crypto.createHash('md5').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { privateKey, kid, jwk };
}
// HS256 mode signs with the client secret; oidc-provider still wants one asymmetric key in
// its keystore, which is never published (the JWKS answers {}) and never used.
let signingKey = generateKey(ALG === 'HS256' ? 'RS256' : ALG);
const COOKIE_KEYS = [crypto.randomBytes(32).toString('base64url')];

// ---------------------------------------------------------------------------------------
// Run-time settings (the control API changes them; `reset` restores these)

const DEFAULTS = () => ({
  tokenMode: { mode: 'normal' },
  idTokenNonce: null, // null: leave the nonce alone
  idTokenClaims: null, // null: no claims merged
  basicDecoding: args['basic-decoding'],
});
let settings = DEFAULTS();
let requestLog = [];

// Access tokens issued, by value: oidc-provider does not store JWT access tokens, and
// Authentik's userinfo, introspection and revocation accept them, so this fixture answers
// those three for its access tokens itself.
const accessTokens = new Map();

// ---------------------------------------------------------------------------------------
// Small HTTP helpers

function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
      } else {
        chunks.push(c);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

// application/x-www-form-urlencoded decoding, as RFC 6749 section 2.3.1 asks of Basic
// credentials. Undefined when it is not valid percent-encoding.
function formDecode(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function isJwt(value) {
  try {
    return !!jose.decodeProtectedHeader(String(value));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// The provider

let PORT = 0;
let ISSUER = '';
let MOUNT = ''; // the issuer's path without its trailing slash: /application/o/<slug>
const RESOURCE = `urn:oidcore:access-token:${CLIENT_ID}`;

function signingKeyFor(alg) {
  return alg === 'HS256' ? crypto.createSecretKey(Buffer.from(CLIENT_SECRET, 'utf8')) : signingKey.privateKey;
}

// Decodes a compact JWS, lets `edit` change the payload, and signs it again with the same
// alg and kid and the current key. The header gets typ "JWT", as Authentik's tokens have.
async function resign(jwt, edit) {
  const { alg, kid } = jose.decodeProtectedHeader(jwt);
  const payload = jose.decodeJwt(jwt);
  edit(payload);
  return new jose.CompactSign(Buffer.from(JSON.stringify(payload), 'utf8'))
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid !== undefined ? { kid } : {}) })
    .sign(signingKeyFor(alg));
}

function tokenSource(ctx) {
  const e = ctx.oidc.entities;
  return e.AuthorizationCode ?? e.RefreshToken ?? e.RotatedRefreshToken;
}

// The OpenID scopes a token-endpoint answer is for: the code's or refresh token's, or the
// narrower `scope` of a refresh request.
function grantedScope(ctx) {
  const requested = ctx.oidc.params?.grant_type === 'refresh_token' ? ctx.oidc.params.scope : undefined;
  return requested || (tokenSource(ctx)?.scope ?? '');
}

async function afterTokenResponse(ctx) {
  const body = ctx.body;
  const grantType = ctx.oidc.params?.grant_type;
  const oidcScope = grantedScope(ctx);
  if (typeof body.scope === 'string' || oidcScope) body.scope = oidcScope;

  if (typeof body.access_token === 'string' && isJwt(body.access_token)) {
    pruneAccessTokens();
    const at = ctx.oidc.entities.AccessToken;
    const payload = jose.decodeJwt(body.access_token);
    accessTokens.set(body.access_token, {
      payload,
      scope: oidcScope,
      clientId: at?.clientId ?? CLIENT_ID,
      accountId: at?.accountId,
      grantId: at?.grantId,
      sid: payload.sid,
      exp: payload.exp,
      revoked: false,
    });
  }

  if (typeof body.id_token === 'string') {
    body.id_token = await resign(body.id_token, (p) => {
      // Authentik's code-flow ID token has no at_hash (oidc-provider adds none either).
      delete p.at_hash;
      // Authentik: refreshed ID tokens carry no nonce.
      if (grantType === 'refresh_token') delete p.nonce;
      if (settings.idTokenNonce !== null) p.nonce = settings.idTokenNonce;
      for (const [k, v] of Object.entries(settings.idTokenClaims ?? {})) {
        if (v === null) delete p[k];
        else p[k] = v;
      }
    });
  }
}

function rewriteDiscovery(body) {
  const slash = (u) => (typeof u === 'string' && !u.endsWith('/') ? `${u}/` : u);
  for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'revocation_endpoint',
    'introspection_endpoint', 'end_session_endpoint', 'jwks_uri']) {
    if (body[key]) body[key] = slash(body[key]);
  }
  body.id_token_signing_alg_values_supported = [ALG];
  body.token_endpoint_auth_methods_supported = ['client_secret_post', 'client_secret_basic'];
  body.code_challenge_methods_supported = ['plain', 'S256'];
  delete body.authorization_response_iss_parameter_supported;
  delete body.token_endpoint_auth_signing_alg_values_supported;
  delete body.dpop_signing_alg_values_supported;
}

// A redirect URL without its `iss` query (or fragment) parameter, otherwise unchanged.
function withoutIss(location) {
  return location.replace(/([?#])([^#]*)/g, (_, mark, params) => {
    const kept = params.split('&').filter((p) => p && !p.startsWith('iss='));
    return kept.length ? `${mark}${kept.join('&')}` : '';
  });
}

function pruneAccessTokens() {
  if (accessTokens.size < 5000) return;
  const now = Math.floor(Date.now() / 1000);
  for (const [value, rec] of accessTokens) {
    if (rec.exp <= now) accessTokens.delete(value);
  }
}

function revokeAccessTokens(match) {
  for (const rec of accessTokens.values()) {
    if (match(rec)) rec.revoked = true;
  }
}

function buildProvider() {
  const config = {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      client_name: 'oidcore test client',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: REDIRECT_URIS,
      post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS,
      // Basic credentials are turned into these by the front handler (see clientAuth()).
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: ALG,
    }],
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: ALG,
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
    clientAuthMethods: ['client_secret_post', 'client_secret_basic'],
    enabledJWA: {
      idTokenSigningAlgValues: [ALG],
    },
    jwks: { keys: [signingKey.jwk] },
    cookies: { keys: COOKIE_KEYS },
    claims: {
      acr: null,
      amr: null,
      auth_time: null,
      iss: null,
      sid: null,
      // The ID token always has these (Authentik's does), not only when asked for.
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      ...SCOPE_CLAIMS,
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'organization'],
    // The scope claims go into the ID token of the code flow too (Authentik does that).
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    // redirect_uri is required at the authorization and token endpoints, even with a single
    // registered redirect URI (Authentik).
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: () => true },
    routes: {
      authorization: '/authorize',
      token: '/token',
      userinfo: '/userinfo',
      revocation: '/revoke',
      introspection: '/introspect',
      end_session: '/end-session',
      jwks: '/jwks',
    },
    ttl: {
      AccessToken: TTL.access,
      AuthorizationCode: TTL.code,
      IdToken: TTL.idToken,
      RefreshToken: TTL.refresh,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 30 * 24 * 3600,
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && code.scopes.has('offline_access'),
    async findAccount(_ctx, sub) {
      const user = usersBySub.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return allClaims(user);
        },
      };
    },
    async extraTokenClaims(ctx, token) {
      if (token.kind !== 'AccessToken') return undefined;
      const source = tokenSource(ctx);
      const user = usersBySub.get(token.accountId);
      const refresh = ctx.oidc.params?.grant_type === 'refresh_token';
      return {
        azp: token.clientId,
        uid: crypto.randomBytes(16).toString('hex'),
        auth_time: source?.authTime,
        acr: source?.acr,
        amr: source?.amr,
        nonce: refresh ? undefined : source?.nonce,
        sid: source?.sid,
        ...(user ? scopeClaims(user, scopeSet(grantedScope(ctx))) : {}),
      };
    },
    formats: {
      customizers: {
        // Authentik's access token: the ID token's claims plus azp and uid, header typ "JWT",
        // no scope, jti or client_id claim.
        async jwt(_ctx, _token, structured) {
          structured.header = { typ: 'JWT' };
          delete structured.payload.jti;
          delete structured.payload.scope;
          delete structured.payload.client_id;
        },
      },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // No "do you want to sign out?" question: the form carries logout=yes and submits
        // itself. A client without JavaScript sees this 200 page and posts the form.
        async logoutSource(ctx, form) {
          const withLogout = form.replace('</form>',
            '<input type="hidden" name="logout" value="yes"/><button id="submit" type="submit">Continue</button></form>');
          ctx.type = 'html';
          ctx.body = page('Signing out', `${withLogout}\n<script>HTMLFormElement.prototype.submit.call(document.forms[0]);</script>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = page('Signed out', '<p id="signed-out">You have been signed out.</p>');
        },
      },
      resourceIndicators: {
        enabled: true,
        // Every access token is for the client itself: a JWT with aud = the client id.
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource, client) => {
          if (resource !== RESOURCE) throw new oidcErrors.InvalidTarget();
          return {
            // The access token carries no scope claim; which OIDC scopes it was issued for
            // is kept beside it (see afterTokenResponse()).
            scope: '',
            audience: client.clientId,
            accessTokenFormat: 'jwt',
            accessTokenTTL: TTL.access,
            jwt: {
              sign: ALG === 'HS256'
                ? { alg: 'HS256', key: Buffer.from(client.clientSecret, 'utf8') }
                : { alg: ALG },
            },
          };
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', Object.entries(out)
        .map(([k, v]) => `<pre id="${escapeHtml(k)}">${escapeHtml(v)}</pre>`).join('\n'));
    },
  };

  const provider = new Provider(ISSUER, config);
  // Authentik's ID and access tokens always carry `sid`; oidc-provider adds it only for
  // clients registered for back-channel logout.
  provider.Client.prototype.includeSid = () => true;

  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (route === 'discovery' && ctx.status === 200 && ctx.body) {
      rewriteDiscovery(ctx.body);
    } else if (route === 'jwks' && ALG === 'HS256') {
      ctx.body = {}; // Authentik without a signing key: no `keys` member at all
      ctx.type = 'application/json';
    } else if (route === 'token') {
      if (ctx.status === 401) {
        // Authentik answers every token-endpoint error with 400, invalid_client included.
        ctx.status = 400;
        ctx.remove('WWW-Authenticate');
      }
      if (ctx.status === 400 && ctx.body?.error === 'invalid_grant' && ctx.state.redirectUriMismatch) {
        // Authentik reports a redirect_uri mismatch at the token endpoint as invalid_client.
        ctx.body = { ...ctx.body, error: 'invalid_client' };
      }
      if (ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
        await afterTokenResponse(ctx);
      }
    } else if ((route === 'authorization' || route === 'resume') && ctx.status >= 300 && ctx.status < 400) {
      // Authentik's authorization responses, codes and errors alike, carry no `iss`
      // parameter (RFC 9207).
      const location = ctx.response.get('Location');
      if (location) ctx.set('Location', withoutIss(location));
    } else if (route === 'introspection' && ctx.status !== 200) {
      // Authentik answers {"active": false} on any introspection failure.
      ctx.status = 200;
      ctx.remove('WWW-Authenticate');
      ctx.body = { active: false };
    }
  });

  provider.on('grant.error', (ctx, err) => {
    if (/redirect_uri mismatch/.test(err?.error_detail ?? '')) ctx.state.redirectUriMismatch = true;
  });
  provider.on('grant.revoked', (_ctx, grantId) => {
    revokeAccessTokens((rec) => rec.grantId === grantId);
  });
  // Authentik's end-session deletes the session's access tokens.
  provider.on('end_session.success', (ctx) => {
    const sids = new Set(Object.values(ctx.oidc.session?.authorizations ?? {}).map((a) => a.sid));
    revokeAccessTokens((rec) => sids.has(rec.sid));
  });
  provider.on('server_error', (_ctx, err) => {
    process.stderr.write(`server_error: ${err?.stack ?? err}\n`);
  });

  return { provider, handler: provider.callback() };
}

let current; // { provider, handler }

// ---------------------------------------------------------------------------------------
// Client authentication in front of the provider

// Turns Basic credentials into client_secret_post parameters (oidc-provider allows one auth
// method per client). Raw mode uses user:password exactly as base64-decoded (Authentik does
// not URL-decode them); rfc6749 mode form-decodes both halves first.
function clientAuth(req, params) {
  const header = req.headers.authorization;
  const m = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return params.has('client_secret') ? 'client_secret_post' : 'none';
  if (params.has('client_secret') || params.has('client_assertion')) {
    return 'multiple'; // left to the provider, which rejects it
  }
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  let id = colon >= 0 ? decoded.slice(0, colon) : decoded;
  let secret = colon >= 0 ? decoded.slice(colon + 1) : '';
  if (settings.basicDecoding === 'rfc6749') {
    id = formDecode(id) ?? id;
    const s = formDecode(secret);
    // Not valid percent-encoding: cannot be the secret; keep it so that it fails.
    secret = s ?? `\u0000${secret}`;
  }
  delete req.headers.authorization;
  params.set('client_id', id);
  params.set('client_secret', secret);
  return 'client_secret_basic';
}

function clientAuthenticated(params) {
  const a = Buffer.from(String(params.get('client_secret') ?? ''), 'utf8');
  const b = Buffer.from(CLIENT_SECRET, 'utf8');
  return params.get('client_id') === CLIENT_ID && a.length === b.length && crypto.timingSafeEqual(a, b);
}

// The record of an access token this fixture issued, when still usable.
function liveAccessToken(value) {
  const rec = accessTokens.get(value);
  if (!rec || rec.revoked || rec.exp <= Math.floor(Date.now() / 1000)) return undefined;
  return rec;
}

// ---------------------------------------------------------------------------------------
// Endpoints this fixture answers itself

async function userinfo(req, res, params) {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  const value = m ? m[1] : params.get('access_token');
  const fail = (description) => sendJson(res, 401, { error: 'invalid_token', error_description: description }, {
    'WWW-Authenticate': `Bearer realm="${ISSUER}", error="invalid_token", error_description="${description}"`,
  });
  if (!value) return fail('no access token provided');
  const rec = liveAccessToken(value);
  if (!rec) return fail('invalid token provided');
  const scopes = scopeSet(rec.scope);
  if (!scopes.has('openid')) {
    return sendJson(res, 403, { error: 'insufficient_scope', error_description: 'access token missing openid scope' });
  }
  const user = usersBySub.get(rec.accountId);
  if (!user) return fail('invalid token provided');
  return sendJson(res, 200, { sub: user.sub, ...scopeClaims(user, scopes) });
}

function introspectAccessToken(res, params) {
  const rec = liveAccessToken(params.get('token'));
  if (!rec || rec.clientId !== params.get('client_id')) return sendJson(res, 200, { active: false });
  return sendJson(res, 200, { ...rec.payload, active: true, scope: rec.scope, client_id: rec.clientId });
}

function revokeAccessToken(res, params) {
  const rec = accessTokens.get(params.get('token'));
  if (rec && rec.clientId === params.get('client_id')) rec.revoked = true;
  res.writeHead(200, { 'Content-Length': 0, 'Cache-Control': 'no-store' });
  res.end();
}

// ---------------------------------------------------------------------------------------
// Interactions: login and consent pages

function loginPage(uid, { login = '', error } = {}) {
  return page('Sign in', `${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>\n` : ''}\
<form id="login-form" method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="login">Username</label>
<input id="login" name="login" type="text" autocomplete="username" autofocus value="${escapeHtml(login)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button id="submit" type="submit">Log in</button>
</form>`);
}

function consentPage(uid, details) {
  const scopes = [...(details.params.scope ?? '').split(' ').filter(Boolean)];
  return page('Authorize application', `<p id="client">${escapeHtml(details.params.client_id)} asks for:</p>
<ul id="scopes">${scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
<form id="consent-form" method="post" action="/interaction/${escapeHtml(uid)}/confirm">
<button id="submit" type="submit">Continue</button>
</form>`);
}

async function interaction(req, res, path) {
  const { provider } = current;
  const m = /^\/interaction\/([^/]+)(?:\/(login|confirm))?\/?$/.exec(path);
  if (!m) return sendHtml(res, 404, page('Not found', '<p id="error">not found</p>'));
  const [, uid, action] = m;
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    return sendHtml(res, 400, page('Error', `<pre id="error">${escapeHtml(err.name)}</pre>\n<pre id="error_description">${escapeHtml(err.message)}</pre>`));
  }
  if (details.uid !== uid) {
    return sendHtml(res, 400, page('Error', '<pre id="error">invalid_request</pre>\n<pre id="error_description">interaction mismatch</pre>'));
  }
  const prompt = details.prompt.name;

  if (req.method === 'GET' && !action) {
    if (prompt === 'login') return sendHtml(res, 200, loginPage(uid));
    if (prompt === 'consent') return sendHtml(res, 200, consentPage(uid, details));
    return sendHtml(res, 400, page('Error', `<pre id="error">unsupported prompt ${escapeHtml(prompt)}</pre>`));
  }
  if (req.method !== 'POST') return sendHtml(res, 405, page('Error', '<pre id="error">method not allowed</pre>'));
  const form = new URLSearchParams(await readBody(req));

  if (action === 'login') {
    if (prompt !== 'login') return sendHtml(res, 400, page('Error', '<pre id="error">not a login prompt</pre>'));
    const login = form.get('login') ?? '';
    const user = usersByName.get(login);
    if (!user || user.password !== (form.get('password') ?? '')) {
      return sendHtml(res, 200, loginPage(uid, { login, error: 'Invalid username or password' }));
    }
    return provider.interactionFinished(req, res, {
      login: { accountId: user.sub, acr: ACR, amr: ['pwd'] },
    }, { mergeWithLastSubmission: false });
  }

  if (action === 'confirm') {
    if (prompt !== 'consent') return sendHtml(res, 400, page('Error', '<pre id="error">not a consent prompt</pre>'));
    const { params, session } = details;
    const promptDetails = details.prompt.details;
    let grant;
    if (details.grantId) {
      grant = await provider.Grant.find(details.grantId);
    } else {
      grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    }
    if (promptDetails.missingOIDCScope) grant.addOIDCScope(promptDetails.missingOIDCScope.join(' '));
    if (promptDetails.missingOIDCClaims) grant.addOIDCClaims(promptDetails.missingOIDCClaims);
    if (promptDetails.missingResourceScopes) {
      for (const [indicator, scope] of Object.entries(promptDetails.missingResourceScopes)) {
        grant.addResourceScope(indicator, scope.join(' '));
      }
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  return sendHtml(res, 404, page('Not found', '<p id="error">not found</p>'));
}

// ---------------------------------------------------------------------------------------
// Control API

async function control(req, res, name) {
  let body = {};
  try {
    const text = await readBody(req);
    body = text.trim() ? JSON.parse(text) : {};
  } catch (err) {
    return sendJson(res, 400, { error: `invalid JSON body: ${err.message}` });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return sendJson(res, 400, { error: 'the body must be a JSON object' });
  }
  switch (name) {
    case 'rotate_key': {
      if (ALG === 'HS256') return sendJson(res, 200, { alg: ALG, kid: null, rotated: false });
      const previous = signingKey.kid;
      signingKey = generateKey(ALG);
      current = buildProvider();
      return sendJson(res, 200, { alg: ALG, kid: signingKey.kid, previous_kid: previous, rotated: true });
    }
    case 'token_mode': {
      const mode = body.mode ?? 'normal';
      if (!['normal', 'hang', 'close', 'status', 'delay'].includes(mode)) {
        return sendJson(res, 400, { error: 'mode must be normal, hang, close, status or delay' });
      }
      if (mode === 'delay') {
        const delay = Number(body.seconds);
        if (!Number.isFinite(delay) || delay < 0 || delay > 600) {
          return sendJson(res, 400, { error: 'delay mode needs "seconds" (0-600)' });
        }
        settings.tokenMode = { mode, seconds: delay };
      } else if (mode === 'status') {
        const status = Number(body.status);
        if (!Number.isInteger(status) || status < 100 || status > 599) {
          return sendJson(res, 400, { error: 'status mode needs an integer "status" (100-599)' });
        }
        settings.tokenMode = {
          mode, status, body: String(body.body ?? ''), contentType: body.content_type,
        };
      } else {
        settings.tokenMode = { mode };
      }
      return sendJson(res, 200, { token_mode: settings.tokenMode });
    }
    case 'id_token_nonce': {
      const { value } = body;
      if (value !== null && value !== undefined && typeof value !== 'string') {
        return sendJson(res, 400, { error: '"value" must be a string or null' });
      }
      settings.idTokenNonce = value ?? null;
      return sendJson(res, 200, { id_token_nonce: settings.idTokenNonce });
    }
    case 'id_token_claims': {
      const { claims } = body;
      if (claims !== null && claims !== undefined && (typeof claims !== 'object' || Array.isArray(claims))) {
        return sendJson(res, 400, { error: '"claims" must be an object or null' });
      }
      settings.idTokenClaims = claims && Object.keys(claims).length ? claims : null;
      return sendJson(res, 200, { id_token_claims: settings.idTokenClaims });
    }
    case 'basic_decoding': {
      if (!['raw', 'rfc6749'].includes(body.mode)) return sendJson(res, 400, { error: 'mode must be raw or rfc6749' });
      settings.basicDecoding = body.mode;
      return sendJson(res, 200, { basic_decoding: settings.basicDecoding });
    }
    case 'requests':
      return sendJson(res, 200, { requests: requestLog });
    case 'reset':
      settings = DEFAULTS();
      requestLog = [];
      return sendJson(res, 200, { reset: true });
    case 'state':
      return sendJson(res, 200, {
        alg: ALG,
        kid: ALG === 'HS256' ? null : signingKey.kid,
        token_mode: settings.tokenMode,
        id_token_nonce: settings.idTokenNonce,
        id_token_claims: settings.idTokenClaims,
        basic_decoding: settings.basicDecoding,
      });
    default:
      return sendJson(res, 404, { error: `unknown control ${name}` });
  }
}

// ---------------------------------------------------------------------------------------
// The front handler

// oidc-provider drops offline_access unless prompt=consent was asked for (OpenID Connect
// Core 11); Authentik does not ask for it. Asking on the client's behalf keeps the scope
// (the consent page is then shown each time offline_access is requested).
function askConsentForOfflineAccess(params) {
  const scopes = scopeSet(params.get('scope'));
  const prompts = scopeSet(params.get('prompt'));
  if (scopes.has('offline_access') && !prompts.has('consent') && !prompts.has('none')) {
    prompts.add('consent');
    params.set('prompt', [...prompts].join(' '));
  }
}

const CLIENT_AUTH_ROUTES = new Set(['token', 'revoke', 'introspect']);

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const path = url.pathname;

  if (path.startsWith('/_control/')) {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST only' });
    return control(req, res, decodeURIComponent(path.slice('/_control/'.length)));
  }

  const entry = {
    method: req.method,
    path,
    content_type: req.headers['content-type'] ?? null,
    host: req.headers.host ?? null,
    x_forwarded_host: req.headers['x-forwarded-host'] ?? null,
    x_forwarded_proto: req.headers['x-forwarded-proto'] ?? null,
    client_auth: null,
    grant_type: null,
    status: null,
  };
  requestLog.push(entry);
  res.on('finish', () => { entry.status = res.statusCode; });

  if (path.startsWith('/interaction/')) return interaction(req, res, path);

  if (path !== MOUNT && !path.startsWith(`${MOUNT}/`)) {
    return sendJson(res, 404, { error: 'not_found', error_description: `no such endpoint: ${path}` });
  }
  const rest = path.slice(MOUNT.length);
  const route = rest.replace(/^\/+|\/+$/g, '');

  let params;
  if (req.method === 'POST' && (CLIENT_AUTH_ROUTES.has(route) || route === 'userinfo')) {
    const text = await readBody(req);
    const form = /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
    params = new URLSearchParams(form ? text : '');
    if (CLIENT_AUTH_ROUTES.has(route)) entry.client_auth = clientAuth(req, params);
    entry.grant_type = params.get('grant_type');
    const rewritten = form ? params.toString() : text;
    // oidc-provider reads an already consumed body from req.body.
    req.body = rewritten;
    if (req.headers['content-length'] !== undefined) req.headers['content-length'] = String(Buffer.byteLength(rewritten));
  }

  if (route === 'token' && req.method === 'POST') {
    const mode = settings.tokenMode;
    if (mode.mode === 'hang') return undefined; // never answered
    if (mode.mode === 'delay') await new Promise((resolve) => { setTimeout(resolve, mode.seconds * 1000); });
    if (mode.mode === 'close') {
      req.socket.destroy();
      return undefined;
    }
    if (mode.mode === 'status') {
      let contentType = mode.contentType;
      if (!contentType) {
        try {
          JSON.parse(mode.body);
          contentType = 'application/json';
        } catch {
          contentType = 'text/plain; charset=utf-8';
        }
      }
      res.writeHead(mode.status, {
        'Content-Type': contentType,
        'Content-Length': Buffer.byteLength(mode.body),
        'Cache-Control': 'no-store',
      });
      return res.end(mode.body);
    }
  }

  if (route === 'userinfo' && (req.method === 'GET' || req.method === 'POST')) {
    return userinfo(req, res, params ?? new URLSearchParams());
  }
  if ((route === 'introspect' || route === 'revoke') && req.method === 'POST' && isJwt(params.get('token'))) {
    if (clientAuthenticated(params)) {
      return route === 'introspect' ? introspectAccessToken(res, params) : revokeAccessToken(res, params);
    }
    // A client that fails authentication: the provider's own answer (invalid_client).
  }

  if ((route === 'authorize' || route === 'end-session') && req.method === 'POST'
    && /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
    // Authentik takes these as POST too; oidc-provider would want SameSite=None cookies for
    // that (which browsers drop over plain http), so the form becomes the query of a GET.
    const form = new URLSearchParams(await readBody(req));
    for (const [k, v] of form) url.searchParams.append(k, v);
    req.method = 'GET';
    delete req.headers['content-type'];
    delete req.headers['content-length'];
    delete req.headers['transfer-encoding'];
  }
  if (route === 'authorize' && req.method === 'GET') askConsentForOfflineAccess(url.searchParams);

  req.baseUrl = MOUNT; // oidc-provider builds its URLs from the mount path
  req.url = (rest || '/') + url.search;
  return current.handler(req, res);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    process.stderr.write(`error handling ${req.method} ${req.url}: ${err?.stack ?? err}\n`);
    if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(err?.message ?? err) });
    else res.destroy();
  });
});
server.keepAliveTimeout = 1000;

server.listen(Number(args.port) || 0, '127.0.0.1', () => {
  PORT = server.address().port;
  MOUNT = `/application/o/${args.slug}`;
  ISSUER = `http://127.0.0.1:${PORT}${MOUNT}/`;
  try {
    current = buildProvider();
  } catch (err) {
    process.stderr.write(`cannot configure oidc-provider: ${err?.stack ?? err}\n`);
    process.exit(1);
  }
  const ready = {
    port: PORT,
    issuer: ISSUER,
    discovery: `${ISSUER}.well-known/openid-configuration`,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    alg: ALG,
    kid: ALG === 'HS256' ? null : signingKey.kid,
    redirect_uris: REDIRECT_URIS,
    post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS,
    control: `http://127.0.0.1:${PORT}/_control/`,
    users: Object.fromEntries(USERS.map((u) => [u.username, { password: u.password, sub: u.sub }])),
  };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
});
server.on('error', (err) => {
  process.stderr.write(`cannot listen: ${err.message}\n`);
  process.exit(1);
});

// The parent closes our stdin (or dies): exit at once.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
