/** Stable error codes, the same strings in C, Node and Python. */
export type OidcoreErrorCode =
  | 'malformed' | 'too_large' | 'unsupported_alg' | 'alg_not_allowed' | 'key_not_found' | 'bad_signature'
  | 'expired' | 'not_yet_valid' | 'issued_in_future' | 'bad_issuer' | 'bad_audience' | 'bad_type'
  | 'bad_nonce' | 'too_old' | 'missing_claim' | 'jwks_unavailable' | 'http_error' | 'idp_error'
  | 'store_unavailable' | 'not_found' | 'unsafe_redirect' | 'invalid_config' | 'invalid_argument'
  | 'internal'
  /** The token verified, but its session was logged out (deny list). */
  | 'revoked';

export interface OidcoreErrorDetails {
  error?: string;
  errorDescription?: string;
  status?: number;
}

export class OidcoreError extends Error {
  readonly name: 'OidcoreError';
  readonly code: OidcoreErrorCode;
  /**
   * True when a service could not be reached (the provider, its keys, the store:
   * 'jwks_unavailable', 'http_error', 'store_unavailable'): the verdict is unknown, not the
   * token's fault. Answer 503 and retry, never 401.
   */
  readonly unavailable: boolean;
  /** 'idp_error' only: the provider's OAuth `error` ("invalid_grant", "invalid_client", ...). */
  readonly error?: string;
  /** 'idp_error' only: the provider's `error_description`, when it gave one. */
  readonly errorDescription?: string;
  /** The HTTP status behind the failure (an IdP endpoint's answer), when there is one. */
  readonly status?: number;
  constructor(code: OidcoreErrorCode, message?: string, details?: OidcoreErrorDetails);
}

export type JwsAlgorithm =
  | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA'
  | 'HS256' | 'HS384' | 'HS512';

export interface Jwk { kty: string; kid?: string; alg?: string; use?: string; [member: string]: unknown; }
export interface JwkSet { keys?: Jwk[]; }

export interface PrincipalOptions {
  /** Claim holding the organization id. Default "organizationId". */
  organizationIdClaim?: string;
  /**
   * When that claim is absent: 'sub' (the default: organizationId is the subject, every user
   * an organization of one) or 'none' (organizationId is null).
   */
  organizationFallback?: 'sub' | 'none';
  /** Claim holding group names. Default "groups". */
  groupsClaim?: string;
  /** Ordered: the first group the user is in decides the role. */
  roles?: Array<{ group: string; role: string }>;
  /** Role when no group matches. Default "user". */
  defaultRole?: string;
}

export interface VerifierOptions {
  /** Compared byte for byte with `iss`. */
  issuer: string;
  /** Accepted audiences: any of them matching any `aud` entry passes. */
  audience: string | string[];
  /** Exactly one key source. */
  jwks?: JwkSet | Jwk | string;
  jwksFile?: string;
  jwksUri?: string;
  discovery?: boolean;
  /** Allowed algorithms; HS* only when listed. Default: every asymmetric algorithm (or what discovery advertises). */
  algorithms?: JwsAlgorithm[];
  /** Seconds of leeway for exp/nbf/iat/maxAge, 0–300. Default 0. */
  clockTolerance?: number;
  requiredClaims?: string[];
  /** Required `typ` header, e.g. "at+jwt" (case-insensitive, "application/" optional). */
  typ?: string;
  /** Default 16384. */
  maxTokenBytes?: number;
  /** Verified-token cache entries (default 1024; 0 turns the cache off). */
  tokenCacheSize?: number;
  /**
   * Consult the deny list of ended sessions kept in `store` (default false; needs `store`):
   * a logged-out token is refused with 'revoked', a store that fails with 'store_unavailable'.
   */
  denyList?: boolean;
  /** The deny list's store, shared with the relying parties that log users out. */
  store?: Store;
  /**
   * Default false: a store that fails the lookup refuses the token ('store_unavailable').
   * true: the token is accepted and the store left alone for 5 s, so verification keeps
   * working through a store outage (logged-out tokens then pass until it is back).
   */
  denyListFailOpen?: boolean;
  /** Seconds since auth_time (or iat). */
  maxAge?: number;
  /** Authorized party (the client id) for ID tokens. */
  azp?: string;
  /** Default 2048. */
  minRsaBits?: number;
  /** Freezes the clock (Unix seconds or a Date): for tests and "was it valid at T". */
  now?: number | Date;
  principal?: PrincipalOptions;
  /** Keys over HTTP. */
  internalUrl?: string;
  caFile?: string;
  caDir?: string;
  /** Seconds. Defaults 2 and 5. */
  connectTimeout?: number;
  httpTimeout?: number;
  maxResponseBytes?: number;
  /** Seconds keys are used before a refresh (default 300): a key removed at the provider stops validating within it. */
  cacheTtl?: number;
  cacheMinTtl?: number;
  /** Default cacheTtl: the provider's max-age may shorten the TTL, not stretch it past this. */
  cacheMaxTtl?: number;
  staleIfError?: number;
  /** Seconds (default 12; 0: never) between two refetches caused by unknown kids, however many arrive. */
  jwksRefetchInterval?: number;
  /** @deprecated The older form of jwksRefetchInterval: n a minute is one refetch every 60/n seconds. */
  jwksRequestsPerMinute?: number;
  jwksRetryInterval?: number;
}

