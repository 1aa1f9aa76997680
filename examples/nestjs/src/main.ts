import 'reflect-metadata';

import { join } from 'node:path';

import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

import { AppModule } from './app.module';
import { APP_CONFIG, type AppConfig } from './config.module';
import { ConfigError, loadConfig } from './config';

function securityHeaders(config: AppConfig) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The callback page has an exchange code in its URL: never send it on as a Referer.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Content-Security-Policy',
      "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    if (req.path.startsWith(`${config.authBase}/`) || req.path.startsWith(`${config.apiBase}/`)
      || req.path === '/app/callback.html') {
      res.setHeader('Cache-Control', 'no-store');
    }
    next();
  };
}

async function main(): Promise<void> {
  try {
    loadConfig(); // fail with one clear line before Nest starts
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: ['error', 'warn', 'log'] });
  const config = app.get<AppConfig>(APP_CONFIG);
  app.disable('x-powered-by');
  app.use(securityHeaders(config));
  if (config.globalPrefix) app.setGlobalPrefix(config.globalPrefix.slice(1));
  // Where the frontend finds the routes (GLOBAL_PREFIX included): the one thing it is told.
  app.use('/app/config.json', (req: Request, res: Response) => {
    res.json({ authBase: config.authBase, apiBase: config.apiBase });
  });
  app.useStaticAssets(join(__dirname, '..', 'public'), { prefix: '/app/', index: 'index.html' });
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const store = config.redisUrl ? `redis ${config.redisUrl.replace(/\/\/[^@/]*@/, '//***@')}` : 'memory';
  process.stdout.write(`Listening on ${await app.getUrl()} (public URL ${config.publicUrl}, store: ${store})\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
