/**
 * Splits a training command's output stream into the lines Slipway shows, as they come.
 *
 * Progress bars (tqdm, Keras, PyTorch Lightning) redraw one line with carriage returns and write a
 * newline only when they finish: split on newlines alone, a bar's hours of updates would show nothing
 * until the end and then come out as one line holding every update. Here a segment ended by `\r` is a
 * progress update: the latest one is shown at most once per `progressIntervalMs` (the first at once),
 * and a line that ends with a newline shows what a terminal would leave on the screen (the text after
 * its last `\r`, or the last update when nothing follows it). `\r\n` is an ordinary line end.
 */
export interface LineSplitterOptions {
  /** each line to show */
  onLine: (line: string) => void;
  /** the least time between two progress updates shown (default 10 s) */
  progressIntervalMs?: number;
  /** a line longer than this (no newline in sight) is shown in pieces of this length (default 64 KiB) */
  maxLineLength?: number;
  now?: () => number;
}

export class LineSplitter {
  private buf = '';
  /** the latest progress update (a segment ended by `\r`) since the last line end */
  private update: string | null = null;
  /** whether `update` has been shown */
  private shown = false;
  private lastShown = -Infinity;
  private readonly interval: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(private readonly o: LineSplitterOptions) {
    this.interval = o.progressIntervalMs ?? 10_000;
    this.max = o.maxLineLength ?? 65_536;
    this.now = o.now ?? Date.now;
  }

  push(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.buf += text.slice(start, i);
      start = i + 1;
      if (c === 10) this.endLine();
      else this.endUpdate();
    }
    this.buf += text.slice(start);
    while (this.buf.length > this.max) {
      this.o.onLine(this.buf.slice(0, this.max));
      this.buf = this.buf.slice(this.max);
    }
  }

  /** The stream ended: what is left is shown. */
  end(): void {
    if (this.buf) this.o.onLine(this.buf);
    else if (this.update !== null && !this.shown) this.o.onLine(this.update);
    this.buf = '';
    this.update = null;
    this.shown = false;
  }

  private endUpdate(): void {
    // an empty segment (`\r` right after a line end, or `\r\r`) moves the cursor only
    if (this.buf === '') return;
    this.update = this.buf;
    this.buf = '';
    this.shown = false;
    const t = this.now();
    if (t - this.lastShown >= this.interval) {
      this.lastShown = t;
      this.shown = true;
      this.o.onLine(this.update);
    }
  }

  private endLine(): void {
    if (this.buf !== '' || this.update === null) this.o.onLine(this.buf);
    else if (!this.shown) this.o.onLine(this.update);
    this.buf = '';
    this.update = null;
    this.shown = false;
  }
}
