// What the usual NestJS + Authentik backend guards its API with: passport-jwt, its keys from
// the provider's JWKS through jwks-rsa (cached, rate-limited), the token from the
// access_token cookie (cookie-parser) or else `Authorization: Bearer`, issuer, audience and
// algorithm checked by jsonwebtoken, and the user built from the claims in validate().
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy } from 'passport-jwt';

/** What the guard puts in `req.user`: the example's user, by the same rules. */
export interface User {
  sub: string;
  email: string | null;
  name: string | null;
  organizationId: string | null;
  role: string;
}

const ROLES = [{ group: 'admins', role: 'admin' }];
const DEFAULT_ROLE = 'user';

export function userFromClaims(claims: Record<string, unknown>): User {
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
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

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const fromCookie = (req: Request): string | null => {
  const value = (req.cookies as Record<string, unknown> | undefined)?.access_token;
  return typeof value === 'string' && value !== '' ? value : null;
};

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor() {
    const issuer = required('ISSUER');
    super({
      jwtFromRequest: ExtractJwt.fromExtractors([fromCookie, ExtractJwt.fromAuthHeaderAsBearerToken()]),
      secretOrKeyProvider: passportJwtSecret({
        cache: true,
        rateLimit: true,
        jwksRequestsPerMinute: 5,
        jwksUri: required('JWKS_URI'),
      }),
      issuer,
      audience: required('CLIENT_ID'),
      algorithms: ['RS256'],
    });
  }

  validate(payload: Record<string, unknown>): User | null {
    return typeof payload.sub === 'string' ? userFromClaims(payload) : null;
  }
}
