// oidcore's cookie helpers against the npm packages an Express app uses, on the same inputs:
//   cookie 0.7 (parse, serialize), cookie-signature 1.2 (sign, unsign) and cookie-parser 1.4
//   (signedCookie, and the middleware itself, which nests cookie-signature 1.0.6).
// usage: node cookie_compat.mjs PATH_TO_cookie_vectors
// cookie_vectors (tests/web/cookie_vectors_main.cpp) runs the requests through liboidcore's
// C ABI; this script builds the requests (fixed edge cases plus seeded random ones), computes
// what the npm packages answer, and compares. Exit status 1 on any difference.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cookie = require('cookie');
const signature = require('cookie-signature');
const cookieParser = require('cookie-parser');

const helper = process.argv[2];
if (!helper) {
  console.error('usage: node cookie_compat.mjs PATH_TO_cookie_vectors');
  process.exit(2);
}

// ---- deterministic randomness ---------------------------------------------------------------
let seed = 0x0c0ffee;
function rand() {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(rand() * list.length)];
const int = (n) => Math.floor(rand() * n);

// Pieces of values: plain text, every delimiter the formats care about, unicode (BMP and
// astral), and percent sequences valid and invalid.
const VALUE_PIECES = [
  'a', 'Z', '0', '9', 'abc', 'token', '.', '..', '=', '==', '%', ';', ',', '"', "'", ' ', '\t', '\\', '/', '+',
  ':', 's:', 'j:', '-', '_', '~', '!', '*', '(', ')', '?', '#', '&', '@', '[', ']', '{', '}', '<', '>', '|', '^',
  '`', '$', 'é', '€', '😀', '中文', '\u00a0', 'ß', '%41', '%2F', '%2f', '%3B', '%E2%82%AC', '%F0%9F%98%80', '%zz',
  '%4', '%E2%82', '%FF', '%C0%AF', '%ED%A0%80', '%00', '%25', '%20',
];
const randomValue = (maxPieces = 8) => {
  let s = '';
  for (let i = int(maxPieces + 1); i > 0; --i) s += pick(VALUE_PIECES);
  return s;
};
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const randomToken = () => {
  let s = '';
  for (let i = 1 + int(8); i > 0; --i) s += TCHARS[int(TCHARS.length)];
  return s;
};
const SECRETS = ['k', 'secret', 'tobiiscool', 'sécret€', 'a much longer secret with spaces and = signs ==', '😀',
                 'x'.repeat(200)];

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const requests = [];
const checks = [];  // functions (result) => error string | null, one per request
function add(request, check) {
  requests.push(request);
  checks.push(check);
}
const counts = {};
const count = (k) => { counts[k] = (counts[k] || 0) + 1; };

// ---- sign ------------------------------------------------------------------------------------
const signValues = ['', 'hello', 'a.b.c', 'value=with=equals', '100%', 'a;b', 'é€😀', 's:already', 'j:{"a":1}'];
for (let i = 0; i < 300; ++i) signValues.push(randomValue());
for (const value of signValues) {
  const secret = pick(SECRETS);
  add({ op: 'sign', value, secret }, (r) => {
    count('sign');
    const want = 's:' + signature.sign(value, secret);
    return r.status === 'ok' && r.out === want ? null : `sign(${JSON.stringify(value)}): got ${JSON.stringify(r)}, cookie-signature ${want}`;
  });
}
add({ op: 'sign', value: 'v', secret: '' }, (r) => (r.status === 'invalid_argument' ? null : `empty secret: ${JSON.stringify(r)}`));

