import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAddressLiteral } from '../../../src-capture-helper/names/flow-name';
import { FIXTURES, replay } from './capture-records';

interface Truth {
  dns_names: Record<string, { answer_a: string[]; answer_aaaa: string[] }>;
  tls_sni_values: string[];
  http_host_values: string[];
  read: { complete: boolean };
}

const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.truth.json'))
  .map((f) => f.slice(0, -'.truth.json'.length));

describe('names from the shared captures match tshark', () => {
  it('finds the fixtures', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  for (const name of files) {
    it(name, () => {
      const truth = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.truth.json`), 'utf8')) as Truth;
      const extractor = replay(path.join(FIXTURES, name));

      const expectedDns: Record<string, string[]> = {};
      for (const [q, v] of Object.entries(truth.dns_names)) {
        const addrs = [...v.answer_a, ...v.answer_aaaa].sort();
        if (addrs.length > 0) expectedDns[q] = [...new Set(addrs)];
      }
      const gotDns: Record<string, string[]> = {};
      for (const [q, addrs] of extractor.dnsNames()) gotDns[q] = [...addrs].sort();
      expect(gotDns).toEqual(expectedDns);
      expect(new Set(extractor.sniValues())).toEqual(new Set(truth.tls_sni_values));
      expect(new Set(extractor.httpHosts())).toEqual(new Set(truth.http_host_values));
      // Every name found is also on the flow that carried it; a literal address (Host: 10.0.0.1:8080) names no flow.
      const labels = extractor.drainLabelUpdates().map((u) => u.labels);
      const names = (values: string[]) => new Set(values.filter((v) => !isAddressLiteral(v)));
      expect(new Set(labels.flatMap((l) => (l.sni ? [l.sni] : [])))).toEqual(names(truth.tls_sni_values));
      expect(new Set(labels.flatMap((l) => (l.httpHost ? [l.httpHost] : [])))).toEqual(names(truth.http_host_values));
      // Each DNS message's question names the flow that carried it.
      const questions = new Set(Object.keys(truth.dns_names));
      for (const l of labels) if (l.dnsQuery !== undefined) expect(questions).toContain(l.dnsQuery);
    });
  }
});