export type JwtClaims = {
  iss?: string; sub?: string; aud?: string | string[]; exp?: number; nbf?: number; iat?: number;
  [claim: string]: unknown;
};

export interface Principal {
  sub: string | null;
  email: string | null;
  name: string | null;
  organizationId: string | number | null;
  role: string;
}

export interface VerifyResult<C extends JwtClaims = JwtClaims> {
  claims: C;
  /** Present when `principal` was configured. */
  principal: Principal | null;
  header: { alg: JwsAlgorithm; kid?: string };
}

export interface VerifierStats {
  verifications: Partial<Record<'ok' | OidcoreErrorCode, number>>;
  /** The verified-token cache: `hits` answers came from it (`ok`, or `revoked` by the deny list). */
  token_cache: { hits: number; entries: number; capacity: number };
  jwks?: {
    fetches: number; fetch_failures: number; rate_limited: number;
    last_success: number | null; last_failure: number | null; last_error: string | null;
    key_count: number; cache_age: number | null; stale: boolean;
    unknown_kid_cached: number; background_refreshes: number;
  };
}

/**
 * Anything a request's headers can be read from: an Express/Node request (`req.headers`), a
 * Fetch Request, a Fetch Headers object, or a plain headers object (names in any case).
 */
export type RequestLike =
  | { headers: HeadersLike }
  | HeadersLike;
export type HeadersLike =
  | { get(name: string): string | null; has(name: string): boolean }
  | { [header: string]: string | string[] | number | undefined };

export type TokenSourceName = 'cookie' | 'bearer';

export interface ExtractTokenOptions {
  /** Default "access_token". */
  cookieName?: string;
  /** Default ['cookie', 'bearer']. */
  order?: TokenSourceName[];
  /** The cookie is a cookie-parser signed cookie ("s:..."): unsigned with these secrets. */
  cookieSecrets?: string[];
}

export interface ExtractedToken {
  token: string;
  source: TokenSourceName;
}

/** The result of verifyRequest: where the token that verified came from, too. */
export interface RequestVerifyResult<C extends JwtClaims = JwtClaims> extends VerifyResult<C> {
  source: TokenSourceName;
}

export class Verifier {
  constructor(options: VerifierOptions);
  /** With `nonce`, the token's `nonce` claim must equal it (else 'bad_nonce'). */
  verify<C extends JwtClaims = JwtClaims>(token: string | Uint8Array, options?: { nonce?: string }): Promise<VerifyResult<C>>;
  /**
   * Every source of the request that holds a token (cookie first, then Bearer, by default)
   * is tried until one verifies: a junk or stale cookie never hides a good bearer token.
   * When none verifies, the most specific failure: keys unreachable, then a rejected token
   * ('expired', ...), then a value that is no token ('malformed', 'too_large'), then
   * 'not_found'; ties go to the first source in order.
   */
  verifyRequest<C extends JwtClaims = JwtClaims>(req: RequestLike, options?: ExtractTokenOptions): Promise<RequestVerifyResult<C>>;
  /**
   * verifyRequest without a promise, from memory on the calling thread (cached keys, the
   * token cache, a MemoryStore's deny list); never waits on the network. Returns the result,
   * throws the OidcoreError of a refused request, or returns undefined when the answer needs
   * the network first (keys to fetch, a deny-list lookup in Redis): call verifyRequest then.
   */
  verifyRequestCached<C extends JwtClaims = JwtClaims>(req: RequestLike, options?: ExtractTokenOptions): RequestVerifyResult<C> | undefined;
  verifySync<C extends JwtClaims = JwtClaims>(token: string | Uint8Array): VerifyResult<C>;
  /**
   * Ends the token's session on the deny list (`denyList` and `store`): true when listed (now
   * or already), false for an expired token. A token that does not verify rejects with its code.
   */
  deny(token: string): Promise<boolean>;
  ready(): Promise<void>;
  stats(): VerifierStats;
}

