import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDuckDB, sqlString } from '../../src/data/duckdb.js';
import { generateDataset, FEATURES } from '../../src/data/generate.js';
import { profileRelation } from '../../src/data/profile.js';
import { mergeProfiles, type NumericProfile } from '../../src/drift/profile.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('profiles merge', () => {
  it('the merged profiles of three shards, binned on the reference edges, equal the profile of the whole', async () => {
    const ref = join(dir, 'ref.parquet');
    const cur = join(dir, 'cur.parquet');
    await generateDataset(ref, { rows: 4000, seed: 1 });
    await generateDataset(cur, { rows: 3000, seed: 2, covariateShift: 0.3, violations: 0.05 });
    const conn = await openDuckDB();
    try {
      const cols = [...FEATURES];
      const reference = await profileRelation(conn, `read_parquet(${sqlString(ref)})`, cols);
      const edges: Record<string, number[]> = {};
      const values: string[] = [];
      for (const c of cols) {
        const p = reference.columns[c];
        if (p.kind === 'numeric') {
          edges[c] = p.edges;
          if (p.values) values.push(c);
        }
      }
      expect(values).toContain('term_months');
      const opts = { edges, values };
      const whole = await profileRelation(conn, `read_parquet(${sqlString(cur)})`, cols, opts);
      const shard = (lo: number, hi: number) => profileRelation(conn, `(SELECT * FROM read_parquet(${sqlString(cur)}) WHERE CAST(substr(id, 2) AS INTEGER) >= ${lo} AND CAST(substr(id, 2) AS INTEGER) < ${hi})`, cols, opts);
      const merged = mergeProfiles(mergeProfiles(await shard(0, 1000), await shard(1000, 1700)), await shard(1700, 3000));
      expect(merged.rows).toBe(whole.rows);
      for (const c of cols) {
        const m = merged.columns[c];
        const w = whole.columns[c];
        if (m.kind === 'numeric' && w.kind === 'numeric') {
          const { mean, m2, ...exact } = m;
          const { mean: wm, m2: wm2, ...wexact } = w as NumericProfile;
          expect({ ...exact, distinct: undefined }).toEqual({ ...wexact, distinct: undefined });
          expect(mean).toBeCloseTo(wm, 9);
          expect(m2 / wm2).toBeCloseTo(1, 9);
        } else expect(m).toEqual(w);
      }
      // the window has nulls (violations) and overflow values: make sure the test covers them
      expect((whole.columns.debt_ratio as NumericProfile).nulls).toBeGreaterThan(0);
      const inc = whole.columns.income as NumericProfile;
      expect(inc.counts[0] + inc.counts[inc.counts.length - 1]).toBeGreaterThan(0);
    } finally {
      conn.closeSync();
    }
  });
});
