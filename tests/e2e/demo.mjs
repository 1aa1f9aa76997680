// `make demo`: the test identity provider and the NestJS example on the in-memory store, and
// one login driven end to end in headless Chromium, each step printed.
// `make demo SERVE=1` (node demo.mjs --serve): leaves both running for a person's browser.
import { parseArgs } from 'node:util';

import {
  AUTH_COOKIES, authCookies, dashboardState, logOut, launchBrowser, newSession, pageFetch, signInAtProvider,
} from './lib/browser.mjs';
import { USERS, startStack } from './lib/stack.mjs';

const { values: opts } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    'app-port': { type: 'string' },
    'idp-port': { type: 'string' },
  },
});

const short = (s, n = 12) => (s.length > n ? `${s.slice(0, n)}…` : s);
// A JWT's first bytes are its header, the same for every token: show the end.
const tail = (s, n = 12) => (s.length > n ? `…${s.slice(-n)}` : s);
const shortUrl = (href) => {
  const u = new URL(href);
  for (const [k, v] of u.searchParams) {
    if (['code', 'state', 'nonce', 'code_challenge', 'id_token_hint'].includes(k)) u.searchParams.set(k, short(v));
  }
  return decodeURIComponent(u.href);
};
const say = (text) => process.stdout.write(`${text}\n`);
const step = (n, text) => say(`\n== ${n}. ${text}`);

async function serve() {
  const stack = await startStack({
    store: 'memory',
    appPort: Number(opts['app-port'] ?? 3000),
    idpPort: Number(opts['idp-port'] ?? 9000),
  });
  say(`\nThe NestJS example runs at ${stack.appUrl}/app/ (in-memory store)`);
  say(`The identity provider (configured like Authentik): ${stack.provider.issuer}`);
  say('Sign in as alice / alice-password (group admins, role admin) or bob / bob-password.');
  say('Press Ctrl-C to stop both.');
  // Runs until interrupted; the stack's children are ended with this process.
  setInterval(() => {}, 1 << 30);
}

async function drive() {
  const stack = await startStack({ store: 'memory' });
  const browser = await launchBrowser();
  try {
    say(`The identity provider (oidc-provider configured like Authentik): ${stack.provider.issuer}`);
    say(`The NestJS example on the oidcore Node binding: ${stack.appUrl} (in-memory store)`);
    say(`Headless Chromium ${browser.version()} drives one login.`);
    const session = await newSession(browser);
    const { page } = session;

    step(1, `Open ${stack.appUrl}/app/ and click "Log in"`);
    await page.goto(`${stack.appUrl}/app/`);
    say(`   GET /auth/session -> ${(await pageFetch(page, '/auth/session')).status} (nobody signed in yet)`);
    await Promise.all([page.waitForURL((u) => u.origin !== stack.appUrl), page.click('#login')]);
    const authorize = session.navigations.find((u) => u.includes('/authorize'));
    say('   GET /auth/login?redirect=/app/ -> 302 to the provider (state, nonce, PKCE S256 kept in the store):');
    say(`   ${shortUrl(authorize)}`);

    step(2, `Sign in at the provider as ${USERS.alice.user}; it sends the browser back to the callback`);
    await signInAtProvider(page, USERS.alice, stack.appUrl);
    await page.waitForURL(`${stack.appUrl}/app/`);
    await dashboardState(page);
    const callback = session.navigations.find((u) => u.includes('/auth/callback'));
    const callbackPage = session.navigations.find((u) => u.includes('/app/callback.html'));
    say(`   GET ${shortUrl(callback).slice(stack.appUrl.length)}`);
    say('     completeLogin: state consumed (bound to this browser), code exchanged with the PKCE verifier,');
    say('     ID and access tokens verified; the tokens sealed in the store under a one-time exchange code');
    say(`   -> 302 ${shortUrl(callbackPage).slice(stack.appUrl.length)}   (no token in any URL)`);

    step(3, 'The callback page trades the exchange code for HttpOnly cookies');
    const exchanged = session.exchanges[0];
    say(`   POST /auth/exchange -> ${exchanged.status} ${exchanged.body}`);
    const cookies = await authCookies(page.context(), stack.appUrl);
    for (const c of AUTH_COOKIES.map((name) => cookies[name]).filter(Boolean)) {
      say(`   cookie ${c.name}=${tail(c.value)} HttpOnly=${c.httpOnly} SameSite=${c.sameSite} Path=${c.path}`);
    }
    say(`   document.cookie in the page: ${JSON.stringify(await page.evaluate(() => document.cookie))}`);
    const code = new URL(callbackPage).searchParams.get('code');
    const replay = await pageFetch(page, '/auth/exchange', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }),
    });
    say(`   the same code again: POST /auth/exchange -> ${replay.status} ${JSON.stringify(replay.body)}`);

    step(4, 'The dashboard: the session principal and the guarded API');
    const sessionInfo = await pageFetch(page, '/auth/session');
    say(`   GET /auth/session -> ${sessionInfo.status} ${JSON.stringify(sessionInfo.body)}`);
    const me = await pageFetch(page, '/api/me');
    say(`   GET /api/me (OidcoreGuard) -> ${me.status} ${JSON.stringify(me.body)}`);
    const anonymous = await pageFetch(page, '/api/me', { credentials: 'omit' });
    say(`   GET /api/me without the cookie -> ${anonymous.status} ${JSON.stringify(anonymous.body)}`);

    step(5, 'Click "Refresh tokens"');
    await page.click('#refresh');
    await page.waitForSelector('#status[data-refreshed="1"]');
    const after = await authCookies(page.context(), stack.appUrl);
    say(`   POST /auth/refresh -> 200: access token ${tail(cookies.access_token.value)} -> ${tail(after.access_token.value)}`);
    say(`   refresh token ${tail(cookies.refresh_token.value)} -> ${tail(after.refresh_token.value)} (rotated by the provider)`);
    say(`   ${await page.textContent('#status')}`);

    step(6, 'Click "Log out"');
    const before = session.navigations.length;
    await logOut(page, new URL(stack.provider.issuer).origin, `${stack.appUrl}/app/`);
    const state = await dashboardState(page);
    const endSession = session.navigations.slice(before).find((u) => u.includes('/end-session'));
    say('   POST /auth/logout -> 200 {logoutUrl}, every auth cookie cleared; the browser follows it to the provider:');
    say(`   ${shortUrl(endSession)}`);
    say(`   back on ${page.url()}: ${state}; auth cookies left: ${Object.keys(await authCookies(page.context(), stack.appUrl)).length}`);
    say(`   GET /auth/session -> ${(await pageFetch(page, '/auth/session')).status}`);
    await session.close();
    say('\nDone: one login, exchange, refresh and logout through oidcore. `make demo SERVE=1` keeps it running for your browser.');
  } catch (err) {
    process.stderr.write(stack.logs());
    throw err;
  } finally {
    await browser.close();
    await stack.stop();
  }
}

(opts.serve ? serve() : drive()).catch((err) => {
  process.stderr.write(`demo failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