export interface MemoryStoreOptions {
  /** Default 100000; a full store refuses with code 'store_unavailable'. */
  maxEntries?: number;
  keyPrefix?: string;
}

export interface RedisStoreOptions {
  /** redis://[user:pass@]host:port/db or unix:///path?db=N */
  url: string;
  /** Default "oidcore:". */
  keyPrefix?: string;
  poolSize?: number;
  /** Seconds, default 1. */
  connectTimeout?: number;
  commandTimeout?: number;
}

export class MemoryStore {
  constructor(options?: MemoryStoreOptions);
}

export class RedisStore {
  constructor(options: RedisStoreOptions);
}

export type Store = MemoryStore | RedisStore;

export interface ExchangeCodesOptions {
  store: Store;
  /** Seconds, default 60. */
  ttl?: number;
}

/** One-time codes carrying a payload from the backend callback to the frontend. */
export class ExchangeCodes {
  constructor(options: ExchangeCodesOptions);
  /** Resolves to the code (43 URL-safe characters). */
  create(payload: unknown, options?: { binding?: string; ttl?: number }): Promise<string>;
  /** The payload, exactly once; rejects with code 'not_found' when unknown, expired, used or wrongly bound. */
  redeem<T = unknown>(code: string, options?: { binding?: string }): Promise<T>;
}

export interface StateStoreOptions {
  store: Store;
  /** Seconds, default 600. */
  ttl?: number;
}

export interface CreatedState {
  state: string;
  nonce: string;
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
}

export interface ConsumedState<E = unknown> {
  redirectAfter: string | null;
  extra: E | null;
  nonce: string;
  codeVerifier: string;
  createdAt: number;
}

/** Login state (CSRF state, nonce, PKCE verifier), consumed exactly once. */
export class StateStore {
  constructor(options: StateStoreOptions);
  create(options?: { redirectAfter?: string; extra?: unknown; binding?: string; ttl?: number }): Promise<CreatedState>;
  consume<E = unknown>(state: string, options?: { binding?: string }): Promise<ConsumedState<E>>;
}

// ---------------------------------------------------------------------------------------
// Login flow

export interface RelyingPartyOptions {
  /** Keeps login states and exchange codes. */
  store: Store;
  /** The provider's issuer; discovery is fetched from it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The callback URL registered at the provider. */
  redirectUri: string;
  /** Default ['openid', 'profile', 'email']; must include 'openid'. */
  scopes?: string | string[];
  /** Default 'client_secret_post'. */
  tokenEndpointAuthMethod?: 'client_secret_post' | 'client_secret_basic';
  /** Basic credentials: 'form' (RFC 6749, default) or 'raw'. */
  basicAuthEncoding?: 'form' | 'raw';
  /** Tokens are HS256 keyed with the client secret (a provider without a signing key). */
  hs256ClientSecret?: boolean;
  /** Base URL for every server-to-server call (discovery, keys, token, userinfo, revocation). */
  internalUrl?: string;
  /** Default true: a JWT access token is verified at login. */
  validateAccessToken?: boolean;
  accessTokenAudience?: string | string[];
  postLogoutRedirectUri?: string;
  /**
   * Default false. true: logout() puts the session of a still-valid access token on a deny
   * list in `store`, and access-token verification refuses listed tokens ('revoked') with one
   * store lookup each, on every instance sharing the store.
   */
  denyList?: boolean;
  /** As Verifier's: accept tokens while the store fails the deny-list lookup (default false: refuse). */
  denyListFailOpen?: boolean;
  /** Seconds: default 600, 60 and 3600. */
  stateTtl?: number;
  exchangeCodeTtl?: number;
  /** Tie every login to the browser that started it (default true). */
  browserBinding?: boolean;
  discoveryTtl?: number;
  /** Seconds (0..60, default 2) a finished refresh also answers callers of the same refresh token. */
  refreshReuseWindow?: number;
  /**
   * Default true: the application refreshes its sessions, so scopes without 'offline_access'
   * (no refresh token from Authentik and most providers) give the warning 'no_offline_access'.
   * false: no refresh, no warning.
   */
  refreshTokens?: boolean;
  /** Extra authorization parameters (e.g. { prompt: 'consent' }), passed as given. */
  authorizationParams?: Record<string, string>;
  algorithms?: JwsAlgorithm[];
  clockTolerance?: number;
  principal?: PrincipalOptions;
  maxAge?: number;
  minRsaBits?: number;
  caFile?: string;
  caDir?: string;
  connectTimeout?: number;
  httpTimeout?: number;
  maxResponseBytes?: number;
  cacheTtl?: number;
  cacheMinTtl?: number;
  cacheMaxTtl?: number;
  staleIfError?: number;
  jwksRefetchInterval?: number;
  /** @deprecated The older form of jwksRefetchInterval. */
  jwksRequestsPerMinute?: number;
  jwksRetryInterval?: number;
  maxTokenBytes?: number;
  /** Verified-token cache entries (default 1024; 0 turns the cache off). */
  tokenCacheSize?: number;
}

