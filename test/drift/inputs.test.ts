import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/data/generate.js';
import { code } from '../../src/report/escape.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/**
 * Inputs drift cannot read: each is exit 2 naming the file (or URL, or directory) and what is wrong, never
 * DuckDB's text with the query, and flag mistakes are refused before any data is read.
 */
const ROOT = process.cwd();
const t = tempDir('slipway-drift-inputs-');
const env = { ...process.env, GITHUB_TOKEN: '', SLIPWAY_GITHUB_TOKEN: '', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' };
const ref = join(t.dir, 'ref.parquet');
const cur = join(t.dir, 'cur.parquet');

beforeAll(async () => {
  await generateDataset(ref, { rows: 500, seed: 1 });
  await generateDataset(cur, { rows: 500, seed: 2, idOffset: 500 });
});

const drift = (...args: string[]) => runCli(['drift', '--model', 'credit-risk', ...args], ROOT, env);

/** The error line of a failed run: exit 2, no stack, no SQL. */
function failure(r: { code: number; stderr: string }): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at |LINE 1|read_(parquet|csv|json)|Binder Error|IO Error/);
  const line = r.stderr.split('\n').find((l) => l.startsWith('error: '));
  expect(line).toBeDefined();
  return line!.slice('error: '.length);
}

/** A prediction-log line as 'slipway serve' writes it. */
const logLine = (i: number, inputs: Record<string, unknown> = { income: 50000 + i, region: 'north' }) =>
  JSON.stringify({ ts: '2026-01-01T00:00:00.000Z', request_id: `r${i}`, model: 'credit-risk', version: '1.0.0', role: 'primary', inputs, prediction: 0.25 }) + '\n';

