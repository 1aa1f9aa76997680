// The example's configuration, from the environment.
//
//   ISSUER         the provider's issuer, exactly as in its tokens (required)
//   CLIENT_ID      the OAuth client id (required)
//   CLIENT_SECRET  the client secret (required)
//   PUBLIC_URL     where browsers reach this app (default http://127.0.0.1:3000); the redirect
//                  URI is PUBLIC_URL/auth/callback, and cookies are Secure when it is https
//   PORT           the port to listen on (default: PUBLIC_URL's port, else 3000)
//   HOST           the address to listen on (default 127.0.0.1)
//   INTERNAL_URL   optional: the provider's internal base URL for server-to-server calls
//                  (Authentik's AUTHENTIK_INTERNAL_URL)
//   REDIS_URL      optional: keep login state and exchange codes in Redis (several processes)
//                  instead of this process's memory
//   POST_LOGOUT_REDIRECT_URI  where the provider sends the browser after logout
//                  (default PUBLIC_URL/app/); it must be registered at the provider

export interface AppConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  publicUrl: string;
  publicOrigin: string;
  host: string;
  port: number;
  internalUrl?: string;
  redisUrl?: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  secureCookies: boolean;
}

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
  return {
    issuer: required(env, 'ISSUER'),
    clientId: required(env, 'CLIENT_ID'),
    clientSecret: required(env, 'CLIENT_SECRET'),
    publicUrl,
    publicOrigin: url.origin,
    host: optional(env, 'HOST') ?? '127.0.0.1',
    port,
    internalUrl: optional(env, 'INTERNAL_URL'),
    redisUrl: optional(env, 'REDIS_URL'),
    redirectUri: `${publicUrl}/auth/callback`,
    postLogoutRedirectUri: optional(env, 'POST_LOGOUT_REDIRECT_URI') ?? `${publicUrl}/app/`,
    secureCookies: url.protocol === 'https:',
  };
}
