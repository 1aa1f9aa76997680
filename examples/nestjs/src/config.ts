// The example's configuration, from the environment. Nothing about the provider, the client,
// the cookies or the roles is written into the code: every such value is read here, with
// the default named beside it.
//
// The provider and the client
//   ISSUER         the provider's issuer, exactly as in its tokens; for Authentik it holds the
//                  application's slug: https://HOST/application/o/<slug>/
//   AUTHENTIK_URL, OIDC_SLUG   instead of ISSUER: Authentik's public base URL and the
//                  application slug (the issuer is then AUTHENTIK_URL/application/o/OIDC_SLUG/)
//   CLIENT_ID      the OAuth client id (required)
//   CLIENT_SECRET  the client secret (required)
//   AUDIENCE       the audiences an access token may carry, comma-separated (default CLIENT_ID,
//                  what Authentik puts there)
//   SCOPES         space- or comma-separated (default "openid profile email organization
//                  offline_access"; without offline_access there is no refresh token and the
//                  relying party warns no_offline_access at start-up)
//   INTERNAL_URL   optional: the provider's internal base URL for server-to-server calls
//                  (Authentik's AUTHENTIK_INTERNAL_URL)
//
// This app
//   PUBLIC_URL     where browsers reach this app (default http://127.0.0.1:3000); cookies are
//                  Secure when it is https
//   GLOBAL_PREFIX  optional: a route prefix for every controller (Nest's setGlobalPrefix), e.g.
//                  "v1": the routes are then /v1/auth/..., /v1/api/me, the redirect URI
//                  PUBLIC_URL/v1/auth/callback, and the cookie paths follow
//   PORT           the port to listen on (default: PUBLIC_URL's port, else 3000)
//   HOST           the address to listen on (default 127.0.0.1)
//   REDIS_URL      optional: keep login state and exchange codes in Redis (several processes)
//                  instead of this process's memory
//   POST_LOGOUT_REDIRECT_URI  where the provider sends the browser after logout
//                  (default PUBLIC_URL/app/); it must be registered at the provider
//   DENY_LIST      "on" (default) or "off". On: a logout puts the session on a deny list in
//                  the store, and every request's token is checked against it (one store
//                  lookup), so a logged-out token is refused at once by every instance; while
//                  the store is unreachable the API answers 503 store_unavailable (fail
//                  closed). Off: no lookup, the API keeps serving valid tokens through a store
//                  outage, and a logged-out access token works until it expires.
//
// Deadlines (seconds, fractions allowed; unset: oidcore's defaults, README "Timeouts")
//   HTTP_TIMEOUT, CONNECT_TIMEOUT   one request to the provider, and connecting to it within
//                  that (defaults 5 and 2)
//   REDIS_CONNECT_TIMEOUT, REDIS_COMMAND_TIMEOUT   a new Redis connection, and the rest of one
//                  store call (defaults 1 and 1)
//
// Cookies
//   COOKIE_PREFIX  put before every cookie name below (default none; e.g. "__Secure-" with an
//                  https PUBLIC_URL)
//   ACCESS_COOKIE, REFRESH_COOKIE, ID_TOKEN_COOKIE, LOGIN_COOKIE   the names (defaults
//                  access_token, refresh_token, id_token, oidc_login)
//   REFRESH_TOKEN_LIFETIME  seconds the refresh cookie lives when the provider does not say
//                  (no refresh_expires_in, an opaque refresh token): default 2592000, the 30
//                  days of Authentik's default refresh token validity. The access and ID token
//                  cookies always live exactly as long as their tokens (their `exp`).
//
// Who the user is (the principal: oidcore's claim mapping)
//   ROLE_MAP       group=role pairs, comma-separated, first match wins (default "admins=admin")
//   DEFAULT_ROLE   the role without a matching group (default "user")
//   GROUPS_CLAIM   the claim that lists the user's groups (default "groups")
//   ORGANIZATION_CLAIM     the claim that holds the organization id (default "organizationId",
//                  a custom Authentik scope mapping; request its scope in SCOPES)
//   ORGANIZATION_FALLBACK  "sub" (default: a user without that claim is an organization of
//                  one, organizationId = sub) or "none" (organizationId is null then)

import { cookies } from 'oidcore';

export interface CookieSpec {
  name: string;
  path: string;
}

