import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const oidcore = require('./index.js');

export const { Verifier, MemoryStore, RedisStore, ExchangeCodes, StateStore, OidcoreError, version, codes } = oidcore;
export default oidcore;
