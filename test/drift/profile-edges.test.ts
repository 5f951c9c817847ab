/**
 * Reference bin edges from profileRelation: exact quantiles (as profileNumbers / numpy) on a relation of
 * at most EDGE_SAMPLE_ROWS rows; quantiles of a seeded sample above, with the buckets still counting
 * every row exactly on the final edges, and the same edges on every run.
 */
import { describe, expect, it } from 'vitest';
import { openDuckDB } from '../../src/data/duckdb.js';
import { EDGE_SAMPLE_ROWS, profileRelation } from '../../src/data/profile.js';
import { bucketCounts } from '../../src/drift/compare.js';
import type { NumericProfile } from '../../src/drift/profile.js';
import { profileNumbers } from '../../src/drift/profile-values.js';

describe('reference bin edges', () => {
  it('a small relation gets the exact quantile edges and the same counts as the in-memory profile', async () => {
    const c = await openDuckDB();
    await c.run(`CREATE TABLE t AS SELECT (hash(i) % 100000)::DOUBLE / 7 AS x, (i % 4)::DOUBLE AS d FROM range(5000) r(i)`);
    const xs = (await c.runAndReadAll('SELECT x, d FROM t')).getColumns().map((col) => Float64Array.from(col as number[]));
    const p = await profileRelation(c, 't', ['x', 'd']);
    for (const [k, col] of [['x', xs[0]], ['d', xs[1]]] as const) {
      const want = profileNumbers(col);
      const got = p.columns[k] as NumericProfile;
      // DuckDB's quantile_cont and numpy's linear interpolation agree to the last bits
      expect(got.edges).toHaveLength(want.edges.length);
      got.edges.forEach((e, i) => expect(e).toBeCloseTo(want.edges[i], 9));
      expect(got.counts).toEqual(want.counts);
      expect(got.values).toEqual(want.values);
    }
    c.closeSync();
  });

  it(`above ${EDGE_SAMPLE_ROWS} rows: sampled edges, min and max exact, every row counted in its bucket, deterministic`, async () => {
    const c = await openDuckDB();
    const n = EDGE_SAMPLE_ROWS + 50_000;
    await c.run(`CREATE TABLE t AS SELECT CASE WHEN i % 1000 = 0 THEN NULL ELSE ((hash(i) % 1000003)::DOUBLE / 1000) ^ 2 END AS x FROM range(${n}) r(i)`);
    const a = (await profileRelation(c, 't', ['x'])).columns.x as NumericProfile;
    const b = (await profileRelation(c, 't', ['x'])).columns.x as NumericProfile;
    expect(b.edges).toEqual(a.edges);
    const raw = Float64Array.from((await c.runAndReadAll('SELECT x FROM t WHERE x IS NOT NULL')).getColumns()[0] as number[]);
    const sorted = Float64Array.from(raw).sort();
    expect(a.edges[0]).toBe(sorted[0]);
    expect(a.edges[a.edges.length - 1]).toBe(sorted[sorted.length - 1]);
    expect(a.edges).toHaveLength(21);
    expect(a.counts).toEqual(bucketCounts(raw, new Float64Array(raw.length).fill(1), a.edges));
    // quantiles of a 100k-row sample: every bin holds close to 1/20 of the rows
    for (const count of a.counts.slice(1, -1)) expect(Math.abs(count / raw.length - 0.05)).toBeLessThan(0.005);
    c.closeSync();
  });
});
