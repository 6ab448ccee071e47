import fs from 'node:fs';
import { loadAddon } from '../live/native-addon';

/** Capability sets of this process, from /proc/self/status (hex masks as bigint). */
export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

export const CAP_NET_ADMIN = 12n;
export const CAP_NET_RAW = 13n;

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
  | { kind: 'dropped-capabilities' }
  | { kind: 'unprivileged' }
  | { kind: 'kept-root'; reason: string };

/**
 * Called once every capture handle is open: a helper that runs as root
 * becomes the invoking user; one that runs with file capabilities gives them
 * all up. Neither can gain privileges again, nor can any program it starts
 * (no_new_privs). A root helper without an invoking user stays root and says so.
 */
export function relinquishPrivileges(env: NodeJS.ProcessEnv = process.env): PrivilegeOutcome {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function') return { kind: 'unprivileged' };
  const addon = loadAddon().addon;
  if (process.getuid() === 0 || process.geteuid?.() === 0) {
    const user = invokingUser(env);
    if (!user) return { kind: 'kept-root', reason: 'started as root without SUDO_UID or PKEXEC_UID to drop to' };
    dropRootTo(user);
    addon?.setNoNewPrivs();
    return { kind: 'dropped-root', uid: user.uid, gid: user.gid };
  }
  const caps = readCapabilities();
  if (caps.permitted === 0n && caps.effective === 0n) return { kind: 'unprivileged' };
  if (!addon) {
    throw new Error('cannot give up capabilities: the batching addon (which calls capset) is not built');
  }
  addon.dropCapabilities();
  const after = readCapabilities();
  if (after.permitted !== 0n || after.effective !== 0n) throw new Error('capabilities are still held after dropping them');
  return { kind: 'dropped-capabilities' };
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

function passwdEntry(uid: number): { name: string; gid: number } | null {
  let text: string;
  try {
    text = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 4 && Number(f[2]) === uid) return { name: f[0], gid: Number(f[3]) };
  }
  return null;
}
