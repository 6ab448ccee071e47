/**
 * Which schema library validates the helper's hottest messages fastest, and what each adds to a bundle.
 *
 * Speed: the shapes main checks on every frame the helper sends each second (a `flowDeltas` event with
 * 100 and with 5,000 flows, a `rollup` with full top lists) and one API request (`flows.query` params),
 * each written in zod 4, valibot 1 and TypeBox 0.34 (compiled checker and the interpreted `Value.Check`
 * the dashboard would need, since its CSP forbids `eval`), against ours (protocol/schema.ts, on TypeBox:
 * `checked` for what main reads from its helper, `copied` for what clients send; until they moved to
 * TypeBox they were hand-written, figures in docs/architecture.md). Libraries alternate within every run; the figure is the median of the runs, in
 * validations per second. Input objects are parsed from JSON as main receives them.
 *
 * Size: each library bundled (esbuild, minified, gzip) with the same small schema and one parse call,
 * as the dashboard would ship it; and the installed size of each package.
 *
 *   node dist/bench/schema-libraries.js [--runs N]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import * as v from 'valibot';
import { z } from 'zod';
import { events, requests } from '../src-capture-helper/protocol/messages';
import { checked, copied } from '../src-capture-helper/protocol/schema';

const PROTOS = ['tcp', 'udp', 'icmp', 'icmpv6', 'other'] as const;
const NAME_SOURCES = ['sni', 'host', 'dns', 'dns-answer'] as const;
const SORT_KEYS = ['id', 'proto', 'a', 'b', 'portA', 'portB', 'packets', 'bytes', 'packetsAB', 'bytesAB', 'packetsBA', 'bytesBA', 'firstSeen', 'lastSeen', 'state'] as const;
const MAXI = Number.MAX_SAFE_INTEGER;
const SECOND = 2 ** 40;

// ---- zod 4 ----
const zInt = (min = 0, max = MAXI) => z.number().int().min(min).max(max);
const zStr = (max: number) => z.string().max(max);
const zNum = (min = -Number.MAX_VALUE, max = Number.MAX_VALUE) => z.number().min(min).max(max);
const zQuality = z.object({ rttServerMs: zNum(-1e9, 1e9).nullable(), rttClientMs: zNum(-1e9, 1e9).nullable(), rttMs: zNum(-1e9, 1e9).nullable(), retransmissions: zInt(), outOfOrder: zInt(), zeroWindows: zInt() });
const zApp = z.object({ label: zStr(256), pid: zInt(1, 2 ** 31 - 1).nullable(), name: zStr(256).nullable(), exe: zStr(4096).nullable(), uid: zInt(0, 2 ** 32 - 1), user: zStr(64).nullable(), system: z.boolean() });
const zFlowRow = z.object({
  id: zInt(), iface: zStr(256), proto: z.enum(PROTOS), ipProto: zInt(0, 255), a: zStr(64), portA: zInt(0, 65535), b: zStr(64), portB: zInt(0, 65535),
  vlan: zInt(-1, 4095), packetsAB: zInt(), bytesAB: zInt(), packetsBA: zInt(), bytesBA: zInt(), firstSeen: zNum(), lastSeen: zNum(), state: zStr(32),
  tcpFlags: zInt(0, 255), active: z.boolean(), nameA: zStr(1024).optional(), nameB: zStr(1024).optional(), sni: zStr(1024).optional(),
  httpHost: zStr(1024).optional(), dnsQuery: zStr(1024).optional(), name: zStr(1024).optional(), nameSource: z.enum(NAME_SOURCES).optional(),
  icmpType: zInt(0, 255).optional(), icmpCode: zInt(0, 255).optional(), quality: zQuality.optional(), probe: zStr(64).optional(), app: zApp.optional(),
});
const zCounter = z.object({ packets: zInt(), bytes: zInt() });
const zod = {
  flowDeltas: z.object({ second: zInt(-SECOND, SECOND), updated: z.array(zFlowRow).max(5000), ended: z.array(zFlowRow).max(5000), omitted: zInt() }),
  rollup: z.object({
    second: zInt(-SECOND, SECOND), packets: zInt(), bytes: zInt(),
    interfaces: z.array(z.object({ iface: zStr(256), packetsIn: zInt(), bytesIn: zInt(), packetsOut: zInt(), bytesOut: zInt(), kernelDrops: zInt(), helperDrops: zInt() })).max(64),
    byProtocol: z.record(zStr(256), zCounter),
    topHosts: z.array(z.object({ addr: zStr(64), name: zStr(1024).optional(), packets: zInt(), bytes: zInt(), probe: zStr(64).optional() })).max(100),
    topFlows: z.array(z.object({ flowId: zInt(), label: zStr(512), packets: zInt(), bytes: zInt(), probe: zStr(64).optional() })).max(100),
    activeFlows: zInt(), newFlows: zInt(),
    quality: z.object({ retransmissions: zInt(), handshakes: zInt(), rttSumMs: zNum(-1e15, 1e15), flows: z.array(z.object({ flowId: zInt(), retransmissions: zInt(), rttMs: zNum(-1e9, 1e9).nullable() })).max(500) }).optional(),
  }),
  flowsQuery: z.object({
    sessionId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/),
    filter: z.object({ proto: z.enum(PROTOS).optional(), cidr: zStr(64).optional(), port: zInt(0, 65535).optional(), state: zStr(32).optional(), text: zStr(256).optional() }).optional(),
    sort: z.enum(SORT_KEYS).optional(), dir: z.enum(['asc', 'desc']).optional(), offset: zInt(0, 1 << 30), limit: zInt(1, 1000),
  }),
};

// ---- valibot 1 ----
const vInt = (min = 0, max = MAXI) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const vStr = (max: number) => v.pipe(v.string(), v.maxLength(max));
const vNum = (min = -Number.MAX_VALUE, max = Number.MAX_VALUE) => v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max));
const vArr = <T extends v.GenericSchema>(item: T, max: number) => v.pipe(v.array(item), v.maxLength(max));
const vQuality = v.object({ rttServerMs: v.nullable(vNum(-1e9, 1e9)), rttClientMs: v.nullable(vNum(-1e9, 1e9)), rttMs: v.nullable(vNum(-1e9, 1e9)), retransmissions: vInt(), outOfOrder: vInt(), zeroWindows: vInt() });
const vApp = v.object({ label: vStr(256), pid: v.nullable(vInt(1, 2 ** 31 - 1)), name: v.nullable(vStr(256)), exe: v.nullable(vStr(4096)), uid: vInt(0, 2 ** 32 - 1), user: v.nullable(vStr(64)), system: v.boolean() });
const vFlowRow = v.object({
  id: vInt(), iface: vStr(256), proto: v.picklist(PROTOS), ipProto: vInt(0, 255), a: vStr(64), portA: vInt(0, 65535), b: vStr(64), portB: vInt(0, 65535),
  vlan: vInt(-1, 4095), packetsAB: vInt(), bytesAB: vInt(), packetsBA: vInt(), bytesBA: vInt(), firstSeen: vNum(), lastSeen: vNum(), state: vStr(32),
  tcpFlags: vInt(0, 255), active: v.boolean(), nameA: v.optional(vStr(1024)), nameB: v.optional(vStr(1024)), sni: v.optional(vStr(1024)),
  httpHost: v.optional(vStr(1024)), dnsQuery: v.optional(vStr(1024)), name: v.optional(vStr(1024)), nameSource: v.optional(v.picklist(NAME_SOURCES)),
  icmpType: v.optional(vInt(0, 255)), icmpCode: v.optional(vInt(0, 255)), quality: v.optional(vQuality), probe: v.optional(vStr(64)), app: v.optional(vApp),
});
const vCounter = v.object({ packets: vInt(), bytes: vInt() });
const valibot = {
  flowDeltas: v.object({ second: vInt(-SECOND, SECOND), updated: vArr(vFlowRow, 5000), ended: vArr(vFlowRow, 5000), omitted: vInt() }),
  rollup: v.object({
    second: vInt(-SECOND, SECOND), packets: vInt(), bytes: vInt(),
    interfaces: vArr(v.object({ iface: vStr(256), packetsIn: vInt(), bytesIn: vInt(), packetsOut: vInt(), bytesOut: vInt(), kernelDrops: vInt(), helperDrops: vInt() }), 64),
    byProtocol: v.record(vStr(256), vCounter),
    topHosts: vArr(v.object({ addr: vStr(64), name: v.optional(vStr(1024)), packets: vInt(), bytes: vInt(), probe: v.optional(vStr(64)) }), 100),
    topFlows: vArr(v.object({ flowId: vInt(), label: vStr(512), packets: vInt(), bytes: vInt(), probe: v.optional(vStr(64)) }), 100),
    activeFlows: vInt(), newFlows: vInt(),
    quality: v.optional(v.object({ retransmissions: vInt(), handshakes: vInt(), rttSumMs: vNum(-1e15, 1e15), flows: vArr(v.object({ flowId: vInt(), retransmissions: vInt(), rttMs: v.nullable(vNum(-1e9, 1e9)) }), 500) })),
  }),
  flowsQuery: v.object({
    sessionId: v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.regex(/^[A-Za-z0-9_-]+$/)),
    filter: v.optional(v.object({ proto: v.optional(v.picklist(PROTOS)), cidr: v.optional(vStr(64)), port: v.optional(vInt(0, 65535)), state: v.optional(vStr(32)), text: v.optional(vStr(256)) })),
    sort: v.optional(v.picklist(SORT_KEYS)), dir: v.optional(v.picklist(['asc', 'desc'])), offset: vInt(0, 1 << 30), limit: vInt(1, 1000),
  }),
};

// ---- TypeBox 0.34 ----
const tInt = (min = 0, max = MAXI) => Type.Integer({ minimum: min, maximum: max });
const tStr = (max: number) => Type.String({ maxLength: max });
const tNum = (min = -Number.MAX_VALUE, max = Number.MAX_VALUE) => Type.Number({ minimum: min, maximum: max });
const tEnum = (values: readonly string[]) => Type.Union(values.map((x) => Type.Literal(x)));
const tNull = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const tQuality = Type.Object({ rttServerMs: tNull(tNum(-1e9, 1e9)), rttClientMs: tNull(tNum(-1e9, 1e9)), rttMs: tNull(tNum(-1e9, 1e9)), retransmissions: tInt(), outOfOrder: tInt(), zeroWindows: tInt() });
const tApp = Type.Object({ label: tStr(256), pid: tNull(tInt(1, 2 ** 31 - 1)), name: tNull(tStr(256)), exe: tNull(tStr(4096)), uid: tInt(0, 2 ** 32 - 1), user: tNull(tStr(64)), system: Type.Boolean() });
const tFlowRow = Type.Object({
  id: tInt(), iface: tStr(256), proto: tEnum(PROTOS), ipProto: tInt(0, 255), a: tStr(64), portA: tInt(0, 65535), b: tStr(64), portB: tInt(0, 65535),
  vlan: tInt(-1, 4095), packetsAB: tInt(), bytesAB: tInt(), packetsBA: tInt(), bytesBA: tInt(), firstSeen: tNum(), lastSeen: tNum(), state: tStr(32),
  tcpFlags: tInt(0, 255), active: Type.Boolean(), nameA: Type.Optional(tStr(1024)), nameB: Type.Optional(tStr(1024)), sni: Type.Optional(tStr(1024)),
  httpHost: Type.Optional(tStr(1024)), dnsQuery: Type.Optional(tStr(1024)), name: Type.Optional(tStr(1024)), nameSource: Type.Optional(tEnum(NAME_SOURCES)),
  icmpType: Type.Optional(tInt(0, 255)), icmpCode: Type.Optional(tInt(0, 255)), quality: Type.Optional(tQuality), probe: Type.Optional(tStr(64)), app: Type.Optional(tApp),
});
const tCounter = Type.Object({ packets: tInt(), bytes: tInt() });
const typeboxSchemas = {
  flowDeltas: Type.Object({ second: tInt(-SECOND, SECOND), updated: Type.Array(tFlowRow, { maxItems: 5000 }), ended: Type.Array(tFlowRow, { maxItems: 5000 }), omitted: tInt() }),
  rollup: Type.Object({
    second: tInt(-SECOND, SECOND), packets: tInt(), bytes: tInt(),
    interfaces: Type.Array(Type.Object({ iface: tStr(256), packetsIn: tInt(), bytesIn: tInt(), packetsOut: tInt(), bytesOut: tInt(), kernelDrops: tInt(), helperDrops: tInt() }), { maxItems: 64 }),
    byProtocol: Type.Record(Type.String({ maxLength: 256 }), tCounter, { maxProperties: 32 }),
    topHosts: Type.Array(Type.Object({ addr: tStr(64), name: Type.Optional(tStr(1024)), packets: tInt(), bytes: tInt(), probe: Type.Optional(tStr(64)) }), { maxItems: 100 }),
    topFlows: Type.Array(Type.Object({ flowId: tInt(), label: tStr(512), packets: tInt(), bytes: tInt(), probe: Type.Optional(tStr(64)) }), { maxItems: 100 }),
    activeFlows: tInt(), newFlows: tInt(),
    quality: Type.Optional(Type.Object({ retransmissions: tInt(), handshakes: tInt(), rttSumMs: tNum(-1e15, 1e15), flows: Type.Array(Type.Object({ flowId: tInt(), retransmissions: tInt(), rttMs: tNull(tNum(-1e9, 1e9)) }), { maxItems: 500 }) })),
  }),
  flowsQuery: Type.Object({
    sessionId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
    filter: Type.Optional(Type.Object({ proto: Type.Optional(tEnum(PROTOS)), cidr: Type.Optional(tStr(64)), port: Type.Optional(tInt(0, 65535)), state: Type.Optional(tStr(32)), text: Type.Optional(tStr(256)) })),
    sort: Type.Optional(tEnum(SORT_KEYS)), dir: Type.Optional(tEnum(['asc', 'desc'])), offset: tInt(0, 1 << 30), limit: tInt(1, 1000),
  }),
};

type Shape = keyof typeof zod;
type Check = (value: unknown) => void;

function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`${what} refused a valid input`);
}

const CHECKERS: Record<string, (shape: Shape) => Check> = {
  // Ours: the compiled check main runs on what its helper sends, and the copy a client's values get.
  'netmon checked': (shape) => {
    const schema = shape === 'flowsQuery' ? requests.flows.params : events[shape];
    return (value) => void checked(schema, value, shape);
  },
  'netmon copied': (shape) => {
    const schema = shape === 'flowsQuery' ? requests.flows.params : events[shape];
    return (value) => void copied(schema, value, shape);
  },
  'zod 4': (shape) => (value) => must(zod[shape].safeParse(value).success, 'zod'),
  'valibot 1': (shape) => (value) => must(v.safeParse(valibot[shape] as v.GenericSchema, value).success, 'valibot'),
  'typebox compiled': (shape) => {
    const compiled = TypeCompiler.Compile(typeboxSchemas[shape]);
    return (value) => must(compiled.Check(value), 'typebox compiled');
  },
  'typebox Value.Check': (shape) => (value) => must(Value.Check(typeboxSchemas[shape], value), 'typebox Value'),
};

function flowRow(i: number, rich: boolean): Record<string, unknown> {
  const tcp = i % 3 !== 2;
  const row: Record<string, unknown> = {
    id: 1_000_000 + i, iface: 'eth0', proto: tcp ? 'tcp' : 'udp', ipProto: tcp ? 6 : 17,
    a: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, portA: 30_000 + (i % 30_000), b: `2001:db8::${(i % 65_535).toString(16)}`, portB: tcp ? 443 : 53,
    vlan: -1, packetsAB: 10 + i, bytesAB: 1500 * (10 + i), packetsBA: 8 + i, bytesBA: 900 * (8 + i),
    firstSeen: 1_790_000_000.123456 + i / 1000, lastSeen: 1_790_000_060.654321 + i / 1000, state: tcp ? 'established' : 'active', tcpFlags: tcp ? 0x18 : 0, active: true,
  };
  if (rich) {
    row.sni = `host-${i}.example.com`;
    row.name = row.sni;
    row.nameSource = 'sni';
    if (tcp) row.quality = { rttServerMs: 12.5, rttClientMs: 0.4, rttMs: 12.9, retransmissions: i % 4, outOfOrder: 0, zeroWindows: 0 };
    row.app = { label: 'firefox', pid: 4242, name: 'firefox', exe: '/usr/lib/firefox/firefox', uid: 1000, user: 'alice', system: false };
  }
  return row;
}

function inputs(): { label: string; shape: Shape; json: string; iterations: number }[] {
  const deltas = (n: number) => JSON.stringify({ second: 1_790_000_060, updated: Array.from({ length: n }, (_, i) => flowRow(i, i % 2 === 0)), ended: [], omitted: 0 });
  const counter = (k: number) => ({ packets: 1000 * k, bytes: 900_000 * k });
  const rollup = {
    second: 1_790_000_060, packets: 120_000, bytes: 98_000_000,
    interfaces: [{ iface: 'eth0', packetsIn: 70_000, bytesIn: 60_000_000, packetsOut: 50_000, bytesOut: 38_000_000, kernelDrops: 0, helperDrops: 0 }],
    byProtocol: { tcp: counter(80), udp: counter(30), icmp: counter(1), icmpv6: counter(1), other: counter(0) },
    topHosts: Array.from({ length: 100 }, (_, i) => ({ addr: `10.0.0.${i}`, name: `host-${i}.example.com`, packets: 1000 - i, bytes: 900_000 - i })),
    topFlows: Array.from({ length: 100 }, (_, i) => ({ flowId: i + 1, label: `10.0.0.${i}:443 → 10.1.0.1:5000 tcp`, packets: 1000 - i, bytes: 900_000 - i })),
    activeFlows: 50_000, newFlows: 800,
    quality: { retransmissions: 40, handshakes: 300, rttSumMs: 4500.5, flows: Array.from({ length: 300 }, (_, i) => ({ flowId: i + 1, retransmissions: i % 3, rttMs: i % 2 ? 12.5 : null })) },
  };
  const query = { sessionId: 'live-2026_12', filter: { proto: 'tcp', cidr: '10.0.0.0/8', port: 443, text: 'example' }, sort: 'bytes', dir: 'desc', offset: 0, limit: 1000 };
  return [
    { label: 'flowDeltas, 100 flows', shape: 'flowDeltas', json: deltas(100), iterations: 200 },
    { label: 'flowDeltas, 5000 flows', shape: 'flowDeltas', json: deltas(5000), iterations: 4 },
    { label: 'rollup, full top lists', shape: 'rollup', json: JSON.stringify(rollup), iterations: 200 },
    { label: 'flows.query request', shape: 'flowsQuery', json: JSON.stringify(query), iterations: 20_000 },
  ];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function measureSpeed(runs: number): { input: string; opsPerSecond: Record<string, number> }[] {
  const names = Object.keys(CHECKERS);
  return inputs().map(({ label, shape, json, iterations }) => {
    const value: unknown = JSON.parse(json);
    const checks = names.map((name) => CHECKERS[name](shape));
    const samples: number[][] = names.map(() => []);
    for (let run = -1; run < runs; run++) {
      // Rotate the order every run so no library always goes first; run -1 warms up and is thrown away.
      for (let k = 0; k < names.length; k++) {
        const j = (k + Math.max(run, 0)) % names.length;
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < iterations; i++) checks[j](value);
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        if (run >= 0) samples[j].push(iterations / seconds);
      }
    }
    return { input: label, opsPerSecond: Object.fromEntries(names.map((n, j) => [n, Math.round(median(samples[j]))])) };
  });
}

/** The same small schema (a settings section and a filter) in each library, as the dashboard would bundle it. */
const BUNDLE_ENTRIES: Record<string, string> = {
  'zod 4': `import { z } from 'zod';
    const s = z.object({ capture: z.object({ interfaces: z.array(z.string().regex(/^[^\\s/]{1,64}$/)).max(64), snaplen: z.number().int().min(64).max(262144), promiscuous: z.boolean() }), log: z.object({ level: z.enum(['info', 'warn']) }) });
    const r = s.safeParse(globalThis.input); console.log(r.success ? r.data : r.error.issues);`,
  'valibot 1': `import * as v from 'valibot';
    const s = v.object({ capture: v.object({ interfaces: v.pipe(v.array(v.pipe(v.string(), v.regex(/^[^\\s/]{1,64}$/))), v.maxLength(64)), snaplen: v.pipe(v.number(), v.integer(), v.minValue(64), v.maxValue(262144)), promiscuous: v.boolean() }), log: v.object({ level: v.picklist(['info', 'warn']) }) });
    const r = v.safeParse(s, globalThis.input); console.log(r.success ? r.output : r.issues);`,
  'typebox Value': `import { Type } from '@sinclair/typebox'; import { Value } from '@sinclair/typebox/value';
    const s = Type.Object({ capture: Type.Object({ interfaces: Type.Array(Type.String({ pattern: '^[^\\\\s/]{1,64}$' }), { maxItems: 64 }), snaplen: Type.Integer({ minimum: 64, maximum: 262144 }), promiscuous: Type.Boolean() }), log: Type.Object({ level: Type.Union([Type.Literal('info'), Type.Literal('warn')]) }) });
    console.log(Value.Check(s, globalThis.input) ? globalThis.input : [...Value.Errors(s, globalThis.input)]);`,
  'typebox compiled': `import { Type } from '@sinclair/typebox'; import { TypeCompiler } from '@sinclair/typebox/compiler';
    const s = TypeCompiler.Compile(Type.Object({ capture: Type.Object({ interfaces: Type.Array(Type.String({ pattern: '^[^\\\\s/]{1,64}$' }), { maxItems: 64 }), snaplen: Type.Integer({ minimum: 64, maximum: 262144 }), promiscuous: Type.Boolean() }), log: Type.Object({ level: Type.Union([Type.Literal('info'), Type.Literal('warn')]) }) }));
    console.log(s.Check(globalThis.input) ? globalThis.input : [...s.Errors(globalThis.input)]);`,
};

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return total;
}

