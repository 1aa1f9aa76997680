// Debian's Chromium driven by playwright-core, and the steps of a login through the NestJS
// example, shared by the end-to-end test and `make demo`.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/**
 * A fresh browser profile (no cookies) that may only reach loopback: any request to another
 * host is aborted and recorded in `blocked`, so a redirect that leaves the site is seen
 * without a packet leaving the machine. `navigations` lists every document request.
 */
export async function newSession(browser) {
  const context = await browser.newContext();
  const blocked = [];
  const navigations = [];
  const exchanges = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
      blocked.push(url.href);
      return route.abort('blockedbyclient');
    }
    if (url.pathname.endsWith('/auth/exchange') && route.request().method() === 'POST') {
      // The callback page navigates away as soon as it has the answer, which takes the
      // response body with it: fetch it here, keep a copy, and hand it to the page.
      const response = await route.fetch();
      exchanges.push({ status: response.status(), body: await response.text(), headers: response.headersArray() });
      return route.fulfill({ response });
    }
    return route.continue();
  });
  context.on('request', (req) => {
    if (req.isNavigationRequest()) navigations.push(req.url());
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  return { context, page, blocked, navigations, exchanges, close: () => context.close() };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * At the provider: fills in the sign-in form and accepts the consent page (shown because
 * offline_access is asked for). Returns once the browser is back on `appOrigin`.
 */
export async function signInAtProvider(page, { user, password }, appOrigin) {
  await page.waitForSelector('#login-form');
  await page.fill('#login', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('#submit')]);
  for (let i = 0; i < 3 && !page.url().startsWith(appOrigin); i += 1) {
    if (await page.$('#consent-form')) {
      await Promise.all([page.waitForNavigation(), page.click('#consent-form #submit')]);
    } else if (await page.$('#login-form #error, #error')) {
      throw new Error(`the provider refused: ${await page.textContent('#error')}`);
    } else {
      await sleep(100);
    }
  }
  await page.waitForURL((url) => url.origin === appOrigin);
}

/**
 * Clicks "Log out": the app answers the provider's end-session URL and the browser goes
 * there; that page submits its form by itself (or waits for its button to be pressed), and
 * the provider sends the browser back to `backTo`. Returns once it is there.
 */
export async function logOut(page, providerOrigin, backTo) {
  await Promise.all([page.waitForURL((u) => u.origin === providerOrigin), page.click('#logout')]);
  for (let i = 0; i < 50 && page.url() !== backTo; i += 1) {
    const button = new URL(page.url()).origin === providerOrigin ? await page.$('form button#submit') : null;
    if (button) {
      await Promise.all([page.waitForURL(backTo, { timeout: 5000 }), button.click()]).catch(() => {});
    } else {
      await sleep(100);
    }
  }
  await page.waitForURL(backTo);
}

/** Waits until the dashboard has asked the server who is signed in. */
export async function dashboardState(page) {
  await page.waitForSelector('body[data-state]');
  return page.getAttribute('body', 'data-state');
}

/** fetch() from inside the page (same origin, the page's cookies). */
export function pageFetch(page, path, init = {}) {
  return page.evaluate(async ({ path: p, init: i }) => {
    const res = await fetch(p, { credentials: 'same-origin', ...i });
    const text = await res.text();
    let body = null;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: res.status, body };
  }, { path, init });
}

export const AUTH_COOKIES = ['access_token', 'refresh_token', 'id_token'];

/** The app's auth cookies, by name (every path). */
export async function authCookies(context, appUrl) {
  const { hostname } = new URL(appUrl);
  const all = await context.cookies();
  return Object.fromEntries(all.filter((c) => c.domain === hostname && AUTH_COOKIES.includes(c.name))
    .map((c) => [c.name, c]));
}
