'use strict';
// The addon, built by `npm install` (cmake-js) into build/Release.
const path = require('node:path');

module.exports = require(path.join(__dirname, '..', 'build', 'Release', 'oidcore.node'));
