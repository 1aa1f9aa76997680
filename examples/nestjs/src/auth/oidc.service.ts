import { randomBytes } from 'node:crypto';

import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { MemoryStore, RedisStore, RelyingParty, cookies } from 'oidcore';

import { APP_CONFIG, type AppConfig } from '../config.module';
import type { CookieSpec } from '../config';

// What the provider gave us, as redeemExchangeCode() and refresh() return it.
interface TokenSet {
  accessToken: string;
  idToken?: string | null;
  refreshToken?: string | null;
  expiresIn?: number | null;
  refreshExpiresIn?: number | null;
}

type CookieOptions = Parameters<typeof cookies.clear>[1];

/** The cookies of the login flow, by role; their names and paths come from the configuration. */
export type CookieRole = 'access' | 'refresh' | 'idToken' | 'login';

const LOGIN_COOKIE_SECONDS = 600; // the login state's lifetime
// An access token that is not a JWT, from a provider that gave no expires_in either.
const OPAQUE_ACCESS_TOKEN_SECONDS = 300;

/**
 * The relying party (one per process) and the cookies that carry its tokens.
 * Login state and exchange codes live in the store: this process's memory by default, Redis
 * when REDIS_URL is set (then any number of processes can serve the callback and exchange).
 */
@Injectable()
export class OidcService {
  readonly rp: RelyingParty;

  constructor(@Inject(APP_CONFIG) readonly config: AppConfig) {
    const { timeouts } = config;
    const store = config.redisUrl
      ? new RedisStore({
        url: config.redisUrl,
        keyPrefix: 'oidcore-nestjs:',
        ...(timeouts.redisConnect !== undefined ? { connectTimeout: timeouts.redisConnect } : {}),
        ...(timeouts.redisCommand !== undefined ? { commandTimeout: timeouts.redisCommand } : {}),
      })
      : new MemoryStore();
    this.rp = new RelyingParty({
      store,
      issuer: config.issuer,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      redirectUri: config.redirectUri,
      scopes: config.scopes,
      accessTokenAudience: config.audience,
      postLogoutRedirectUri: config.postLogoutRedirectUri,
      // DENY_LIST=on (the default): a logout puts the session on a deny list in the store, and
      // its access token is refused at once by every instance sharing the store, not only
      // when it expires; each verification then asks the store (and fails closed without it).
      denyList: config.denyList,
      ...(config.internalUrl ? { internalUrl: config.internalUrl } : {}),
      principal: config.principal,
      ...(timeouts.http !== undefined ? { httpTimeout: timeouts.http } : {}),
      ...(timeouts.connect !== undefined ? { connectTimeout: timeouts.connect } : {}),
    });
    // Also on stderr through process.emitWarning (OIDCORE_NO_OFFLINE_ACCESS, ...).
    for (const w of this.rp.warnings) new Logger('oidcore').warn(`${w.code}: ${w.message}`);
  }

  /** The name of a cookie. */
  cookieName(role: CookieRole): string {
    return this.config.cookies[role].name;
  }

  /**
   * The attributes of a cookie. Setting and clearing use the very same object (only Max-Age
   * is added when setting): a cookie cleared with another Path or Domain would stay.
   */
  cookieOptions(role: CookieRole): CookieOptions {
    const spec: CookieSpec = this.config.cookies[role];
    return { httpOnly: true, secure: this.config.secureCookies, sameSite: 'lax', path: spec.path };
  }

  /**
   * Each token in its cookie, living exactly as long as the token: the access and ID token
   * cookies take their Max-Age from the token's own `exp` (a 1-hour token gets a 1-hour
   * cookie, not a 7-day one that goes on sending a dead token). The refresh cookie lives as
   * long as the provider says the refresh token does (refresh_expires_in, or the `exp` of a
   * JWT refresh token), else REFRESH_TOKEN_LIFETIME. A token the provider did not give is
   * never written as a cookie: its old cookie is cleared instead.
   */
  setTokenCookies(res: Response, tokens: TokenSet): void {
    this.setCookie(res, 'access', tokens.accessToken, {
      maxAgeFromToken: tokens.accessToken,
      maxAge: tokens.expiresIn ?? OPAQUE_ACCESS_TOKEN_SECONDS, // only for a token without exp
    });
    if (tokens.refreshToken) {
      this.setCookie(res, 'refresh', tokens.refreshToken, {
        maxAgeFromToken: tokens.refreshToken,
        maxAge: tokens.refreshExpiresIn ?? this.config.refreshTokenLifetime,
      });
    } else {
      // No offline_access, no refresh token: no cookie, and none left from an earlier login.
      this.clearCookie(res, 'refresh');
    }
    if (tokens.idToken) {
      this.setCookie(res, 'idToken', tokens.idToken, { maxAgeFromToken: tokens.idToken });
    }
  }

  clearTokenCookies(res: Response): void {
    for (const role of ['access', 'refresh', 'idToken'] as const) this.clearCookie(res, role);
  }

  clearCookie(res: Response, role: CookieRole): void {
    res.append('Set-Cookie', cookies.clear(this.cookieName(role), this.cookieOptions(role)));
  }

  private setCookie(res: Response, role: CookieRole, value: string,
    lifetime: { maxAgeFromToken?: string; maxAge?: number }): void {
    res.append('Set-Cookie', cookies.serialize(this.cookieName(role), value, { ...this.cookieOptions(role), ...lifetime }));
  }

  /**
   * The browser's login binding: a random value in an HttpOnly cookie, given to beginLogin,
   * completeLogin and redeemExchangeCode. A state or an exchange code that leaked (a log, a
   * Referer, a shared link) is useless in another browser. Logins in several tabs share it.
   */
  loginBinding(req: { headers: { cookie?: string } }, res: Response): string {
    const existing = this.requestCookie(req, 'login');
    const binding = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : randomBytes(32).toString('base64url');
    this.setCookie(res, 'login', binding, { maxAge: LOGIN_COOKIE_SECONDS });
    return binding;
  }

  /** The value of one of our cookies in a request, if it has one. */
  requestCookie(req: { headers: { cookie?: string } }, role: CookieRole): string | undefined {
    return this.requestCookies(req.headers.cookie)[this.cookieName(role)];
  }

  /** The cookies of a request, by name. */
  requestCookies(header: string | undefined): Record<string, string> {
    return header ? cookies.parse(header) : {};
  }
}
