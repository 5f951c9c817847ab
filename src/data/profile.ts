import type { DuckDBConnection } from '@duckdb/node-api';
import { DISCRETE_LIMIT, type CategoricalProfile, type ColumnProfile, type NumericProfile, type Profile } from '../drift/profile.js';
import { sqlIdent } from './duckdb.js';

export const DEFAULT_BINS = 20;

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;

export interface ProfileOptions {
  /** numeric edges to bin on (a current window uses the reference's); computed from quantiles where absent */
  edges?: Record<string, number[]>;
  /** quantile bins for new edges */
  bins?: number;
  /** force a kind per column (e.g. numeric codes that are categories) */
  kinds?: Record<string, 'numeric' | 'categorical'>;
  /**
   * numeric columns whose exact value frequencies to record (a current window uses the reference's
   * discrete columns); where a column's edges are not given, a column with at most DISCRETE_LIMIT
   * distinct values gets them automatically
   */
  values?: string[];
}

/** Column name → DuckDB type of a relation given as SQL (`read_parquet('…')`, a table, a subquery). */
export async function columnTypes(conn: DuckDBConnection, fromSql: string): Promise<Record<string, string>> {
  const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${fromSql}`);
  const out: Record<string, string> = {};
  for (const row of r.getRowObjects()) out[String(row.column_name)] = String(row.column_type);
  return out;
}

function bucketSql(col: string, edges: number[]): string {
  const v = `${sqlIdent(col)}::DOUBLE`;
  const k = edges.length;
  const parts = [`WHEN ${v} < ${edges[0]} THEN 0`];
  for (let i = 1; i < k - 1; i++) parts.push(`WHEN ${v} < ${edges[i]} THEN ${i}`);
  parts.push(`WHEN ${v} <= ${edges[k - 1]} THEN ${Math.max(1, k - 1)}`);
  return `CASE ${parts.join(' ')} ELSE ${k} END`;
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : v === null || v === undefined ? 0 : Number(v);
}

/** Reads a DuckDB MAP (histogram()) value into key → count. */
function mapEntries(v: unknown): [string, number][] {
  const entries = (v as { entries?: { key: unknown; value: unknown }[] } | null)?.entries ?? [];
  return entries.map((e) => [String(e.key), num(e.value)]);
}

/** A histogram() of numeric values → String(value) → count, in increasing value order. */
function valueFrequencies(v: unknown): Record<string, number> {
  const entries = ((v as { entries?: { key: unknown; value: unknown }[] } | null)?.entries ?? []).map((e) => [num(e.key), num(e.value)] as const);
  entries.sort((a, b) => a[0] - b[0]);
  const out: Record<string, number> = {};
  for (const [k, c] of entries) out[String(k)] = c;
  return out;
}

/**
 * Profiles the given columns of a relation in at most two scans: the first computes counts, moments,
 * category frequencies, quantiles for new edges, and the histograms of columns whose edges are given;
 * the second (only when some edges are new) bins those columns on the edges just found. A current
 * window profiled on the reference's edges takes one scan.
 */
export async function profileRelation(conn: DuckDBConnection, fromSql: string, columns: string[], options: ProfileOptions = {}): Promise<Profile> {
  const types = await columnTypes(conn, fromSql);
  const bins = options.bins ?? DEFAULT_BINS;
  const kindOf = (c: string) => options.kinds?.[c] ?? (NUMERIC.test(types[c] ?? '') ? 'numeric' : 'categorical');
  const numeric = columns.filter((c) => kindOf(c) === 'numeric');
  const categorical = columns.filter((c) => kindOf(c) === 'categorical');
  const qs = Array.from({ length: bins - 1 }, (_, i) => (i + 1) / bins);

  const sel: string[] = ['count(*) AS "__rows"'];
  numeric.forEach((c, i) => {
    const v = `${sqlIdent(c)}::DOUBLE`;
    const fin = `CASE WHEN isfinite(${v}) THEN ${v} END`;
    sel.push(
      `count(${fin}) AS n${i}`,
      `count(*) - count(${sqlIdent(c)}) AS nulls${i}`,
      `count(${sqlIdent(c)}) - count(${fin}) AS nans${i}`,
      `avg(${fin}) AS mean${i}`,
      `coalesce(var_samp(${fin}) * (count(${fin}) - 1), 0) AS m2_${i}`,
      `min(${fin}) AS min${i}`,
      `max(${fin}) AS max${i}`,
    );
    const given = options.edges?.[c];
    if (!given) sel.push(`quantile_cont(${fin}, [${qs.join(', ')}]) AS q${i}`, `approx_count_distinct(${fin}) AS d${i}`);
    else sel.push(`histogram(CASE WHEN isfinite(${v}) THEN ${bucketSql(c, given)} END) AS b${i}`);
    if (options.values?.includes(c)) sel.push(`histogram(${fin}) AS v${i}`);
  });
  categorical.forEach((c, i) => {
    sel.push(`count(${sqlIdent(c)}) AS cn${i}`, `count(*) - count(${sqlIdent(c)}) AS cnulls${i}`, `histogram(${sqlIdent(c)}::VARCHAR) AS h${i}`);
  });
  const first = (await conn.runAndReadAll(`SELECT ${sel.join(', ')} FROM ${fromSql}`)).getRowObjects()[0];

  const out: Record<string, ColumnProfile> = {};
  const edgesOf: Record<string, number[]> = {};
  numeric.forEach((c, i) => {
    let edges = options.edges?.[c];
    if (!edges) {
      const min = first[`min${i}`];
      const max = first[`max${i}`];
      if (min === null || max === null) edges = [0, 0];
      else {
        const quant = ((first[`q${i}`] as { items?: unknown[] } | null)?.items ?? []).map(num);
        const all = [num(min), ...quant, num(max)];
        edges = all.filter((e, j) => j === 0 || e > all[j - 1]);
        if (edges.length === 1) edges = [edges[0], edges[0]];
      }
    }
    edgesOf[c] = edges;
    const n = num(first[`n${i}`]);
    const p: NumericProfile = {
      kind: 'numeric',
      count: n,
      nulls: num(first[`nulls${i}`]),
      nans: num(first[`nans${i}`]),
      mean: n ? num(first[`mean${i}`]) : 0,
      m2: num(first[`m2_${i}`]),
      min: first[`min${i}`] === null ? null : num(first[`min${i}`]),
      max: first[`max${i}`] === null ? null : num(first[`max${i}`]),
      edges,
      counts: new Array(edges.length + 1).fill(0),
    };
    if (options.edges?.[c]) for (const [k, v] of mapEntries(first[`b${i}`])) p.counts[Number(k)] += v;
    else p.distinct = num(first[`d${i}`]);
    if (options.values?.includes(c)) p.values = valueFrequencies(first[`v${i}`]);
    out[c] = p;
  });
  categorical.forEach((c, i) => {
    const frequencies: Record<string, number> = {};
    for (const [k, v] of mapEntries(first[`h${i}`]).sort((a, b) => (a[0] < b[0] ? -1 : 1))) frequencies[k] = v;
    const p: CategoricalProfile = { kind: 'categorical', count: num(first[`cn${i}`]), nulls: num(first[`cnulls${i}`]), frequencies };
    out[c] = p;
  });

  const fresh = numeric.map((c, i) => ({ c, i })).filter(({ c }) => !options.edges?.[c]);
  if (fresh.length) {
    const hist: string[] = [];
    for (const { c, i } of fresh) {
      const v = `${sqlIdent(c)}::DOUBLE`;
      hist.push(`histogram(CASE WHEN isfinite(${v}) THEN ${bucketSql(c, edgesOf[c])} END) AS b${i}`);
      // approx_count_distinct is HyperLogLog: ask for exact frequencies with a margin, keep them when exact ≤ limit
      if (!options.values?.includes(c) && num(first[`d${i}`]) <= 2 * DISCRETE_LIMIT) hist.push(`histogram(CASE WHEN isfinite(${v}) THEN ${v} END) AS v${i}`);
    }
    const second = (await conn.runAndReadAll(`SELECT ${hist.join(', ')} FROM ${fromSql}`)).getRowObjects()[0];
    for (const { c, i } of fresh) {
      const p = out[c] as NumericProfile;
      for (const [k, v] of mapEntries(second[`b${i}`])) p.counts[Number(k)] += v;
      if (second[`v${i}`] !== undefined) {
        const values = valueFrequencies(second[`v${i}`]);
        if (Object.keys(values).length <= DISCRETE_LIMIT) p.values = values;
      }
    }
  }
  const columnsOut: Record<string, ColumnProfile> = {};
  for (const c of columns) columnsOut[c] = out[c];
  return { rows: num(first.__rows), columns: columnsOut };
}
