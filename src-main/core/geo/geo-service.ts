import { BoundedMap } from '../../../src-shared/bounded-map';
import type { GeoInfo } from '../../api/types/geo';
import type { AsnDatabase, CountryDatabase } from './geo-databases';
import { GeoDatabaseError, openAsnDatabase, openCountryDatabase, shippedAsnPaths, shippedCountryPath } from './geo-databases';
import { parseIpWords } from './ip-words';
import { specialRangeOfWords } from './special-ranges';

/** Addresses whose answer is kept; the least recently used is forgotten first. */
export const GEO_CACHE_SIZE = 65_536;

/** The database files in force: empty strings mean the ones shipped with Netmon. */
export interface GeoPaths {
  countryDb: string;
  asnDb: string;
}

const NOWHERE: GeoInfo = Object.freeze({ country: null, asn: null, asName: null, special: null });

/**
 * Country and AS of addresses, for main (never the helper, which parses
 * traffic): looked up once per address and cached, so enrichment costs
 * nothing per packet and a map lookup per flow seen again.
 */
export class GeoService {
  private readonly cache = new BoundedMap<string, GeoInfo>(GEO_CACHE_SIZE);
  private readonly words = new Uint32Array(4);
  lookups = 0;
  cacheHits = 0;

  private constructor(private country: CountryDatabase, private asn: AsnDatabase) {}

  /**
   * Opens the databases, the AS ranges a slice at a time so the process keeps answering meanwhile; rejects with
   * GeoSettingError naming the setting and the file that cannot be used.
   */
  static async open(paths: GeoPaths): Promise<GeoService> {
    const { country, asn } = await openDatabases(paths);
    return new GeoService(country, asn);
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  /** The files in use. */
  get sources(): { country: string; asn: string } {
    return { country: this.country.source, asn: this.asn.source };
  }

  /**
   * Switches to other database files. Both are opened and checked first: on
   * any error (thrown as GeoSettingError) the databases in use stay.
   */
  async replace(paths: GeoPaths): Promise<void> {
    const { country, asn } = await openDatabases(paths);
    this.country = country;
    this.asn = asn;
    this.cache.clear();
  }

  lookup(ip: string): GeoInfo {
    this.lookups++;
    const cached = this.cache.get(ip);
    if (cached !== undefined) {
      this.cacheHits++;
      // Least recently used goes first when the cache is full.
      this.cache.setNewest(ip, cached);
      return cached;
    }
    const info = this.resolve(ip);
    this.cache.setNewest(ip, info);
    return info;
  }

  private resolve(ip: string): GeoInfo {
    if (!parseIpWords(ip, 0, ip.length, this.words, 0)) return NOWHERE;
    const special = specialRangeOfWords(this.words, 0);
    if (special !== null) return Object.freeze({ country: null, asn: null, asName: null, special });
    const as = this.asn.asOf(ip, this.words, 0);
    return Object.freeze({ country: this.country.country(ip), asn: as?.asn ?? null, asName: as?.name || null, special: null });
  }
}

/** Thrown when a database named by the settings cannot be used; `setting` is the field that named it. */
export class GeoSettingError extends Error {
  override readonly name = 'GeoSettingError';
  constructor(readonly setting: 'geo.countryDb' | 'geo.asnDb', message: string) {
    super(message);
  }
}

async function openDatabases(paths: GeoPaths): Promise<{ country: CountryDatabase; asn: AsnDatabase }> {
  const opened = async <T>(setting: GeoSettingError['setting'], open: () => T | Promise<T>): Promise<T> => {
    try {
      return await open();
    } catch (err) {
      if (err instanceof GeoDatabaseError) throw new GeoSettingError(setting, err.message);
      throw err;
    }
  };
  const country = await opened('geo.countryDb', () => openCountryDatabase(paths.countryDb === '' ? shippedCountryPath() : paths.countryDb));
  const asn = await opened('geo.asnDb', () => openAsnDatabase(paths.asnDb === '' ? shippedAsnPaths() : [paths.asnDb]));
  return { country, asn };
}
