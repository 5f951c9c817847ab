import { describe, expect, it } from 'vitest';
import { openDuckDB } from '../../src/data/duckdb.js';
import { profileRelation } from '../../src/data/profile.js';
import { mergeProfiles, variance, type NumericProfile } from '../../src/drift/profile.js';

describe('profiles', () => {
  it('numeric profile: moments, nulls, NaN/Inf, and histogram buckets on fixed edges with under/overflow', async () => {
    const c = await openDuckDB();
    await c.run(`CREATE TABLE t AS SELECT * FROM (VALUES (1.0), (2.0), (2.0), (3.0), (NULL), ('nan'::DOUBLE), ('inf'::DOUBLE), (10.0)) v(x)`);
    const p = (await profileRelation(c, 't', ['x'], { edges: { x: [1, 2, 3] } })).columns.x as NumericProfile;
    expect(p.count).toBe(5);
    expect(p.nulls).toBe(1);
    expect(p.nans).toBe(2);
    expect(p.mean).toBeCloseTo(18 / 5, 12);
    expect(variance(p)).toBeCloseTo(((1 - 3.6) ** 2 + 2 * (2 - 3.6) ** 2 + (3 - 3.6) ** 2 + (10 - 3.6) ** 2) / 4, 10);
    // buckets: <1 | [1,2) | [2,3] | >3
    expect(p.counts).toEqual([0, 1, 3, 1]);
  });

  it('edges are the reference minimum, quantiles and maximum; a constant column gets [v, v]', async () => {
    const c = await openDuckDB();
    await c.run(`CREATE TABLE t AS SELECT i::DOUBLE AS x, 7 AS k FROM range(100) r(i)`);
    const prof = await profileRelation(c, 't', ['x', 'k'], { bins: 4 });
    const x = prof.columns.x as NumericProfile;
    expect(x.edges).toEqual([0, 24.75, 49.5, 74.25, 99]);
    expect(x.counts).toEqual([0, 25, 25, 25, 25, 0]);
    const k = prof.columns.k as NumericProfile;
    expect(k.edges).toEqual([7, 7]);
    expect(k.counts).toEqual([0, 100, 0]);
  });

  it('profiles of shards, merged, equal the profile of the whole', async () => {
    const c = await openDuckDB();
    await c.run(`CREATE TABLE t AS SELECT i, sin(i) * 100 + (i % 7) AS x, CASE i % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE NULL END AS cat FROM range(3000) r(i)`);
    const whole = await profileRelation(c, 't', ['x', 'cat']);
    const edges = { x: (whole.columns.x as NumericProfile).edges };
    const shards = await Promise.all([0, 1, 2].map((s) => profileRelation(c, `(SELECT * FROM t WHERE i % 3 = ${s})`, ['x', 'cat'], { edges })));
    const merged = shards.reduce(mergeProfiles);
    expect(merged.rows).toBe(whole.rows);
    expect(merged.columns.cat).toEqual(whole.columns.cat);
    const m = merged.columns.x as NumericProfile;
    const w = whole.columns.x as NumericProfile;
    expect(m.counts).toEqual(w.counts);
    expect(m.count).toBe(w.count);
    expect(m.mean).toBeCloseTo(w.mean, 10);
    expect(m.m2 / w.m2).toBeCloseTo(1, 10);
    expect([m.min, m.max]).toEqual([w.min, w.max]);
  });

  it('refuses to merge histograms binned on different edges', async () => {
    const c = await openDuckDB();
    await c.run(`CREATE TABLE t AS SELECT i::DOUBLE AS x FROM range(10) r(i)`);
    const a = await profileRelation(c, 't', ['x'], { edges: { x: [0, 5, 9] } });
    const b = await profileRelation(c, 't', ['x'], { edges: { x: [0, 4, 9] } });
    expect(() => mergeProfiles(a, b)).toThrow(/different edges/);
  });
});
