import { describe, expect, it } from 'vitest';
import { geoText } from '../../../src-renderer/format/geo';
import { compileFilter, EMPTY_FILTER } from '../../../src-renderer/state/flow-filter';
import type { GeoInfo } from '../../../src-renderer/transport/api-types';
import { FLOW_COLUMNS } from '../../../src-renderer/views/flow-columns';
import { makeFlow } from './make-flow';
import { compileFlowFilter } from '../../../src-shared/flow-query';

const privateEnd: GeoInfo = { country: null, asn: null, asName: null, special: 'private' };
const german: GeoInfo = { country: 'DE', asn: 3320, asName: 'Deutsche Telekom AG', special: null };
const american: GeoInfo = { country: 'US', asn: 15169, asName: 'Google LLC', special: null };

describe('country and network in the flow table', () => {
  const out = makeFlow({ id: 's:1', a: '192.168.1.2', b: '8.8.8.8', geo: { a: privateEnd, b: american } });
  const incoming = makeFlow({ id: 's:2', a: '80.1.2.3', b: '192.168.1.2', geo: { a: german, b: privateEnd } });
  const local = makeFlow({ id: 's:3', a: '192.168.1.2', b: '192.168.1.3', geo: { a: privateEnd, b: privateEnd } });

  it('says a place in a few words', () => {
    expect(geoText(out.geo?.b)).toBe('US · AS15169 Google LLC');
    expect(geoText(incoming.geo?.a)).toBe('DE · AS3320 Deutsche Telekom AG');
    expect(geoText(local.geo?.b)).toBe('private');
    expect(geoText(makeFlow({ id: 's:4' }).geo?.b)).toBe('');
    expect(geoText({ country: null, asn: null, asName: null, special: null })).toBe('unknown');
  });

  it('finds flows by country:CC, as:N and the network name in the search box', () => {
    const match = (text: string) => {
      const f = compileFilter({ ...EMPTY_FILTER, text });
      if (!f.ok) throw new Error('filter refused');
      return [out, incoming, local].filter(compileFlowFilter(f.query).matches).map((x) => x.id);
    };
    expect(match('country:de')).toEqual(['s:2']);
    expect(match('country:US')).toEqual(['s:1']);
    expect(match('as:15169')).toEqual(['s:1']);
    expect(match('telekom')).toEqual(['s:2']);
    expect(match('country:private')).toEqual(['s:1', 's:2', 's:3']);
  });

  it('puts the country after a public endpoint and the whole place in its tooltip', () => {
    const [a, b] = FLOW_COLUMNS;
    expect(b.cell(out, 0)).toBe('8.8.8.8:443 https · US');
    expect(a.cell(out, 0)).toBe('192.168.1.2:50000');
    expect(a.tip(out, 0)).toBe('192.168.1.2:50000\nprivate');
    expect(b.tip(out, 0)).toBe('8.8.8.8:443 https\nUS · AS15169 Google LLC');
  });
});
