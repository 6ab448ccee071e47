import { DEFAULT_GROUP, DEFAULT_PREFIX, uninstallRights } from '../privileges/install';

const USAGE = `usage: netmon uninstall [--prefix DIR]

Removes what 'netmon install' set up (run as root): ${DEFAULT_PREFIX} with the
installed netmon-capture, and the group '${DEFAULT_GROUP}' if install created it
(otherwise only the users install added leave the group).`;

export async function runUninstallCommand(args: string[]): Promise<number> {
  let prefix: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--prefix' && args[i + 1] !== undefined) prefix = args[++i];
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else {
      process.stderr.write(`netmon uninstall: unknown or incomplete option '${arg}'\n\n${USAGE}\n`);
      return 2;
    }
  }
  const r = uninstallRights({ prefix });
  process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr.replace(/^capture-rights: /gm, 'netmon uninstall: '));
  return r.status === 0 ? 0 : 1;
}
