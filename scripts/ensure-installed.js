#!/usr/bin/env node
// Lets `npm start` and `npm test` work on a fresh clone: installs the locked
// dependencies (which also builds the project) when node_modules is missing.
// Electron's binary is not downloaded here; `npm start` says how to get it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
if (!fs.existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
  console.error('netmon: installing dependencies (npm ci)...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: process.env.ELECTRON_SKIP_BINARY_DOWNLOAD ?? '1' };
  const result = spawnSync(npm, ['ci'], { cwd: root, stdio: 'inherit', env });
  process.exit(result.status ?? 1);
}