describe('drift: unreadable inputs are exit 2 with the file and the reason', () => {
  it('a truncated Parquet window or reference', async () => {
    const whole = readFileSync(cur);
    const trunc = t.write('trunc.parquet', '');
    writeFileSync(trunc, whole.subarray(0, 5000));
    expect(failure(await drift('--reference', ref, '--current', trunc))).toBe(`${trunc}: not a Parquet file (no magic bytes at its end: truncated, or another format?)`);
    expect(failure(await drift('--reference', trunc, '--current', cur))).toBe(`${trunc}: not a Parquet file (no magic bytes at its end: truncated, or another format?)`);
  });

  it('a JSON lines window with a truncated line', async () => {
    const bad = t.write('bad.jsonl', '{"id": NaN}\n{"id": 1, "inc');
    expect(failure(await drift('--reference', ref, '--current', bad))).toBe(`${bad}:2: malformed JSON: the line ends in the middle of a value (truncated?); expected one JSON object per line`);
  });

  it('a prediction-log directory with a malformed line inside a file: the file under it and its line', async () => {
    const dir = join(t.dir, 'logs-trunc');
    mkdirSync(join(dir, 'credit-risk', '2026-01-01'), { recursive: true });
    writeFileSync(join(dir, 'credit-risk', '2026-01-01', 'a.jsonl'), logLine(1) + logLine(2) + logLine(3).slice(0, 40) + '\n' + logLine(4));
    expect(failure(await drift('--reference', ref, '--current', dir))).toMatch(new RegExp(`^${dir}/credit-risk/2026-01-01/a\\.jsonl:3: malformed JSON: .*; expected one JSON object per line$`));
    // the same in a file whose cut-short last line is skipped (read from a copy): still named as the file under the directory
    writeFileSync(join(dir, 'credit-risk', '2026-01-01', 'a.jsonl'), logLine(1) + logLine(2) + logLine(3).slice(0, 40) + '\n' + logLine(4) + logLine(5).slice(0, 30));
    expect(failure(await drift('--reference', ref, '--current', dir))).toMatch(new RegExp(`^${dir}/credit-risk/2026-01-01/a\\.jsonl:3: malformed JSON: .*; expected one JSON object per line$`));
  });

  it("logs whose 'inputs' are all empty, logs that are not serve's, empty log files", async () => {
    const empty = join(t.dir, 'logs-empty-inputs');
    mkdirSync(empty);
    writeFileSync(join(empty, 'a.jsonl'), logLine(1, {}));
    expect(failure(await drift('--reference', ref, '--current', empty))).toMatch(new RegExp(`^${empty}: the prediction logs' 'inputs' hold no feature values`));
    const other = join(t.dir, 'logs-other');
    mkdirSync(other);
    writeFileSync(join(other, 'a.jsonl'), '{"foo": 1}\n');
    expect(failure(await drift('--reference', ref, '--current', other))).toBe(`${other}: not prediction logs of 'slipway serve': their lines have no 'model' or 'inputs' field (found: foo)`);
    const blank = join(t.dir, 'logs-blank');
    mkdirSync(blank);
    writeFileSync(join(blank, 'a.jsonl'), '');
    expect(failure(await drift('--reference', ref, '--current', blank))).toBe(`${blank}: the prediction logs (*.jsonl) under it are empty`);
  });

  it('a window holding none of the model\'s features: an input error naming what was expected and found (it was DuckDB\'s "SELECT clause without selection list")', async () => {
    const other = t.write('other.csv', 'q,r\n1,2\n3,4\n');
    expect(failure(await drift('--reference', ref, '--current', other))).toMatch(new RegExp(`^${other}: none of the model's features is in the current window \\(expected: income, debt_ratio, .*; found: q, r\\)$`));
    const dir = join(t.dir, 'logs-other-features');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.jsonl'), logLine(1, { colour: 'red' }));
    expect(failure(await drift('--reference', ref, '--current', dir))).toMatch(/none of the model's features is in the current window \(expected: income, .*; found: colour, prediction, request_id, ts\)$/);
    // names from the data are quoted when they are not plain (a newline would start a line of the log), and capped
    const odd = join(t.dir, 'logs-odd-features');
    mkdirSync(odd);
    writeFileSync(join(odd, 'a.jsonl'), logLine(1, { 'x\n::warning title=Fake::all clear': 1, ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, i])) }));
    const r = await drift('--reference', ref, '--current', odd);
    expect(failure(r)).toMatch(/; found: "x\\n::warning title=Fake::all clear", f0, f1, .*, … \(\d+ more\)\)$/);
    expect(r.stderr.split(/\r\n|\r|\n/).filter((l) => /^\s*::/.test(l))).toEqual([]);
  });

  it('an empty directory, or one with no .jsonl files', async () => {
    const none = join(t.dir, 'no-logs');
    mkdirSync(join(none, 'sub'), { recursive: true });
    expect(failure(await drift('--reference', ref, '--current', none))).toBe(`${none}: no prediction logs (*.jsonl, *.jsonl.gz) found under it`);
    writeFileSync(join(none, 'sub', 'notes.txt'), 'hello');
    expect(failure(await drift('--reference', ref, '--current', none))).toBe(`${none}: no prediction logs (*.jsonl, *.jsonl.gz) found under it`);
  });

  it('a log file or directory whose name holds a newline: exit 2 naming it quoted, and no line of the log is a workflow command', async () => {
    for (const [sub, name] of [['names-file', 'predictions-1\n::warning title=Fake::all clear.jsonl'], ['names-dir', '2026-01-01\r::add-mask::x']] as const) {
      const dir = join(t.dir, sub);
      const parent = sub === 'names-dir' ? join(dir, 'credit-risk', name) : join(dir, 'credit-risk');
      mkdirSync(parent, { recursive: true });
      writeFileSync(join(dir, 'credit-risk', 'ok.jsonl'), logLine(1) + logLine(2));
      writeFileSync(sub === 'names-dir' ? join(parent, 'a.jsonl') : join(parent, name), logLine(3) + logLine(4).slice(0, 30));
      const r = await drift('--reference', ref, '--current', dir);
      expect(failure(r)).toBe(`${dir}/credit-risk: the name ${JSON.stringify(name)} holds a control character (a newline?); prediction logs are named as 'slipway serve' names them: rename or remove it`);
      expect(r.stderr.split(/\r\n|\r|\n/).filter((l) => /^\s*::/.test(l))).toEqual([]);
    }
  });

  it('a URL is read as a URL (as validate reads it), a bad digest is a digest error', async () => {
    const url = failure(await drift('--reference', ref, '--current', 'http://127.0.0.1:1/x.parquet'));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:1\/x\.parquet: /);
    expect(url).not.toMatch(/file not found|http:\/127/);
    expect(failure(await drift('--reference', 'sha256:abc', '--current', cur))).toBe('invalid digest "sha256:abc": expected sha256: followed by 64 lower-case hex digits');
  });
});

