import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';

import type { User } from './auth/jwt.strategy';

/** An API route behind the guard, as any passport-jwt protected route would be. */
@Controller('api')
export class ApiController {
  @Get('me')
  @UseGuards(AuthGuard('oidcore'))
  me(@Req() req: Request & { user?: User }): { user: User | undefined } {
    return { user: req.user };
  }
}
