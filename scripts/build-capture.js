#!/usr/bin/env node
// Builds netmon-capture, the one program that holds capture rights, into
// dist/bin/ with the script that installs it (capture-rights.sh) and its
// version (package version + a digest of the source), which the helper and
// `netmon install --status` compare with the installed copy.
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const source = path.join(root, 'src-capture-helper', 'capture-program', 'netmon-capture.c');
const rightsScript = path.join(root, 'src-capture-helper', 'privileges', 'capture-rights.sh');
const outDir = path.join(root, 'dist', 'bin');

if (process.platform === 'win32') {
  console.log('netmon: netmon-capture is not built on Windows (live capture there goes through Npcap and cap)');
  process.exit(0);
}
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const digest = crypto.createHash('sha256').update(fs.readFileSync(source)).digest('hex').slice(0, 12);
const version = `${pkg.version}+${digest}`;

fs.mkdirSync(outDir, { recursive: true });
const out = path.join(outDir, 'netmon-capture');
const hardening = process.platform === 'linux'
  ? ['-fstack-protector-strong', '-D_FORTIFY_SOURCE=2', '-fPIE', '-pie', '-Wl,-z,relro,-z,now']
  : [];
const args = ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', ...hardening, `-DNETMON_CAPTURE_VERSION="${version}"`, '-o', `${out}.tmp`, source, '-lpcap'];
const cc = process.env.CC || 'cc';
const r = spawnSync(cc, args, { stdio: 'inherit' });
if (r.status !== 0) {
  console.error(`netmon: building netmon-capture failed (${cc} ${args.join(' ')}); live capture needs it: install a C compiler and libpcap-dev`);
  process.exit(1);
}
fs.renameSync(`${out}.tmp`, out);
fs.chmodSync(out, 0o755);
fs.writeFileSync(path.join(outDir, 'netmon-capture.version'), `${version}\n`);
fs.copyFileSync(rightsScript, path.join(outDir, 'capture-rights.sh'));
fs.chmodSync(path.join(outDir, 'capture-rights.sh'), 0o755);