// ---- unsign -----------------------------------------------------------------------------------
function tamper(s) {
  switch (int(7)) {
    case 0: { const i = 2 + int(Math.max(1, s.length - 2)); return s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1); }
    case 1: return s + 'A';
    case 2: return s.slice(0, -1);
    case 3: return s.slice(2);                      // no "s:"
    case 4: return s.slice(0, s.lastIndexOf('.')); // no signature
    case 5: return s + '=';                         // padding put back
    default: return s.replace(/\.([^.]*)$/, '$1'); // the last '.' removed
  }
}
const unsignCases = [];
for (let i = 0; i < 400; ++i) {
  const value = i < signValues.length ? signValues[i] : randomValue();
  const signingSecret = pick(SECRETS);
  const signed = 's:' + signature.sign(value, signingSecret);
  // 1 to 3 secrets; the signing one somewhere in the list, or (a quarter of the time) absent.
  const secrets = [];
  for (let n = 1 + int(3); n > 0; --n) secrets.push(pick(SECRETS.filter((s) => s !== signingSecret)));
  if (rand() >= 0.25) secrets.splice(int(secrets.length + 1), 0, signingSecret);
  unsignCases.push({ signed, secrets });
  unsignCases.push({ signed: tamper(signed), secrets: [signingSecret] });
}
unsignCases.push({ signed: 's:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI', secrets: ['tobiiscool'] });
unsignCases.push({ signed: 's:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI', secrets: ['other', 'tobiiscool'] });
unsignCases.push({ signed: 's:', secrets: ['k'] });
unsignCases.push({ signed: 's:.', secrets: ['k'] });
unsignCases.push({ signed: '', secrets: ['k'] });
for (const { signed, secrets } of unsignCases) {
  add({ op: 'unsign', signed, secrets }, (r) => {
    count('unsign');
    if (!signed.startsWith('s:')) {
      // cookie-parser hands such a value back as an unsigned cookie; oidcore calls it malformed.
      return r.status === 'malformed' ? null : `unsign(${JSON.stringify(signed)}) without s:: ${JSON.stringify(r)}`;
    }
    const parser = cookieParser.signedCookie(signed, secrets);  // cookie-signature 1.0.6 inside
    let direct = false;                                          // cookie-signature 1.2.2
    for (const s of secrets) {
      direct = signature.unsign(signed.slice(2), s);
      if (direct !== false) break;
    }
    if (parser !== direct) return `cookie-parser and cookie-signature disagree on ${JSON.stringify(signed)}`;
    if (parser === false) {
      if (r.status === 'bad_signature' || (r.status === 'malformed' && !signed.slice(2).includes('.'))) {
        count('unsign refused');
        return null;
      }
      return `unsign(${JSON.stringify(signed)}, ${JSON.stringify(secrets)}): oidcore ${JSON.stringify(r)}, npm refuses`;
    }
    count('unsign accepted');
    return r.status === 'ok' && r.out === parser ? null
      : `unsign(${JSON.stringify(signed)}): oidcore ${JSON.stringify(r)}, npm ${JSON.stringify(parser)}`;
  });
}

