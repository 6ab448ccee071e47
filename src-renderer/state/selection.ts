/** Row selection in the flow table, as pure functions over the rows in their displayed order. Follows the file
 *  manager conventions: click selects one, Ctrl/Cmd-click toggles, Shift-click selects a range from the anchor,
 *  arrows move the focus (Shift extends), Space toggles the focused row. */
export interface Selection {
  readonly selected: ReadonlySet<string>;
  /** Where a Shift range starts. */
  readonly anchor: string | null;
  /** The keyboard cursor. */
  readonly focus: string | null;
}

export const EMPTY_SELECTION: Selection = { selected: new Set(), anchor: null, focus: null };

export interface ClickModifiers {
  shift: boolean;
  /** Ctrl on Linux/Windows, Cmd on macOS. */
  toggle: boolean;
}

function range(order: readonly string[], from: string, to: string): string[] {
  const i = order.indexOf(from);
  const j = order.indexOf(to);
  if (i < 0 || j < 0) return [to];
  return order.slice(Math.min(i, j), Math.max(i, j) + 1);
}

export function clickRow(sel: Selection, order: readonly string[], id: string, mods: ClickModifiers): Selection {
  if (mods.shift && sel.anchor !== null) {
    const span = range(order, sel.anchor, id);
    const selected = mods.toggle ? new Set([...sel.selected, ...span]) : new Set(span);
    return { selected, anchor: sel.anchor, focus: id };
  }
  if (mods.toggle) {
    const selected = new Set(sel.selected);
    if (selected.has(id)) selected.delete(id);
    else selected.add(id);
    return { selected, anchor: id, focus: id };
  }
  return { selected: new Set([id]), anchor: id, focus: id };
}

/** Arrow keys: `delta` rows down (negative: up), clamped to the table; Shift extends the range from the anchor. */
export function moveFocus(sel: Selection, order: readonly string[], delta: number, extend: boolean): Selection {
  if (order.length === 0) return sel;
  const current = sel.focus === null ? -1 : order.indexOf(sel.focus);
  const start = current < 0 ? (delta > 0 ? -1 : order.length) : current;
  const next = order[Math.max(0, Math.min(order.length - 1, start + delta))];
  if (extend) {
    const anchor = sel.anchor ?? sel.focus ?? next;
    return { selected: new Set(range(order, anchor, next)), anchor, focus: next };
  }
  return { selected: new Set([next]), anchor: next, focus: next };
}

export function toggleFocused(sel: Selection): Selection {
  if (sel.focus === null) return sel;
  const selected = new Set(sel.selected);
  if (selected.has(sel.focus)) selected.delete(sel.focus);
  else selected.add(sel.focus);
  return { selected, anchor: sel.focus, focus: sel.focus };
}

export function selectAll(order: readonly string[]): Selection {
  return { selected: new Set(order), anchor: order[0] ?? null, focus: order[order.length - 1] ?? null };
}
