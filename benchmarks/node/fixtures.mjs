// Makes the keys and tokens every runner of `make bench` verifies: one RS256 (2048-bit), one
// ES256 and one EdDSA (Ed25519) key, published together in one JWKS as an identity provider
// does, and for each a pool of distinct access tokens shaped like Authentik's.
//
//   node fixtures.mjs [--tokens 64] > fixtures.json
//
// Only node:crypto is used. The private keys are not written out: the runners only verify.
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const COUNT = Number(arg('--tokens', 64));

const ISSUER = 'https://auth.example.com/application/o/app/';
// Authentik client ids are 40 random alphanumerics.
const CLIENT_ID = 'Xk3e7bQ1LrT9vPz2HcW4mN8sJ5aY6dF0gU1oE2iR';

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const hex = (n) => randomBytes(n).toString('hex');

function makeKey(alg) {
  const { publicKey, privateKey } = alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
    : alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // Authentik's kid: the MD5 hex digest of the key.
  const kid = createHash('md5').update(spki).digest('hex');
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  const signer = (data) => alg === 'RS256'
    ? sign('sha256', data, privateKey)
    : alg === 'ES256'
      ? sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
      : sign(null, data, privateKey);
  return { kid, jwk, spkiPem: publicKey.export({ type: 'spki', format: 'pem' }), signer };
}

const GROUPS = ['authentik Admins', 'engineering', 'support', 'billing', 'beta-testers'];

function makeToken(alg, key, i, now) {
  const header = { alg, kid: key.kid, typ: 'JWT' };
  const authTime = now - 600 - i * 7;
  const payload = {
    iss: ISSUER,
    sub: createHash('sha256').update(`user-${i}`).digest('hex'),
    aud: CLIENT_ID,
    exp: now + 3600,
    iat: now - i,
    auth_time: authTime,
    acr: 'goauthentik.io/providers/oauth2/default',
    amr: ['pwd', 'mfa'],
    sid: hex(32),
    uid: hex(32),
    email: `user${i}@example.com`,
    email_verified: true,
    name: `Example User ${i}`,
    given_name: `Example User ${i}`,
    preferred_username: `user${i}`,
    nickname: `user${i}`,
    groups: GROUPS,
    organizationId: randomUUID(),
    azp: CLIENT_ID,
  };
  const signingInput = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${signingInput}.${b64u(key.signer(Buffer.from(signingInput)))}`;
}

const now = Math.floor(Date.now() / 1000);
const algs = {};
const keys = [];
for (const alg of ['RS256', 'ES256', 'EdDSA']) {
  const key = makeKey(alg);
  keys.push(key.jwk);
  const tokens = [];
  for (let i = 0; i < COUNT; i++) tokens.push(makeToken(alg, key, i, now));
  algs[alg] = { kid: key.kid, jwk: key.jwk, spki_pem: key.spkiPem, tokens };
}
process.stdout.write(JSON.stringify({
  created: now,
  issuer: ISSUER,
  audience: CLIENT_ID,
  jwks: { keys },
  algs,
}, null, 1) + '\n');
