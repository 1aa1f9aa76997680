// The same verification as the example's OidcoreGuard, inside this app: an oidcore Verifier
// on the same JWKS (JWKS_URI), issuer and audience as passport-jwt, the token from the
// access_token cookie or else `Authorization: Bearer`, the core's principal (the same rules as
// userFromClaims) in `req.user`. Beside passport-jwt in one process, the two guards are
// compared on the same floor, measured in turn.
import { CanActivate, ExecutionContext, Injectable, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { OidcoreError, Verifier, type VerifyResult } from 'oidcore';

import type { User } from './jwt.strategy';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

@Injectable()
export class OidcoreGuard implements CanActivate {
  private readonly verifier = new Verifier({
    issuer: required('ISSUER'),
    audience: required('CLIENT_ID'),
    jwksUri: required('JWKS_URI'),
    algorithms: ['RS256'],
    principal: {
      roles: [{ group: 'admins', role: 'admin' }],
      defaultRole: 'user',
      organizationIdClaim: 'organizationId',
      organizationFallback: 'sub',
    },
  });

  private readonly options = Object.freeze({ cookieName: 'access_token' });

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { user?: User }>();
    let result: VerifyResult | undefined;
    try {
      result = this.verifier.verifyRequestCached(req, this.options);
    } catch (err) {
      refuse(err);
    }
    if (result !== undefined) return accept(req, result);
    return this.verifier.verifyRequest(req, this.options).then((r) => accept(req, r), refuse);
  }
}

function accept(req: Request & { user?: User }, { principal }: VerifyResult): boolean {
  if (!principal || typeof principal.sub !== 'string') throw new UnauthorizedException();
  const org = principal.organizationId; // a number when the claim is one
  req.user = {
    sub: principal.sub,
    email: principal.email,
    name: principal.name,
    organizationId: typeof org === 'number' ? String(org) : org,
    role: principal.role,
  };
  return true;
}

function refuse(err: unknown): never {
  if (!(err instanceof OidcoreError)) throw err;
  if (err.unavailable) throw new ServiceUnavailableException({ error: err.code });
  throw new UnauthorizedException();
}