// ---- serialize and clear ---------------------------------------------------------------------
// oidcore's own rules, stricter than the npm package: null when the options are acceptable.
// `value` is undefined for clear.
function oidcoreRefuses(name, o, value) {
  if (!TOKEN_RE.test(name)) return 'name';
  // No cookie is ever set from a missing value (the npm package happily writes "a=").
  if (value === '') return 'empty value';
  const secure = o.secure ?? true;
  const path = o.path ?? '/';
  if (/^__secure-/i.test(name) && !secure) return '__Secure-';
  if (/^__host-/i.test(name) && (!secure || path !== '/' || o.domain !== undefined)) return '__Host-';
  if ((o.same_site ?? 'lax').toLowerCase() === 'none' && !secure) return 'SameSite=None';
  return null;
}
function npmOptions(o, clear) {
  const n = {
    httpOnly: o.http_only ?? true,
    secure: o.secure ?? true,
    sameSite: (o.same_site ?? 'lax').toLowerCase(),
    path: o.path ?? '/',
  };
  if (o.domain !== undefined) n.domain = o.domain;
  if (clear) {
    n.maxAge = 0;
    n.expires = new Date(0);
  } else {
    if (o.max_age !== undefined) n.maxAge = o.max_age;
    if (o.expires !== undefined) n.expires = new Date(o.expires * 1000);
  }
  return n;
}
const sameHeader = (a, b) => {
  const pa = a.split('; '), pb = b.split('; ');
  return pa[0] === pb[0] && JSON.stringify(pa.slice(1).sort()) === JSON.stringify(pb.slice(1).sort());
};
function randomOptions() {
  const o = {};
  if (rand() < 0.5) o.http_only = rand() < 0.5;
  if (rand() < 0.5) o.secure = rand() < 0.7;
  if (rand() < 0.6) o.same_site = pick(['lax', 'strict', 'none', 'LAX', 'Strict', 'None']);
  if (rand() < 0.4) o.path = pick(['/', '/app', '/a/b c', '/x?y=z', '/%2F', "/!$&'()*+,=:@~"]);
  if (rand() < 0.3) o.domain = pick(['example.com', '.example.com', 'sub.example-1.com', 'localhost', '127.0.0.1']);
  if (rand() < 0.4) o.max_age = pick([0, 1, 60, 3600, 34560000]);
  if (rand() < 0.4) o.expires = pick([0, 1, 1445412480, 951782400, 4107542399, 253402300799]);
  return o;
}
const serializeCases = [
  { name: 'sid', value: 'abc', options: null },
  { name: 'sid', value: '', options: {} },
  { name: '__Host-sid', value: 'v', options: {} },
  { name: '__Secure-sid', value: 'v', options: { domain: 'example.com' } },
  { name: '__Host-sid', value: 'v', options: { domain: 'example.com' } },
  { name: '__host-sid', value: 'v', options: { path: '/app' } },
  { name: '__Secure-sid', value: 'v', options: { secure: false } },
  { name: 'sid', value: 'v', options: { same_site: 'none', secure: false } },
  { name: 'a b', value: 'v', options: {} },
  { name: 'a=b', value: 'v', options: {} },
  { name: 'é', value: 'v', options: {} },
  { name: '', value: 'v', options: {} },
];
for (let i = 0; i < 300; ++i) {
  const name = rand() < 0.9 ? pick([randomToken(), 'sid', 'access_token', '__Host-sid', '__Secure-x', '__secure-y'])
    : pick(['a b', 'a;b', 'a"b', 'a,b', 'a/b', 'ü', 'a\tb', '(a)']);
  serializeCases.push({ name, value: randomValue(), options: rand() < 0.1 ? null : randomOptions() });
}
for (const { name, value, options } of serializeCases) {
  for (const op of ['serialize', 'clear']) {
    const request = op === 'serialize' ? { op, name, value, options } : { op, name, options };
    add(request, (r) => {
      count(op);
      const o = options ?? {};
      const refused = oidcoreRefuses(name, o, op === 'serialize' ? value : undefined);
      let want;
      try {
        want = cookie.serialize(name, op === 'serialize' ? value : '', npmOptions(o, op === 'clear'));
      } catch (e) {
        want = null;
      }
      if (refused) {
        count(`${op} refused by oidcore's rules`);
        if (refused === 'name' && want !== null) return `${op}: npm accepts the name ${JSON.stringify(name)}`;
        return r.status === 'invalid_argument' ? null : `${op}(${JSON.stringify(name)}, ${JSON.stringify(o)}) should break ${refused}: ${JSON.stringify(r)}`;
      }
      if (want === null) return `${op}(${JSON.stringify(name)}, ${JSON.stringify(o)}): npm refuses, oidcore ${JSON.stringify(r)}`;
      if (r.status !== 'ok' || !sameHeader(r.out, want))
        return `${op}(${JSON.stringify(name)}, ${JSON.stringify(value)}, ${JSON.stringify(o)}):\n  oidcore ${JSON.stringify(r)}\n  npm     ${want}`;
      // What the browser sends back, parsed by the npm package, is the value again.
      if (op === 'serialize') {
        const back = cookie.parse(r.out.split('; ')[0])[name];
        if (name !== '__proto__' && back !== value) return `serialize then cookie.parse: ${JSON.stringify(back)} != ${JSON.stringify(value)}`;
      }
      return null;
    });
  }
}

// ---- parse ---------------------------------------------------------------------------------
const parseHeaders = [
  '', ';', ';;;', '=', '=x', 'a', 'a=1', 'a=1; a=2', 'a=1;b=2', '  a  =  1  ;\tb\t=\t2\t', 'a="q"', 'a="', 'a=""',
  'a="half', 'a=%20x', 'a=%zz', 'a=%E2%82', 'a=%FF', 'a=s%3Ahello.sig', 'a=1,b=2', 'junk; a=1; =2; ;b=3', 'a b=1; c=2',
  'Cookie: a=1; b=2', 'a=b=c', 'x=%F0%9F%98%80; y=é€', 'a=1;; ;;b=2;', '  ;  a=1',
];
const NAME_PIECES = [...'abcXYZ019', '_', '-', '.', '!', '#', '$', '%', '&', "'", '*', '+', '^', '`', '|', '~',
                     ' ', '"', ',', '/', ':', '(', 'é', '\t'];
