import type { ShownFlowState } from '../state/flow-shown';
import { SHOWN_FLOW_STATES } from '../state/flow-shown';
import type { FlowProto } from '../transport/api-types';
import { PROTOCOLS } from '../transport/api-types';
import { useAppShallow } from './app-context';

function toggle<T>(list: readonly T[], v: T): T[] {
  return list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
}

/** Text, protocol, state, CIDR and port filters, and the one flow picked on the Overview. A field with an error is
 *  marked and explained; the table keeps the last valid filter meanwhile. */
export function FlowFilterBar() {
  const { input, errors, set } = useAppShallow((s) => ({ input: s.filterInput, errors: s.filterErrors, set: s.setFilterInput }));
  return (
    <form className="filter-bar" role="search" aria-label="Filter flows" onSubmit={(e) => e.preventDefault()}>
      <label className="grow">
        <span>Search</span>
        <input type="search" value={input.text} placeholder="address, port, name…" onChange={(e) => set({ text: e.target.value })} spellCheck={false} />
      </label>
      <label>
        <span>Address or CIDR</span>
        <input
          type="text"
          value={input.cidr}
          placeholder="10.0.0.0/8"
          aria-invalid={Boolean(errors.cidr)}
          aria-describedby={errors.cidr ? 'cidr-error' : undefined}
          onChange={(e) => set({ cidr: e.target.value })}
          spellCheck={false}
        />
        {errors.cidr && (
          <em id="cidr-error" className="field-error">
            {errors.cidr}
          </em>
        )}
      </label>
      <label>
        <span>Port</span>
        <input
          type="text"
          inputMode="numeric"
          value={input.port}
          placeholder="443, 8000-8999"
          aria-invalid={Boolean(errors.port)}
          aria-describedby={errors.port ? 'port-error' : undefined}
          onChange={(e) => set({ port: e.target.value })}
          spellCheck={false}
        />
        {errors.port && (
          <em id="port-error" className="field-error">
            {errors.port}
          </em>
        )}
      </label>
      <label>
        <span>Application</span>
        <input
          type="text"
          value={input.application}
          placeholder="curl"
          title="The application's name as the Applications screen shows it (exact, any case)"
          onChange={(e) => set({ application: e.target.value })}
          spellCheck={false}
        />
      </label>
      <fieldset className="chips">
        <legend>Protocol</legend>
        {PROTOCOLS.map((p: FlowProto) => (
          <label key={p} className="chip">
            <input type="checkbox" checked={input.protocols.includes(p)} onChange={() => set({ protocols: toggle(input.protocols, p) })} />
            {p.toUpperCase()}
          </label>
        ))}
      </fieldset>
      <fieldset className="chips">
        <legend>State</legend>
        {SHOWN_FLOW_STATES.map((st: ShownFlowState) => (
          <label key={st} className="chip" title={st === 'ended' ? 'Flows no longer live: closed, reset, idle too long, or the capture stopped' : undefined}>
            <input type="checkbox" checked={input.states.includes(st)} onChange={() => set({ states: toggle(input.states, st) })} />
            {st}
          </label>
        ))}
      </fieldset>
      {input.flow && (
        <div className="pinned" role="group" aria-label="Only one flow">
          <span className="pinned-text" title={input.flow.label}>
            Only {input.flow.label}
          </span>
          <button type="button" aria-label="Show every flow again" title="Show every flow again" onClick={() => set({ flow: null })}>
            ✕
          </button>
        </div>
      )}
    </form>
  );
}
