import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';

import { ApiController } from './api.controller';
import { JwtStrategy } from './jwt.strategy';
import { NoopStrategy } from './noop.strategy';

@Module({
  imports: [PassportModule],
  controllers: [ApiController],
  providers: [JwtStrategy, NoopStrategy],
})
export class AppModule {}