export async function measureSize(root: string): Promise<{ library: string; minifiedBytes: number; gzipBytes: number }[]> {
  // esbuild comes with vite (a dev dependency); loaded here only, so the speed figures need nothing else.
  const esbuild = await import('esbuild');
  const out = [];
  for (const [library, contents] of Object.entries(BUNDLE_ENTRIES)) {
    const built = await esbuild.build({ stdin: { contents, resolveDir: root, loader: 'ts' }, bundle: true, minify: true, write: false, format: 'esm', platform: 'browser' });
    const code = built.outputFiles[0].contents;
    out.push({ library, minifiedBytes: code.length, gzipBytes: zlib.gzipSync(code, { level: 9 }).length });
  }
  return out;
}

async function main(): Promise<void> {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 9;
  const root = path.resolve(__dirname, '..', '..');
  const speed = measureSpeed(runs);
  const names = Object.keys(CHECKERS);
  process.stdout.write(`validations per second, median of ${runs} runs (load ${os.loadavg()[0].toFixed(1)})\n`);
  process.stdout.write(`${'input'.padEnd(26)}${names.map((n) => n.padStart(21)).join('')}\n`);
  for (const row of speed) process.stdout.write(`${row.input.padEnd(26)}${names.map((n) => row.opsPerSecond[n].toLocaleString('en').padStart(21)).join('')}\n`);
  process.stdout.write('\nbundle of a small schema + one parse (esbuild, minified)\n');
  for (const s of await measureSize(root)) process.stdout.write(`${s.library.padEnd(20)}${String(s.minifiedBytes).padStart(8)} B${String(s.gzipBytes).padStart(8)} B gzip\n`);
  process.stdout.write('\ninstalled size\n');
  for (const pkg of ['zod', 'valibot', '@sinclair/typebox']) process.stdout.write(`${pkg.padEnd(20)}${(dirBytes(path.join(root, 'node_modules', pkg)) / 1024).toFixed(0).padStart(8)} KiB\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
