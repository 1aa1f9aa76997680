'use strict';

/**
 * Every failure of oidcore: `.code` is the stable code shared with C and Python
 * ("expired", "bad_signature", "jwks_unavailable", ...).
 */
class OidcoreError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'OidcoreError';
    this.code = code;
  }
}

module.exports = { OidcoreError };
