import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { modelYaml } from '../support/config-repo.js';
import { tempDir } from '../support/tmp.js';

/**
 * Edge cases of the drift verdict on real files read by DuckDB, in a repository of its own: a model 'm'
 * with a numeric feature `a` and a categorical feature `b`.
 */
const t = tempDir('slipway-drift-edges-');
t.write('models/m/model.yaml', modelYaml('y'));
t.write(
  'models/m/schema.json',
  JSON.stringify({
    type: 'object',
    required: ['a', 'b', 'y'],
    properties: { a: { type: ['number', 'null'] }, b: { type: ['string', 'null'] }, y: { type: 'integer', enum: [0, 1] } },
  }),
);
const env = { ...process.env, GITHUB_TOKEN: '', SLIPWAY_GITHUB_TOKEN: '', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' };

/** A CSV of (a, b) rows, y = 0. */
function csv(name: string, rows: [number | null, string | null][]): string {
  return t.write(name, 'a,b,y\n' + rows.map(([a, b]) => `${a ?? ''},${b ?? ''},0\n`).join(''));
}

async function drift(ref: string, cur: string) {
  const report = join(t.dir, `report-${Math.random().toString(36).slice(2)}.json`);
  const r = await runCli(['drift', '--model', 'm', '--reference', ref, '--current', cur, '--report', report], t.dir, env);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return { code: r.code, report: JSON.parse(readFileSync(report, 'utf8')), stdout: r.stdout };
}

const repeat = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('drift: a numeric column of a few values, and a window whose values the reference never had', () => {
  it('a window holding only new values of a discrete numeric column drifts (the test on the reference values sees none of them)', async () => {
    // a flag coded 0/1/2 in training that production sends as 3/4: chi-square over the reference's values has nothing to count
    const ref = csv('codes-ref.csv', repeat(200, (i) => [i % 3, 'x']));
    const cur = csv('codes-cur.csv', repeat(200, (i) => [3 + (i % 2), 'x']));
    const r = await drift(ref, cur);
    expect(r.code).toBe(1);
    expect(r.report.features.a).toMatchObject({ test: 'chisquare', statistic: null, drifted: false });
    expect(r.report.features.a.note).toMatch(/none of the window's values is one the reference has/);
    expect(r.report.unseen_categories.a).toMatchObject({ categories: ['3', '4'], count: 200, share: 1, drifted: true });
    expect(r.report.reasons).toContain('unseen categories in a: 100.00% of rows (3, 4)');
  });

  it('an unseen category is kept to 200 characters in the report and its reasons: it came from the window', async () => {
    const ref = csv('long-cat-ref.csv', repeat(300, (i) => [i, i % 2 ? 'x' : 'y']));
    const cur = csv('long-cat-cur.csv', repeat(300, (i) => [i, i < 30 ? 'z'.repeat(50_000) : 'x']));
    const r = await drift(ref, cur);
    expect(r.report.unseen_categories.b).toMatchObject({ categories: ['z'.repeat(199) + '…'], count: 30, drifted: true });
    expect(r.report.reasons).toContain(`unseen categories in b: 10.00% of rows (${'z'.repeat(199)}…)`);
  });

  it('a new value in part of the window is counted against the unseen threshold, the known ones tested as before', async () => {
    const ref = csv('part-ref.csv', repeat(300, (i) => [i % 3, 'x']));
    // 5 rows of 300 hold a value the reference never had: 1.67% > 1%
    const cur = csv('part-cur.csv', repeat(300, (i) => [i < 5 ? 7 : i % 3, 'x']));
    const r = await drift(ref, cur);
    expect(r.report.unseen_categories.a).toMatchObject({ categories: ['7'], count: 5, drifted: true });
    expect(r.report.features.a.drifted).toBe(false);
    // the same share below the threshold passes
    const fewer = csv('part-cur2.csv', repeat(1000, (i) => [i < 5 ? 7 : i % 3, 'x']));
    const q = await drift(ref, fewer);
    expect(q.report.unseen_categories.a).toMatchObject({ count: 5, share: 0.005, drifted: false });
    expect(q.code).toBe(0);
  });

  it('a continuous numeric column has no unseen-category check (its tests see every value)', async () => {
    const ref = csv('cont-ref.csv', repeat(200, (i) => [i / 7, 'x']));
    const cur = csv('cont-cur.csv', repeat(200, (i) => [i / 7 + 0.01, 'x']));
    const r = await drift(ref, cur);
    expect(r.report.unseen_categories.a).toBeUndefined();
    expect(r.report.features.a.test).toBe('ks');
  });

  it('a reference whose discrete numeric column is all null has no values to call the window\'s unseen (the missing-value check reports it)', async () => {
    const ref = csv('null-ref.csv', repeat(100, () => [null, 'x']));
    const cur = csv('null-cur.csv', repeat(100, (i) => [i % 3, 'x']));
    const r = await drift(ref, cur);
    expect(r.report.unseen_categories.a).toBeUndefined();
    expect(r.report.features.a).toMatchObject({ kind: 'numeric', statistic: null, note: 'no finite values in the reference' });
    expect(r.report.missing.a).toMatchObject({ ref_rate: 1, cur_rate: 0, drifted: true });
  });

  it('a reference with no rows is an input error (it read as drift in every feature)', async () => {
    const ref = t.write('empty-ref.csv', 'a,b,y\n');
    const r = await runCli(['drift', '--model', 'm', '--reference', ref, '--current', csv('any-cur.csv', repeat(10, (i) => [i, 'x']))], t.dir, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${ref}: the reference has no rows`);
  });

  it('a categorical window of only unseen categories names why its test has no statistic', async () => {
    const ref = csv('cat-ref.csv', repeat(50, (i) => [i, i % 2 ? 'x' : 'y']));
    const cur = csv('cat-cur.csv', repeat(50, (i) => [i, 'z']));
    const r = await drift(ref, cur);
    expect(r.report.features.b).toMatchObject({ statistic: null, drifted: false });
    expect(r.report.features.b.note).toMatch(/none of the window's values is one the reference has/);
    expect(r.report.unseen_categories.b).toMatchObject({ categories: ['z'], share: 1, drifted: true });
  });
});

describe('drift: a numeric feature whose window holds values that are not numbers', () => {
  it('a CSV window: its numbers are compared, the others count as missing and are named (it stopped at "Could not convert string")', async () => {
    const ref = csv('num-ref.csv', repeat(300, (i) => [i / 10, 'x']));
    const cur = t.write('num-cur.csv', 'a,b,y\n' + repeat(300, (i) => `${i === 5 ? 'n/a' : i === 9 ? '"1,234"' : String(i / 10)},x,0\n`).join(''));
    const r = await drift(ref, cur);
    expect(r.code).toBe(0);
    expect(r.report.features.a).toMatchObject({ test: 'ks', n_cur: 298, drifted: false, note: '2 of 300 values in the window are not numbers (first: "n/a"); counted as missing' });
    expect(r.report.missing.a).toMatchObject({ cur_rate: 2 / 300, drifted: false });
  });

  it('a reference data file with such a value: the contract declares the feature a number, so both sides compare numbers (it was tested as categories)', async () => {
    const ref = t.write('num-ref2.csv', 'a,b,y\n' + repeat(300, (i) => `${i === 3 ? '?' : String(i / 10)},x,0\n`).join(''));
    const cur = csv('num-cur2.csv', repeat(300, (i) => [i / 10, 'x']));
    const r = await drift(ref, cur);
    expect(r.report.features.a).toMatchObject({ kind: 'numeric', test: 'ks', n_ref: 299, n_cur: 300, drifted: false, note: '1 of 300 values in the reference are not numbers (first: "?"); counted as missing' });
    expect(r.report.unseen_categories.a).toBeUndefined();
    expect(r.code).toBe(0);
  });

  it('JSON lines mixing numbers and strings: numeric strings are numbers, the others missing; enough of them is missing-value drift', async () => {
    const ref = csv('json-ref.csv', repeat(300, (i) => [i / 10, 'x']));
    const lines = repeat(300, (i) => JSON.stringify({ a: i < 30 ? 'unknown' : i % 7 === 0 ? String(i / 10) : i / 10, b: 'x', y: 0 }));
    const cur = t.write('json-cur.jsonl', lines.join('\n') + '\n');
    const r = await drift(ref, cur);
    expect(r.report.features.a).toMatchObject({ n_cur: 270, note: '30 of 300 values in the window are not numbers (first: "unknown"); counted as missing' });
    expect(r.report.missing.a).toMatchObject({ cur_rate: 0.1, drifted: true });
    expect(r.code).toBe(1);
  });

  it('the value the note shows is cut to 60 characters: it came from the window, and is printed and kept in the report', async () => {
    const ref = csv('long-ref.csv', repeat(300, (i) => [i / 10, 'x']));
    const lines = repeat(300, (i) => JSON.stringify({ a: i === 0 ? 'é'.repeat(58) + '😀'.repeat(50_000) : i / 10, b: 'x', y: 0 }));
    const r = await drift(ref, t.write('long-cur.jsonl', lines.join('\n') + '\n'));
    expect(r.report.features.a.note).toBe(`1 of 300 values in the window are not numbers (first: "${'é'.repeat(58)}…"); counted as missing`);
  });
});

describe('drift: tests chosen in model.yaml that cannot do what they say', () => {
  const withDrift = (name: string, drift: string) => {
    t.write(`models/${name}/model.yaml`, readFileSync(join(t.dir, 'models/m/model.yaml'), 'utf8').replace('name: m', `name: ${name}`) + drift);
    t.write(`models/${name}/schema.json`, readFileSync(join(t.dir, 'models/m/schema.json'), 'utf8'));
  };

  it('a Jensen–Shannon threshold above 1 is a configuration error at its line (disjoint windows passed it)', async () => {
    withDrift('js', 'drift:\n  features:\n    b: { test: jensenshannon, threshold: 1.5 }\n');
    const r = await runCli(['drift', '--model', 'js', '--reference', csv('js-ref.csv', [[1, 'x']]), '--current', csv('js-cur.csv', [[1, 'y']])], t.dir, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: models/js/model.yaml:14:42: /drift/features/b/threshold: the Jensen–Shannon distance (base 2) is at most 1, so a threshold of 1.5 is never reached');
  });

  it('a numeric test asked for a categorical column says which test ran instead, and why', async () => {
    withDrift('ks', 'drift:\n  features:\n    b: { test: ks, threshold: 0.01 }\n');
    const report = join(t.dir, 'ks-report.json');
    const r = await runCli(['drift', '--model', 'ks', '--reference', csv('ks-ref.csv', repeat(100, (i) => [i, i % 2 ? 'x' : 'y'])), '--current', csv('ks-cur.csv', repeat(100, (i) => [i, i % 3 ? 'x' : 'y'])), '--report', report], t.dir, env);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(JSON.parse(readFileSync(report, 'utf8')).features.b).toMatchObject({ test: 'z', threshold: 0.05, note: 'ks is a test of numeric columns and this one is categorical: z at its default threshold instead' });
  });
});
