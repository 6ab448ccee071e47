import { describe, expect, it } from 'vitest';
import { CELL_PADDING_PX, canvasTextWidth, mustClip } from '../../../src-renderer/views/cell-fit';
import { FLOW_COLUMNS, gridLayout } from '../../../src-renderer/views/flow-columns';

// A monospace stand-in for the canvas: 7 px a character.
const sevenPx = (text: string): number => 7 * text.length;

describe('which cells clip their text', () => {
  it('clips a text wider than its column, padding and a few px of slack included', () => {
    // 10 characters: 70 px of text in an 80 px column (64 px inside its padding) does not fit.
    expect(mustClip('1234567890', 80, sevenPx)).toBe(true);
    // The same text in a column with room for it and the slack.
    expect(mustClip('1234567890', 70 + CELL_PADDING_PX + 3, sevenPx)).toBe(false);
    expect(mustClip('1234567890', 70 + CELL_PADDING_PX + 2, sevenPx)).toBe(true);
  });

  it('never clips an empty cell, and clips every other one when the text cannot be measured', () => {
    expect(mustClip('', 10, sevenPx)).toBe(false);
    expect(mustClip('443', 500, () => null)).toBe(true);
  });

  it('measures nothing without a canvas (jsdom, node): every cell clips, as before', () => {
    expect(canvasTextWidth('12px sans-serif')('x')).toBeNull();
  });

  it("measures cells against each column's narrowest width, dates widening the seen columns", () => {
    const clock = gridLayout(false, 10_000);
    const dates = gridLayout(true, 10_000);
    expect(clock.widths).toEqual(FLOW_COLUMNS.map((c) => c.min));
    const seen = FLOW_COLUMNS.findIndex((c) => c.id === 'firstSeen');
    expect(dates.widths[seen]).toBeGreaterThan(clock.widths[seen]);
    expect(clock.minWidth).toBe(clock.widths.reduce((a, b) => a + b, 0));
  });
});
