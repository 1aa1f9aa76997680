// The comparison app of the HTTP benchmark: the shape of examples/nestjs (NestJS 11 on
// Express, the same security headers on every answer, the same GET /api/me and GET
// /api/health handlers) with the guard the example replaces: passport-jwt + jwks-rsa, and
// cookie-parser for the access_token cookie. GET /api/me-unchecked is the same handler behind
// a Passport strategy that lets everything through, /api/me-nest-unchecked(-sync) behind Nest
// guards that do: the cost of the guard machinery alone. GET /api/me-oidcore is the handler
// behind the example's OidcoreGuard on an oidcore Verifier: both guards in one process.
//
//   ISSUER=... CLIENT_ID=... JWKS_URI=... PORT=3001 node dist/main.js
import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, Response } from 'express';

import { AppModule } from './app.module';

function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Security-Policy',
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  if (req.path.startsWith('/auth/') || req.path.startsWith('/api/')) res.setHeader('Cache-Control', 'no-store');
  next();
}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: ['error', 'warn', 'log'] });
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.use(cookieParser());
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3001), process.env.HOST ?? '127.0.0.1');
  process.stdout.write(`Listening on ${await app.getUrl()}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
