import fs from 'node:fs';
import { isUnavailable, loadHelperAddon } from '../addon/load-addon';

/** Capability sets of this process, from /proc/self/status (hex masks as bigint). */
export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

export function readCapabilities(statusText = fs.readFileSync('/proc/self/status', 'utf8')): CapabilitySets {
  const field = (name: string): bigint => {
    const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(statusText);
    return m ? BigInt(`0x${m[1]}`) : 0n;
  };
  return { effective: field('CapEff'), permitted: field('CapPrm'), inheritable: field('CapInh'), ambient: field('CapAmb') };
}

export interface InvokingUser {
  uid: number;
  gid: number;
  name: string | null;
  /** Where the identity came from. */
  source: 'SUDO_UID' | 'PKEXEC_UID';
}

/** The user who ran sudo/pkexec to start this process, if any. */
export function invokingUser(env: NodeJS.ProcessEnv = process.env): InvokingUser | null {
  const sudoUid = parseId(env.SUDO_UID);
  if (sudoUid !== null && sudoUid !== 0) {
    const entry = passwdEntry(sudoUid);
    const gid = parseId(env.SUDO_GID) ?? entry?.gid ?? sudoUid;
    return { uid: sudoUid, gid, name: env.SUDO_USER ?? entry?.name ?? null, source: 'SUDO_UID' };
  }
  const pkexecUid = parseId(env.PKEXEC_UID);
  if (pkexecUid !== null && pkexecUid !== 0) {
    const entry = passwdEntry(pkexecUid);
    return { uid: pkexecUid, gid: entry?.gid ?? pkexecUid, name: entry?.name ?? null, source: 'PKEXEC_UID' };
  }
  return null;
}

export type PrivilegeOutcome =
  | { kind: 'dropped-root'; uid: number; gid: number }
  | { kind: 'unprivileged' }
  | { kind: 'kept-root'; reason: string };

/** The privileges addon: no_new_privs, which Node cannot set itself. */
function setNoNewPrivs(): void {
  const addon = loadHelperAddon<{ setNoNewPrivs(): void }>('netmon_privileges');
  if (isUnavailable(addon)) throw new Error(`cannot set no_new_privs: ${addon.unavailable}`);
  addon.setNoNewPrivs();
}

/**
 * Called once whatever needed root is open (netmon-capture has opened the
 * interfaces and dropped its own rights): a process that runs as root becomes
 * the invoking user, with only that user's primary group, no capabilities
 * and no_new_privs, and its HOME, so its data goes to that user's
 * directories. Root without an invoking user stays root and says so.
 */
export function dropRoot(env: NodeJS.ProcessEnv = process.env): PrivilegeOutcome {
  if (process.platform !== 'linux' || process.geteuid?.() !== 0) return { kind: 'unprivileged' };
  const user = invokingUser(env);
  if (!user) return { kind: 'kept-root', reason: 'running as root without SUDO_UID or PKEXEC_UID to drop to: everything that parses traffic runs as root; start it through sudo, or as a dedicated user in the capture group (docs/privileges.md)' };
  dropRootTo(user);
  setNoNewPrivs();
  const home = passwdEntry(user.uid)?.home;
  if (home) env.HOME = home;
  if (user.name) env.USER = env.LOGNAME = user.name;
  for (const key of ['XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR']) {
    if (env[key] !== undefined && (home === undefined || !env[key]!.startsWith(`${home}/`))) delete env[key];
  }
  return { kind: 'dropped-root', uid: user.uid, gid: user.gid };
}

/** setgroups, setgid, setuid, in that order, then proof that root cannot come back. */
export function dropRootTo(user: InvokingUser): void {
  if (!process.setgroups || !process.setgid || !process.setuid || !process.getuid) {
    throw new Error('this platform has no setuid/setgid');
  }
  // Only the primary group: the helper needs none of the user's other groups.
  process.setgroups([user.gid]);
  process.setgid(user.gid);
  process.setuid(user.uid);
  if (process.getuid() !== user.uid || process.geteuid?.() !== user.uid || process.getgid?.() !== user.gid) {
    throw new Error('the user switch did not take effect');
  }
  let regained = false;
  try {
    process.setuid(0);
    regained = true;
  } catch {
    // Expected: EPERM.
  }
  if (regained) throw new Error('root could be regained after dropping it');
  const caps = readCapabilities();
  if (caps.effective !== 0n || caps.permitted !== 0n) throw new Error('capabilities survived the switch away from root');
}

function parseId(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

export function passwdEntry(uid: number): { name: string; gid: number; home: string } | null {
  let text: string;
  try {
    text = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 6 && Number(f[2]) === uid) return { name: f[0], gid: Number(f[3]), home: f[5] };
  }
  return null;
}
