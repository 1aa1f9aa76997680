import { debuglog } from 'node:util';

import {
  CanActivate, ExecutionContext, Injectable, ServiceUnavailableException, UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { OidcoreError, type VerifyResult } from 'oidcore';

import type { User } from './jwt.strategy';
import { OidcService } from './oidc.service';

const debug = debuglog('oidcore');

/**
 * The API's guard: what AuthGuard('oidcore') does (the access token from its cookie, else
 * `Authorization: Bearer`, verified by oidcore; the core's principal in `req.user`), without
 * Passport in between. Passport's own work on every request (a strategy object and its
 * callbacks made anew, the promise around them) costs more than oidcore's verification of a
 * known token; benchmarks/README.md, "HTTP", has the numbers. A missing or rejected token is
 * a 401 (the reason only under NODE_DEBUG=oidcore); keys that cannot be fetched are a 503.
 *
 * A token whose keys are in memory is answered on the spot (verifyRequestCached: no promise,
 * so Nest goes on at once); only when keys or the provider's metadata must be fetched, or the
 * deny list is in Redis, does the guard wait for verifyRequest.
 */
@Injectable()
export class OidcoreGuard implements CanActivate {
  // Frozen: the binding converts it for the core once.
  private readonly options: Readonly<{ cookieName: string }>;

  constructor(private readonly oidc: OidcService) {
    this.options = Object.freeze({ cookieName: oidc.cookieName('access') });
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { user?: User }>();
    let result: VerifyResult | undefined;
    try {
      result = this.oidc.rp.verifyRequestCached(req, this.options);
    } catch (err) {
      refuse(err);
    }
    if (result !== undefined) return accept(req, result);
    return this.oidc.rp.verifyRequest(req, this.options).then((r) => accept(req, r), refuse);
  }
}

// The principal into req.user.
function accept(req: Request & { user?: User }, { principal }: VerifyResult): boolean {
  if (!principal || typeof principal.sub !== 'string') throw new UnauthorizedException();
  req.user = {
    sub: principal.sub,
    email: principal.email,
    name: principal.name,
    organizationId: principal.organizationId,
    role: principal.role,
  };
  return true;
}

// A rejected token is a 401; an outage (keys, provider, store) a 503 with its code.
function refuse(err: unknown): never {
  if (!(err instanceof OidcoreError)) throw err;
  // The provider's keys or metadata, or the store, could not be had: not the token's fault.
  if (err.unavailable) throw new ServiceUnavailableException({ error: err.code });
  debug('token rejected: %s: %s', err.code, err.message);
  throw new UnauthorizedException();
}
