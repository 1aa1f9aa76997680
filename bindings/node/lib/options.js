'use strict';

const { OidcoreError } = require('./errors');

// Options whose values are passed through untouched (JWK member names are not ours to rename).
const VERBATIM = new Set(['jwks']);

const toSnake = (name) => name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

function convert(value, path) {
  if (Array.isArray(value)) return value.map((v, i) => convert(v, `${path}[${i}]`));
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const snake = toSnake(key);
    out[snake] = VERBATIM.has(snake) && path === '' ? v : convert(v, path ? `${path}.${snake}` : snake);
  }
  return out;
}

/**
 * camelCase options → the core's snake_case JSON configuration. Returns the JSON text and a
 * map back from snake_case names to the names the caller used, for error messages.
 */
function toConfig(options, what) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OidcoreError('invalid_config', `${what} options must be an object`);
  }
  const names = new Map();
  const collect = (obj, prefix, snakePrefix) => {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || obj instanceof Date) return;
    for (const key of Object.keys(obj)) {
      const snake = toSnake(key);
      names.set(snakePrefix + snake, prefix + key);
      if (!VERBATIM.has(snake)) collect(obj[key], `${prefix}${key}.`, `${snakePrefix}${snake}.`);
    }
  };
  collect(options, '', '');
  return { json: JSON.stringify(convert(options, '')), names };
}

/** Rewrites `"snake_key"` in a core message into the caller's own spelling. */
function renameInMessage(message, names) {
  return message.replace(/"([a-z0-9_.]+)"/g, (m, key) => (names.has(key) ? `"${names.get(key)}"` : m));
}

module.exports = { toConfig, renameInMessage, toSnake };
