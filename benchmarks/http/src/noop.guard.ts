// A plain NestJS guard that checks nothing and lets every request through as the same user
// (req.user set), async as most guards are: what NestJS's guard pipeline costs by itself.
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

/**
 * The same, answering without a promise, as the oidcore guards do when the keys are in
 * memory: the ceiling of any Nest guard, whatever verifies the token.
 */
@Injectable()
export class NoopSyncGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request & { user?: User }>();
    req.user = { ...USER };
    return true;
  }
}
