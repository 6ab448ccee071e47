import fs from 'node:fs';
import { capturePathInfo, type CapturePathInfo } from './live-capture';
import { loadAddon, type NativeInterface } from './native-addon';

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
  capture: CapturePathInfo;
  interfaces: InterfaceInfo[];
}

/** The subset of `cap`'s deviceList() entries we read. */
interface CapDevice {
  name: string;
  description?: string;
  addresses: { addr: string; netmask?: string; broadaddr?: string }[];
  flags?: string;
}

/**
 * Lists capture interfaces with addresses, state, link type and whether this
 * process may capture there (each is opened briefly to find out).
 */
export function listInterfaces(options: { probe?: boolean } = {}): InterfaceListing {
  const probe = options.probe ?? true;
  const capture = capturePathInfo();
  const loaded = loadAddon();
  const interfaces = loaded.addon
    ? loaded.addon.listInterfaces().map((d) => fromNative(d))
    : listWithCap();
  if (probe) {
    for (const info of interfaces) {
      if (loaded.addon) {
        const r = loaded.addon.probeInterface(info.name);
        if (r.ok) {
          info.capturePermitted = true;
          info.linkType = r.linkType;
          info.linkTypeName = r.linkTypeName;
        } else {
          info.captureError = r.error;
        }
      } else {
        probeWithCap(info);
      }
    }
  }
  return { capture, interfaces };
}

function fromNative(d: NativeInterface): InterfaceInfo {
  return {
    name: d.name,
    description: d.description,
    addresses: d.addresses.map((a) => ({ ...a })),
    loopback: d.loopback,
    up: d.up,
    running: d.running,
    wireless: d.wireless,
    linkType: null,
    linkTypeName: null,
    capturePermitted: false,
    captureError: null,
  };
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
