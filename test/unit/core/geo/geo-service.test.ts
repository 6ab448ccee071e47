/**
 * Country and AS lookups against the shipped databases. Expected answers come
 * from the database files themselves: the country MMDB's search tree is walked
 * here bit by bit (independently of the reader's lookup) and the AS CSV files
 * are read line by line; nothing is hard-coded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Decoder from 'mmdb-lib/lib/decoder';
import { Reader } from 'mmdb-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitCsvLine } from '../../../../src-main/core/geo/asn-ranges';
import { shippedAsnPaths, shippedCountryPath } from '../../../../src-main/core/geo/geo-databases';
import { GEO_CACHE_SIZE, GeoService, GeoSettingError } from '../../../../src-main/core/geo/geo-service';
import { specialRangeOf } from '../../../../src-main/core/geo/special-ranges';
import { watchEventLoopStalls } from '../../../../bench/stats';

let geo: GeoService;
let dir: string;
beforeAll(async () => {
  // Reading half a million AS ranges takes a few seconds on a busy machine.
  geo = await GeoService.open({ countryDb: '', asnDb: '' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-geo-'));
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface TreeRecord {
  ip: string;
  value: Record<string, unknown>;
}

/** Walks the MMDB search tree along random bits from the IPv4 subtree until a data record: the address and its record. */
function walkCountryRecords(count: number, seed: number): TreeRecord[] {
  const db = fs.readFileSync(shippedCountryPath());
  const { metadata } = new Reader(db);
  expect(metadata.recordSize).toBe(24); // the walker below reads 24-bit records
  const nodeBytes = 6;
  const record = (node: number, bit: number): number => db.readUIntBE(node * nodeBytes + bit * 3, 3);
  const decoder = new Decoder(db, metadata.searchTreeSize + 16);
  let v4Root = 0;
  for (let i = 0; i < 96; i++) v4Root = record(v4Root, 0);
  const next = random(seed);
  const out: TreeRecord[] = [];
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    let node = v4Root;
    let address = 0;
    let depth = 0;
    while (node < metadata.nodeCount && depth < 32) {
      const bit = next() < 0.5 ? 0 : 1;
      address = address * 2 + bit;
      node = record(node, bit);
      depth++;
    }
    if (node <= metadata.nodeCount) continue; // no data for this prefix
    // The host bits below the prefix are free: take random ones.
    const host = Math.floor(next() * 2 ** (32 - depth));
    const full = address * 2 ** (32 - depth) + host;
    const ip = [24, 16, 8, 0].map((s) => Math.floor(full / 2 ** s) % 256).join('.');
    // A record past the node count points into the data section (as the format defines it).
    const value = decoder.decode(node - metadata.nodeCount + metadata.searchTreeSize).value as Record<string, unknown>;
    out.push({ ip, value });
  }
  return out;
}

describe('country of public addresses, from the database records', () => {
  it('answers what the record found by walking the tree says', () => {
    const records = walkCountryRecords(300, 17).filter((r) => specialRangeOf(r.ip) === null);
    expect(records.length).toBeGreaterThan(200);
    for (const { ip, value } of records) {
      expect(typeof value.country_code).toBe('string');
      expect(geo.lookup(ip), ip).toMatchObject({ country: value.country_code, special: null });
    }
  });
});

