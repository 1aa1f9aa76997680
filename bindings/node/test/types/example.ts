// Every export of the package, used with its types: `npm run typecheck` (tsc --noEmit) must
// accept this file. It imports the package by its own name, as an application would.
import type { IncomingMessage } from 'node:http';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import oidcoreDefault, {
  RelyingParty, MemoryStore, RedisStore, ExchangeCodes, StateStore, Verifier, cookies, safeRedirect, extractToken,
  OidcoreError, OidcoreStrategy, version, cryptoVersion, codes,
} from 'oidcore';
import type {
  OidcoreErrorCode, VerifyResult, TokenSet, LoginResult, ExchangeCodeLoginResult, LoginStart, Principal,
  RelyingPartyOptions, CookieOptions, ExtractedToken, JwtClaims, Store, RequestVerifyResult, TokenSourceName,
  LogoutResult,
} from 'oidcore';

interface AppClaims extends JwtClaims {
  email?: string;
  groups?: string[];
  organizationId?: string;
}

async function loginFlow(store: Store): Promise<void> {
  const options: RelyingPartyOptions = {
    store,
    issuer: 'https://auth.example.com/application/o/app/',
    clientId: 'app',
    clientSecret: 'secret',
    redirectUri: 'https://app.example.com/auth/callback',
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    basicAuthEncoding: 'form',
    internalUrl: 'http://authentik:9000/',
    validateAccessToken: true,
    accessTokenAudience: 'app',
    postLogoutRedirectUri: 'https://app.example.com/',
    stateTtl: 600,
    exchangeCodeTtl: 60,
    discoveryTtl: 3600,
    authorizationParams: { prompt: 'consent', acr_values: 'goauthentik.io/providers/oauth2/default' },
    algorithms: ['RS256', 'ES256'],
    clockTolerance: 5,
    principal: { roles: [{ group: 'admins', role: 'admin' }], defaultRole: 'user', organizationIdClaim: 'organizationId' },
    caFile: '/etc/ssl/certs/ca.pem',
    httpTimeout: 5,
    connectTimeout: 2,
  };
  const rp = new RelyingParty(options);

  const start: LoginStart = await rp.beginLogin({ redirectAfter: '/dashboard', extra: { tenant: 7 }, binding: 'b', scopes: 'openid', params: { ui_locales: 'fr' } });
  const url: string = start.url;
  const expiresIn: number = start.expiresIn;

  const full: LoginResult<AppClaims, { tenant: number }> = await rp.completeLogin(`${url}?code=c&state=${start.state}`, { binding: 'b' });
  const groups: string[] | undefined = full.claims?.groups;
  const tenant: number | undefined = full.extra?.tenant;
  const redirect: string = safeRedirect(full.redirectAfter, '/');
  const principal: Principal | null = full.principal;
  const expiresAt: number | null = full.expiresAt;

  const handOff: ExchangeCodeLoginResult = await rp.completeLogin(new URL('https://app.example.com/auth/callback?code=c&state=s'), {
    exchangeCode: true, exchangeCodeTtl: 30, exchangeCodeBinding: 'browser',
  });
  const tokens: TokenSet = await rp.redeemExchangeCode(handOff.exchangeCode, { binding: 'browser' });
  const refreshed: TokenSet<AppClaims> = await rp.refresh(tokens.refreshToken ?? '');
  const info: AppClaims = await rp.userinfo<AppClaims>(refreshed.accessToken);
  const revoked: void = await rp.revoke(refreshed.accessToken, { tokenTypeHint: 'access_token' });
  const logout: string = await rp.logoutUrl({ idTokenHint: tokens.idToken ?? undefined, postLogoutRedirectUri: 'https://app.example.com/', state: 's' });
  const ended: LogoutResult = await rp.logout({
    accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, idTokenHint: tokens.idToken ?? undefined, state: 's',
  });
  const endUrl: string | null = ended.logoutUrl;
  const failed: OidcoreErrorCode | undefined = ended.revokeError?.code ?? ended.denyError?.code;
  console.log(endUrl, ended.revoked, ended.denied, failed);
  const verified: VerifyResult<AppClaims> = await rp.verifyAccessToken<AppClaims>(tokens.accessToken);
  const fromRequest: RequestVerifyResult = await rp.verifyRequest({ headers: { cookie: 'access_token=x' } }, { cookieName: 'access_token' });
  const fromMemory: RequestVerifyResult | undefined = rp.verifyRequestCached({ headers: { cookie: 'access_token=x' } });
  void fromMemory;
  const either = await rp.completeLogin(new URLSearchParams({ code: 'c', state: 's' }), { exchangeCode: Math.random() > 0.5 });
  if ('exchangeCode' in either) console.log(either.exchangeCode);
  console.log(url, expiresIn, groups, tenant, redirect, principal?.role, expiresAt, info.email, revoked, logout,
    verified.claims.organizationId, verified.header.kid, fromRequest.principal, fromRequest.source);
}

