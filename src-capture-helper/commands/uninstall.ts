import { parseCommandLine } from '../util/command-line';
import { DEFAULT_GROUP, DEFAULT_PREFIX, uninstallRights } from '../privileges/install';

const USAGE = `usage: netmon uninstall [--prefix DIR]

Removes what 'netmon install' set up (run as root): ${DEFAULT_PREFIX} with the
installed netmon-capture, and the group '${DEFAULT_GROUP}' if install created it
(otherwise only the users install added leave the group).`;

export async function runUninstallCommand(args: string[]): Promise<number> {
  const parsed = parseCommandLine({
    args,
    strict: true,
    allowPositionals: false,
    options: { prefix: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (typeof parsed === 'string') {
    process.stderr.write(`netmon uninstall: ${parsed}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { prefix } = parsed.values;
  const r = uninstallRights({ prefix });
  process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr.replace(/^capture-rights: /gm, 'netmon uninstall: '));
  return r.status === 0 ? 0 : 1;
}
