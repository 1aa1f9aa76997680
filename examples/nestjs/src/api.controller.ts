import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';

import type { User } from './auth/jwt.strategy';
import { OidcoreGuard } from './auth/oidcore.guard';
import { ROUTES } from './config';

/**
 * An API route behind the guard, as any passport-jwt protected route would be. OidcoreGuard
 * is AuthGuard('oidcore') (as /auth/session uses it) without Passport's per-request work.
 */
@Controller(ROUTES.api)
export class ApiController {
  @Get('me')
  @UseGuards(OidcoreGuard)
  me(@Req() req: Request & { user?: User }): { user: User | undefined } {
    return { user: req.user };
  }

  /**
   * GET /api/health: unguarded, for a load balancer's health check. It needs neither the
   * provider nor the store, so it answers while they are down.
   */
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
