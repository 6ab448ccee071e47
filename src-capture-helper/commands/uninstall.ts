import { DEFAULT_GROUP, DEFAULT_PREFIX, uninstallHelper } from '../privileges/install';

const USAGE = `usage: netmon uninstall [--prefix DIR] [--group NAME]

Removes what 'netmon install' set up (run as root): the helper runtime in
${DEFAULT_PREFIX}, and the group '${DEFAULT_GROUP}' if install created it
(otherwise only the users install added leave the group).`;

export async function runUninstallCommand(args: string[]): Promise<number> {
  let prefix: string | undefined;
  let group: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if ((arg === '--prefix' || arg === '--group') && args[i + 1] !== undefined) {
      if (arg === '--prefix') prefix = args[++i];
      else group = args[++i];
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else {
      process.stderr.write(`netmon uninstall: unknown or incomplete option '${arg}'\n\n${USAGE}\n`);
      return 2;
    }
  }
  try {
    const r = uninstallHelper({ prefix, group });
    process.stdout.write(
      `${r.removed ? 'removed the capture helper' : 'no capture helper was installed'}${r.groupRemoved ? '; group removed' : ''}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`netmon uninstall: ${(err as Error).message}\n`);
    return 1;
  }
}