for (let i = 0; i < 600; ++i) {
  const parts = [];
  for (let n = int(7); n >= 0; --n) {
    const kind = rand();
    let name = '';
    for (let k = 1 + int(4); k > 0; --k) name += rand() < 0.8 ? pick([...'abcde']) : pick(NAME_PIECES);
    let value = randomValue(5).replace(/;/g, '');
    if (rand() < 0.15) value = '"' + value + '"';
    if (kind < 0.1) parts.push(name);                       // no '='
    else if (kind < 0.15) parts.push('=' + value);          // no name
    else if (kind < 0.2) parts.push('');                    // empty pair
    else parts.push(pick(['', ' ', '  ', '\t']) + name + pick(['', ' ']) + '=' + pick(['', ' ']) + value + pick(['', ' ', '\t']));
    if (rand() < 0.2 && parts.length) parts.push(parts[int(parts.length)]);  // a repeated pair
  }
  parseHeaders.push(parts.join(pick([';', '; ', ' ; '])));
}
const sorted = (obj) => JSON.stringify(Object.keys(obj).sort().map((k) => [k, obj[k]]));
for (const header of parseHeaders) {
  add({ op: 'parse', header }, (r) => {
    count('parse');
    const npm = cookie.parse(header);
    // oidcore keeps only names that are RFC 6265 tokens; the npm package keeps any name.
    const want = {};
    for (const k of Object.keys(npm)) if (TOKEN_RE.test(k)) want[k] = npm[k];
    if (r.status !== 'ok') return `parse(${JSON.stringify(header)}): ${JSON.stringify(r)}`;
    const got = JSON.parse(r.out);
    if (sorted(got) !== sorted(want))
      return `parse(${JSON.stringify(header)}):\n  oidcore ${sorted(got)}\n  npm     ${sorted(want)}`;
    if (Object.keys(want).length !== Object.keys(npm).length) count('parse with non-token names skipped');
    return null;
  });
}

// ---- run oidcore and compare ------------------------------------------------------------------
const run = spawnSync(helper, [], { input: JSON.stringify(requests), maxBuffer: 64 << 20 });
if (run.status !== 0) {
  console.error(`${helper} failed (${run.status ?? run.signal}): ${run.stderr}`);
  process.exit(1);
}
const results = JSON.parse(run.stdout.toString('utf8'));
if (results.length !== requests.length) {
  console.error(`expected ${requests.length} results, got ${results.length}`);
  process.exit(1);
}
const failures = [];
results.forEach((r, i) => {
  const problem = checks[i](r);
  if (problem) failures.push(problem);
});

// ---- the middleware itself: oidcore signs and serializes, Express reads it back ----------------
const oidcore = (reqs) => {
  const r = spawnSync(helper, [], { input: JSON.stringify(reqs), maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${helper} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString('utf8'));
};
const trips = [];
for (let i = 0; i < 200; ++i) {
  const value = i === 0 ? 'hello' : randomValue();
  if (value.startsWith('j:')) continue;  // cookie-parser would JSON-decode it
  trips.push({ value, secrets: [pick(SECRETS), pick(SECRETS)], name: pick(['sid', 'access_token', '__Host-sid']) });
}
const signedValues = oidcore(trips.map((t) => ({ op: 'sign', value: t.value, secret: t.secrets[1] })));
const setCookies = oidcore(trips.map((t, i) => ({ op: 'serialize', name: t.name, value: signedValues[i].out, options: null })));
trips.forEach((t, i) => {
  const req = { headers: { cookie: 'other=1; ' + setCookies[i].out.split('; ')[0] } };
  cookieParser(t.secrets)(req, {}, () => {});
  if (req.signedCookies[t.name] !== t.value)
    failures.push(`cookie-parser middleware read ${JSON.stringify(req.signedCookies[t.name])} for ${JSON.stringify(t.value)}`);
});
const middleware = trips.length;
counts['middleware round trips'] = middleware;

for (const f of failures.slice(0, 40)) console.error('MISMATCH ' + f);
console.log(`cookie_compat: ${requests.length + middleware} comparisons with cookie@${require('cookie/package.json').version}, ` +
            `cookie-signature@${require('cookie-signature/package.json').version}, ` +
            `cookie-parser@${require('cookie-parser/package.json').version}`);
console.log('  ' + Object.entries(counts).map(([k, v]) => `${k}: ${v}`).join(', '));
if (failures.length) {
  console.error(`cookie_compat: ${failures.length} mismatches`);
  process.exit(1);
}
console.log('cookie_compat: oidcore and the npm packages agree');
