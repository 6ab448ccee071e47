import { DEFAULT_GROUP, DEFAULT_PREFIX, installRights, installStatus } from '../privileges/install';
import { parseCommandLine } from '../util/command-line';

const USAGE = `usage: netmon install [--prefix DIR] [--group NAME] [--user NAME] [--program FILE]
       netmon install --status [--json]

Sets up capture rights once (run as root, e.g. through sudo): creates the
group '${DEFAULT_GROUP}', installs netmon-capture, the one small program that
captures, as ${DEFAULT_PREFIX}/bin/netmon-capture owned by root:${DEFAULT_GROUP}
mode 0750 with cap_net_raw,cap_net_admin, and adds the invoking user
(SUDO_USER or PKEXEC_UID) to the group. Group membership applies from the
user's next login. Nothing else gets any right: the program gives its up once
the interfaces are open, before it reads a packet.

  --prefix DIR    install elsewhere (default ${DEFAULT_PREFIX})
  --group NAME    group allowed to capture (default ${DEFAULT_GROUP})
  --user NAME     user to add instead of the invoking one
  --program FILE  program to install (default: this build's)
  --status        report what is installed and whether it matches this build`;

export async function runInstallCommand(args: string[]): Promise<number> {
  const parsed = parseCommandLine({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      prefix: { type: 'string' },
      group: { type: 'string' },
      user: { type: 'string' },
      program: { type: 'string' },
      status: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'string') {
    process.stderr.write(`netmon install: ${parsed}\n\n${USAGE}\n`);
    return 2;
  }
  const { status, json, help, ...options } = parsed.values;
  if (help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (status) {
    const s = installStatus(options);
    if (json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    else {
      process.stdout.write(
        [
          `installed: ${s.installed ? `yes (${s.program}, ${s.ownership})` : `no (${s.program})`}`,
          `version: ${s.installedVersion ?? '-'}${s.installed ? (s.upToDate ? ' (matches this build)' : ` (this build needs ${s.expectedVersion}: capture rights need updating, run 'sudo netmon install')`) : ''}`,
          `capabilities: ${s.capabilities ?? 'none'}`,
          `group ${s.group}: ${s.groupExists ? 'exists' : 'missing'}${s.callerInGroup ? ', you are a member' : ''}`,
        ].join('\n') + '\n',
      );
    }
    return s.installed && s.upToDate ? 0 : 1;
  }
  const r = installRights(options);
  process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr.replace(/^capture-rights: /gm, 'netmon install: '));
  return r.status === 0 ? 0 : 1;
}
