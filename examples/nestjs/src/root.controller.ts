import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';

/** `/` is the frontend. */
@Controller()
export class RootController {
  @Get()
  root(@Res() res: Response): void {
    res.redirect(302, '/app/');
  }
}
