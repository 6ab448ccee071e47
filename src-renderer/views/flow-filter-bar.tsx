import type { ShownFlowState } from '../state/flow-shown';
import { SHOWN_FLOW_STATES } from '../state/flow-shown';
import type { FlowProto } from '../transport/api-types';
import { PROTOCOLS } from '../transport/api-types';
import { useAppShallow } from './app-context';
import { Field } from './field';

/** A field's error as the messages `Field` shows under it. */
function messages(error: string | undefined): string[] | undefined {
  return error === undefined ? undefined : [error];
}

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
      <Field label="Address or CIDR" errors={messages(errors.cidr)}>
        {(a11y) => <input type="text" {...a11y} value={input.cidr} placeholder="10.0.0.0/8" onChange={(e) => set({ cidr: e.target.value })} spellCheck={false} />}
      </Field>
      <Field label="Port" errors={messages(errors.port)}>
        {(a11y) => (
          <input type="text" inputMode="numeric" {...a11y} value={input.port} placeholder="443, 8000-8999" onChange={(e) => set({ port: e.target.value })} spellCheck={false} />
        )}
      </Field>
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
