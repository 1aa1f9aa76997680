import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';

import type { User } from './jwt.strategy';
import { NoopGuard, NoopSyncGuard } from './noop.guard';
import { OidcoreGuard } from './oidcore.guard';

/** The example's ApiController, with passport-jwt's guard. */
@Controller('api')
export class ApiController {
  @Get('me')
  @UseGuards(AuthGuard('jwt'))
  me(@Req() req: Request & { user?: User }): { user: User | undefined } {
    return { user: req.user };
  }

  /** The same handler behind a guard that checks nothing: NestJS + Passport alone. */
  @Get('me-unchecked')
  @UseGuards(AuthGuard('noop'))
  meUnchecked(@Req() req: Request & { user?: User }): { user: User | undefined } {
    return { user: req.user };
  }

  /** The same handler behind a plain Nest guard that checks nothing: NestJS alone. */
  @Get('me-nest-unchecked')
  @UseGuards(NoopGuard)
  meNestUnchecked(@Req() req: Request & { user?: User }): { user: User | undefined } {
    return { user: req.user };
  }

  /** The same handler behind a plain Nest guard that checks nothing and answers at once. */
  @Get('me-nest-unchecked-sync')
  @UseGuards(NoopSyncGuard)
  meNestUncheckedSync(@Req() req: Request & { user?: User }): { user: User | undefined } {
    return { user: req.user };
  }

  /** The same handler behind oidcore (the example's OidcoreGuard, on a Verifier). */
  @Get('me-oidcore')
  @UseGuards(OidcoreGuard)
  meOidcore(@Req() req: Request & { user?: User }): { user: User | undefined } {
    return { user: req.user };
  }

  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
