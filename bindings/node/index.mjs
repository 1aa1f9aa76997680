import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const oidcore = require('./index.js');

export const {
  RelyingParty, Verifier, MemoryStore, RedisStore, ExchangeCodes, StateStore, cookies, safeRedirect, extractToken,
  OidcoreStrategy, OidcoreError, version, cryptoVersion, codes,
} = oidcore;
export default oidcore;
