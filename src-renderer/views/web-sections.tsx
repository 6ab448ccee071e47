import { Fragment, useState } from 'react';
import { formatCount } from '../format/units';
import type { WebSectionWindow, WebSections } from '../transport/api-types';
import { useApp } from './app-context';
import { usePolledRequest } from './use-polled-request';

/** How often the panel asks main for the sections. */
const REFRESH_MS = 2000;
const SHOWN_HOSTS = 8;
const SHOWN_SECTIONS = 5;
const WINDOWS: ReadonlyArray<{ value: WebSectionWindow; label: string; words: string }> = [
  { value: '10s', label: '10 s', words: 'the last 10 s' },
  { value: '60s', label: '60 s', words: 'the last 60 s' },
  { value: 'session', label: 'Session', words: 'this capture' },
];

/** Why there is nothing to show: a user should not wonder whether the panel is broken. */
function emptyText(data: WebSections | null, words: string): string {
  if (data === null || data.toMs === null) return 'Nothing captured yet.';
  const plain = 'Sections need plaintext HTTP: an HTTPS request hides its path.';
  if (data.encryptedHellos > 0) {
    return `No plaintext HTTP request in ${words}. ${formatCount(data.encryptedHellos)} encrypted handshakes (TLS, QUIC) seen in this capture. ${plain}`;
  }
  return `No plaintext HTTP request in ${words}. ${plain}`;
}

/** Top hosts of plaintext HTTP and, under each, its top sections (first path segments), as gonetmon counts them. */
export function WebSectionsPanel() {
  // Ask again when the capture changes (a new replay, a stop).
  const capture = useApp((s) => `${s.capture?.captureId ?? ''}:${s.capture?.state ?? ''}`);
  const [win, setWin] = useState<WebSectionWindow>('10s');
  const { data, error } = usePolledRequest('web.sections', { window: win }, REFRESH_MS, capture);
  const words = WINDOWS.find((w) => w.value === win)?.words ?? '';
  const shown = data !== null && data.window === win ? data : null;
  const hosts = shown?.hosts.slice(0, SHOWN_HOSTS) ?? [];
  const max = hosts.length > 0 ? Math.max(...hosts.map((h) => h.sections[0]?.requests ?? 0)) : 0;
  const moreHosts = shown === null ? 0 : shown.moreHosts + shown.hosts.length - hosts.length;
  return (
    <section className="panel web-sections" aria-labelledby="web-title">
      <h2 id="web-title">
        Web sections <span className="muted small">plaintext HTTP requests over {words}</span>
      </h2>
      <div className="web-window">
        <div className="segmented" role="radiogroup" aria-label="Web sections window">
          {WINDOWS.map((w) => (
            <button key={w.value} type="button" role="radio" aria-checked={win === w.value} onClick={() => setWin(w.value)}>
              {w.label}
            </button>
          ))}
        </div>
      </div>
      {error !== null ? (
        <p className="empty">{error}</p>
      ) : shown === null || hosts.length === 0 ? (
        <p className="empty" data-testid="web-sections-empty">
          {emptyText(shown, words)}
        </p>
      ) : (
        <table className="compact" data-testid="web-sections">
          <thead>
            <tr>
              <th scope="col">Host and section</th>
              <th scope="col" className="num">
                Requests
              </th>
            </tr>
          </thead>
          <tbody>
            {hosts.map((h) => (
              <Fragment key={h.host}>
                <tr className="web-host">
                  <th scope="row" title={h.host}>
                    {h.host}
                  </th>
                  <td className="num">{formatCount(h.requests)}</td>
                </tr>
                {h.sections.slice(0, SHOWN_SECTIONS).map((s) => (
                  <tr key={s.section} className="web-section">
                    <th scope="row" title={`${h.host}${s.section.startsWith('/') ? s.section : ` ${s.section}`}`}>
                      <span className="web-section-name">{s.section}</span>
                      <div className="bar thin" aria-hidden>
                        <div className="bar-fill" style={{ width: `${max ? (s.requests / max) * 100 : 0}%` }} />
                      </div>
                    </th>
                    <td className="num">{formatCount(s.requests)}</td>
                  </tr>
                ))}
                {h.sections.length > SHOWN_SECTIONS && (
                  <tr className="web-section">
                    <td colSpan={2} className="muted small">
                      and {h.sections.length - SHOWN_SECTIONS} more sections
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {shown !== null && (moreHosts > 0 || shown.dropped > 0) && (
        <p className="muted small">
          {moreHosts > 0 ? `${formatCount(moreHosts)} more hosts. ` : ''}
          {shown.dropped > 0 ? `${formatCount(shown.dropped)} requests counted in the total only (too many distinct sections).` : ''}
        </p>
      )}
    </section>
  );
}