describe('drift: a log file whose last line was cut short (serve stopped mid-write)', () => {
  it('skips that line, counts it in the report and the log, and reads the rest of the directory', async () => {
    const dir = join(t.dir, 'logs-cut');
    const day = join(dir, 'credit-risk', '2026-01-01');
    mkdirSync(day, { recursive: true });
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => logLine(from + i, { income: 40000 + 97 * (from + i), region: 'north' })).join('');
    // the crashed process's file, then the file of the process that replaced it (rotated names as serve writes them)
    writeFileSync(join(day, 'predictions-101500-0001.jsonl'), rows(0, 30) + logLine(30).slice(0, 57));
    writeFileSync(join(day, 'predictions-101502-0001.jsonl'), rows(31, 20));
    // a file holding nothing but a cut-short line, and one whose last line merely lacks its newline (kept)
    writeFileSync(join(day, 'predictions-101600-0002.jsonl'), logLine(60).slice(0, 20));
    writeFileSync(join(day, 'predictions-101700-0003.jsonl'), rows(70, 5) + logLine(75).trimEnd());
    const report = join(t.dir, 'cut.json');
    const r = await drift('--reference', ref, '--current', dir, '--report', report);
    expect([0, 1], r.stderr).toContain(r.code);
    const j = JSON.parse(readFileSync(report, 'utf8'));
    expect(j.current.rows).toBe(30 + 20 + 6);
    expect(j.current.skipped_lines).toEqual([`${dir}/credit-risk/2026-01-01/predictions-101500-0001.jsonl:31`, `${dir}/credit-risk/2026-01-01/predictions-101600-0002.jsonl:1`]);
    expect(r.stderr).toContain(`skipped the cut-short last line of 2 log file(s) (a write interrupted): ${dir}/credit-risk/2026-01-01/predictions-101500-0001.jsonl:31, ${dir}/credit-risk/2026-01-01/predictions-101600-0002.jsonl:1`);
    expect(r.summary).toContain(`Skipped the cut-short last line of 2 log file(s) (a write interrupted): ${code(`${dir}/credit-risk/2026-01-01/predictions-101500-0001.jsonl:31`, 200)}, ${code(`${dir}/credit-risk/2026-01-01/predictions-101600-0002.jsonl:1`, 200)}.`);
    expect(r.stdout).toContain(`skipped the cut-short last line of 2 log file(s) (a write interrupted): ${dir}/credit-risk/2026-01-01/predictions-101500-0001.jsonl:31, ${dir}/credit-risk/2026-01-01/predictions-101600-0002.jsonl:1\n`);
    // the logs themselves are left as they are
    expect(readFileSync(join(day, 'predictions-101500-0001.jsonl'), 'utf8').endsWith(logLine(30).slice(0, 57))).toBe(true);
  });

  it('rotated files compressed by a log rotation (*.jsonl.gz) are read beside the current ones (they were left out)', async () => {
    const dir = join(t.dir, 'logs-gz');
    const day = join(dir, 'credit-risk', '2026-01-01');
    mkdirSync(day, { recursive: true });
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => logLine(from + i, { income: 40000 + 97 * (from + i), region: 'north' })).join('');
    writeFileSync(join(day, 'predictions-000000-0001.jsonl.gz'), gzipSync(rows(0, 40)));
    writeFileSync(join(day, 'predictions-010000-0002.jsonl'), rows(40, 25));
    const report = join(t.dir, 'gz.json');
    const r = await drift('--reference', ref, '--current', dir, '--report', report);
    expect([0, 1], r.stderr).toContain(r.code);
    expect(JSON.parse(readFileSync(report, 'utf8')).current.rows).toBe(65);
    // with a cut-short current file beside them, too
    writeFileSync(join(day, 'predictions-020000-0003.jsonl'), rows(65, 5) + logLine(70).slice(0, 33));
    const again = await drift('--reference', ref, '--current', dir, '--report', report);
    expect([0, 1], again.stderr).toContain(again.code);
    expect(JSON.parse(readFileSync(report, 'utf8')).current.rows).toBe(70);
  });

  it('a directory of nothing but cut-short lines is an input error saying so', async () => {
    const dir = join(t.dir, 'logs-only-cut');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.jsonl'), logLine(1).slice(0, 25));
    expect(failure(await drift('--reference', ref, '--current', dir))).toBe(`${dir}: the prediction logs (*.jsonl) under it hold no whole line (1 file(s) with only a cut-short line)`);
  });
});

