import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/train/output-lines.js';
import { runTrainingCommand } from '../../src/train/run-command.js';
import { tempDir } from '../support/tmp.js';

const { dir } = tempDir('slipway-lines-');

/** A splitter on a clock the test moves. */
function splitter(interval = 10_000) {
  const lines: string[] = [];
  let t = 0;
  const s = new LineSplitter({ onLine: (l) => lines.push(l), progressIntervalMs: interval, now: () => t, maxLineLength: 50 });
  return { s, lines, at: (ms: number) => void (t = ms) };
}

describe('LineSplitter: the lines of a training command as they come', () => {
  it('ordinary lines, CRLF lines, blank lines and a last line without a newline', () => {
    const { s, lines } = splitter();
    s.push('epoch 1\r\nepoch');
    s.push(' 2\n\nlast');
    s.end();
    expect(lines).toEqual(['epoch 1', 'epoch 2', '', 'last']);
  });

  it('a progress bar redrawn with \\r shows at once, then at most once per interval, then as it finished', () => {
    const { s, lines, at } = splitter(10_000);
    // tqdm: '\r' + the bar, each update; a newline when it closes
    // (an update is complete when the next '\r' comes)
    s.push('\r  0%|     | 0/100');
    expect(lines).toEqual([]);
    at(1000);
    s.push('\r  1%|     | 1/100');
    expect(lines).toEqual(['  0%|     | 0/100']);
    at(5000);
    s.push('\r 40%|##   | 40/100');
    at(11_000);
    s.push('\r 70%|###  | 70/100');
    expect(lines).toEqual(['  0%|     | 0/100', ' 40%|##   | 40/100']);
    at(12_000);
    s.push('\r100%|#####| 100/100\n');
    s.push('val_loss 0.31\n');
    expect(lines).toEqual(['  0%|     | 0/100', ' 40%|##   | 40/100', '100%|#####| 100/100', 'val_loss 0.31']);
  });

  it('a line ended by \\r then \\n is shown once; an update not yet shown is shown at the end', () => {
    const { s, lines, at } = splitter(10_000);
    s.push('a\r');
    s.push('\n');
    at(100);
    s.push('b 1/2\rb 2/2\r');
    s.end();
    expect(lines).toEqual(['a', 'b 2/2']);
  });

  it('an endless line is shown in pieces instead of held', () => {
    const { s, lines } = splitter();
    s.push('x'.repeat(120));
    expect(lines).toEqual(['x'.repeat(50), 'x'.repeat(50)]);
    s.end();
    expect(lines[2]).toBe('x'.repeat(20));
  });
});

describe('runTrainingCommand: progress bars and UTF-8', () => {
  it('streams a \\r progress bar while it runs (not one line at the end) and keeps characters split across reads whole', async () => {
    const seen: { line: string; at: number }[] = [];
    const started = Date.now();
    // a block character (3 bytes) written in two pieces, then a bar redrawn every 100 ms for 1.5 s
    const command = `printf '\\342\\226'; sleep 0.2; printf '\\210 start\\n'; i=0; while [ $i -lt 15 ]; do i=$((i+1)); printf '\\r%s/15' $i >&2; sleep 0.1; done; printf '\\n' >&2`;
    const r = await runTrainingCommand({ command, cwd: dir, env: process.env, progressIntervalMs: 500, onLine: (line) => seen.push({ line, at: Date.now() - started }) });
    expect(r.exitCode).toBe(0);
    expect(seen[0].line).toBe('█ start');
    const bar = seen.slice(1).map((s) => s.line);
    expect(bar[0]).toBe('1/15');
    expect(bar.at(-1)).toBe('15/15');
    expect(bar.every((l) => /^\d+\/15$/.test(l))).toBe(true);
    // updates arrived while the bar ran: the first long before the command ended, and not all 15 of them
    expect(seen[1].at).toBeLessThan(seen.at(-1)!.at - 800);
    expect(bar.length).toBeGreaterThan(2);
    expect(bar.length).toBeLessThan(10);
    expect(r.tail.at(-1)).toBe('15/15');
  });
});
