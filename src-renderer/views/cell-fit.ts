/**
 * Which table cells can hold their text: a cell clips (and ends its text with an ellipsis) only when its text may be
 * wider than its column. A clip on every cell costs the browser a clip node per cell to paint and layerize each
 * frame of a scroll; most cells fit, so most need none.
 */

/** Horizontal padding of a cell (app.css `.grid-row > div`), px. */
export const CELL_PADDING_PX = 16;
/** Room kept for the browser's text layout differing from the canvas's by a fraction of a pixel per glyph. */
const SLACK_PX = 3;

/** The width of a text in px, or null when it cannot be measured (no canvas): then every cell clips. */
export type TextWidth = (text: string) => number | null;

/** Widths of texts in a CSS font (`12px system-ui, …`), from a canvas: no layout. A printable ASCII text (addresses,
 *  ports, numbers, most names) is the sum of its characters' widths, each measured once (kerning and ligatures only
 *  narrow such a text); any other text is measured whole, as it may be shaped. */
export function canvasTextWidth(font: string): TextWidth {
  let context: CanvasRenderingContext2D | null = null;
  try {
    context = typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d');
  } catch {
    // jsdom has no canvas and says so by throwing.
    context = null;
  }
  if (context === null) return () => null;
  context.font = font;
  const ctx = context;
  // Width of each printable ASCII character (code - 32), NaN until measured.
  const ascii = new Float64Array(95).fill(Number.NaN);
  return (text) => {
    let px = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i) - 32;
      if (code < 0 || code >= 95) return ctx.measureText(text).width;
      if (Number.isNaN(ascii[code])) ascii[code] = ctx.measureText(text[i]).width;
      px += ascii[code];
    }
    return px;
  };
}

/** Whether a cell of a column at least `columnPx` wide must clip `text`. */
export function mustClip(text: string, columnPx: number, width: TextWidth): boolean {
  if (text === '') return false;
  const px = width(text);
  return px === null || px + CELL_PADDING_PX + SLACK_PX > columnPx;
}
