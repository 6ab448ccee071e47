/**
 * Country and AS through `netmon serve`: flows of a replayed capture carry
 * their ends' places, the `country`/`asn` filters and the breakdown agree with
 * them, and a database file that cannot be used is refused from the settings
 * with the field and the reason while the one in use stays. Needs `npm run build`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import type { FlowPage, FlowSummary } from '../../../src-main/api/types/flows';
import type { GeoBreakdown } from '../../../src-main/api/types/geo';
import { GeoService } from '../../../src-main/core/geo/geo-service';
import type { ServeProcess } from '../../helpers/serve-process';
import { FIXTURES, getJson, startServe, waitFor } from '../../helpers/serve-process';

const FIXTURE = 'many_interfaces-1.pcapng';
const RETENTION_ENV = { NETMON_HISTORY_MINUTE_DAYS: '3650', NETMON_HISTORY_HOUR_DAYS: '36500', NETMON_HISTORY_FLOW_LOG_DAYS: '36500' };

describe('country and AS in netmon serve', () => {
  let dir: string;
  let serve: ServeProcess;
  let flows: FlowSummary[];
  let geo: GeoService;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-geo-serve-'));
    serve = await startServe(['--bind', '127.0.0.1:0', '--replay', path.join(FIXTURES, FIXTURE), '--speed', '0', '--db', path.join(dir, 'h.sqlite')], RETENTION_ENV);
    await waitFor('the replay to finish', async () => {
      const { body } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
      return body.state === 'finished' ? body : undefined;
    }, 60_000);
    // Main opens the databases once it serves: the breakdown answers from then on.
    await waitFor('the geo databases', async () => ((await getJson(`${serve.url}/api/geo`)).status === 200 ? true : undefined), 60_000);
    flows = (await getJson<FlowPage>(`${serve.url}/api/flows?limit=1000`)).body.flows;
    geo = await GeoService.open({ countryDb: '', asnDb: '' });
  }, 120_000);
  afterAll(async () => {
    await serve?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives every flow the country and AS of both ends, as the databases say', () => {
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows) expect(f.geo, f.id).toEqual({ a: geo.lookup(f.a), b: geo.lookup(f.b) });
    expect(flows.some((f) => f.geo?.a.country != null || f.geo?.b.country != null)).toBe(true);
  });

  it('filters by country and by AS on either end, and by a special range name', async () => {
    const ends = flows.flatMap((f) => (f.geo === undefined ? [] : [f.geo.a, f.geo.b]));
    const countries = new Set(ends.flatMap((g) => (g.country === null ? [] : [g.country])));
    const asns = new Set(ends.flatMap((g) => (g.asn === null ? [] : [g.asn])));
    const specials = new Set(ends.flatMap((g) => (g.special === null ? [] : [g.special])));
    const ids = (page: FlowPage) => page.flows.map((f) => f.id).sort();
    for (const country of [...countries, ...specials]) {
      const { body } = await getJson<FlowPage>(`${serve.url}/api/flows?limit=1000&country=${country.toLowerCase()}`);
      const want = flows.filter((f) => [f.geo?.a, f.geo?.b].some((g) => g?.country === country || g?.special === country)).map((f) => f.id).sort();
      expect(ids(body), country).toEqual(want);
    }
    for (const asn of asns) {
      const { body } = await getJson<FlowPage>(`${serve.url}/api/flows?limit=1000&asn=${asn}`);
      expect(ids(body), `AS${asn}`).toEqual(flows.filter((f) => f.geo?.a.asn === asn || f.geo?.b.asn === asn).map((f) => f.id).sort());
    }
    expect((await getJson<FlowPage>(`${serve.url}/api/flows?country=zz`)).body.total).toBe(0);
  });

  it('breaks the capture down by the remote end of each flow, every flow counted once', async () => {
    const { body } = await getJson<GeoBreakdown>(`${serve.url}/api/geo`);
    const total = flows.reduce((s, f) => s + f.aToB.bytes + f.bToA.bytes, 0);
    const counted = body.countries.reduce((s, c) => s + c.bytes, 0) + body.special.bytes + body.unknown.bytes;
    const flowsCounted = body.countries.reduce((s, c) => s + c.flows, 0) + body.special.flows + body.unknown.flows;
    if (body.countries.length < 20) {
      expect(counted).toBe(total);
      expect(flowsCounted).toBe(flows.length);
    }
    for (const c of body.countries) {
      const remote = flows.filter((f) => {
        const { a, b } = f.geo ?? { a: null, b: null };
        const end = b?.special !== null && a?.special === null ? a : b;
        return end?.country === c.country;
      });
      expect(c.flows, c.country).toBe(remote.length);
    }
  });

  it('opens no database file an API client names, and keeps the one in use', async () => {
    const bad = path.join(dir, 'bad.mmdb');
    fs.writeFileSync(bad, 'not a database');
    const { status, body: answer } = await getJson<{ error: { issues: Array<{ path: string; message: string }> } }>(
      `${serve.url}/api/settings`, { method: 'PUT', body: JSON.stringify({ geo: { countryDb: bad } }) });
    expect(status).toBe(403);
    expect(answer.error.issues).toEqual([{ path: 'geo.countryDb', message: 'can only be set in the settings file, the environment or a flag' }]);
    const { body } = await getJson<FlowPage>(`${serve.url}/api/flows?limit=1000`);
    expect(body.flows.map((f) => f.geo)).toEqual(flows.map((f) => f.geo));
  });
});
