import fs from 'node:fs';
import path from 'node:path';
import { Reader } from 'mmdb-lib';
import type { AsnRecord } from './asn-ranges';
import { AsnFileError, AsnRanges } from './asn-ranges';

/**
 * The offline databases that give public addresses a country and an AS.
 * Shipped through npm: @ip-location-db/geo-whois-asn-country-mmdb (country,
 * CC0) and @ip-location-db/asn (AS ranges as CSV, CC BY 4.0: data from
 * DB-IP and RouteViews). The settings may name newer files instead: a
 * country MMDB (ip-location-db or GeoLite2/DB-IP Country layout) and an AS
 * file, either that CSV or an ASN MMDB (GeoLite2-ASN layout).
 */

/** A database file that cannot be used; the message names the file and why. */
export class GeoDatabaseError extends Error {
  override readonly name = 'GeoDatabaseError';
}

/** Largest database file read into memory. */
export const MAX_DATABASE_BYTES = 512 * 1024 * 1024;

const MMDB_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // "\xAB\xCD\xEFMaxMind.com"

export interface CountryDatabase {
  readonly source: string;
  /** ISO 3166-1 alpha-2 code, or null when the database has no record. */
  country(ip: string): string | null;
}

export interface AsnDatabase {
  readonly source: string;
  /** `words[at..at+3]` is `ip` as parsed by parseIpWords. */
  asOf(ip: string, words: Uint32Array, at: number): AsnRecord | null;
}

function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

export function shippedCountryPath(): string {
  return packageFile('@ip-location-db/geo-whois-asn-country-mmdb', 'geo-whois-asn-country.mmdb');
}

export function shippedAsnPaths(): string[] {
  return [packageFile('@ip-location-db/asn', 'asn-ipv4.csv'), packageFile('@ip-location-db/asn', 'asn-ipv6.csv')];
}

/** A database file's size, after checking that it may be read. */
async function databaseFileSize(file: string): Promise<number> {
  let size: number;
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile()) throw new GeoDatabaseError(`${file}: not a regular file`);
    size = st.size;
  } catch (err) {
    if (err instanceof GeoDatabaseError) throw err;
    throw new GeoDatabaseError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (size > MAX_DATABASE_BYTES) throw new GeoDatabaseError(`${file}: ${size} bytes, more than the ${MAX_DATABASE_BYTES} a database may have`);
  return size;
}

/** A database file's bytes, read without holding the event loop (a settings change opens the databases again). */
async function readDatabaseFile(file: string): Promise<Buffer> {
  await databaseFileSize(file);
  try {
    return await fs.promises.readFile(file);
  } catch (err) {
    throw new GeoDatabaseError(`${file}: ${(err as Error).message}`);
  }
}

function openMmdb(file: string, bytes: Buffer): Reader<Record<string, unknown>> {
  if (bytes.lastIndexOf(MMDB_MARKER) < 0) throw new GeoDatabaseError(`${file}: not a MaxMind DB file (no metadata marker)`);
  try {
    return new Reader<Record<string, unknown>>(bytes);
  } catch (err) {
    throw new GeoDatabaseError(`${file}: damaged MaxMind DB file (${(err as Error).message})`);
  }
}

/** Reads a record, turning a damaged data section into a GeoDatabaseError. */
function recordOf(reader: Reader<Record<string, unknown>>, file: string, ip: string): Record<string, unknown> | null {
  try {
    const record = reader.get(ip);
    return record !== null && typeof record === 'object' ? record : null;
  } catch (err) {
    throw new GeoDatabaseError(`${file}: damaged record for ${ip} (${(err as Error).message})`);
  }
}

function countryCode(record: Record<string, unknown> | null): string | null {
  if (record === null) return null;
  if (typeof record.country_code === 'string') return record.country_code;
  const country = record.country as { iso_code?: unknown } | undefined;
  if (country !== undefined && typeof country.iso_code === 'string') return country.iso_code;
  return null;
}

/**
 * Checks that a reader answers records of the expected layout: the first
 * record found along a few well-spread addresses must have the field.
 */
function checkLayout(reader: Reader<Record<string, unknown>>, file: string, what: string, has: (r: Record<string, unknown>) => boolean): void {
  const probes = ['1.1.1.1', '8.8.8.8', '23.0.0.1', '81.0.0.1', '133.0.0.1', '200.0.0.1', '2001:4860::1', '2a00::1'];
  for (const ip of probes) {
    const record = recordOf(reader, file, ip);
    if (record === null) continue;
    if (has(record)) return;
    throw new GeoDatabaseError(`${file}: not ${what} (its records have ${Object.keys(record).join(', ') || 'no fields'})`);
  }
  throw new GeoDatabaseError(`${file}: not ${what} (no record for any common public address)`);
}

export async function openCountryDatabase(file: string): Promise<CountryDatabase> {
  const reader = openMmdb(file, await readDatabaseFile(file));
  checkLayout(reader, file, 'a country database', (r) => countryCode(r) !== null);
  return {
    source: file,
    country: (ip) => {
      const code = countryCode(recordOf(reader, file, ip));
      return code !== null && /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : null;
    },
  };
}

/** Opens one AS file (CSV or ASN MMDB), or the shipped CSV files when `files` has several; CSV is read in slices (AsnRanges.parseInSlices). */
export async function openAsnDatabase(files: string[]): Promise<AsnDatabase> {
  const source = files.join(', ');
  if (files.length === 1) {
    const bytes = await readDatabaseFile(files[0]);
    if (bytes.lastIndexOf(MMDB_MARKER) >= 0) {
      const reader = openMmdb(files[0], bytes);
      const asnOf = (r: Record<string, unknown> | null): AsnRecord | null => {
        if (r === null || typeof r.autonomous_system_number !== 'number') return null;
        const org = r.autonomous_system_organization;
        return { asn: r.autonomous_system_number, name: typeof org === 'string' ? org : '' };
      };
      checkLayout(reader, files[0], 'an AS database', (r) => asnOf(r) !== null);
      return { source, asOf: (ip) => asnOf(recordOf(reader, files[0], ip)) };
    }
    return csvDatabase(source, [{ bytes: csvBytes(files[0], bytes), source: files[0] }]);
  }
  const texts: Array<{ bytes: Buffer; source: string }> = [];
  for (const f of files) texts.push({ bytes: csvBytes(f, await readDatabaseFile(f)), source: f });
  return csvDatabase(source, texts);
}

function csvBytes(file: string, bytes: Buffer): Buffer {
  if (bytes.includes(0)) throw new GeoDatabaseError(`${file}: a binary file that is neither a MaxMind DB nor AS ranges as CSV`);
  return bytes;
}

async function csvDatabase(source: string, files: Array<{ bytes: Buffer; source: string }>): Promise<AsnDatabase> {
  try {
    const ranges = await AsnRanges.parseInSlices(files);
    return { source, asOf: (_ip, words, at) => ranges.lookup(words, at) };
  } catch (err) {
    if (err instanceof AsnFileError) throw new GeoDatabaseError(err.message);
    throw err;
  }
}