export interface PrincipalConfig {
  roles: Array<{ group: string; role: string }>;
  defaultRole: string;
  groupsClaim: string;
  organizationIdClaim: string;
  organizationFallback: 'sub' | 'none';
}

export interface AppConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  audience: string[];
  scopes: string[];
  publicUrl: string;
  publicOrigin: string;
  host: string;
  port: number;
  internalUrl?: string;
  redisUrl?: string;
  /** '' or the global route prefix with a leading slash and none at the end ('/v1'). */
  globalPrefix: string;
  /** Where the auth routes and the API are served, prefix included ('/auth', '/v1/auth'). */
  authBase: string;
  apiBase: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  secureCookies: boolean;
  cookies: { access: CookieSpec; refresh: CookieSpec; idToken: CookieSpec; login: CookieSpec };
  refreshTokenLifetime: number;
  /** Whether logouts go on a deny list that every verification consults (DENY_LIST). */
  denyList: boolean;
  principal: PrincipalConfig;
  /** Seconds; undefined: oidcore's default. */
  timeouts: { http?: number; connect?: number; redisConnect?: number; redisCommand?: number };
}

/**
 * The routes of AuthController and ApiController, relative to the global prefix. The
 * controllers' decorators and every path below (redirect URI, cookie paths, the frontend's
 * URLs) come from here, so they cannot drift apart.
 */
export const ROUTES = {
  auth: 'auth',
  login: 'login',
  callback: 'callback',
  exchange: 'exchange',
  session: 'session',
  refresh: 'refresh',
  logout: 'logout',
  api: 'api',
} as const;

