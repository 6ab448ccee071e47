#!/usr/bin/env node
// `npm start`: launches the Electron app from the build. Where Electron cannot
// start (no display, or no Electron binary was installed) it says so and
// points at the headless mode, which runs everywhere.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const main = path.join(root, 'dist', 'src-main', 'electron', 'main.js');

function electronBinary() {
  try {
    const bin = require('electron');
    return typeof bin === 'string' && fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const bin = electronBinary();
if (!bin || !hasDisplay) {
  const why = !bin
    ? 'the Electron binary is not installed (npm was run with ELECTRON_SKIP_BINARY_DOWNLOAD=1 or offline)'
    : 'there is no display (DISPLAY/WAYLAND_DISPLAY unset)';
  console.error(`netmon: cannot start the desktop app: ${why}.`);
  console.error('Run the same monitor headless instead and open the dashboard in a browser:');
  console.error('  npm run serve            # replays the demo capture without capture rights');
  console.error('  npm run serve -- --iface eth0   # live capture (needs capture rights: sudo node dist/src-main/cli/netmon.js install)');
  process.exit(1);
}
const child = spawn(bin, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
