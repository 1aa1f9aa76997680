'use strict';
// The cross-language conformance cases: the same file, the same verdicts as C++ and Python.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Verifier, OidcoreError } = require('..');

const file = path.join(__dirname, '..', '..', '..', 'tests', 'conformance', 'cases.json');
const { config, cases } = JSON.parse(fs.readFileSync(file, 'utf8'));

test('shared conformance cases give their verdicts', async () => {
  // The file's configuration is in the core's snake_case, which is also valid camelCase here.
  const v = new Verifier(config);
  assert.equal(cases.length, 32);
  for (const c of cases) {
    let verdict;
    try {
      await v.verify(c.token);
      verdict = 'ok';
    } catch (e) {
      assert.ok(e instanceof OidcoreError, `${c.name}: ${e}`);
      verdict = e.code;
    }
    assert.equal(verdict, c.expected, c.name);
  }
});