export interface BeginLoginOptions<E = unknown> {
  /** Where to go after the login: a safe relative path (else 'unsafe_redirect'). */
  redirectAfter?: string;
  /** Any JSON, given back by completeLogin. */
  extra?: E;
  /** Ties the login to one browser (e.g. a cookie's value). */
  binding?: string;
  scopes?: string | string[];
  /** Extra authorization parameters, passed as given. */
  params?: Record<string, string>;
}

export interface LoginStart {
  /** Send the browser here. */
  url: string;
  state: string;
  /**
   * Ties the login to this browser: keep it in a short-lived HttpOnly cookie (SameSite=Lax)
   * and pass it to completeLogin({ binding }). null only with browserBinding: false.
   */
  binding: string | null;
  /** Seconds the login state lives. */
  expiresIn: number;
}

export interface CompleteLoginOptions {
  binding?: string;
  /** Put the token set under a one-time exchange code instead of returning it. */
  exchangeCode?: boolean;
  exchangeCodeTtl?: number;
  exchangeCodeBinding?: string;
}

/** What the provider answered. claims/accessClaims/principal are as given (keys not renamed). */
export interface TokenSet<C extends JwtClaims = JwtClaims> {
  accessToken: string;
  tokenType: string;
  idToken: string | null;
  refreshToken: string | null;
  expiresIn: number | null;
  /** Unix seconds. */
  expiresAt: number | null;
  /** The refresh token's lifetime in seconds, when the provider gives it (Keycloak does, Authentik not). */
  refreshExpiresIn: number | null;
  scope: string | null;
  /** The ID token's claims. */
  claims: C | null;
  /** The access token's claims when it is a JWT that was verified. */
  accessClaims: JwtClaims | null;
  principal: Principal | null;
}

export interface LoginResult<C extends JwtClaims = JwtClaims, E = unknown> extends TokenSet<C> {
  redirectAfter: string | null;
  extra: E | null;
}

export interface ExchangeCodeLoginResult<C extends JwtClaims = JwtClaims, E = unknown> {
  /** One-time code for redeemExchangeCode(). */
  exchangeCode: string;
  claims: C | null;
  principal: Principal | null;
  redirectAfter: string | null;
  extra: E | null;
}

export interface LogoutUrlOptions {
  idTokenHint?: string;
  /** Default: the configured postLogoutRedirectUri. */
  postLogoutRedirectUri?: string;
  state?: string;
}

export interface LogoutOptions extends LogoutUrlOptions {
  /** The session's access token as the browser still has it (missing, expired or junk is fine). */
  accessToken?: string | null;
  /** Revoked at the provider when it has a revocation endpoint. */
  refreshToken?: string | null;
}

export interface LogoutResult {
  /** The end-session URL (client_id, id_token_hint, post_logout_redirect_uri, state); null when the provider has none. */
  logoutUrl: string | null;
  /** The provider accepted the revocation of the refresh token. */
  revoked: boolean;
  /** The session is on the deny list (now or already). */
  denied: boolean;
  /** Why the refresh token was not revoked, when one was given (e.g. 'http_error', 'invalid_config'). */
  revokeError: OidcoreError | null;
  /** Why the session was not listed, when an access token was given (e.g. 'bad_signature', 'store_unavailable'). */
  denyError: OidcoreError | null;
}

