#!/usr/bin/env node
// Copies this Node binary into build/node-runtime/ for electron-builder: the
// capture helper runs on plain Node, and `netmon install` copies that binary
// into the root-owned helper runtime (Electron's own binary cannot run alone).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'build', 'node-runtime');
fs.mkdirSync(dir, { recursive: true });
const target = path.join(dir, process.platform === 'win32' ? 'node.exe' : 'node');
fs.copyFileSync(process.execPath, target);
fs.chmodSync(target, 0o755);
console.log(`staged ${process.execPath} (${process.version}) as ${target}`);