export class ConfigError extends Error {}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is required`);
  return value;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value ? value : undefined;
}

function list(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

function issuerOf(env: NodeJS.ProcessEnv): string {
  const issuer = optional(env, 'ISSUER');
  const base = optional(env, 'AUTHENTIK_URL');
  const slug = optional(env, 'OIDC_SLUG');
  if (issuer) {
    if (base || slug) throw new ConfigError('give ISSUER, or AUTHENTIK_URL and OIDC_SLUG, not both');
    return issuer;
  }
  if (!base && !slug) throw new ConfigError('ISSUER (or AUTHENTIK_URL and OIDC_SLUG) is required');
  if (!base || !slug) throw new ConfigError('AUTHENTIK_URL and OIDC_SLUG go together');
  if (!/^[A-Za-z0-9_-]+$/.test(slug)) throw new ConfigError(`OIDC_SLUG is not an application slug: ${slug}`);
  return `${base.replace(/\/+$/, '')}/application/o/${slug}/`;
}

/** "v1", "/v1/", "api/v2" → "/v1", "/api/v2"; "" or "/" → "". */
function prefixOf(env: NodeJS.ProcessEnv): string {
  const raw = optional(env, 'GLOBAL_PREFIX') ?? '';
  const trimmed = raw.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  if (!/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(trimmed)) {
    throw new ConfigError(`GLOBAL_PREFIX must be path segments (letters, digits, . _ ~ -): ${raw}`);
  }
  return `/${trimmed}`;
}

/** "admins=admin, staff=editor" → [{group: 'admins', role: 'admin'}, {group: 'staff', role: 'editor'}]. */
export function parseRoleMap(text: string): Array<{ group: string; role: string }> {
  const roles: Array<{ group: string; role: string }> = [];
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    const group = eq < 0 ? '' : entry.slice(0, eq).trim();
    const role = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (!group || !role) throw new ConfigError(`ROLE_MAP entries are group=role pairs: "${entry.trim()}"`);
    roles.push({ group, role });
  }
  return roles;
}

// A number of seconds from the environment, or undefined when the variable is unset: a
// positive number, a whole one where `whole` (a lifetime). A deadline's range is checked by
// oidcore when the relying party or the store is made.
function seconds(env: NodeJS.ProcessEnv, name: string, whole = false): number | undefined {
  const text = optional(env, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(whole ? Number.isSafeInteger(n) && n >= 1 : Number.isFinite(n) && n > 0)) {
    throw new ConfigError(`${name} must be a ${whole ? 'whole ' : 'positive '}number of seconds: ${text}`);
  }
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const publicUrl = (optional(env, 'PUBLIC_URL') ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new ConfigError(`PUBLIC_URL is not an absolute URL: ${publicUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('PUBLIC_URL must be http or https');
  }
  const portText = optional(env, 'PORT') ?? (url.port || '3000');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT is not a port: ${portText}`);

  const clientId = required(env, 'CLIENT_ID');
  const globalPrefix = prefixOf(env);
  const authBase = `${globalPrefix}/${ROUTES.auth}`;
  const secureCookies = url.protocol === 'https:';
  const cookiePrefix = optional(env, 'COOKIE_PREFIX') ?? '';
  const cookie = (variable: string, fallback: string, path: string): CookieSpec =>
    ({ name: optional(env, variable) ?? `${cookiePrefix}${fallback}`, path });
  const cookieSpecs = {
    access: cookie('ACCESS_COOKIE', 'access_token', '/'),
    // Only the refresh route ever sees the refresh token; the ID token is only needed as
    // id_token_hint at logout; the login binding goes to the callback and the exchange.
    refresh: cookie('REFRESH_COOKIE', 'refresh_token', `${authBase}/${ROUTES.refresh}`),
    idToken: cookie('ID_TOKEN_COOKIE', 'id_token', `${authBase}/${ROUTES.logout}`),
    login: cookie('LOGIN_COOKIE', 'oidc_login', authBase),
  };
  const names = Object.values(cookieSpecs).map((c) => c.name);
  if (new Set(names).size !== names.length) throw new ConfigError(`the cookie names must differ: ${names.join(', ')}`);
  for (const c of Object.values(cookieSpecs)) {
    // The name and its prefix rules (__Host- needs Path=/, __Secure- needs https), checked
    // now by oidcore itself rather than at the first login.
    try {
      cookies.serialize(c.name, 'x', { path: c.path, secure: secureCookies, maxAge: 1 });
    } catch (err) {
      throw new ConfigError(`cookie ${JSON.stringify(c.name)} (Path=${c.path}): ${(err as Error).message}`);
    }
  }

  const fallback = optional(env, 'ORGANIZATION_FALLBACK') ?? 'sub';
  if (fallback !== 'sub' && fallback !== 'none') {
    throw new ConfigError(`ORGANIZATION_FALLBACK must be "sub" or "none": ${fallback}`);
  }
  const denyList = optional(env, 'DENY_LIST') ?? 'on';
  if (denyList !== 'on' && denyList !== 'off') throw new ConfigError(`DENY_LIST must be "on" or "off": ${denyList}`);
  const scopes = list(optional(env, 'SCOPES') ?? 'openid profile email organization offline_access');
  if (!scopes.includes('openid')) throw new ConfigError('SCOPES must include openid');
  const audience = list(optional(env, 'AUDIENCE') ?? clientId);
  if (audience.length === 0) throw new ConfigError('AUDIENCE names no audience');

  return {
    issuer: issuerOf(env),
    clientId,
    clientSecret: required(env, 'CLIENT_SECRET'),
    audience,
    scopes,
    publicUrl,
    publicOrigin: url.origin,
    host: optional(env, 'HOST') ?? '127.0.0.1',
    port,
    internalUrl: optional(env, 'INTERNAL_URL'),
    redisUrl: optional(env, 'REDIS_URL'),
    globalPrefix,
    authBase,
    apiBase: `${globalPrefix}/${ROUTES.api}`,
    redirectUri: `${publicUrl}${authBase}/${ROUTES.callback}`,
    postLogoutRedirectUri: optional(env, 'POST_LOGOUT_REDIRECT_URI') ?? `${publicUrl}/app/`,
    secureCookies,
    cookies: cookieSpecs,
    refreshTokenLifetime: seconds(env, 'REFRESH_TOKEN_LIFETIME', true) ?? 30 * 24 * 3600,
    denyList: denyList === 'on',
    principal: {
      roles: parseRoleMap(optional(env, 'ROLE_MAP') ?? 'admins=admin'),
      defaultRole: optional(env, 'DEFAULT_ROLE') ?? 'user',
      groupsClaim: optional(env, 'GROUPS_CLAIM') ?? 'groups',
      organizationIdClaim: optional(env, 'ORGANIZATION_CLAIM') ?? 'organizationId',
      organizationFallback: fallback,
    },
    timeouts: {
      http: seconds(env, 'HTTP_TIMEOUT'),
      connect: seconds(env, 'CONNECT_TIMEOUT'),
      redisConnect: seconds(env, 'REDIS_CONNECT_TIMEOUT'),
      redisCommand: seconds(env, 'REDIS_COMMAND_TIMEOUT'),
    },
  };
}
