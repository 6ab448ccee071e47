#!/usr/bin/env node
// Builds the helper's small addons (Linux only): privileges (no_new_privs for
// a process that started as root through sudo and drops to the invoking user;
// see docs/privileges.md; without it such a process refuses to drop root
// half-way and says why) and sockets (the sock_diag dump that attributes flows
// to processes; without it attribution is off and the helper says so).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

if (process.platform !== 'linux') process.exit(0);
const addonDir = path.join(__dirname, '..', 'src-capture-helper', 'addon');
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
const args = [nodeGyp, 'rebuild', '--release', '--loglevel=warn', '--directory', addonDir];
// Use the headers installed beside this node binary when npm does not name a
// nodedir, so the build needs no download.
const localHeaders = path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(localHeaders, 'node_api.h'))) {
  args.push(`--nodedir=${path.dirname(path.dirname(localHeaders))}`);
}
const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
if (r.status !== 0) {
  console.warn('netmon: the helper addons did not build; `sudo netmon serve|capture` will refuse to drop root without no_new_privs, and flows are not attributed to processes.');
}
