import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseServices, SERVICES_MODULE, servicesModule } from '../../../scripts/make-services';
import { labelWithServices, serviceName, serviceSuffix } from '../../../src-shared/service-names';

describe('service names', () => {
  it('names well-known ports per transport, and nothing else', () => {
    expect(serviceName('tcp', 443)).toBe('https');
    expect(serviceName('tcp', 22)).toBe('ssh');
    expect(serviceName('udp', 53)).toBe('domain');
    expect(serviceName('udp', 22)).toBeUndefined();
    expect(serviceName('tcp', 51234)).toBeUndefined();
    expect(serviceName('icmp', 443)).toBeUndefined();
    expect(serviceName('tcp', null)).toBeUndefined();
    // No name from the object prototype.
    expect(serviceName('tcp', Number('constructor'))).toBeUndefined();
    expect(serviceSuffix('tcp', 80)).toBe(' http');
  });

  it('adds the names to a helper flow label, leaving other text as it is', () => {
    expect(labelWithServices('tcp 10.0.0.1:50000 → 198.51.100.1:443 (www.example.com)')).toBe('tcp 10.0.0.1:50000 → 198.51.100.1:443 https (www.example.com)');
    expect(labelWithServices('udp [2001:db8::1]:53 → [2001:db8::2]:40000')).toBe('udp [2001:db8::1]:53 domain → [2001:db8::2]:40000');
    expect(labelWithServices('icmp 10.0.0.1 → 10.0.0.2')).toBe('icmp 10.0.0.1 → 10.0.0.2');
    expect(labelWithServices('flow 7')).toBe('flow 7');
  });

  it('reads a services(5) file: first name per port and transport, comments and other transports ignored', () => {
    const text = 'http 80/tcp www # WorldWideWeb\nhttp 80/udp\nwww-alt 80/tcp\n# gone 81/tcp\nddp-thing 4/ddp\nbad 70000/tcp\n';
    const { tcp, udp } = parseServices(text);
    expect([...tcp]).toEqual([[80, 'http']]);
    expect([...udp]).toEqual([[80, 'http']]);
  });

  it.runIf(existsSync('/etc/services'))('the committed table is what scripts/make-services.ts makes from /etc/services', () => {
    expect(readFileSync(SERVICES_MODULE, 'utf8')).toBe(servicesModule(readFileSync('/etc/services', 'utf8')));
  });
});
