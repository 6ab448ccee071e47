import { passwdEntry } from '../privileges/process-privileges';
import type { HelperLog } from '../server/helper-log';
import { AppAttributor } from './app-attributor';
import { procProcessSource } from './proc-scanner';
import { openSockDiag } from './sock-diag';

const MAX_USER_NAMES = 1024;

/** uid → user name from /etc/passwd, cached (bounded) because a busy host shows the same few users all day. */
export function cachedUserNames(): (uid: number) => string | null {
  const names = new Map<number, string | null>();
  return (uid) => {
    const known = names.get(uid);
    if (known !== undefined) return known;
    const name = passwdEntry(uid)?.name.slice(0, 64) || null;
    if (names.size >= MAX_USER_NAMES) names.clear();
    names.set(uid, name);
    return name;
  };
}

/**
 * Starts process attribution for a live capture, or says in one log line why
 * there is none (not Linux, the sockets addon missing, sock_diag refused);
 * the capture runs the same either way.
 */
export function startLiveAttribution(log: HelperLog, session: string): AppAttributor | null {
  const sockDiag = openSockDiag();
  if ('unavailable' in sockDiag) {
    log.warn(`process attribution is off: ${sockDiag.unavailable}`, { session });
    return null;
  }
  const attributor = new AppAttributor({
    sockets: sockDiag.table,
    processes: procProcessSource(),
    selfUid: () => process.geteuid?.() ?? 0,
    userName: cachedUserNames(),
  });
  attributor.start((err) => log.warn(`process attribution stopped: ${err.message}`, { session }));
  return attributor;
}
