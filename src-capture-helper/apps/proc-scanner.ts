import fs from 'node:fs';

/**
 * What the attributor reads of /proc: the process ids, the socket inodes a
 * process holds (its fd links `socket:[inode]`), and its name and program.
 * Every read may fail (the process exited, or belongs to someone the user may
 * not inspect): failures are values, never exceptions.
 */
export interface ProcessSource {
  pids(): number[];
  /** Socket inodes of a process, or null when its fds cannot be read; `reads` counts the syscalls it cost. */
  socketInodes(pid: number): { inodes: number[]; reads: number } | null;
  describe(pid: number): { name: string | null; exe: string | null };
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

export function procProcessSource(root = '/proc'): ProcessSource {
  return {
    pids() {
      let entries: string[];
      try {
        entries = fs.readdirSync(root);
      } catch {
        return [];
      }
      const pids: number[] = [];
      for (const e of entries) {
        const c = e.charCodeAt(0);
        if (c >= 48 && c <= 57) pids.push(Number(e));
      }
      return pids;
    },
    socketInodes(pid) {
      const dir = `${root}/${pid}/fd`;
      let fds: string[];
      try {
        fds = fs.readdirSync(dir);
      } catch {
        return null;
      }
      const inodes: number[] = [];
      for (const fd of fds) {
        let link: string;
        try {
          link = fs.readlinkSync(`${dir}/${fd}`);
        } catch {
          continue;
        }
        const m = SOCKET_LINK.exec(link);
        if (m) inodes.push(Number(m[1]));
      }
      return { inodes, reads: fds.length + 1 };
    },
    describe(pid) {
      let name: string | null = null;
      let exe: string | null = null;
      try {
        name = fs.readFileSync(`${root}/${pid}/comm`, 'utf8').replace(/\n$/, '').slice(0, 256) || null;
      } catch {
        // exited: the caller keeps what it knew
      }
      try {
        exe = fs.readlinkSync(`${root}/${pid}/exe`).replace(/ \(deleted\)$/, '').slice(0, 4096) || null;
      } catch {
        // kernel threads and exited processes have no program
      }
      return { name, exe };
    },
  };
}