/** Something in the configuration that will likely not do what the application expects. */
export interface ConfigWarning {
  /** Stable: 'no_offline_access'. Also sent to process.emitWarning as code OIDCORE_NO_OFFLINE_ACCESS. */
  code: string;
  message: string;
}

/** The authorization-code flow with PKCE against one OpenID Provider. */
export class RelyingParty {
  constructor(options: RelyingPartyOptions);
  /** The configuration's warnings, found at creation (also emitted with process.emitWarning). */
  readonly warnings: readonly ConfigWarning[];
  beginLogin<E = unknown>(options?: BeginLoginOptions<E>): Promise<LoginStart>;
  completeLogin<C extends JwtClaims = JwtClaims, E = unknown>(
    callback: string | URL | URLSearchParams,
    options: CompleteLoginOptions & { exchangeCode: true },
  ): Promise<ExchangeCodeLoginResult<C, E>>;
  completeLogin<C extends JwtClaims = JwtClaims, E = unknown>(
    callback: string | URL | URLSearchParams,
    options?: CompleteLoginOptions & { exchangeCode?: false },
  ): Promise<LoginResult<C, E>>;
  completeLogin<C extends JwtClaims = JwtClaims, E = unknown>(
    callback: string | URL | URLSearchParams,
    options?: CompleteLoginOptions,
  ): Promise<LoginResult<C, E> | ExchangeCodeLoginResult<C, E>>;
  /** The token set behind an exchange code, once; then 'not_found'. */
  redeemExchangeCode<C extends JwtClaims = JwtClaims>(code: string, options?: { binding?: string }): Promise<TokenSet<C>>;
  /** A missing refresh token (null/undefined: the login had no 'offline_access') rejects with 'invalid_argument' saying so. */
  refresh<C extends JwtClaims = JwtClaims>(refreshToken: string | null | undefined): Promise<TokenSet<C>>;
  userinfo<C extends JwtClaims = JwtClaims>(accessToken: string): Promise<C>;
  revoke(token: string, options?: { tokenTypeHint?: 'access_token' | 'refresh_token' }): Promise<void>;
  logoutUrl(options?: LogoutUrlOptions): Promise<string>;
  /** Ends a session: deny list, revocation, end-session URL. Rejects only when nothing could be done. */
  logout(options?: LogoutOptions): Promise<LogoutResult>;
  verifyAccessToken<C extends JwtClaims = JwtClaims>(token: string): Promise<VerifyResult<C>>;
  /** As Verifier.verifyRequest, with the provider's keys, issuer and access-token audience. */
  verifyRequest<C extends JwtClaims = JwtClaims>(req: RequestLike, options?: ExtractTokenOptions): Promise<RequestVerifyResult<C>>;
  /**
   * As Verifier.verifyRequestCached: undefined also while the provider's metadata or keys
   * have not been fetched yet (the first verifyRequest fetches them).
   */
  verifyRequestCached<C extends JwtClaims = JwtClaims>(req: RequestLike, options?: ExtractTokenOptions): RequestVerifyResult<C> | undefined;
}

// ---------------------------------------------------------------------------------------
// Web helpers

export interface CookieOptions {
  /** Default true. */
  httpOnly?: boolean;
  /** Default true. */
  secure?: boolean;
  /** Default 'lax' (any case accepted). */
  sameSite?: 'lax' | 'strict' | 'none' | 'Lax' | 'Strict' | 'None';
  /** Default '/'. */
  path?: string;
  domain?: string;
  /** Seconds. */
  maxAge?: number;
  /** A Date or Unix seconds. */
  expires?: Date | number;
}

export interface SerializeCookieOptions extends CookieOptions {
  /**
   * A JWT: Max-Age is what is left of its lifetime (`exp` - now, at least 0), read without
   * verifying the signature (it only sizes the cookie). `maxAge` is then the fallback for a
   * token without `exp` (an opaque token); without a fallback such a token throws.
   */
  maxAgeFromToken?: string;
}

