import {
  Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UnauthorizedException, UseGuards, BadRequestException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { OidcoreError, safeRedirect } from 'oidcore';

import { ROUTES } from '../config';
import { APP_CONFIG, type AppConfig } from '../config.module';
import { logFailure, toHttp } from './errors';
import { OidcoreAuthGuard, type User } from './jwt.strategy';
import { OidcService } from './oidc.service';
import { SameOriginGuard } from './same-origin.guard';

/** Where a login goes when it does not say. */
const DEFAULT_AFTER_LOGIN = '/app/';

/**
 * The login flow: the browser only ever sees a one-time exchange code, never a token.
 * The routes (and so the redirect URI and the cookie paths) come from ROUTES in config.ts,
 * under the configured GLOBAL_PREFIX.
 */
@Controller(ROUTES.auth)
export class AuthController {
  constructor(
    private readonly oidc: OidcService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * GET /auth/login?redirect=/path: a new login (state, nonce and PKCE kept in the store,
   * with where to go afterwards), then off to the provider. A redirect target that is not a
   * same-site path (`//evil.com`, `https://...`, `/\evil.com`, ...) becomes `/`. When the
   * login cannot start (the store or the provider's discovery unreachable: store_unavailable,
   * http_error, within their timeouts), the browser goes back to the start page with the code.
   */
  @Get(ROUTES.login)
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    const wanted = typeof req.query.redirect === 'string' ? req.query.redirect : DEFAULT_AFTER_LOGIN;
    const redirectAfter = safeRedirect(wanted, '/');
    const binding = this.oidc.loginBinding(req, res);
    let url: string;
    try {
      ({ url } = await this.oidc.rp.beginLogin({ redirectAfter, binding }));
    } catch (err) {
      const code = logFailure(err, 'beginLogin');
      res.redirect(302, `/app/?error=${encodeURIComponent(code)}`);
      return;
    }
    res.redirect(302, url);
  }

  /**
   * GET /auth/callback?code=...&state=...: the provider sends the browser back here. The state
   * is consumed (once), the code exchanged for tokens and the ID token checked; the tokens go
   * into the store under a one-time exchange code, and only that code travels to the
   * frontend's callback page.
   */
  @Get(ROUTES.callback)
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    // The state and the exchange code are bound to this browser's login cookie.
    const binding = this.oidc.requestCookie(req, 'login');
    let result;
    try {
      result = await this.oidc.rp.completeLogin(req.url, {
        exchangeCode: true,
        ...(binding ? { binding, exchangeCodeBinding: binding } : {}),
      });
    } catch (err) {
      // Denied at the provider, a stale, replayed or foreign state, a bad ID token, ...: back
      // to the start page with the stable code.
      const code = logFailure(err, 'completeLogin');
      res.redirect(302, `/app/?error=${encodeURIComponent(code)}`);
      return;
    }
    const query = new URLSearchParams({
      code: result.exchangeCode ?? '',
      redirect: result.redirectAfter ?? DEFAULT_AFTER_LOGIN,
    });
    res.redirect(302, `/app/callback.html?${query}`);
  }

  /**
   * POST /auth/exchange {"code": "...", "redirect": "/path"}: redeems the exchange code
   * (exactly once: a second POST of the same code is 400 not_found) and puts the tokens into
   * HttpOnly cookies. The body carries no token; `redirect` comes back checked.
   */
  @Post(ROUTES.exchange)
  @HttpCode(200)
  @UseGuards(SameOriginGuard)
  async exchange(
    @Req() req: Request,
    @Body() body: { code?: unknown; redirect?: unknown } | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ ok: true; principal: unknown; expiresAt: unknown; redirect: string }> {
    const code = body?.code;
    if (typeof code !== 'string' || code === '') throw new BadRequestException({ error: 'invalid_argument' });
    const binding = this.oidc.requestCookie(req, 'login');
    let tokens;
    try {
      tokens = await this.oidc.rp.redeemExchangeCode(code, binding ? { binding } : {});
    } catch (err) {
      throw toHttp(err, 'redeemExchangeCode');
    }
    this.oidc.clearCookie(res, 'login');
    this.oidc.setTokenCookies(res, tokens);
    const redirect = safeRedirect(typeof body?.redirect === 'string' ? body.redirect : DEFAULT_AFTER_LOGIN, '/');
    return { ok: true, principal: tokens.principal, expiresAt: tokens.expiresAt, redirect };
  }

  /** GET /auth/session: who is logged in, from the access token cookie; 401 otherwise. */
  @Get(ROUTES.session)
  @UseGuards(OidcoreAuthGuard)
  session(@Req() req: Request & { user?: User }): { principal: User | undefined } {
    return { principal: req.user };
  }

  /**
   * POST /auth/refresh: the refresh token cookie (sent to this path only) buys a new token
   * set; the provider rotates the refresh token, so the cookie is replaced too. Concurrent
   * refreshes of one token are a single call to the provider.
   */
  @Post(ROUTES.refresh)
  @HttpCode(200)
  @UseGuards(SameOriginGuard)
  async refresh(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ ok: true; principal: unknown; expiresAt: unknown }> {
    const refreshToken = this.oidc.requestCookie(req, 'refresh');
    if (!refreshToken) throw new UnauthorizedException({ error: 'no_refresh_token' });
    let tokens;
    try {
      tokens = await this.oidc.rp.refresh(refreshToken);
    } catch (err) {
      // A refresh token that is expired, revoked or already used will not get better.
      if (err instanceof OidcoreError && err.code === 'idp_error') this.oidc.clearTokenCookies(res);
      throw toHttp(err, 'refresh');
    }
    this.oidc.setTokenCookies(res, tokens);
    return { ok: true, principal: tokens.principal, expiresAt: tokens.expiresAt };
  }

  /**
   * POST /auth/logout: no guard, so that an expired or missing access token still logs out.
   * Clears every auth cookie (with the attributes they were set with) before anything else,
   * then ends the session for good: the access token's session goes on the deny list in the
   * store (every instance refuses that token at once, even before it expires), the refresh
   * token is revoked at the provider, and the answer is the provider's end-session URL
   * (id_token_hint, post_logout_redirect_uri) for the browser to follow. A revocation or
   * deny-list failure is logged, not turned into an error: the user is logged out here anyway.
   */
  @Post('logout')
  @HttpCode(200)
  @UseGuards(SameOriginGuard)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response):
    Promise<{ logoutUrl: string; revoked: boolean; denied: boolean }> {
    const accessToken = this.oidc.requestCookie(req, 'access');
    const refreshToken = this.oidc.requestCookie(req, 'refresh');
    const idTokenHint = this.oidc.requestCookie(req, 'idToken');
    this.oidc.clearTokenCookies(res);
    this.oidc.clearCookie(res, 'login');
    try {
      const out = await this.oidc.rp.logout({
        accessToken,
        refreshToken,
        idTokenHint,
        postLogoutRedirectUri: this.config.postLogoutRedirectUri,
      });
      if (out.revokeError) logFailure(out.revokeError, 'logout: refresh token revocation');
      if (out.denyError) logFailure(out.denyError, 'logout: deny list');
      // A provider without an end-session endpoint: straight to where it would have sent us.
      return { logoutUrl: out.logoutUrl ?? this.config.postLogoutRedirectUri, revoked: out.revoked, denied: out.denied };
    } catch (err) {
      throw toHttp(err, 'logout');
    }
  }
}
