import { type ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { OidcoreError, OidcoreStrategy, type Principal } from 'oidcore';

import { toHttp } from './errors';
import { OidcService } from './oidc.service';

/** What the guard puts in `req.user`: oidcore's principal of the access token. */
export interface User {
  sub: string;
  email: string | null;
  name: string | null;
  /**
   * The ORGANIZATION_CLAIM claim; without it, the subject (ORGANIZATION_FALLBACK=sub, the
   * default) or null (ORGANIZATION_FALLBACK=none).
   */
  organizationId: string | number | null;
  /** From ROLE_MAP (first group the user is in), else DEFAULT_ROLE. */
  role: string;
}

/**
 * The drop-in for a passport-jwt strategy: the same PassportStrategy mixin and validate()
 * contract, with oidcore verifying the token (from the access token cookie, else
 * `Authorization: Bearer`) against the provider's keys, issuer and audience.
 * Use it with `@UseGuards(OidcoreAuthGuard)` (below: AuthGuard('oidcore') that answers an
 * outage with 503).
 *
 * The user is oidcore's principal, built by the core with the configured mapping (roles,
 * organization claim and its fallback): `passResultToCallback` hands it to validate() after
 * the payload, so the mapping is written once, in the configuration, for every language.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(OidcoreStrategy, 'oidcore') {
  constructor(oidc: OidcService) {
    super({ verifier: oidc.rp, cookieName: oidc.cookieName('access'), passResultToCallback: true });
  }

  // payload: the verified claims of the access token, as passport-jwt would pass them;
  // result: the whole verification, with the principal. What is returned becomes req.user;
  // null or false is a 401.
  validate(payload: Record<string, unknown>, result?: { principal: Principal | null }): User | null {
    const p = result?.principal;
    if (!p || typeof p.sub !== 'string' || typeof payload.sub !== 'string') return null;
    return { sub: p.sub, email: p.email, name: p.name, organizationId: p.organizationId, role: p.role };
  }
}

/**
 * AuthGuard('oidcore'), with the strategy's errors answered as the rest of the app answers
 * them: keys, provider or store unreachable (the strategy's error, never its 401) is a 503
 * with the stable code; a rejected token stays the generic 401.
 */
@Injectable()
export class OidcoreAuthGuard extends AuthGuard('oidcore') {
  override handleRequest<TUser>(err: unknown, user: TUser, info: unknown, context: ExecutionContext,
    status?: unknown): TUser {
    if (err instanceof OidcoreError) throw toHttp(err, 'authentication');
    return super.handleRequest(err, user, info, context, status);
  }
}
