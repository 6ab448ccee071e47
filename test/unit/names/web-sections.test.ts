import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hostAndSection, MAX_TEXT, sectionOf, WebSections } from '../../../src-capture-helper/names/web-sections';
import type { WebRequest } from '../../../src-capture-helper/names/web-sections';
import { NameExtractor } from '../../../src-capture-helper/names/name-extractor';
import { ascii, Feeder, fragment4, TCP_ACK, TCP_PSH, tcp4, udp4 } from './packets';

const V4 = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 7]);
const V6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

function req(target: string, host?: string, server = V4, serverPort = 80): WebRequest {
  return { target, host, server, serverPort };
}

describe('host and section of a request', () => {
  it('takes the first path segment, the query and fragment cut off', () => {
    expect(sectionOf('/pages/create?x=1')).toBe('/pages');
    expect(sectionOf('/pages?x=/a/b')).toBe('/pages');
    expect(sectionOf('/')).toBe('/');
    expect(sectionOf('/?q=1')).toBe('/');
    expect(sectionOf('/index.html#top')).toBe('/index.html');
    expect(sectionOf('*')).toBe('*');
  });

  it('takes the Host header, else the server address as a Host header names it', () => {
    expect(hostAndSection(req('/a/b', 'www.example.com'))).toEqual({ host: 'www.example.com', section: '/a' });
    expect(hostAndSection(req('/a', 'localhost:8080'))).toEqual({ host: 'localhost:8080', section: '/a' });
    expect(hostAndSection(req('/a'))).toEqual({ host: '198.51.100.7', section: '/a' });
    expect(hostAndSection(req('/a', '', V4, 8000))).toEqual({ host: '198.51.100.7:8000', section: '/a' });
    expect(hostAndSection(req('/a', undefined, V6, 8080))).toEqual({ host: '[2001:db8::1]:8080', section: '/a' });
  });

  it('takes host and path of an absolute-form target (a proxy request) over the Host header', () => {
    expect(hostAndSection(req('http://proxied.example:8080/docs/x?y', 'other.example'))).toEqual({ host: 'proxied.example:8080', section: '/docs' });
    expect(hostAndSection(req('http://user:pw@h.example/a'))).toEqual({ host: 'h.example', section: '/a' });
    expect(hostAndSection(req('http://h.example'))).toEqual({ host: 'h.example', section: '/' });
    expect(hostAndSection(req('http://h.example?x=1'))).toEqual({ host: 'h.example', section: '/' });
    // Not a scheme: a path that contains "://" further on stays a path.
    expect(hostAndSection(req('/redirect?to=http://x/y', 'a.example'))).toEqual({ host: 'a.example', section: '/redirect' });
  });

  it('cuts host and section text to a bounded length', () => {
    const r = hostAndSection(req(`/${'s'.repeat(5000)}`, 'h'.repeat(5000)));
    expect(r.host.length).toBe(MAX_TEXT);
    expect(r.section.length).toBe(MAX_TEXT);
  });
});

