'use strict';

const { OidcoreError } = require('./errors');

// Top-level options whose values are passed through untouched: JWK member names and the
// provider's authorization parameters are not ours to rename.
const VERBATIM = new Set(['jwks', 'authorization_params']);

const toSnake = (name) => name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
const toCamel = (name) => name.replace(/_([a-z0-9])/g, (m, c) => c.toUpperCase());

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
  && !ArrayBuffer.isView(v);

// The ancestors of the value being converted: a cycle is refused, not recursed into.
class Cycle extends Error {}

function convert(value, path, verbatim, ancestors = new Set()) {
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) throw new Cycle(path);
  ancestors.add(value);
  let out;
  if (Array.isArray(value)) {
    out = value.map((v, i) => convert(v, `${path}[${i}]`, verbatim, ancestors));
  } else {
    out = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const snake = toSnake(key);
      const converted = verbatim.has(snake) && path === ''
        ? v : convert(v, path ? `${path}.${snake}` : snake, verbatim, ancestors);
      // An own property even for "__proto__", so that the core sees (and names) every key.
      Object.defineProperty(out, snake, { value: converted, enumerable: true, writable: true, configurable: true });
    }
  }
  ancestors.delete(value);
  return out;
}

/**
 * camelCase options → the core's snake_case JSON. Returns the JSON text and a map back from
 * snake_case names to the names the caller used, for error messages. `code` is the error
 * code of a refusal here: 'invalid_config' for constructors, 'invalid_argument' for calls.
 */
function toConfig(options, what, { verbatim = VERBATIM, code = 'invalid_config' } = {}) {
  if (!isPlainObject(options)) throw new OidcoreError(code, `${what} options must be an object`);
  const names = new Map();
  const collect = (obj, prefix, snakePrefix, depth) => {
    if (!isPlainObject(obj) || depth > 32) return;
    for (const key of Object.keys(obj)) {
      const snake = toSnake(key);
      names.set(snakePrefix + snake, prefix + key);
      if (!(verbatim.has(snake) && prefix === '')) collect(obj[key], `${prefix}${key}.`, `${snakePrefix}${snake}.`, depth + 1);
    }
  };
  let json;
  try {
    json = JSON.stringify(convert(options, '', verbatim));
  } catch (e) {
    // A cycle, a BigInt, a throwing getter or toJSON: not configuration.
    if (e instanceof Cycle) throw new OidcoreError(code, `${what} options refer to themselves (at "${e.message}")`);
    throw new OidcoreError(code, `${what} options are not JSON-serialisable: ${e && e.message}`);
  }
  collect(options, '', '', 0);
  return { json, names };
}

/**
 * The options object of a call (beginLogin, cookies.serialize, ...): undefined/null is "no
 * options" (json null); anything but a plain object is 'invalid_argument'. `verbatim`
 * names the top-level keys (snake_case) whose values are passed through untouched.
 */
function toOptions(options, what, verbatim = []) {
  if (options === undefined || options === null) return { json: null, names: new Map() };
  const r = toConfig(options, what, { verbatim: new Set(verbatim), code: 'invalid_argument' });
  if (r.json === '{}') r.json = null;
  return r;
}

/** Rewrites `"snake_key"` in a core message into the caller's own spelling. */
function renameInMessage(message, names) {
  if (!names || names.size === 0) return message;
  return message.replace(/"([A-Za-z0-9_.\-]+)"/g, (m, key) => {
    // The longest known prefix is renamed; what follows it (inside a verbatim object such
    // as authorizationParams) is the caller's own spelling already.
    const parts = key.split('.');
    for (let n = parts.length; n > 0; n--) {
      const prefix = parts.slice(0, n).join('.');
      if (names.has(prefix)) return `"${[names.get(prefix), ...parts.slice(n)].join('.')}"`;
    }
    return m;
  });
}

/** The top-level keys of a core result in camelCase; the values are left as they are. */
function camelKeys(obj) {
  if (!isPlainObject(obj)) return obj;
  // fromEntries defines own properties: a "__proto__" key stays a plain key.
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [toCamel(k), v]));
}

module.exports = { toConfig, toOptions, renameInMessage, toSnake, toCamel, camelKeys, isPlainObject };
