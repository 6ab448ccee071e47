import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { trackCaptureChild } from './capture-children';
import { CaptureMessageReader, MessageType, parseJsonMessage } from './capture-messages';
import { GRANT_COMMAND } from './capture-program';
import { capturePathInfo, type CapturePathInfo } from './live-capture';
import { programArgs, type ProgramOpened } from './program-source';

export interface InterfaceAddress {
  family: 'IPv4' | 'IPv6' | 'link';
  address: string;
  netmask: string | null;
  broadcast: string | null;
}

export interface InterfaceInfo {
  name: string;
  description: string | null;
  addresses: InterfaceAddress[];
  loopback: boolean;
  up: boolean;
  running: boolean;
  wireless: boolean;
  /** LINKTYPE number, when a handle could be opened (or the kernel's type is known). */
  linkType: number | null;
  linkTypeName: string | null;
  /** Whether this process may capture on the interface (a handle was opened and closed). */
  capturePermitted: boolean;
  /** Why capture was refused, in libpcap's words. */
  captureError: string | null;
}

export interface InterfaceListing {
  capture: CapturePathInfo & { libpcap: string | null };
  interfaces: InterfaceInfo[];
}

/** The subset of `cap`'s deviceList() entries we read. */
interface CapDevice {
  name: string;
  description?: string;
  addresses: { addr: string; netmask?: string; broadaddr?: string }[];
  flags?: string;
}

/** Capture interfaces with addresses and state (from libpcap through `cap`; needs no rights). */
export function listInterfaces(): InterfaceInfo[] {
  return listWithCap();
}

/**
 * The listing plus, for each interface, whether a capture may be opened there
 * and its link type: netmon-capture opens and closes every interface once
 * (in this process through `cap` where the program does not run).
 */
export async function probeInterfaces(): Promise<InterfaceListing> {
  const capture: InterfaceListing['capture'] = { ...capturePathInfo(), libpcap: null };
  const interfaces = listInterfaces();
  if (capture.path === 'cap') {
    for (const info of interfaces) probeWithCap(info);
    return { capture, interfaces };
  }
  const rights = capture.rights;
  if (rights.state !== 'ready') {
    for (const info of interfaces) info.captureError = rights.message;
    return { capture, interfaces };
  }
  let opened: ProgramOpened;
  try {
    // Names of 16 bytes or more are libpcap's other sources (bluetooth-monitor...), not network interfaces.
    opened = await runProbe(rights.program, interfaces.map((i) => i.name).filter((name) => Buffer.byteLength(name) < 16));
  } catch (err) {
    for (const info of interfaces) info.captureError = (err as Error).message;
    return { capture, interfaces };
  }
  capture.libpcap = opened.libpcap;
  for (const info of interfaces) {
    const r = opened.interfaces.find((i) => i.name === info.name);
    if (r?.ok) {
      info.capturePermitted = true;
      info.linkType = r.linkType ?? null;
      info.linkTypeName = r.linkTypeName ?? null;
    } else {
      info.captureError = r === undefined
        ? 'not a network interface: netmon-capture captures on network interfaces only'
        : r.code === 'EPERM' && rights.source !== 'configured'
          ? `${r.error}; capture rights are not set up for this user: run '${GRANT_COMMAND}'`
          : r.error ?? 'cannot capture here';
    }
  }
  return { capture, interfaces };
}

/** Runs `netmon-capture --probe` on the interfaces (16 at a time, its limit) and merges what it says. */
async function runProbe(program: string, names: string[]): Promise<ProgramOpened> {
  const merged: ProgramOpened = { protocol: 1, version: '', libpcap: '', privileges: '', uid: 0, interfaces: [] };
  for (let i = 0; i < names.length; i += 16) {
    const opened = await new Promise<ProgramOpened>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const child = spawn(program, programArgs({ interfaces: names.slice(i, i + 16) }, true), { stdio: ['ignore', 'pipe', 'ignore'] });
      trackCaptureChild(child);
      child.stdout.on('data', (d: Buffer) => chunks.push(d));
      child.on('error', reject);
      child.on('close', () => {
        let result: ProgramOpened | null = null;
        let error: string | null = null;
        try {
          new CaptureMessageReader((type, payload) => {
            if (type === MessageType.opened) result = parseJsonMessage(payload) as unknown as ProgramOpened;
            else if (type === MessageType.error) error = String(parseJsonMessage(payload).message);
          }).push(Buffer.concat(chunks));
        } catch (err) {
          error = (err as Error).message;
        }
        if (result) resolve(result);
        else reject(new Error(error ?? 'netmon-capture --probe said nothing'));
      });
    });
    Object.assign(merged, { ...opened, interfaces: [...merged.interfaces, ...opened.interfaces] });
  }
  return merged;
}

function capModule(): { Cap: { deviceList(): CapDevice[] } & (new () => CapProbe) } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('cap') as { Cap: { deviceList(): CapDevice[] } & (new () => CapProbe) };
}

interface CapProbe {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
}

function listWithCap(): InterfaceInfo[] {
  return capModule().Cap.deviceList().map((d) => {
    const state = linuxOperState(d.name);
    return {
      name: d.name,
      description: d.description ?? null,
      addresses: d.addresses.map((a) => ({
        family: a.addr.includes(':') ? ('IPv6' as const) : ('IPv4' as const),
        address: a.addr,
        netmask: a.netmask ?? null,
        broadcast: a.broadaddr ?? null,
      })),
      loopback: d.flags?.includes('PCAP_IF_LOOPBACK') ?? false,
      up: state.up,
      running: state.running,
      wireless: false,
      linkType: null,
      linkTypeName: null,
      capturePermitted: false,
      captureError: null,
    };
  });
}

const CAP_LINK_TYPES: Record<string, [number, string]> = {
  NULL: [0, 'NULL'],
  ETHERNET: [1, 'EN10MB'],
  IEEE802_11_RADIO: [127, 'IEEE802_11_RADIO'],
  LINKTYPE_LINUX_SLL: [113, 'LINUX_SLL'],
  RAW: [101, 'RAW'],
};

function probeWithCap(info: InterfaceInfo): void {
  const cap = new (capModule().Cap)();
  let name: string;
  try {
    name = cap.open(info.name, '', 65536, Buffer.alloc(65535));
  } catch (err) {
    // cap's close() crashes on a handle whose open() failed, so none is attempted.
    info.captureError = (err as Error).message;
    return;
  }
  cap.close();
  info.capturePermitted = true;
  const known = CAP_LINK_TYPES[name];
  if (known) [info.linkType, info.linkTypeName] = known;
}

/** `cap` reports no up/running flags; on Linux sysfs has them. */
function linuxOperState(name: string): { up: boolean; running: boolean } {
  try {
    const flags = Number.parseInt(fs.readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim(), 16);
    // IFF_UP = 0x1, IFF_RUNNING = 0x40
    return { up: (flags & 0x1) !== 0, running: (flags & 0x40) !== 0 };
  } catch {
    return { up: false, running: false };
  }
}
