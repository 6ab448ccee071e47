import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bundledProgramDir, CAPTURE_GROUP, expectedProgramVersion, INSTALL_PREFIX, installedProgramPath, programVersion } from '../live/capture-program';
import { invokingUser } from './process-privileges';

/**
 * Capture rights on Linux, the dumpcap model: one small program,
 * netmon-capture, root:netmon 0750 with cap_net_raw,cap_net_admin, in
 * /opt/netmon/bin. The work is done by capture-rights.sh (beside the built
 * program), the same script the app's elevation and the deb run as root.
 */
export const DEFAULT_PREFIX = INSTALL_PREFIX;
export const DEFAULT_GROUP = CAPTURE_GROUP;

export interface InstallOptions {
  prefix?: string;
  group?: string;
  /** User to add to the group; defaults to the one who ran sudo/pkexec. */
  user?: string | null;
  /** The program to install; defaults to this build's. */
  program?: string;
}

export interface InstallStatus {
  installed: boolean;
  prefix: string;
  program: string;
  group: string;
  groupExists: boolean;
  /** Capabilities on the installed program, as getcap prints them. */
  capabilities: string | null;
  /** Owner, group and mode of the installed program, e.g. "root:netmon 0750". */
  ownership: string | null;
  /** The installed program's version and the one this build needs. */
  installedVersion: string | null;
  expectedVersion: string | null;
  upToDate: boolean;
  /** Members install added, and whether the calling process is in the group. */
  addedUsers: string[];
  callerInGroup: boolean;
}

export function rightsScript(): string {
  return path.join(bundledProgramDir(), 'capture-rights.sh');
}

function runScript(args: string[]): { status: number; stdout: string; stderr: string } {
  if (process.platform !== 'linux') {
    return { status: 1, stdout: '', stderr: 'capture rights are set up this way on Linux only; see docs/privileges.md for macOS and Windows\n' };
  }
  const r = spawnSync('/bin/sh', [rightsScript(), ...args], { encoding: 'utf8' });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? `${r.error.message}\n` : '') };
}

export function installRights(options: InstallOptions = {}): { status: number; stdout: string; stderr: string } {
  const user = options.user === undefined ? invokingUser()?.name ?? null : options.user;
  const program = options.program ?? path.join(bundledProgramDir(), 'netmon-capture');
  return runScript([
    'install', '--program', program,
    ...(options.prefix ? ['--prefix', path.resolve(options.prefix)] : []),
    ...(options.group ? ['--group', options.group] : []),
    ...(user ? ['--user', user] : []),
  ]);
}

export function uninstallRights(options: { prefix?: string } = {}): { status: number; stdout: string; stderr: string } {
  return runScript(['uninstall', ...(options.prefix ? ['--prefix', path.resolve(options.prefix)] : [])]);
}

export function installStatus(options: { prefix?: string; group?: string } = {}): InstallStatus {
  const prefix = path.resolve(options.prefix ?? DEFAULT_PREFIX);
  const program = installedProgramPath(prefix);
  const manifest = readManifest(prefix);
  const group = manifest.group ?? options.group ?? DEFAULT_GROUP;
  const entry = groupEntry(group);
  let capabilities: string | null = null;
  let ownership: string | null = null;
  const exists = fs.existsSync(program);
  if (exists) {
    try {
      const out = execFileSync('getcap', [program], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      capabilities = out.length > 0 ? out.slice(out.lastIndexOf(' ') + 1) : null;
    } catch {
      capabilities = null;
    }
    const st = fs.statSync(program);
    ownership = `${st.uid === 0 ? 'root' : st.uid}:${st.gid === entry?.gid ? group : st.gid} ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`;
  }
  const installedVersion = exists ? programVersion(program) ?? manifest.version ?? null : null;
  const expectedVersion = expectedProgramVersion();
  return {
    installed: exists,
    prefix,
    program,
    group,
    groupExists: entry !== null,
    capabilities,
    ownership,
    installedVersion,
    expectedVersion,
    upToDate: exists && installedVersion !== null && installedVersion === expectedVersion,
    addedUsers: manifest.addedUsers,
    callerInGroup: entry !== null && (process.getgroups?.() ?? []).includes(entry.gid),
  };
}

function readManifest(prefix: string): { group?: string; version?: string; addedUsers: string[] } {
  let text = '';
  try {
    text = fs.readFileSync(path.join(prefix, 'install.env'), 'utf8');
  } catch {
    return { addedUsers: [] };
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}=(.*)$`, 'm').exec(text)?.[1];
  return { group: field('group'), version: field('version'), addedUsers: (field('added_users') ?? '').split(' ').filter(Boolean) };
}

function groupEntry(group: string): { gid: number } | null {
  try {
    const line = execFileSync('getent', ['group', group], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { gid: Number(line.split(':')[2]) };
  } catch {
    return null;
  }
}
