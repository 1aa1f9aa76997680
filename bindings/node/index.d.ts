/** Stable error codes, the same strings in C, Node and Python. */
export type OidcoreErrorCode =
  | 'malformed' | 'too_large' | 'unsupported_alg' | 'alg_not_allowed' | 'key_not_found' | 'bad_signature'
  | 'expired' | 'not_yet_valid' | 'issued_in_future' | 'bad_issuer' | 'bad_audience' | 'bad_type'
  | 'bad_nonce' | 'too_old' | 'missing_claim' | 'jwks_unavailable' | 'http_error' | 'idp_error'
  | 'store_unavailable' | 'not_found' | 'unsafe_redirect' | 'invalid_config' | 'invalid_argument'
  | 'internal';

export class OidcoreError extends Error {
  readonly name: 'OidcoreError';
  readonly code: OidcoreErrorCode;
  constructor(code: OidcoreErrorCode, message?: string);
}

export type JwsAlgorithm =
  | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA'
  | 'HS256' | 'HS384' | 'HS512';

export interface Jwk { kty: string; kid?: string; alg?: string; use?: string; [member: string]: unknown; }
export interface JwkSet { keys?: Jwk[]; }

export interface PrincipalOptions {
  /** Claim holding the organization id; falls back to `sub`. Default "organizationId". */
  organizationIdClaim?: string;
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
  cacheTtl?: number;
  cacheMinTtl?: number;
  cacheMaxTtl?: number;
  staleIfError?: number;
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
  jwks?: {
    fetches: number; fetch_failures: number; rate_limited: number;
    last_success: number | null; last_failure: number | null; last_error: string | null;
    key_count: number; cache_age: number | null; stale: boolean;
  };
}

export class Verifier {
  constructor(options: VerifierOptions);
  verify<C extends JwtClaims = JwtClaims>(token: string | Uint8Array): Promise<VerifyResult<C>>;
  verifySync<C extends JwtClaims = JwtClaims>(token: string | Uint8Array): VerifyResult<C>;
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

export const version: string;
/** The OpenSSL oidcore's calls run on (inside Node: Node's own copy). */
export const cryptoVersion: string;
export const codes: readonly OidcoreErrorCode[];
