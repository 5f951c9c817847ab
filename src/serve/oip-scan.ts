/**
 * The hottest path of `slipway serve`: the common single-request form (one [N] or [N, 1] input per
 * column, flat data, optional string `id`) decoded straight from the body's bytes, without building the
 * generic JSON tree first. JSON.parse + decodeFast cost ~7 µs of a ~50 µs request on a 12-column row;
 * this scanner does the same in a fraction of that (scripts/bench/serve.ts, docs/serve.md).
 *
 * Contract: scanRequest(bytes) either declines (undefined) or returns exactly what
 * decodeRequest(JSON.parse(bytes as UTF-8)) returns. It declines anything outside its subset: other
 * keys (parameters, outputs, unknown ones), duplicate keys, escapes in strings, invalid JSON, and every
 * request decodeFast would decline (so every error still gets decodeFull's precise message).
 * test/serve/oip-scan.test.ts checks this on thousands of seeded mutations.
 *
 * Numbers: a plain decimal with at most 15 significant digits is m / 10^k with m and 10^k exact doubles,
 * which IEEE division rounds correctly (Clinger's fast path), so it equals JSON.parse's value; anything
 * longer or with an exponent goes through Number(), the same correctly rounded conversion.
 */
import { DATATYPES, valuesFit, type DecodeContext } from './oip-columns.js';
import type { DecodedRequest, Scalar } from './oip-decode.js';
import { DATATYPE_BYTES, DECLINE, K_DATA, K_DATATYPE, K_ID, K_INPUTS, K_NAME, K_SHAPE, planFor, rowsOf, type ColumnPlan, type Declined, type NameEntry } from './oip-scan-plan.js';
import { Layout, MAX_LAYOUT_BYTES } from './oip-scan-layout.js';

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const enum Ch {
  Tab = 9,
  Lf = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Comma = 44,
  Minus = 45,
  Plus = 43,
  Dot = 46,
  Zero = 48,
  One = 49,
  Nine = 57,
  Colon = 58,
  OpenBracket = 91,
  Backslash = 92,
  CloseBracket = 93,
  LowerE = 101,
  UpperE = 69,
  OpenBrace = 123,
  CloseBrace = 125,
}

/** Node's Buffer#latin1Slice / #utf8Slice (what toString(enc, start, end) calls after checking its arguments). */
interface SliceBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** One scan over one body (fields, not module variables: V8 keeps them in registers and inline caches). */
class Scanner {
  pos = 0;
  readonly end: number;
  private ascii = true;
  private keyStart = 0;
  private keyLen = 0;
  private lastDatatype = -1;
  /** the inputs read so far: their columns, where each one's data starts in `values`, and their common N */
  private readonly columns: ColumnPlan[] = [];
  private readonly starts: number[] = [];
  private readonly values: Scalar[] = [];
  private readonly datatypes: number[] = [];
  /** where each value and the id lie in the body: what a Layout is learned from */
  private readonly spans: number[] = [];
  private idSpan: [number, number] | null = null;
  private rows = 0;

  constructor(readonly buf: SliceBuffer) {
    this.end = buf.length;
  }

  // the byte loops work on locals and store `pos` once: field reads and writes per byte cost more than the scan itself
  skipWs(): void {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    let c: number;
    while (p < end && ((c = b[p]) === Ch.Space || c === Ch.Lf || c === Ch.Cr || c === Ch.Tab)) p++;
    this.pos = p;
  }

  /** At an opening quote: moves past the closing one and returns its index, or -1 (escape, control character, unterminated). Sets `ascii`. */
  stringEnd(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos + 1;
    let high = 0;
    for (;;) {
      if (p >= end) return -1;
      const c = b[p];
      if (c === Ch.Quote) break;
      if (c === Ch.Backslash || c < 0x20) return -1;
      high |= c;
      p++;
    }
    this.ascii = high < 0x80;
    this.pos = p + 1;
    return p;
  }

  readString(): string | Declined {
    const start = this.pos + 1;
    const stop = this.stringEnd();
    if (stop < 0) return DECLINE;
    if (this.ascii) return this.buf.latin1Slice(start, stop);
    const s = this.buf.utf8Slice(start, stop);
    // invalid UTF-8 decodes to U+FFFD here and in the whole-body decode alike, but leave such bodies to the general path
    return s.includes('\uFFFD') ? DECLINE : s;
  }