describe('drift: flag mistakes are refused before any data is read', () => {
  it('--labels with a data file as the window, --issue without a token, empty paths', async () => {
    const labels = t.write('labels.csv', 'id,default\nA1,0\n');
    const l = await drift('--reference', ref, '--current', cur, '--labels', labels);
    expect(failure(l)).toBe(`--labels needs prediction logs as --current (a directory), got the data file ${cur}`);
    expect(l.stderr).not.toContain('drift: [');
    const i = await drift('--reference', ref, '--current', cur, '--issue');
    expect(failure(i)).toMatch(/^--issue needs a token: set GITHUB_TOKEN/);
    expect(i.stderr).not.toContain('drift: [');
    expect((await drift('--reference', ref, '--current', '')).stderr).toMatch(/--current <path\|logs dir> is required/);
    expect(failure(await drift('--reference', '', '--current', cur))).toMatch(/^--reference is empty/);
  });

  it('the logs still work: a well-formed directory with labels joins them (exit 0 or 1, not 2)', async () => {
    const dir = join(t.dir, 'logs-good');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.jsonl'), Array.from({ length: 50 }, (_, i) => logLine(i, { income: 40000 + 100 * i, region: i % 2 ? 'north' : 'south' })).join(''));
    const labels = t.write('good-labels.csv', 'id,default\n' + Array.from({ length: 50 }, (_, i) => `r${i},${i % 2}`).join('\n') + '\n');
    const r = await drift('--reference', ref, '--current', dir, '--labels', labels);
    expect([0, 1], r.stderr).toContain(r.code);
    expect(r.stderr).toContain(`joining labels from ${labels}`);
  });
});

describe('joinLabels: a regression label that is not a number', () => {
  it('is an input error naming the file, the column, how many and the first (before: it counted as 0)', async () => {
    const { openDuckDB, sqlString } = await import('../../src/data/duckdb.js');
    const { joinLabels } = await import('../../src/drift/load.js');
    const logs = join(t.dir, 'reg.jsonl');
    writeFileSync(logs, ['a', 'b', 'c'].map((id, i) => JSON.stringify({ request_id: id, prediction: i + 0.5 })).join('\n') + '\n');
    const current = { kind: 'logs' as const, source: logs, sql: `(SELECT * FROM read_json(${sqlString(logs)}))`, hasPredictions: true };
    const labels = join(t.dir, 'reg-labels.csv');
    const conn = await openDuckDB();
    try {
      writeFileSync(labels, 'id,amount\na,1.5\nb,2\nc,4\n');
      expect(await joinLabels(conn, current, { path: labels, display: 'reg-labels.csv' }, 'id', 'amount')).toMatchObject({ labels: Float64Array.of(1.5, 2, 4), unmatched: 0 });
      writeFileSync(labels, 'id,amount\na,1.5\nb,n/a\nc,?\n');
      await expect(joinLabels(conn, current, { path: labels, display: 'reg-labels.csv' }, 'id', 'amount')).rejects.toThrow(`reg-labels.csv: column 'amount' holds 2 label(s) that are not numbers (first: "n/a"); a regression target is a number`);
    } finally {
      conn.closeSync();
    }
  });
});
