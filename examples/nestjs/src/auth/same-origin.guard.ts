import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';

import { APP_CONFIG, type AppConfig } from '../config.module';

/**
 * For the POST endpoints that act on the auth cookies: a request that names another origin
 * is refused. SameSite=Lax already keeps the cookies off cross-site POSTs; this also covers
 * same-site but cross-origin pages (another port or subdomain).
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== this.config.publicOrigin) {
      throw new ForbiddenException({ error: 'cross_origin' });
    }
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new ForbiddenException({ error: 'cross_origin' });
    }
    return true;
  }
}