export const cookies: {
  /** A Cookie header → { name: value }. */
  parse(header: string | undefined | null): Record<string, string>;
  /** 's:' + value + '.' + signature, as cookie-parser signs. */
  sign(value: string, secret: string | Uint8Array): string;
  /** The value, or false for an unsigned value or a bad signature. */
  unsign(signedValue: string, secret: string | Uint8Array | Array<string | Uint8Array>): string | false;
  /** A Set-Cookie header value. A missing value (undefined, null, '') throws 'invalid_argument'. */
  serialize(name: string, value: string, options?: SerializeCookieOptions): string;
  /** Seconds left until the JWT's `exp` (at least 0), read without verifying it; 'malformed' / 'missing_claim' otherwise. */
  maxAgeFromToken(token: string, options?: { now?: number | Date }): number;
  /** The Set-Cookie header value that deletes the cookie (give the options it was set with). */
  clear(name: string, options?: CookieOptions): string;
};

/** `target` when it is a safe relative path, else `fallback`; without one, throws 'unsafe_redirect'. */
export function safeRedirect(target: unknown, fallback?: string): string;

/** The request's access token (cookie first, then Bearer, by default), or null. */
export function extractToken(req: RequestLike, options?: ExtractTokenOptions): ExtractedToken | null;

// ---------------------------------------------------------------------------------------
// Passport

export interface OidcoreStrategyLogger {
  debug?(message: string): unknown;
  log?(message: string): unknown;
  info?(message: string): unknown;
  warn?(message: string): unknown;
}

export interface OidcoreStrategyOptionsBase extends ExtractTokenOptions {
  /**
   * A Verifier or a RelyingParty: anything with verifyRequest(); its verifyRequestCached(),
   * when it has one, is asked first.
   */
  verifier: {
    verifyRequest(req: any, options?: ExtractTokenOptions): Promise<VerifyResult>;
    verifyRequestCached?(req: any, options?: ExtractTokenOptions): VerifyResult | undefined;
  };
  /** Why a token was refused (its code), for the logs; never sent to the client. */
  logger?: ((message: string, error: OidcoreError) => void) | OidcoreStrategyLogger;
}
export interface OidcoreStrategyOptionsWithoutRequest extends OidcoreStrategyOptionsBase {
  passReqToCallback?: false;
  passResultToCallback?: false;
}
export interface OidcoreStrategyOptionsWithRequest extends OidcoreStrategyOptionsBase {
  passReqToCallback: true;
  passResultToCallback?: false;
}
/** The verification result (with the core's principal) comes after the payload. */
export interface OidcoreStrategyOptionsWithResult extends OidcoreStrategyOptionsBase {
  passReqToCallback?: false;
  passResultToCallback: true;
}
export interface OidcoreStrategyOptionsWithRequestAndResult extends OidcoreStrategyOptionsBase {
  passReqToCallback: true;
  passResultToCallback: true;
}

export type OidcoreVerifiedCallback = (error: any, user?: unknown | false, info?: unknown) => void;
export type OidcoreVerifyCallback = (payload: JwtClaims, done: OidcoreVerifiedCallback) => void;
export type OidcoreVerifyCallbackWithRequest = (req: any, payload: JwtClaims, done: OidcoreVerifiedCallback) => void;
export type OidcoreVerifyCallbackWithResult =
  (payload: JwtClaims, result: RequestVerifyResult, done: OidcoreVerifiedCallback) => void;
export type OidcoreVerifyCallbackWithRequestAndResult =
  (req: any, payload: JwtClaims, result: RequestVerifyResult, done: OidcoreVerifiedCallback) => void;

/** A Passport strategy named 'oidcore' with passport-jwt's contract. */
export class OidcoreStrategy {
  constructor(options: OidcoreStrategyOptionsWithoutRequest, verify: OidcoreVerifyCallback);
  constructor(options: OidcoreStrategyOptionsWithRequest, verify: OidcoreVerifyCallbackWithRequest);
  constructor(options: OidcoreStrategyOptionsWithResult, verify: OidcoreVerifyCallbackWithResult);
  constructor(options: OidcoreStrategyOptionsWithRequestAndResult, verify: OidcoreVerifyCallbackWithRequestAndResult);
  name: string;
  authenticate(req: any, options?: any): void;
}

export const version: string;
/** The OpenSSL oidcore's calls run on (inside Node: Node's own copy). */
export const cryptoVersion: string;
export const codes: readonly OidcoreErrorCode[];