async function verification(req: IncomingMessage): Promise<void> {
  const verifier = new Verifier({
    issuer: 'https://auth.example.com/application/o/app/', audience: ['app', 'api'], discovery: true,
    clockTolerance: 30, typ: 'at+jwt', requiredClaims: ['sub'], now: new Date(), jwksRequestsPerMinute: 5,
  });
  await verifier.ready();
  const listed = new Verifier({
    issuer: 'https://auth.example.com/application/o/app/', audience: 'app', jwksUri: 'https://auth.example.com/jwks/',
    denyList: true, store: new MemoryStore(),
  });
  const denied: boolean = await listed.deny('a.b.c');
  const code: OidcoreErrorCode = 'revoked';
  console.log(denied, code);
  const r: VerifyResult<AppClaims> = await verifier.verify<AppClaims>('a.b.c', { nonce: 'n' });
  const s: VerifyResult = verifier.verifySync(new Uint8Array(3));
  const q: VerifyResult = await verifier.verifyRequest(req, { order: ['bearer', 'cookie'], cookieSecrets: ['k'] });
  const from: TokenSourceName = (await verifier.verifyRequest<AppClaims>(req)).source;
  const fetchRequest = new Request('https://app.example.com/', { headers: { authorization: 'Bearer x' } });
  await verifier.verifyRequest(fetchRequest);
  await verifier.verifyRequest(new Headers({ cookie: 'access_token=x' }));
  const now: RequestVerifyResult<AppClaims> | undefined = verifier.verifyRequestCached<AppClaims>(req);
  const nowSub: string | undefined = now?.claims.sub;
  void nowSub;
  console.log(r.claims.email, s.header.alg, q.principal, from, verifier.stats().verifications.ok);
}

function web(req: IncomingMessage): void {
  const jar: Record<string, string> = cookies.parse(req.headers.cookie);
  const signed: string = cookies.sign('value', 'secret');
  const value: string | false = cookies.unsign(signed, ['new', 'old']);
  const options: CookieOptions = { httpOnly: true, secure: true, sameSite: 'lax', path: '/', domain: 'example.com', maxAge: 3600, expires: new Date() };
  const header: string = cookies.serialize('access_token', 'v', options);
  const clear: string = cookies.clear('access_token', { path: '/', sameSite: 'Strict', expires: 0 });
  const target: string = safeRedirect('/next');
  const found: ExtractedToken | null = extractToken(req, { cookieName: 'access_token' });
  const fromHeaders = extractToken({ Authorization: 'Bearer x' });
  if (found) console.log(found.token, found.source === 'cookie' || found.source === 'bearer');
  console.log(jar, value, header, clear, target, fromHeaders?.token);
}

async function stores(): Promise<void> {
  const memory = new MemoryStore({ maxEntries: 1000, keyPrefix: 'app:' });
  const redis = new RedisStore({ url: 'redis://127.0.0.1:6379/0', keyPrefix: 'app:', poolSize: 4, connectTimeout: 1, commandTimeout: 1 });
  const codesStore = new ExchangeCodes({ store: redis, ttl: 60 });
  const code: string = await codesStore.create({ access_token: 'x' }, { binding: 'b', ttl: 30 });
  const payload = await codesStore.redeem<{ access_token: string }>(code, { binding: 'b' });
  const states = new StateStore({ store: memory, ttl: 600 });
  const created = await states.create({ redirectAfter: '/', extra: 1, binding: 'b', ttl: 60 });
  const consumed = await states.consume<number>(created.state, { binding: 'b' });
  await loginFlow(memory);
  console.log(payload.access_token, created.codeChallengeMethod, consumed.extra);
}

function errors(err: unknown): number {
  if (err instanceof OidcoreError) {
    const c: OidcoreErrorCode = err.code;
    if (c === 'idp_error' && err.error === 'invalid_grant') return 401;
    const status: number | undefined = err.status;
    const description: string | undefined = err.errorDescription;
    console.log(description);
    return status ?? 500;
  }
  const made = new OidcoreError('not_found', 'gone', { error: 'invalid_grant', errorDescription: 'd', status: 400 });
  return made.status ?? 0;
}

// Passport, plain and through @nestjs/passport's mixin (NestJS's own usage).
function passportSetup(verifier: Verifier, rp: RelyingParty): void {
  passport.use(new OidcoreStrategy({ verifier, cookieName: 'access_token', order: ['cookie', 'bearer'], logger: console },
    (payload, done) => done(null, { sub: payload.sub })));
  passport.use('oidcore-req', new OidcoreStrategy({ verifier: rp, passReqToCallback: true, logger: (message, error) => console.debug(message, error.code) },
    (req: IncomingMessage, payload: JwtClaims, done) => done(null, req.url ? payload : false)));

  class JwtStrategy extends PassportStrategy(OidcoreStrategy, 'oidcore') {
    constructor(relyingParty: RelyingParty) {
      super({ verifier: relyingParty, cookieName: 'access_token' });
    }

    validate(payload: AppClaims): { sub: string; email?: string } {
      return { sub: String(payload.sub), email: payload.email };
    }
  }
  const strategy = new JwtStrategy(rp);
  console.log(strategy.name);
}

const all: readonly OidcoreErrorCode[] = codes;
console.log(version, cryptoVersion, all.length, oidcoreDefault.version, web, verification, stores, errors, passportSetup);
