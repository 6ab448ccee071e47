// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Controller } from '../../../src-renderer/state/controller';
import { createAppStore } from '../../../src-renderer/state/store';
import type { Transport } from '../../../src-renderer/transport/transport';
import { AppContext } from '../../../src-renderer/views/app-context';
import { FlowFilterBar } from '../../../src-renderer/views/flow-filter-bar';

afterEach(cleanup);

/** The filter bar needs only the store; a transport that is never connected stands for "no main process". */
const offline: Transport = {
  kind: 'websocket',
  request: async () => ({ ok: false, error: { code: 'unavailable', message: 'offline' } }),
  on: () => () => undefined,
  onStatus: () => () => undefined,
  droppedEvents: () => 0,
  uploadCapture: async () => ({ ok: false, error: { code: 'unavailable', message: 'offline' } }),
  close: () => undefined,
};

function renderBar() {
  const store = createAppStore('websocket');
  const controller = new Controller(offline, store);
  render(
    <AppContext.Provider value={{ store, controller }}>
      <FlowFilterBar />
    </AppContext.Provider>,
  );
  return store;
}

describe('flow filter bar', () => {
  it('has a labelled control for every filter', () => {
    renderBar();
    for (const name of ['Search', 'Address or CIDR', 'Port']) expect(screen.getByLabelText(name)).toBeTruthy();
    expect(screen.getByRole('group', { name: 'Protocol' })).toBeTruthy();
    expect(screen.getByRole('checkbox', { name: 'ICMPV6' })).toBeTruthy();
    expect(screen.getByRole('checkbox', { name: 'established' })).toBeTruthy();
  });

  it('marks a bad CIDR as invalid and explains it next to the field', () => {
    const store = renderBar();
    const cidr = screen.getByLabelText('Address or CIDR');
    fireEvent.change(cidr, { target: { value: '192.168.0.0/33' } });
    expect(cidr.getAttribute('aria-invalid')).toBe('true');
    const help = document.getElementById(cidr.getAttribute('aria-describedby') ?? '');
    expect(help?.textContent).toBe("prefix length '33' must be a whole number from 0 to 32");
    fireEvent.change(cidr, { target: { value: '192.168.0.0/16' } });
    expect(cidr.getAttribute('aria-invalid')).toBe('false');
    expect(store.getState().filter.active).toBe(true);
  });

  it('toggles protocols and states into the filter', () => {
    const store = renderBar();
    fireEvent.click(screen.getByRole('checkbox', { name: 'UDP' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'closed' }));
    expect(store.getState().filterInput.protocols).toEqual(['udp']);
    expect(store.getState().filterInput.states).toEqual(['closed']);
    fireEvent.click(screen.getByRole('checkbox', { name: 'UDP' }));
    expect(store.getState().filterInput.protocols).toEqual([]);
  });
});
