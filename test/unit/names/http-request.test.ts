import { describe, expect, it } from 'vitest';
import { HttpStatus, parseHttpRequestHead, pathSection, requestMethodAt, targetPath } from '../../../src-capture-helper/names/http-request';
import { ascii } from './packets';

const MAX = 16 * 1024;

describe('HTTP request heads', () => {
  it('reads method, target and Host (case-insensitive name, trimmed value)', () => {
    const b = ascii('GET /pages/create?id=3 HTTP/1.1\r\nUser-Agent: x\r\nhOsT: \t my.site.com:8080 \r\n\r\nBODY');
    const h = parseHttpRequestHead(b, 0, b.length, MAX);
    expect(h).toMatchObject({ status: HttpStatus.done, method: 'GET', target: '/pages/create?id=3', host: 'my.site.com:8080' });
    expect(h.headLength).toBe(b.length - 4);
  });

  it('waits for the blank line, and refuses heads longer than the limit', () => {
    const partial = ascii('POST /upload HTTP/1.1\r\nHost: a\r\n');
    expect(parseHttpRequestHead(partial, 0, partial.length, MAX).status).toBe(HttpStatus.needMore);
    const long = ascii(`GET / HTTP/1.1\r\nX: ${'a'.repeat(100)}\r\n`);
    expect(parseHttpRequestHead(long, 0, long.length, 64).status).toBe(HttpStatus.notHttp);
  });

  it('reads SSDP requests and Content-Length', () => {
    const b = ascii('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nContent-Length: 12\r\n\r\n');
    expect(parseHttpRequestHead(b, 0, b.length, MAX)).toMatchObject({ status: HttpStatus.done, method: 'M-SEARCH', target: '*', host: '239.255.255.250:1900', contentLength: 12 });
  });

  it('rejects responses, unknown methods and bad request lines', () => {
    for (const s of ['HTTP/1.1 200 OK\r\n\r\n', 'GETX / HTTP/1.1\r\n\r\n', 'get / HTTP/1.1\r\n\r\n', 'GET /nover\r\n\r\n', 'GET / FTP/1.0\r\n\r\n']) {
      const b = ascii(s);
      expect(parseHttpRequestHead(b, 0, b.length, MAX).status, s).toBe(HttpStatus.notHttp);
    }
    expect(requestMethodAt(ascii('DELETE /x'), 0, 9)).toBeGreaterThanOrEqual(0);
    expect(requestMethodAt(ascii('\x16\x03\x01'), 0, 3)).toBe(-1);
  });

  it('derives the path and the "section" of a target', () => {
    expect(targetPath('/pages/create?x=1#f')).toBe('/pages/create');
    expect(targetPath('http://my.site.com/pages/create')).toBe('/pages/create');
    expect(targetPath('http://my.site.com')).toBe('/');
    expect(pathSection('/pages/create')).toBe('/pages');
    expect(pathSection('/')).toBe('/');
    expect(pathSection('*')).toBe('*');
  });
});
