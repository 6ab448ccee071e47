import { formatBytes, formatCount } from '../format/units';
import { usePolledRequest } from './use-polled-request';

/** How often the panel asks main for the breakdown. */
const REFRESH_MS = 5000;

/** Bytes per country and per network (AS) of the flows' remote ends over the capture, from main's geo databases. */
export function GeoBreakdownPanel() {
  const { data, error } = usePolledRequest('geo.breakdown', {}, REFRESH_MS);
  const rows = (list: Array<{ key: string; label: string; bytes: number; flows: number }>, what: string) => (
    <table className="compact">
      <thead>
        <tr>
          <th scope="col">{what}</th>
          <th scope="col" className="num">Bytes</th>
          <th scope="col" className="num">Flows</th>
        </tr>
      </thead>
      <tbody>
        {list.map((r) => (
          <tr key={r.key}>
            <th scope="row" title={r.label}>{r.label}</th>
            <td className="num">{formatBytes(r.bytes)}</td>
            <td className="num">{formatCount(r.flows)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <section className="panel" aria-labelledby="geo-title">
      <h2 id="geo-title">
        Where <span className="muted small">remote ends over the capture</span>
      </h2>
      {error !== null ? (
        <p className="empty">{error}</p>
      ) : data === null || (data.countries.length === 0 && data.special.flows === 0 && data.unknown.flows === 0) ? (
        <p className="empty">Nothing captured yet.</p>
      ) : (
        <>
          {rows(
            [
              ...data.countries.map((c) => ({ key: c.country, label: c.country, bytes: c.bytes, flows: c.flows })),
              ...(data.special.flows > 0 ? [{ key: '~special', label: 'private or special', ...data.special }] : []),
              ...(data.unknown.flows > 0 ? [{ key: '~unknown', label: 'unknown', ...data.unknown }] : []),
            ],
            'Country',
          )}
          {rows(data.networks.map((n) => ({ key: String(n.asn), label: `AS${n.asn}${n.asName ? ` ${n.asName}` : ''}`, bytes: n.bytes, flows: n.flows })), 'Network')}
        </>
      )}
    </section>
  );
}
