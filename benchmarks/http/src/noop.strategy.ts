// A Passport strategy that checks nothing and lets every request through as the same user:
// what NestJS's AuthGuard and Passport cost by themselves, around whatever verifies the
// token. A guard built on Passport cannot be faster than this one.
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-strategy';

import type { User } from './jwt.strategy';

class AcceptAll extends Strategy {
  constructor(private readonly verify: (done: (err: unknown, user?: unknown) => void) => void) {
    super();
  }

  override authenticate(): void {
    this.verify((err, user) => {
      if (err) this.error(err instanceof Error ? err : new Error(String(err)));
      else if (user) this.success(user);
      else this.fail(401);
    });
  }
}

// A user of the same shape and size as the ones the real guards return.
export const USER: User = {
  sub: 'a3c1e7f04b9d2e6a8c5f1b3d7e9a2c4f6b8d0e1a3c5f7b9d1e3a5c7f9b1d3e5a',
  email: 'user0@example.com',
  name: 'Example User 0',
  organizationId: '0b6f4e1c-8d2a-4c3e-9f7b-5a1d2e3c4b5a',
  role: 'admin',
};

@Injectable()
export class NoopStrategy extends PassportStrategy(AcceptAll, 'noop') {
  validate(): User {
    return USER;
  }
}