describe('AS of public addresses, from the database lines', () => {
  const sample = (file: string, count: number, seed: number) => {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    const next = random(seed);
    return Array.from({ length: count }, () => splitCsvLine(lines[Math.floor(next() * lines.length)]) as string[]);
  };

  it('gives each sampled range its AS number and name, at the first and last address', () => {
    const [v4File, v6File] = shippedAsnPaths();
    let checked = 0;
    for (const [first, last, asn, name] of [...sample(v4File, 200, 3), ...sample(v6File, 100, 5)]) {
      for (const ip of [first, last]) {
        if (specialRangeOf(ip) !== null) continue;
        expect(geo.lookup(ip), ip).toMatchObject({ asn: Number(asn), asName: name === '' ? null : name });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });
});

describe('private and special ranges', () => {
  const cases: Array<[string, string]> = [
    ['10.0.0.0', 'private'], ['10.255.255.255', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'], ['100.64.0.1', 'shared'], ['100.127.255.255', 'shared'], ['127.0.0.1', 'loopback'],
    ['169.254.10.1', 'link-local'], ['192.0.2.7', 'documentation'], ['198.51.100.1', 'documentation'],
    ['203.0.113.255', 'documentation'], ['198.18.0.1', 'benchmarking'], ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'], ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'], ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'], ['::1', 'loopback'], ['fe80::1', 'link-local'], ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'], ['ff02::fb', 'multicast'], ['2001:db8::1', 'documentation'], ['::ffff:10.1.2.3', 'private'],
  ];
  it.each(cases)('%s is %s, with no country or AS', (ip, kind) => {
    expect(geo.lookup(ip)).toEqual({ country: null, asn: null, asName: null, special: kind });
  });

  it('labels nothing just outside the blocks', () => {
    for (const ip of ['11.0.0.0', '9.255.255.255', '172.15.255.255', '172.32.0.0', '100.63.255.255', '100.128.0.0', '192.169.0.0', '169.253.255.255', 'fe00::1', '2001:db9::1']) {
      expect(geo.lookup(ip).special, ip).toBeNull();
    }
  });
});

describe('opening', () => {
  it('keeps the process answering while it reads the AS ranges', async () => {
    const stallWatch = watchEventLoopStalls(5);
    const started = performance.now();
    const opened = await GeoService.open({ countryDb: '', asnDb: '' });
    const took = performance.now() - started;
    const longest = stallWatch.stop();
    expect(opened.lookup('8.8.8.8')).toEqual(geo.lookup('8.8.8.8'));
    // Reading takes seconds; no single stretch of it holds the loop for more than a small part of that.
    expect(longest, `longest stall ${longest.toFixed(0)} ms of ${took.toFixed(0)} ms`).toBeLessThan(Math.max(250, took / 5));
  }, 120_000);
});

describe('cache and replacement', () => {
  it('keeps at most GEO_CACHE_SIZE addresses and answers a repeat from the cache', () => {
    const g = geo;
    g.lookup('8.8.8.8');
    const hits = g.cacheHits;
    g.lookup('8.8.8.8');
    expect(g.cacheHits).toBe(hits + 1);
    for (let i = 0; i < GEO_CACHE_SIZE + 100; i++) g.lookup(`2001:4860:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`);
    expect(g.cacheSize).toBe(GEO_CACHE_SIZE);
  });

  it('switches to a valid AS file from the settings, and back', async () => {
    const g = geo;
    const before = g.lookup('8.8.8.8');
    const file = path.join(dir, 'asn.csv');
    fs.writeFileSync(file, '8.8.8.0,8.8.8.255,64512,"Test, network"\n2001:db8::,2001:db8::ffff,64513,Other\n');
    await g.replace({ countryDb: '', asnDb: file });
    expect(g.lookup('8.8.8.8')).toMatchObject({ asn: 64512, asName: 'Test, network', country: before.country });
    expect(g.lookup('8.8.4.4')).toMatchObject({ asn: null });
    await g.replace({ countryDb: '', asnDb: '' });
    expect(g.lookup('8.8.8.8')).toEqual(before);
  }, 120_000);

  it('refuses a file it cannot use with the setting and the reason, and keeps the databases in use', async () => {
    const g = geo;
    const before = g.lookup('1.1.1.1');
    const write = (name: string, data: string | Buffer) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, data);
      return file;
    };
    const country = fs.readFileSync(shippedCountryPath());
    const bad: Array<[Partial<{ countryDb: string; asnDb: string }>, string, RegExp]> = [
      [{ countryDb: path.join(dir, 'missing.mmdb') }, 'geo.countryDb', /no such file/],
      [{ countryDb: write('garbage.mmdb', Buffer.alloc(4096, 7)) }, 'geo.countryDb', /not a MaxMind DB file/],
      [{ countryDb: write('cut.mmdb', country.subarray(country.length - 600)) }, 'geo.countryDb', /damaged|not a country/],
      [{ countryDb: dir }, 'geo.countryDb', /not a regular file/],
      [{ asnDb: shippedCountryPath() }, 'geo.asnDb', /not an AS database/],
      [{ asnDb: write('bad-line.csv', '1.0.0.0,1.0.0.255,13335,x\n1.0.4.0,not-an-ip,1,y\n') }, 'geo.asnDb', /line 2: "1.0.4.0,not-an-ip" is not two IP addresses/],
      [{ asnDb: write('bad-asn.csv', '1.0.0.0,1.0.0.255,AS13335,x\n') }, 'geo.asnDb', /line 1: .*not an AS number/],
      [{ asnDb: write('reversed.csv', '1.0.0.255,1.0.0.0,1,x\n') }, 'geo.asnDb', /first address after last/],
      [{ asnDb: write('empty.csv', '\n') }, 'geo.asnDb', /no AS ranges/],
      [{ asnDb: write('quote.csv', '1.0.0.0,1.0.0.255,1,"open\n') }, 'geo.asnDb', /line 1/],
    ];
    for (const [paths, setting, reason] of bad) {
      let error: unknown;
      try {
        await g.replace({ countryDb: '', asnDb: '', ...paths });
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(paths)).toBeInstanceOf(GeoSettingError);
      expect((error as GeoSettingError).setting).toBe(setting);
      expect((error as Error).message).toMatch(reason);
      expect(g.lookup('1.1.1.1')).toEqual(before);
    }
  });
});
