import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { addonCandidates } from '../live/native-addon';
import { invokingUser } from './process-privileges';

/**
 * The dumpcap model on Linux: a helper runtime (node binary, the helper's
 * compiled files, its npm dependencies and the addon) in a root-owned
 * directory that only group `netmon` may enter, with cap_net_raw and
 * cap_net_admin on its private copy of node.
 */
export const DEFAULT_PREFIX = '/opt/netmon/helper';
export const DEFAULT_GROUP = 'netmon';
export const HELPER_CAPABILITIES = 'cap_net_raw,cap_net_admin+ep';
const MANIFEST = 'install.json';

export interface InstallOptions {
  prefix?: string;
  group?: string;
  /** User to add to the group; defaults to the one who ran sudo/pkexec. */
  user?: string | null;
  /** Compiled helper directory to copy (dist/src-capture-helper); defaults to this build's. */
  helperDist?: string;
  /** node_modules to take the helper's dependencies from. */
  nodeModules?: string;
  nodeBinary?: string;
}

export interface InstallManifest {
  version: 1;
  prefix: string;
  group: string;
  createdGroup: boolean;
  addedUsers: string[];
  nodeVersion: string;
  packages: string[];
  addon: boolean;
  installedAt: string;
}

export interface InstallStatus {
  installed: boolean;
  prefix: string;
  group: string;
  groupExists: boolean;
  /** Capabilities on the runtime's node binary, as getcap prints them. */
  capabilities: string | null;
  launcher: string;
  manifest: InstallManifest | null;
  /** Whether the calling user may run the installed helper. */
  callerInGroup: boolean;
}

export function helperLauncher(prefix = DEFAULT_PREFIX): string {
  return path.join(prefix, 'netmon-helper');
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function requireRoot(what: string): void {
  if (process.platform !== 'linux') throw new Error(`${what} is implemented for Linux; see docs/privileges.md for macOS and Windows`);
  if (process.getuid?.() !== 0) throw new Error(`${what} must run as root (sudo netmon ${what})`);
}

function groupEntry(group: string): { gid: number; members: string[] } | null {
  try {
    const line = run('getent', ['group', group]).trim();
    const f = line.split(':');
    return { gid: Number(f[2]), members: f[3] ? f[3].split(',').filter(Boolean) : [] };
  } catch {
    return null;
  }
}

/** Safe names only: they end up as arguments of useradd/usermod/gpasswd. */
function checkName(kind: string, name: string): void {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(name)) throw new Error(`invalid ${kind} name '${name}'`);
}

