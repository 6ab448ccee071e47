import { DEFAULT_GROUP, DEFAULT_PREFIX, installHelper, installStatus } from '../privileges/install';

const USAGE = `usage: netmon install [--prefix DIR] [--group NAME] [--user NAME]
       netmon install --status [--json]

Sets up capture rights once (run as root, e.g. through sudo): creates the
group '${DEFAULT_GROUP}', copies the helper runtime (node, the helper and its
addon) to ${DEFAULT_PREFIX} owned by root:${DEFAULT_GROUP} mode 0750, gives its
node binary cap_net_raw,cap_net_admin, and adds the invoking user (SUDO_USER or
PKEXEC_UID) to the group. Group membership applies from the user's next login.

  --prefix DIR   install elsewhere (default ${DEFAULT_PREFIX})
  --group NAME   group allowed to capture (default ${DEFAULT_GROUP})
  --user NAME    user to add instead of the invoking one
  --status       report what is installed, without changing anything`;

export async function runInstallCommand(args: string[]): Promise<number> {
  let prefix: string | undefined;
  let group: string | undefined;
  let user: string | undefined;
  let status = false;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    try {
      if (arg === '--prefix') prefix = value();
      else if (arg === '--group') group = value();
      else if (arg === '--user') user = value();
      else if (arg === '--status') status = true;
      else if (arg === '--json') json = true;
      else if (arg === '--help' || arg === '-h') {
        process.stdout.write(`${USAGE}\n`);
        return 0;
      } else throw new Error(`unknown option '${arg}'`);
    } catch (err) {
      process.stderr.write(`netmon install: ${(err as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
  }
  if (status) {
    const s = installStatus({ prefix, group });
    if (json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    else {
      process.stdout.write(
        [
          `installed: ${s.installed ? 'yes' : 'no'} (${s.prefix})`,
          `group ${s.group}: ${s.groupExists ? 'exists' : 'missing'}${s.callerInGroup ? ', you are a member' : ''}`,
          `capabilities: ${s.capabilities ?? 'none'}`,
          `launcher: ${s.launcher}`,
        ].join('\n') + '\n',
      );
    }
    return s.installed ? 0 : 1;
  }
  try {
    const m = installHelper({ prefix, group, user });
    process.stdout.write(
      `installed the capture helper in ${m.prefix} (group ${m.group}${m.addon ? ', batching addon' : ', cap path only'})\n` +
        (m.addedUsers.length > 0 ? `members added to ${m.group}: ${m.addedUsers.join(', ')} (effective at next login)\n` : ''),
    );
    return 0;
  } catch (err) {
    process.stderr.write(`netmon install: ${(err as Error).message}\n`);
    return 1;
  }
}
