// A plain NestJS guard that checks nothing and lets every request through as the same user,
// shaped like the example's OidcoreGuard (async canActivate, req.user set): what NestJS's
// guard pipeline costs by itself, the ceiling of any Nest guard, whatever verifies the token.
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';

import type { User } from './jwt.strategy';
import { USER } from './noop.strategy';

@Injectable()
export class NoopGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { user?: User }>();
    req.user = { ...USER };
    return true;
  }
}