  readNumber(): number | Declined {
    const b = this.buf;
    const start = this.pos;
    let p = start;
    let neg = false;
    if (b[p] === Ch.Minus) {
      neg = true;
      p++;
    }
    let m = 0;
    let digits = 0;
    let frac = 0;
    let c = b[p];
    if (c === Ch.Zero) {
      c = b[++p];
      if (c >= Ch.Zero && c <= Ch.Nine) return DECLINE; // leading zero: not JSON
    } else if (c >= Ch.One && c <= Ch.Nine) {
      while (c >= Ch.Zero && c <= Ch.Nine) {
        m = m * 10 + (c - Ch.Zero);
        digits++;
        c = b[++p];
      }
    } else return DECLINE;
    if (c === Ch.Dot) {
      c = b[++p];
      if (!(c >= Ch.Zero && c <= Ch.Nine)) return DECLINE;
      while (c >= Ch.Zero && c <= Ch.Nine) {
        m = m * 10 + (c - Ch.Zero);
        digits++;
        frac++;
        c = b[++p];
      }
    }
    this.pos = p;
    if (c === Ch.LowerE || c === Ch.UpperE) {
      c = b[++p];
      if (c === Ch.Plus || c === Ch.Minus) c = b[++p];
      if (!(c >= Ch.Zero && c <= Ch.Nine)) return DECLINE;
      while (c >= Ch.Zero && c <= Ch.Nine) c = b[++p];
      this.pos = p;
      return Number(b.latin1Slice(start, p));
    }
    if (digits > 15) return Number(b.latin1Slice(start, p));
    const v = frac ? m / POW10[frac] : m;
    return neg ? -v : v;
  }


  /** true / false / null at this.pos, or DECLINE. */
  readLiteral(): boolean | null | Declined {
    const c = this.buf[this.pos];
    if (c === 116 && this.buf[this.pos + 1] === 114 && this.buf[this.pos + 2] === 117 && this.buf[this.pos + 3] === 101) {
      this.pos += 4;
      return true;
    }
    if (c === 102 && this.buf[this.pos + 1] === 97 && this.buf[this.pos + 2] === 108 && this.buf[this.pos + 3] === 115 && this.buf[this.pos + 4] === 101) {
      this.pos += 5;
      return false;
    }
    if (c === 110 && this.buf[this.pos + 1] === 117 && this.buf[this.pos + 2] === 108 && this.buf[this.pos + 3] === 108) {
      this.pos += 4;
      return null;
    }
    return DECLINE;
  }

  /** Whether a number starts at pos. */
  atNumber(): boolean {
    const c = this.buf[this.pos];
    return c === Ch.Minus || (c >= Ch.Zero && c <= Ch.Nine);
  }

  readScalar(): Scalar | Declined {
    if (this.buf[this.pos] === Ch.Quote) return this.readString();
    if (this.atNumber()) return this.readNumber();
    return this.readLiteral();
  }

  /** After a value inside an array or object: true at a comma (more follows), false at the closer, DECLINE otherwise. */
  more(closer: number): boolean | Declined {
    this.skipWs();
    const c = this.buf[this.pos++];
    if (c === Ch.Comma) return true;
    if (c === closer) return false;
    return DECLINE;
  }

  /** A key and its colon; returns the key's byte range start (this.pos of its first byte) and length via this.keyStart/this.keyLen. */
  readKey(): boolean {
    this.skipWs();
    if (this.buf[this.pos] !== Ch.Quote) return false;
    this.keyStart = this.pos + 1;
    const stop = this.stringEnd();
    if (stop < 0) return false;
    this.keyLen = stop - this.keyStart;
    this.skipWs();
    return this.buf[this.pos++] === Ch.Colon;
  }

  keyIs(k: Uint8Array): boolean {
    if (this.keyLen !== k.length) return false;
    for (let j = 0; j < this.keyLen; j++) if (this.buf[this.keyStart + j] !== k[j]) return false;
    return true;
  }

  /** At a string: the index of the entry of `names` it is (by its bytes: no string is made), or -1. */
  readAmong(names: NameEntry[], hint: number): number {
    const start = this.pos + 1;
    const stop = this.stringEnd();
    if (stop < 0) return -1;
    const len = stop - start;
    // clients send the same layout every time: the hinted entry (the input's position, the last datatype) first
    if (hint >= 0 && hint < names.length && this.bytesAre(names[hint].bytes, start, len)) return hint;
    for (let i = 0; i < names.length; i++) if (this.bytesAre(names[i].bytes, start, len)) return i;
    return -1;
  }

  private bytesAre(want: Uint8Array, start: number, len: number): boolean {
    if (want.length !== len) return false;
    const b = this.buf;
    for (let k = 0; k < len; k++) if (b[start + k] !== want[k]) return false;
    return true;
  }

  /** [N] or [N, 1] with N a positive integer: N, or -1. */
  readShape(): number {
    if (this.buf[this.pos++] !== Ch.OpenBracket) return -1;
    this.skipWs();
    if (!this.atNumber()) return -1;
    const rows = this.readNumber();
    if (rows === DECLINE || !Number.isInteger(rows) || rows < 1) return -1;
    let m = this.more(Ch.CloseBracket);
    if (m === DECLINE) return -1;
    if (m) {
      this.skipWs();
      if (!this.atNumber() || this.readNumber() !== 1) return -1;
      m = this.more(Ch.CloseBracket);
      if (m !== false) return -1;
    }
    return rows;
  }

