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

/** The installed Electron binary, read the way the electron package does, without its download-on-demand. */
function electronBinary() {
  try {
    const dir = path.dirname(require.resolve('electron/package.json'));
    const bin = process.env.ELECTRON_OVERRIDE_DIST_PATH
      ? path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, fs.readFileSync(path.join(dir, 'path.txt'), 'utf8'))
      : path.join(dir, 'dist', fs.readFileSync(path.join(dir, 'path.txt'), 'utf8'));
    return fs.existsSync(bin) ? bin : undefined;
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
  console.error('  npm run serve            # starts idle: open the address it prints and choose what to watch');
  console.error('  npm run serve -- --demo  # plays the demo capture shipped with Netmon, no capture rights needed');
  console.error('  npm run serve -- --iface eth0   # live capture: run as root, or grant rights once with sudo npm run --silent netmon -- install');
  console.error('To get Electron, install with network access: npx install-electron (or npm ci without ELECTRON_SKIP_BINARY_DOWNLOAD).');
  process.exit(1);
}
const child = spawn(bin, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
