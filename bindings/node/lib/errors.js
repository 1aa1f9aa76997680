'use strict';

const native = require('./native');

// The codes of a service that could not be reached, as the core defines them
// (oidcore_status_is_unavailable).
const UNAVAILABLE = new Set(native.unavailableStatusNames);

/**
 * Every failure of oidcore: `.code` is the stable code shared with C and Python
 * ("expired", "bad_signature", "jwks_unavailable", ...). For 'idp_error', `.error` and
 * `.errorDescription` are the provider's OAuth `error` ("invalid_grant", ...) and
 * `error_description`; `.status` is the HTTP status behind a failure when there is one.
 * `.unavailable` is true when a service could not be reached (the provider, its keys, the
 * store: 'jwks_unavailable', 'http_error', 'store_unavailable'): the verdict is unknown, not
 * the token's fault; answer 503 and retry, never 401.
 */
class OidcoreError extends Error {
  constructor(code, message, details) {
    super(message || code);
    this.name = 'OidcoreError';
    this.code = code;
    if (details) {
      if (typeof details.error === 'string' && details.error !== '') this.error = details.error;
      if (typeof details.errorDescription === 'string' && details.errorDescription !== '') {
        this.errorDescription = details.errorDescription;
      }
      if (typeof details.status === 'number' && details.status !== 0) this.status = details.status;
    }
  }

  get unavailable() {
    return UNAVAILABLE.has(this.code);
  }
}

/**
 * The OidcoreError of a failure object from the addon ({code, message, detail?, idpError?,
 * idpErrorDescription?}); `rename` rewrites option names in the message (see options.js).
 */
function fromNative(outcome, rename) {
  const message = rename ? rename(outcome.message) : outcome.message;
  return new OidcoreError(outcome.code, message, {
    error: outcome.idpError,
    errorDescription: outcome.idpErrorDescription,
    status: outcome.detail,
  });
}

/** Rewraps an Error thrown by a native constructor (it carries `.code`). */
function rethrowNative(e, rename) {
  if (e && typeof e.code === 'string' && !(e instanceof OidcoreError)) {
    throw new OidcoreError(e.code, rename ? rename(e.message) : e.message);
  }
  throw e;
}

module.exports = { OidcoreError, fromNative, rethrowNative };