  /** A flat array of scalars appended to `values`: how many, or -1 (nested arrays, objects, bad JSON). */
  readData(): number {
    if (this.buf[this.pos++] !== Ch.OpenBracket) return -1;
    const before = this.values.length;
    this.skipWs();
    if (this.buf[this.pos] === Ch.CloseBracket) {
      this.pos++;
      return 0;
    }
    for (;;) {
      this.skipWs();
      const at = this.pos;
      const v = this.readScalar();
      if (v === DECLINE) return -1;
      this.values.push(v);
      this.spans.push(at, this.pos);
      const m = this.more(Ch.CloseBracket);
      if (m === DECLINE) return -1;
      if (!m) return this.values.length - before;
    }
  }

  /** One input object, checked as decodeFast does; its column goes to `columns`, its data to `values` from `starts[i]`. */
  readInput(plan: ColumnPlan[], index: number): boolean {
    if (this.buf[this.pos++] !== Ch.OpenBrace) return false;
    let column: ColumnPlan | undefined;
    let dt = -1;
    let rows = -2;
    let start = -1;
    let count = -1;
    this.skipWs();
    if (this.buf[this.pos] === Ch.CloseBrace) return false;
    for (;;) {
      if (!this.readKey()) return false;
      this.skipWs();
      if (this.keyIs(K_NAME)) {
        if (column !== undefined || this.buf[this.pos] !== Ch.Quote) return false;
        const i = this.readAmong(plan, index);
        if (i < 0) return false;
        column = plan[i];
      } else if (this.keyIs(K_DATATYPE)) {
        if (dt >= 0 || this.buf[this.pos] !== Ch.Quote) return false;
        dt = this.readAmong(DATATYPE_BYTES, this.lastDatatype);
        if (dt < 0) return false;
        this.lastDatatype = dt;
      } else if (this.keyIs(K_SHAPE)) {
        if (rows !== -2) return false;
        rows = this.readShape();
        if (rows < 0) return false;
      } else if (this.keyIs(K_DATA)) {
        if (start >= 0) return false;
        start = this.values.length;
        count = this.readData();
        if (count < 0) return false;
      } else return false;
      const m = this.more(Ch.CloseBrace);
      if (m === DECLINE) return false;
      if (!m) break;
    }
    if (column === undefined || dt < 0 || rows < 1 || start < 0 || count !== rows || !column.accepts[dt]) return false;
    // every input has the same N, and names a different column
    if (this.columns.length && rows !== this.rows) return false;
    this.rows = rows;
    for (let j = 0; j < this.columns.length; j++) if (this.columns[j] === column) return false;
    if (!valuesFit(this.values, start, start + rows, DATATYPES[dt], column.nullable)) return false;
    this.columns.push(column);
    this.starts.push(start);
    this.datatypes.push(dt);
    return true;
  }

  scan(ctx: DecodeContext): DecodedRequest | undefined {
    const plan = planFor(ctx);
    this.skipWs();
    if (this.buf[this.pos++] !== Ch.OpenBrace) return undefined;
    let id: string | undefined;
    let sawInputs = false;
    for (;;) {
      if (!this.readKey()) return undefined;
      this.skipWs();
      if (this.keyIs(K_ID)) {
        if (id !== undefined || this.buf[this.pos] !== Ch.Quote) return undefined;
        const at = this.pos;
        const s = this.readString();
        if (s === DECLINE) return undefined;
        id = s;
        this.idSpan = [at, this.pos];
      } else if (this.keyIs(K_INPUTS)) {
        if (sawInputs || this.buf[this.pos++] !== Ch.OpenBracket) return undefined;
        sawInputs = true;
        for (;;) {
          this.skipWs();
          if (!this.readInput(plan.columns, this.columns.length)) return undefined;
          const m = this.more(Ch.CloseBracket);
          if (m === DECLINE) return undefined;
          if (!m) break;
        }
      } else return undefined;
      const m = this.more(Ch.CloseBrace);
      if (m === DECLINE) return undefined;
      if (!m) break;
    }
    this.skipWs();
    const columns = this.columns;
    if (this.pos !== this.end || columns.length === 0) return undefined;
    let found = 0;
    for (let c = 0; c < columns.length; c++) if (columns[c].feature) found++;
    if (found !== plan.features) return undefined;
    if (this.end <= MAX_LAYOUT_BYTES) plan.layout = Layout.learn(this.buf, this.spans, this.idSpan, columns, this.starts, this.datatypes, this.rows);
    return { id, rows: rowsOf(columns, this.starts, this.values, this.rows), outputs: undefined };
  }
}

/**
 * Decodes the common request form from its bytes, or declines (undefined): see the module comment.
 * Pass the same `ctx` object for the same runtime: per-context work is cached on it.
 */
export function scanRequest(body: Buffer, ctx: DecodeContext): DecodedRequest | undefined {
  return scanLearnedLayout(body, ctx) ?? new Scanner(body as SliceBuffer).scan(ctx);
}

/** The shortcut alone: the body read through the layout last accepted in this context (oip-scan-layout.ts), or undefined. */
export function scanLearnedLayout(body: Buffer, ctx: DecodeContext): DecodedRequest | undefined {
  return planFor(ctx).layout?.match(new Scanner(body as SliceBuffer));
}