describe('WebSections windows', () => {
  const T = 1_700_000_000;

  it('counts the last 10 s, the last 60 s and the session', () => {
    const w = new WebSections();
    w.record(req('/old/1', 'a.example'), T); // 70 s before the end: the session only
    for (let i = 0; i < 3; i++) w.record(req('/mid/x', 'a.example'), T + 30); // 40 s before: 60 s and session
    w.record(req('/new?x', 'b.example'), T + 65);
    w.record(req('/new/y', 'b.example'), T + 70);
    w.record(req('/', 'a.example'), T + 70);
    const now = T + 70;
    expect(w.top('10s', now)).toEqual({
      requests: 3,
      dropped: 0,
      moreHosts: 0,
      hosts: [
        { host: 'b.example', requests: 2, sections: [{ section: '/new', requests: 2 }] },
        { host: 'a.example', requests: 1, sections: [{ section: '/', requests: 1 }] },
      ],
    });
    expect(w.top('60s', now).hosts).toEqual([
      { host: 'a.example', requests: 4, sections: [{ section: '/mid', requests: 3 }, { section: '/', requests: 1 }] },
      { host: 'b.example', requests: 2, sections: [{ section: '/new', requests: 2 }] },
    ]);
    expect(w.top('session', now).hosts[0]).toEqual({
      host: 'a.example',
      requests: 5,
      sections: [{ section: '/mid', requests: 3 }, { section: '/', requests: 1 }, { section: '/old', requests: 1 }],
    });
    // Later, with no request since, the windows empty while the session stays.
    expect(w.top('10s', now + 11).requests).toBe(0);
    expect(w.top('60s', now + 61).hosts).toEqual([]);
    expect(w.top('session', now + 1000).requests).toBe(7);
  });

  it('reuses a ring second without mixing in what it counted 60 s before', () => {
    const w = new WebSections();
    w.record(req('/a', 'x'), T);
    w.record(req('/b', 'x'), T + 60);
    expect(w.top('10s', T + 60).hosts).toEqual([{ host: 'x', requests: 1, sections: [{ section: '/b', requests: 1 }] }]);
    // A request older than the ring (a file out of time order) counts for the session only.
    w.record(req('/c', 'x'), T - 5);
    expect(w.top('60s', T + 60).requests).toBe(1);
    expect(w.top('session', T + 60).requests).toBe(3);
  });

  it('limits hosts and sections shown and says how many hosts were left out', () => {
    const w = new WebSections();
    for (let h = 0; h < 5; h++) for (let s = 0; s <= h; s++) w.record(req(`/s${s}`, `h${h}`), T);
    const top = w.top('session', T, 2, 3);
    expect(top.hosts.map((h) => h.host)).toEqual(['h4', 'h3']);
    expect(top.hosts[0].sections.map((s) => s.section)).toEqual(['/s0', '/s1', '/s2']);
    expect(top.moreHosts).toBe(3);
  });

  it('keeps memory bounded under a flood of distinct hosts, counting what it could not keep', () => {
    const w = new WebSections({ maxPairs: 100, maxPairsPerSecond: 10 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 200 })), { maxLength: 300 }), (reqs) => {
        for (const [host, path, dt] of reqs) w.record(req(`/${path}`, host), T + dt);
        const session = w.top('session', T + 200);
        const pairs = session.hosts.reduce((n, h) => n + h.sections.length, 0);
        expect(pairs).toBeLessThanOrEqual(100);
        expect(session.hosts.reduce((n, h) => n + h.requests, 0) + session.dropped).toBe(session.requests);
        const minute = w.top('60s', T + 200);
        expect(minute.hosts.reduce((n, h) => n + h.requests, 0) + minute.dropped).toBe(minute.requests);
      }),
    );
  });
});

describe('web sections from packets', () => {
  const WEB = { src: '10.0.0.2', dst: '203.0.113.9', sport: 51000, dport: 8080 };

  it('counts requests split across segments, pipelined, without a Host header, in fragments and over SSDP', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const head = ascii('GET /news/today?x=1 HTTP/1.1\r\nHost: news.example\r\n\r\n');
    f.feed(tcp4(WEB, 1, TCP_ACK, head.subarray(0, 10)), 2);
    f.feed(tcp4(WEB, 11, TCP_ACK, head.subarray(10)), 2);
    f.feed(tcp4(WEB, 1 + head.length, TCP_ACK, ascii('GET /news/b HTTP/1.1\r\nHost: news.example\r\n\r\nGET /a HTTP/1.0\r\n\r\n')), 2);
    const big = ascii(`GET /frag/x HTTP/1.1\r\nHost: frag.example\r\nX-Pad: ${'p'.repeat(300)}\r\n\r\n`);
    for (const fr of fragment4(tcp4({ ...WEB, sport: 51001 }, 1, TCP_ACK | TCP_PSH, big), 96, 7)) f.feed(fr, 3);
    f.feed(udp4({ src: '10.0.0.2', dst: '239.255.255.250', sport: 40000, dport: 1900 }, ascii('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n')), 4);
    // A TLS ClientHello on 443 is no plaintext request.
    f.feed(tcp4({ ...WEB, dport: 443 }, 1, TCP_ACK, Uint8Array.from([22, 3, 1, 0, 5, 1, 0, 0, 1, 0])), 5);
    expect(x.webSections.top('session', f.sec).hosts).toEqual([
      { host: 'news.example', requests: 2, sections: [{ section: '/news', requests: 2 }] },
      { host: '203.0.113.9:8080', requests: 1, sections: [{ section: '/a', requests: 1 }] },
      { host: '239.255.255.250:1900', requests: 1, sections: [{ section: '*', requests: 1 }] },
      { host: 'frag.example', requests: 1, sections: [{ section: '/frag', requests: 1 }] },
    ]);
  });
});
