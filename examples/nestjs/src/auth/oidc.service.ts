import { randomBytes } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { MemoryStore, RedisStore, RelyingParty, cookies } from 'oidcore';

import { APP_CONFIG, type AppConfig } from '../config.module';

export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';
export const ID_TOKEN_COOKIE = 'id_token';
/** Ties a login in progress (its state and its exchange code) to the browser that started it. */
export const LOGIN_COOKIE = 'oidc_login';

/** Group membership to role, first match wins (the principal's `role`); else "user". */
export const ROLES = [{ group: 'admins', role: 'admin' }];
export const DEFAULT_ROLE = 'user';

// What the provider gave us, as redeemExchangeCode() and refresh() return it.
interface TokenSet {
  accessToken: string;
  idToken?: string | null;
  refreshToken?: string | null;
  expiresIn?: number | null;
}

type CookieOptions = Parameters<typeof cookies.serialize>[2];

const REFRESH_COOKIE_SECONDS = 30 * 24 * 3600; // Authentik's default refresh token lifetime
const LOGIN_COOKIE_SECONDS = 600; // the login state's lifetime

/**
 * The relying party (one per process) and the cookies that carry its tokens.
 * Login state and exchange codes live in the store: this process's memory by default, Redis
 * when REDIS_URL is set (then any number of processes can serve the callback and exchange).
 */
@Injectable()
export class OidcService {
  readonly rp: RelyingParty;

  constructor(@Inject(APP_CONFIG) readonly config: AppConfig) {
    const store = config.redisUrl
      ? new RedisStore({ url: config.redisUrl, keyPrefix: 'oidcore-nestjs:' })
      : new MemoryStore();
    this.rp = new RelyingParty({
      store,
      issuer: config.issuer,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      redirectUri: config.redirectUri,
      scopes: ['openid', 'profile', 'email', 'organization', 'offline_access'],
      postLogoutRedirectUri: config.postLogoutRedirectUri,
      ...(config.internalUrl ? { internalUrl: config.internalUrl } : {}),
      principal: { roles: ROLES, defaultRole: DEFAULT_ROLE },
    });
  }

  /**
   * The attributes of each cookie. Setting and clearing use the very same object (only
   * Max-Age is added when setting): a cookie cleared with another Path or Domain would stay.
   */
  cookieOptions(name: string): CookieOptions {
    const base = { httpOnly: true, secure: this.config.secureCookies, sameSite: 'lax' as const };
    switch (name) {
      case ACCESS_COOKIE:
        return { ...base, path: '/' };
      case REFRESH_COOKIE:
        // Only the refresh endpoint ever sees the refresh token.
        return { ...base, path: '/auth/refresh' };
      case ID_TOKEN_COOKIE:
        // Only needed as id_token_hint when logging out.
        return { ...base, path: '/auth/logout' };
      case LOGIN_COOKIE:
        // Sent to /auth/callback (a top-level GET from the provider: Lax allows it) and
        // /auth/exchange.
        return { ...base, path: '/auth' };
      default:
        throw new Error(`unknown cookie ${name}`);
    }
  }

  setTokenCookies(res: Response, tokens: TokenSet): void {
    const accessSeconds = Math.max(1, Math.floor(tokens.expiresIn ?? 300));
    res.append('Set-Cookie', cookies.serialize(ACCESS_COOKIE, tokens.accessToken,
      { ...this.cookieOptions(ACCESS_COOKIE), maxAge: accessSeconds }));
    if (tokens.refreshToken) {
      res.append('Set-Cookie', cookies.serialize(REFRESH_COOKIE, tokens.refreshToken,
        { ...this.cookieOptions(REFRESH_COOKIE), maxAge: REFRESH_COOKIE_SECONDS }));
    }
    if (tokens.idToken) {
      res.append('Set-Cookie', cookies.serialize(ID_TOKEN_COOKIE, tokens.idToken,
        { ...this.cookieOptions(ID_TOKEN_COOKIE), maxAge: REFRESH_COOKIE_SECONDS }));
    }
  }

  clearTokenCookies(res: Response): void {
    for (const name of [ACCESS_COOKIE, REFRESH_COOKIE, ID_TOKEN_COOKIE]) this.clearCookie(res, name);
  }

  clearCookie(res: Response, name: string): void {
    res.append('Set-Cookie', cookies.clear(name, this.cookieOptions(name)));
  }

  /**
   * The browser's login binding: a random value in an HttpOnly cookie, given to beginLogin,
   * completeLogin and redeemExchangeCode. A state or an exchange code that leaked (a log, a
   * Referer, a shared link) is useless in another browser. Logins in several tabs share it.
   */
  loginBinding(req: { headers: { cookie?: string } }, res: Response): string {
    const existing = this.requestCookies(req.headers.cookie)[LOGIN_COOKIE];
    const binding = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : randomBytes(32).toString('base64url');
    res.append('Set-Cookie', cookies.serialize(LOGIN_COOKIE, binding,
      { ...this.cookieOptions(LOGIN_COOKIE), maxAge: LOGIN_COOKIE_SECONDS }));
    return binding;
  }

  /** The cookies of a request, by name. */
  requestCookies(header: string | undefined): Record<string, string> {
    return header ? cookies.parse(header) : {};
  }
}
