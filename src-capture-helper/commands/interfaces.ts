import { netmaskPrefix } from '../../src-shared/ip';
import { listInterfaces, probeInterfaces, type InterfaceInfo, type InterfaceListing } from '../live/interfaces';
import { capturePathInfo } from '../live/live-capture';
import { parseCommandLine } from '../util/command-line';

const USAGE = `usage: netmon interfaces [--json] [--no-probe]

Lists capture interfaces with their addresses, state, link type and whether
this user may capture on them (netmon-capture opens each briefly to find out),
and the state of capture rights: which netmon-capture runs, or what to run
when rights are missing or outdated ('sudo netmon install').

  --json       print the listing as JSON
  --no-probe   do not open interfaces (no link type or permission)`;

export async function runInterfacesCommand(args: string[]): Promise<number> {
  const parsed = parseCommandLine({
    args,
    strict: true,
    allowPositionals: false,
    options: { json: { type: 'boolean' }, 'no-probe': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (typeof parsed === 'string') {
    process.stderr.write(`netmon interfaces: ${parsed}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const json = parsed.values.json === true;
  const probe = parsed.values['no-probe'] !== true;
  let listing: InterfaceListing;
  try {
    listing = probe ? await probeInterfaces() : { capture: { ...capturePathInfo(), libpcap: null }, interfaces: listInterfaces() };
  } catch (err) {
    process.stderr.write(`netmon interfaces: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(json ? `${JSON.stringify(listing, null, 2)}\n` : formatListing(listing, probe));
  return 0;
}

export function formatListing(listing: InterfaceListing, probed: boolean): string {
  const lines: string[] = [];
  const c = listing.capture;
  if (c.path === 'cap') lines.push('capture path: cap (libpcap in this process)');
  else if (c.rights.state === 'ready') lines.push(`capture path: netmon-capture (${c.rights.program}${c.libpcap ? `; ${c.libpcap}` : ''})`);
  else lines.push(`capture path: netmon-capture: ${c.rights.message}`);
  lines.push('');
  for (const i of listing.interfaces) lines.push(...formatInterface(i, probed));
  return `${lines.join('\n')}\n`;
}

function formatInterface(i: InterfaceInfo, probed: boolean): string[] {
  const state = [i.up ? 'up' : 'down', i.running ? 'running' : null, i.loopback ? 'loopback' : null, i.wireless ? 'wireless' : null]
    .filter(Boolean)
    .join(', ');
  const capture = !probed ? '' : i.capturePermitted ? `  capture: yes (${i.linkTypeName ?? i.linkType})` : `  capture: no (${i.captureError})`;
  const out = [`${i.name}${i.description ? ` - ${i.description}` : ''}  [${state}]${capture}`];
  for (const a of i.addresses) {
    const prefix = a.netmask ? netmaskPrefix(a.netmask) : null;
    const mask = a.netmask ? (prefix === null ? ` netmask ${a.netmask}` : `/${prefix}`) : '';
    out.push(`    ${a.family.padEnd(4)} ${a.address}${mask}`);
  }
  return out;
}