export function installHelper(options: InstallOptions = {}): InstallManifest {
  requireRoot('install');
  const prefix = path.resolve(options.prefix ?? DEFAULT_PREFIX);
  const group = options.group ?? DEFAULT_GROUP;
  checkName('group', group);
  const helperDist = options.helperDist ?? path.resolve(__dirname, '..');
  const nodeModules = options.nodeModules ?? findNodeModules(helperDist);
  const nodeBinary = options.nodeBinary ?? process.execPath;
  const user = options.user === undefined ? invokingUser()?.name ?? null : options.user;
  if (user !== null) checkName('user', user);
  if (!fs.existsSync(path.join(helperDist, 'live', 'live-capture.js'))) {
    throw new Error(`${helperDist} does not hold a compiled helper (run 'npm run build')`);
  }
  const previous = readManifest(prefix);

  let createdGroup = previous?.createdGroup ?? false;
  let entry = groupEntry(group);
  if (!entry) {
    run('groupadd', ['--system', group]);
    createdGroup = true;
    entry = groupEntry(group);
  }
  const gid = entry!.gid;

  // Build the runtime beside the target and swap it in, so a failed install
  // leaves the previous one intact.
  const staging = `${prefix}.new-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    fs.mkdirSync(path.join(staging, 'bin'), { recursive: true });
    fs.copyFileSync(nodeBinary, path.join(staging, 'bin', 'node'));
    const libHelper = path.join(staging, 'lib', 'src-capture-helper');
    fs.cpSync(helperDist, libHelper, { recursive: true, filter: (src) => !src.endsWith('.map') });
    const addon = addonCandidates().find((f) => fs.existsSync(f));
    if (addon) {
      fs.mkdirSync(path.join(libHelper, 'addon'), { recursive: true });
      fs.copyFileSync(addon, path.join(libHelper, 'addon', 'netmon_pcap.node'));
    }
    const packages = copyDependencies(libHelper, nodeModules, path.join(staging, 'lib', 'node_modules'));
    fs.writeFileSync(
      path.join(staging, 'netmon-helper'),
      '#!/bin/sh\n# netmon capture helper (installed by `netmon install`)\n' +
        `exec "${path.join(prefix, 'bin', 'node')}" "${path.join(prefix, 'lib', 'src-capture-helper', 'cli.js')}" "$@"\n`,
    );
    const manifest: InstallManifest = {
      version: 1,
      prefix,
      group,
      createdGroup,
      addedUsers: [...new Set([...(previous?.addedUsers ?? []), ...(user ? [user] : [])])],
      nodeVersion: process.version,
      packages,
      addon: addon !== undefined,
      installedAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    setOwnership(staging, gid);
    fs.chmodSync(path.join(staging, 'bin', 'node'), 0o750);
    fs.chmodSync(path.join(staging, 'netmon-helper'), 0o750);
    // setcap after chown: changing the owner clears file capabilities.
    run('setcap', [HELPER_CAPABILITIES, path.join(staging, 'bin', 'node')]);
    fs.mkdirSync(path.dirname(prefix), { recursive: true, mode: 0o755 });
    fs.rmSync(prefix, { recursive: true, force: true });
    fs.renameSync(staging, prefix);
    if (user) run('usermod', ['-a', '-G', group, user]);
    return manifest;
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

export function uninstallHelper(options: { prefix?: string; group?: string } = {}): { removed: boolean; groupRemoved: boolean } {
  requireRoot('uninstall');
  const prefix = path.resolve(options.prefix ?? DEFAULT_PREFIX);
  const manifest = readManifest(prefix);
  const group = manifest?.group ?? options.group ?? DEFAULT_GROUP;
  checkName('group', group);
  const removed = fs.existsSync(prefix);
  if (removed && !manifest) throw new Error(`${prefix} exists but has no ${MANIFEST}: not removing a directory netmon did not install`);
  fs.rmSync(prefix, { recursive: true, force: true });
  let groupRemoved = false;
  const groupExists = groupEntry(group) !== null;
  if (manifest?.createdGroup && groupExists) {
    run('groupdel', [group]);
    groupRemoved = true;
  } else if (manifest && groupExists) {
    for (const u of manifest.addedUsers) {
      try {
        run('gpasswd', ['-d', u, group]);
      } catch {
        // The user was removed from the group or deleted meanwhile.
      }
    }
  }
  return { removed, groupRemoved };
}

export function installStatus(options: { prefix?: string; group?: string } = {}): InstallStatus {
  const prefix = path.resolve(options.prefix ?? DEFAULT_PREFIX);
  const manifest = readManifest(prefix);
  const group = manifest?.group ?? options.group ?? DEFAULT_GROUP;
  const entry = groupEntry(group);
  let capabilities: string | null = null;
  try {
    const out = run('getcap', [path.join(prefix, 'bin', 'node')]).trim();
    capabilities = out.length > 0 ? out.slice(out.lastIndexOf(' ') + 1) : null;
  } catch {
    capabilities = null;
  }
  const callerInGroup = entry !== null && (process.getgroups?.() ?? []).includes(entry.gid);
  return {
    installed: fs.existsSync(path.join(prefix, 'bin', 'node')) || manifest !== null,
    prefix,
    group,
    groupExists: entry !== null,
    capabilities,
    launcher: helperLauncher(prefix),
    manifest,
    callerInGroup,
  };
}

function readManifest(prefix: string): InstallManifest | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(prefix, MANIFEST), 'utf8')) as InstallManifest;
    return m.version === 1 ? m : null;
  } catch {
    return null;
  }
}

/** root:group, directories 0750, files 0640: only the group may enter or read. */
function setOwnership(root: string, gid: number): void {
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    fs.lchownSync(p, 0, gid);
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      fs.chmodSync(p, 0o750);
      for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    } else {
      fs.chmodSync(p, 0o640);
    }
  };
  walk(root);
}

function findNodeModules(from: string): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'node_modules');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no node_modules above ${from}`);
    dir = parent;
  }
}

const BUILTINS = new Set(builtinModules);

/** Packages the compiled helper requires, with their dependencies, copied into `target`. */
function copyDependencies(helperDir: string, nodeModules: string, target: string): string[] {
  const wanted = new Set<string>();
  const walk = (p: string): void => {
    for (const e of fs.readdirSync(p, { withFileTypes: true })) {
      const full = path.join(p, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.js')) {
        for (const m of fs.readFileSync(full, 'utf8').matchAll(/require\(["']([^"'./][^"']*)["']\)/g)) {
          const spec = m[1];
          if (spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0])) continue;
          wanted.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        }
      }
    }
  };
  walk(helperDir);
  const copied = new Set<string>();
  const queue = [...wanted];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (copied.has(name)) continue;
    const src = path.join(nodeModules, name);
    if (!fs.existsSync(src)) throw new Error(`the helper needs package '${name}', which is not in ${nodeModules}`);
    fs.cpSync(src, path.join(target, name), { recursive: true, dereference: true });
    copied.add(name);
    const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    queue.push(...Object.keys(pkg.dependencies ?? {}));
  }
  return [...copied].sort();
}
