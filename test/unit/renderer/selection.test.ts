import { describe, expect, it } from 'vitest';
import { clickRow, EMPTY_SELECTION, moveFocus, selectAll, toggleFocused } from '../../../src-renderer/state/selection';

const order = ['a', 'b', 'c', 'd', 'e'];
const ids = (s: { selected: ReadonlySet<string> }) => [...s.selected].sort();
const plain = { shift: false, toggle: false };

describe('row selection', () => {
  it('click selects one row, ctrl-click toggles, shift-click selects the range from the anchor', () => {
    let s = clickRow(EMPTY_SELECTION, order, 'b', plain);
    expect(ids(s)).toEqual(['b']);
    s = clickRow(s, order, 'd', { shift: true, toggle: false });
    expect(ids(s)).toEqual(['b', 'c', 'd']);
    s = clickRow(s, order, 'a', { shift: true, toggle: false });
    expect(ids(s)).toEqual(['a', 'b']);
    s = clickRow(s, order, 'e', { shift: false, toggle: true });
    expect(ids(s)).toEqual(['a', 'b', 'e']);
    s = clickRow(s, order, 'a', { shift: false, toggle: true });
    expect(ids(s)).toEqual(['b', 'e']);
    expect(s.anchor).toBe('a');
  });
  it('ctrl+shift-click adds a range to what is selected', () => {
    let s = clickRow(EMPTY_SELECTION, order, 'a', plain);
    s = clickRow(s, order, 'd', { shift: false, toggle: true });
    s = clickRow(s, order, 'e', { shift: true, toggle: true });
    expect(ids(s)).toEqual(['a', 'd', 'e']);
  });
  it('arrows move the focus and clamp at the ends; shift extends', () => {
    let s = moveFocus(EMPTY_SELECTION, order, 1, false);
    expect(s.focus).toBe('a');
    s = moveFocus(s, order, 1, false);
    expect(ids(s)).toEqual(['b']);
    s = moveFocus(s, order, 2, true);
    expect(ids(s)).toEqual(['b', 'c', 'd']);
    s = moveFocus(s, order, 10, true);
    expect(s.focus).toBe('e');
    s = moveFocus(s, order, -10, false);
    expect(ids(s)).toEqual(['a']);
    expect(moveFocus(EMPTY_SELECTION, order, -1, false).focus).toBe('e');
    expect(moveFocus(EMPTY_SELECTION, [], 1, false)).toBe(EMPTY_SELECTION);
  });
  it('space toggles the focused row', () => {
    let s = moveFocus(EMPTY_SELECTION, order, 1, false);
    s = moveFocus(s, order, 1, false);
    s = toggleFocused(s);
    expect(ids(s)).toEqual([]);
    s = toggleFocused(s);
    expect(ids(s)).toEqual(['b']);
  });
  it('select all', () => {
    expect(ids(selectAll(order))).toEqual(order);
  });
});
