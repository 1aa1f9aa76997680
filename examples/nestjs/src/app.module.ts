import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';

import { ApiController } from './api.controller';
import { AuthController } from './auth/auth.controller';
import { JwtStrategy } from './auth/jwt.strategy';
import { OidcService } from './auth/oidc.service';
import { OidcoreGuard } from './auth/oidcore.guard';
import { SameOriginGuard } from './auth/same-origin.guard';
import { ConfigModule } from './config.module';
import { RootController } from './root.controller';

@Module({
  imports: [ConfigModule, PassportModule],
  controllers: [RootController, AuthController, ApiController],
  providers: [OidcService, JwtStrategy, OidcoreGuard, SameOriginGuard],
})
export class AppModule {}
