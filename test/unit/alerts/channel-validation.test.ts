import { describe, expect, it } from 'vitest';
import { validateChannelSpec } from '../../../src-main/core/notifiers/channel-config';

function errorsOf(input: unknown): string[] {
  const result = validateChannelSpec(input);
  return result.ok ? [] : result.errors.map((e) => `${e.field}: ${e.message}`);
}

describe('channel validation', () => {
  it('accepts each kind with its defaults', () => {
    expect(validateChannelSpec({ kind: 'discord', name: 'Ops', url: 'https://discord.com/api/webhooks/1/abc' })).toEqual({
      ok: true,
      value: { kind: 'discord', name: 'Ops', enabled: true, ratePerMinute: 30, burst: 5, url: 'https://discord.com/api/webhooks/1/abc' },
    });
    expect(validateChannelSpec({ kind: 'command', name: 'Pager', argv: ['/usr/bin/logger', '-t', 'netmon'] }))
      .toMatchObject({ ok: true, value: { argv: ['/usr/bin/logger', '-t', 'netmon'], timeoutSec: 10 } });
    expect(validateChannelSpec({ kind: 'webhook', name: 'Hook', url: 'http://127.0.0.1:8080/x' }))
      .toMatchObject({ ok: true, value: { headers: {} } });
  });

  it('refuses bad URLs with the reason', () => {
    expect(errorsOf({ kind: 'discord', name: 'x', url: 'not a url' })).toEqual(["url: 'not a url' is not a URL"]);
    expect(errorsOf({ kind: 'webhook', name: 'x', url: 'file:///etc/passwd' })).toEqual(['url: must be an http:// or https:// URL, got file:']);
    expect(errorsOf({ kind: 'webhook', name: 'x', url: 'https://user:pw@example.com/' }))
      .toEqual(['url: must not carry a user name or password; use a header instead']);
  });

  it('refuses headers that would break or override the request', () => {
    expect(errorsOf({ kind: 'webhook', name: 'x', url: 'https://example.com/', headers: { 'X-Token': 'a\r\nInjected: 1' } }))
      .toEqual(['headers.X-Token: must be a single-line string of at most 4096 characters']);
    expect(errorsOf({ kind: 'webhook', name: 'x', url: 'https://example.com/', headers: { 'Content-Type': 'text/plain' } }))
      .toEqual(['headers.Content-Type: is set by Netmon and cannot be overridden']);
    expect(errorsOf({ kind: 'webhook', name: 'x', url: 'https://example.com/', headers: { 'X Token': 'a', 'X-Ok': 'b' } }))
      .toEqual(['headers.X Token: is not a valid header name']);
    expect(errorsOf({ kind: 'webhook', name: 'x', url: 'https://example.com/', headers: { 'X-Count': 3 } }))
      .toEqual(['headers.X-Count: must be a single-line string of at most 4096 characters']);
    expect(errorsOf({ kind: 'webhook', name: 'x', url: 'https://example.com/', headers: ['X-Token: a'] }))
      .toEqual(['headers: must be an object of header names to values, got a list']);
  });

  it('wants a command as an argv list, never a shell string', () => {
    expect(errorsOf({ kind: 'command', name: 'x', argv: 'notify-send "alert"' }))
      .toEqual(['argv: must be a list of 1 to 64 strings (program first); no shell is involved']);
    expect(errorsOf({ kind: 'command', name: 'x', argv: [' '] })).toEqual(['argv.0: the program must not be empty']);
    expect(errorsOf({ kind: 'command', name: 'x' }))
      .toEqual(['argv: is required: the program and its arguments, e.g. ["/usr/local/bin/page-me", "--urgent"]']);
    expect(errorsOf({ kind: 'command', name: 'x', argv: [] }))
      .toEqual(['argv: must be a list of 1 to 64 strings (program first); no shell is involved']);
    expect(errorsOf({ kind: 'command', name: 'x', argv: ['/bin/echo', 'a\0b'] }))
      .toEqual(['argv.1: must be a string of at most 4096 characters, without NUL bytes']);
  });

  it('passes a program its arguments as written, spaces included', () => {
    expect(validateChannelSpec({ kind: 'command', name: ' Pager ', argv: ['/usr/bin/logger', ' -t ', ''] }))
      .toMatchObject({ ok: true, value: { name: 'Pager', argv: ['/usr/bin/logger', ' -t ', ''] } });
  });

  it('reads rates written as text, and tells every problem at once', () => {
    expect(validateChannelSpec({ kind: 'desktop', name: 'x', ratePerMinute: ' 60 ', burst: '10' }))
      .toMatchObject({ ok: true, value: { ratePerMinute: 60, burst: 10 } });
    expect(errorsOf({ kind: 'desktop', name: 'x', burst: 2.5 })).toEqual(['burst: must be a whole number, got 2.5']);
    expect(errorsOf({ name: ' ', ratePerMinute: 'fast' })).toEqual([
      'kind: is required (one of desktop, discord, webhook, command)',
      'name: must not be empty',
      'ratePerMinute: must be a number, got "fast"',
    ]);
    expect(errorsOf({ kind: 'discord', name: 'x'.repeat(101), url: 'ftp://example.com/', enabled: 'yes' })).toEqual([
      'name: must be at most 100 characters, got 101',
      'enabled: must be true or false, got "yes"',
      'url: must be an http:// or https:// URL, got ftp:',
    ]);
    expect(errorsOf('discord')).toEqual([': a channel must be an object, got "discord"']);
  });

  it('refuses unknown kinds and fields, and out-of-range rates', () => {
    expect(errorsOf({ kind: 'slack', name: 'x' }))
      .toEqual(['kind: unknown kind "slack"; expected one of desktop, discord, webhook, command']);
    expect(errorsOf({ kind: 'desktop', name: 'x', url: 'https://example.com/' })).toEqual(["url: unknown field 'url'"]);
    expect(errorsOf({ kind: 'desktop', name: 'x', ratePerMinute: 0 })).toEqual(['ratePerMinute: must be at least 1, got 0']);
  });
});
