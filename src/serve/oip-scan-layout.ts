/**
 * The byte scanner's shortcut for clients that send the same request layout every time (the same keys,
 * names, datatypes, shapes and spacing; only the values and the id change): the last layout the full
 * scan accepted is kept per decoding context as its bytes and the places of its values, and a new body
 * is checked against it literal by literal, reading only the values. A body that differs anywhere else
 * goes to the full scan (oip-scan.ts), so the result is the same.
 *
 * Why it is the same: between two values the new body has exactly the bytes the accepted body had, and a
 * JSON value token ends where the following literal (a comma, a bracket, whitespace) begins, so the new
 * body parses into the same tree with other leaf values; the keys, names, datatypes and shapes the full
 * scan checked are those literals, and the values go through the same readers and the same valuesFit.
 */
import { DATATYPES, valuesFit } from './oip-columns.js';
import type { DecodedRequest, Scalar } from './oip-decode.js';
import { DECLINE, rowsOf, type ColumnPlan, type Declined } from './oip-scan-plan.js';

/** What the layout needs of a scanner positioned in a body. */
export interface ValueReader {
  pos: number;
  readonly buf: Uint8Array;
  readonly end: number;
  readScalar(): Scalar | Declined;
  readString(): string | Declined;
}

/** Bodies up to this size are learned (the layout copies the body). */
export const MAX_LAYOUT_BYTES = 16 * 1024;
const QUOTE = 34;
const ID = -1;

export class Layout {
  private constructor(
    private readonly bytes: Uint8Array,
    /** per value, in body order: its start and end in `bytes`, and where it goes (an index into the values, or ID) */
    private readonly slots: Int32Array,
    private readonly columns: ColumnPlan[],
    private readonly starts: number[],
    private readonly datatypes: number[],
    private readonly rows: number,
    private readonly nValues: number,
  ) {}

  /**
   * The layout of a body the full scan accepted: `valueSpans` holds each value's [start, end) in order of the
   * values array, `idSpan` the id string's, if any.
   */
  static learn(body: Uint8Array, valueSpans: number[], idSpan: [number, number] | null, columns: ColumnPlan[], starts: number[], datatypes: number[], rows: number): Layout {
    const n = valueSpans.length / 2;
    const order: [number, number, number][] = [];
    for (let i = 0; i < n; i++) order.push([valueSpans[2 * i], valueSpans[2 * i + 1], i]);
    if (idSpan) order.push([idSpan[0], idSpan[1], ID]);
    order.sort((a, b) => a[0] - b[0]);
    // the body is copied (it may be a view into a reused socket buffer); the arrays are the finished scan's own
    return new Layout(Uint8Array.from(body), Int32Array.from(order.flat()), columns, starts, datatypes, rows, n);
  }

  /** The body decoded through this layout, or undefined when it does not have this layout. */
  match(r: ValueReader): DecodedRequest | undefined {
    const b = r.buf;
    const t = this.bytes;
    const slots = this.slots;
    const values: Scalar[] = new Array(this.nValues);
    let id: string | undefined;
    let p = 0;
    let q = 0;
    for (let k = 0; k <= slots.length; k += 3) {
      // the literal bytes up to the next value (or to the end)
      const stop = k < slots.length ? slots[k] : t.length;
      const len = stop - q;
      if (p + len > r.end) return undefined;
      for (let j = 0; j < len; j++) if (b[p + j] !== t[q + j]) return undefined;
      p += len;
      if (k === slots.length) break;
      r.pos = p;
      if (slots[k + 2] === ID) {
        if (b[p] !== QUOTE) return undefined;
        const s = r.readString();
        if (s === DECLINE) return undefined;
        id = s;
      } else {
        const v = r.readScalar();
        if (v === DECLINE) return undefined;
        values[slots[k + 2]] = v;
      }
      p = r.pos;
      q = slots[k + 1];
    }
    if (p !== r.end) return undefined;
    const columns = this.columns;
    for (let c = 0; c < columns.length; c++) {
      if (!valuesFit(values, this.starts[c], this.starts[c] + this.rows, DATATYPES[this.datatypes[c]], columns[c].nullable)) return undefined;
    }
    return { id, rows: rowsOf(columns, this.starts, values, this.rows), outputs: undefined };
  }
}
