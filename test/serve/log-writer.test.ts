/** The prediction-log writer as an operator meets it: its directory removed under a running server, the files' permissions. */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PredictionLogWriter } from '../../src/serve/log-writer.js';
import type { PredictionLogRecord } from '../../src/serve/prediction-log.js';
import { tempDir } from '../support/tmp.js';

const line = (i: number) => JSON.stringify({ ts: '2026-01-02T03:04:05.000Z', request_id: `r${i}`, model: 'm', version: '1.0.0', digest: 'sha256:' + 'a'.repeat(64), role: 'primary', inputs: { x: i }, prediction: 0.5 } satisfies PredictionLogRecord) + '\n';
const ids = (dir: string) =>
  readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'))
    .map((l) => (JSON.parse(l) as PredictionLogRecord).request_id);

describe('prediction log writer, operated', () => {
  it('writes on, losing nothing, after its day directory or the whole log directory is removed under it', async () => {
    const { dir } = tempDir('slipway-logs-');
    const errors: string[] = [];
    const w = new PredictionLogWriter(dir, { flushMs: 60_000, onError: (e) => errors.push(e.message), now: () => new Date('2026-01-02T03:04:05Z') });
    const day = join(dir, 'm', '2026-01-02');
    w.writeLines('m', line(0), 1);
    await w.flush();
    rmSync(day, { recursive: true });
    w.writeLines('m', line(1), 1);
    await w.flush();
    expect(ids(day)).toEqual(['r1']);
    rmSync(dir, { recursive: true });
    w.writeLines('m', line(2), 1);
    await w.close();
    expect(ids(day)).toEqual(['r2']);
    expect([errors, w.dropped, w.written]).toEqual([[], 0, 3]);
  });

  it('makes its files readable by the server user and group only (0640, directories 0750)', async () => {
    const { dir } = tempDir('slipway-logs-');
    const w = new PredictionLogWriter(dir, { now: () => new Date('2026-01-02T03:04:05Z') });
    w.writeLines('m', line(0), 1);
    await w.close();
    const day = join(dir, 'm', '2026-01-02');
    const [file] = readdirSync(day);
    const mode = (p: string) => statSync(p).mode & 0o777;
    // the umask narrows, never widens: a test machine's umask (022, 002) leaves these as they are
    expect(mode(join(day, file))).toBe(0o640 & ~umask());
    expect(mode(day)).toBe(0o750 & ~umask());
    expect(mode(join(dir, 'm'))).toBe(0o750 & ~umask());
    expect(mode(join(day, file)) & 0o007).toBe(0);
  });
});

function umask(): number {
  const u = process.umask(0);
  process.umask(u);
  return u;
}

describe('prediction log file names', () => {
  it('never appends to a file another writer made under the same name (a replica on the same volume, a restart within the second)', async () => {
    const { dir, write } = tempDir('slipway-logs-');
    const day = join(dir, 'm', '2026-01-02');
    // another process's first file of that second, its last line cut short by a crash
    write('m/2026-01-02/predictions-030405-0001.jsonl', '{"partial":');
    const w = new PredictionLogWriter(dir, { now: () => new Date('2026-01-02T03:04:05Z') });
    w.writeLines('m', line(0), 1);
    await w.close();
    expect(readFileSync(join(day, 'predictions-030405-0001.jsonl'), 'utf8')).toBe('{"partial":');
    expect(readdirSync(day).sort()).toEqual(['predictions-030405-0001.jsonl', 'predictions-030405-0002.jsonl']);
    expect(ids2(join(day, 'predictions-030405-0002.jsonl'))).toEqual(['r0']);
  });
});

function ids2(file: string): string[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as PredictionLogRecord).request_id);
}
