import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { OidcoreStrategy } from 'oidcore';

import { ACCESS_COOKIE, DEFAULT_ROLE, OidcService, ROLES } from './oidc.service';

/** What the guard puts in `req.user`. */
export interface User {
  sub: string;
  email?: string;
  name?: string;
  organizationId?: string;
  role?: string;
}

/**
 * The drop-in for a passport-jwt strategy: the same PassportStrategy mixin and validate()
 * contract, with oidcore verifying the token (from the access_token cookie, else
 * `Authorization: Bearer`) against the provider's keys, issuer and audience.
 * Use it with `@UseGuards(AuthGuard('oidcore'))`.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(OidcoreStrategy, 'oidcore') {
  constructor(oidc: OidcService) {
    super({ verifier: oidc.rp, cookieName: ACCESS_COOKIE });
  }

  // payload: the verified claims of the access token, as passport-jwt would pass them.
  // What is returned becomes req.user; null or false is a 401.
  validate(payload: Record<string, unknown>): User | null {
    return typeof payload.sub === 'string' ? userFromClaims(payload) : null;
  }
}

/** The app's user from verified claims: the same shape and rules as oidcore's principal. */
export function userFromClaims(claims: Record<string, unknown>): User {
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const groups = Array.isArray(claims.groups) ? claims.groups : [];
  const sub = String(claims.sub);
  return {
    sub,
    email: str(claims.email),
    name: str(claims.name) ?? str(claims.preferred_username),
    organizationId: str(claims.organizationId) ?? sub,
    role: ROLES.find((r) => groups.includes(r.group))?.role ?? DEFAULT_ROLE,
  };
}
