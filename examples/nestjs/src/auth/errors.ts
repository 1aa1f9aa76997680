import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { OidcoreError } from 'oidcore';

const logger = new Logger('oidcore');

/** Logs a failure (never a token: oidcore's messages hold none) and returns its stable code. */
export function logFailure(err: unknown, what: string): string {
  if (err instanceof OidcoreError) {
    const idp = (err as { error?: string }).error;
    logger.warn(`${what}: ${err.code}${idp ? ` (${idp})` : ''}: ${err.message}`);
    return err.code;
  }
  logger.error(`${what}: ${String((err as Error)?.stack ?? err)}`);
  return 'internal';
}

/**
 * An OidcoreError as an HTTP answer: what the browser did wrong is a 4xx; the provider or
 * the store unreachable is a 503 (every call to them has a deadline, so this comes within
 * the configured timeouts, never as a hang); only a bug or a misconfiguration is a 500. The
 * body names the stable code, never a token.
 */
export function toHttp(err: unknown, what: string): HttpException {
  if (err instanceof HttpException) return err;
  const code = logFailure(err, what);
  if (!(err instanceof OidcoreError)) {
    return new HttpException({ error: code }, HttpStatus.INTERNAL_SERVER_ERROR);
  }
  // Redis down, frozen or full (connect_timeout + command_timeout); the provider or its keys
  // down, hanging or answering garbage (http_timeout): 'store_unavailable', 'http_error',
  // 'jwks_unavailable'.
  if (err.unavailable) return new HttpException({ error: err.code }, HttpStatus.SERVICE_UNAVAILABLE);
  switch (err.code) {
    case 'not_found': // unknown, expired or already used state or exchange code
    case 'unsafe_redirect':
    case 'invalid_argument':
      return new HttpException({ error: err.code }, HttpStatus.BAD_REQUEST);
    case 'idp_error': // e.g. invalid_grant: a refresh token already used or revoked
      return new HttpException({ error: err.code, idpError: (err as { error?: string }).error },
        HttpStatus.UNAUTHORIZED);
    case 'internal':
    case 'invalid_config':
      return new HttpException({ error: err.code }, HttpStatus.INTERNAL_SERVER_ERROR);
    default:
      // A token that does not verify (bad_signature, expired, bad_nonce, ...).
      return new HttpException({ error: err.code }, HttpStatus.UNAUTHORIZED);
  }
}
