#!/usr/bin/env node
// Builds the helper's libpcap batching addon. Without libpcap headers or a
// compiler the helper still runs on the `cap` fallback path, so a failed
// build is reported and does not fail the install.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

const addonDir = path.join(__dirname, '..', 'src-capture-helper', 'addon');
if (!fs.existsSync(path.join(addonDir, 'binding.gyp'))) process.exit(0);
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
  console.warn('netmon: the libpcap batching addon did not build; live capture will use the slower `cap` path.');
}
