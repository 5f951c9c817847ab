import type { DuckDBConnection } from '@duckdb/node-api';
import { DISCRETE_LIMIT, type CategoricalProfile, type ColumnProfile, type NumericProfile, type Profile } from '../drift/profile.js';
import { InputError } from '../errors.js';
import { sqlIdent } from './duckdb.js';
import { reading, type DataSource } from './read-error.js';
import { sketchColumn } from './sketch.js';
import { coarsenSketch, PACKAGE_SKETCH_SCALE } from '../drift/sketch.js';

export const DEFAULT_BINS = 20;

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;

/** Whether a DuckDB column type is profiled as numeric. */
export function isNumericType(type: string | undefined): boolean {
  return NUMERIC.test(type ?? '');
}

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

/**
 * The column types of a data file, read errors converted (see readError), and one InputError naming the
 * file and every column missing by its role (`{ feature: [...], target: [...] }`).
 */
export async function requireColumns(conn: DuckDBConnection, fromSql: string, source: DataSource, roles: Record<string, string[]>): Promise<Record<string, string>> {
  const types = await reading(source, () => columnTypes(conn, fromSql));
  const parts = Object.entries(roles)
    .map(([role, cols]) => [role, cols.filter((c) => !(c in types))] as const)
    .filter(([, m]) => m.length);
  if (parts.length) {
    throw new InputError(`${source.display}: missing column(s): ${parts.map(([role, m]) => `${role} ${m.map((c) => `'${c}'`).join(', ')}`).join('; ')} (the data has: ${Object.keys(types).join(', ')})`);
  }
  return types;
}

/**
 * SQL for #{e in sorted : e <= v}, as a binary-search tree of CASE expressions: log2(k) comparisons a
 * row instead of a chain of k WHENs.
 */
function countLeSql(v: string, sorted: number[], lo = 0, hi = sorted.length): string {
  if (lo >= hi) return String(lo);
  const mid = (lo + hi) >> 1;
  return `CASE WHEN ${v} < ${sorted[mid]} THEN ${countLeSql(v, sorted, lo, mid)} ELSE ${countLeSql(v, sorted, mid + 1, hi)} END`;
}

/** The bucket of a value on given edges (profile semantics: underflow 0, inner 1..k-1 with the last holding v == max, overflow k). */
function bucketSql(col: string, edges: number[]): string {
  const v = `${sqlIdent(col)}::DOUBLE`;
  const k = edges.length;
  return `CASE WHEN ${v} > ${edges[k - 1]} THEN ${k} WHEN ${v} = ${edges[k - 1]} THEN ${Math.max(1, k - 1)} ELSE ${countLeSql(v, edges.slice(0, k - 1))} END`;
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

/** Rows of the sample that new bin edges are computed from (a relation this small is used whole, so its edges are exact quantiles). */
export const EDGE_SAMPLE_ROWS = 100_000;
/** The sample's seed: the same data gives the same edges. */
const EDGE_SAMPLE_SEED = 42;

interface SampledEdges {
  /** distinct inner quantiles, increasing */
  inner: number[];
  /** exact distinct count where the sample held every row */
  distinct?: number;
  /** whether to record exact value frequencies (the sample has few distinct values) */
  discrete: boolean;
}

/**
 * Inner bin edges of the numeric columns without given edges: the (i/bins) quantiles (quantile_cont)
 * of a seeded reservoir sample of EDGE_SAMPLE_ROWS rows. Edges are bin boundaries, not statistics:
 * on a large relation they are quantiles of the sample (each bin holds close to 1/bins of the rows,
 * not exactly), which costs a pass over a sample instead of sorting every column; on a relation of
 * at most EDGE_SAMPLE_ROWS rows the sample is the whole relation and the edges are exact quantiles.
 */
async function sampleEdges(conn: DuckDBConnection, fromSql: string, cols: string[], bins: number): Promise<{ rows: number; edges: Record<string, SampledEdges> }> {
  const qs = Array.from({ length: bins - 1 }, (_, i) => (i + 1) / bins);
  const sel = ['count(*) AS "__rows"'];
  cols.forEach((c, i) => {
    const v = `${sqlIdent(c)}::DOUBLE`;
    const fin = `CASE WHEN isfinite(${v}) THEN ${v} END`;
    sel.push(qs.length ? `quantile_cont(${fin}, [${qs.join(', ')}]) AS q${i}` : `NULL AS q${i}`, `count(DISTINCT ${fin}) AS d${i}`);
  });
  const sample = `(SELECT ${cols.map(sqlIdent).join(', ')} FROM ${fromSql} USING SAMPLE reservoir(${EDGE_SAMPLE_ROWS} ROWS) REPEATABLE (${EDGE_SAMPLE_SEED}))`;
  const row = (await conn.runAndReadAll(`SELECT ${sel.join(', ')} FROM ${sample}`)).getRowObjects()[0];
  const rows = num(row.__rows);
  const edges: Record<string, SampledEdges> = {};
  cols.forEach((c, i) => {
    const q = ((row[`q${i}`] as { items?: unknown[] } | null)?.items ?? []).filter((x) => x !== null).map(num);
    const inner = q.filter((e, j) => j === 0 || e > q[j - 1]);
    const d = num(row[`d${i}`]);
    edges[c] = { inner, distinct: d, discrete: d <= 2 * DISCRETE_LIMIT };
  });
  return { rows, edges };
}

/**
 * Profiles the given columns of a relation in one full scan: counts, moments, category frequencies,
 * histograms on the bins, and exact value frequencies of discrete columns. Columns without given
 * edges (a reference) get theirs first from a seeded sample (sampleEdges); the scan counts values
 * below each inner edge, and the final edges [min, …inner, max] come from the scan's min and max.
 * A current window profiled on the reference's edges takes the one scan only.
 */
export async function profileRelation(conn: DuckDBConnection, fromSql: string, columns: string[], options: ProfileOptions = {}): Promise<Profile> {
  const types = await columnTypes(conn, fromSql);
  const bins = options.bins ?? DEFAULT_BINS;
  const kindOf = (c: string) => options.kinds?.[c] ?? (isNumericType(types[c]) ? 'numeric' : 'categorical');
  const numeric = columns.filter((c) => kindOf(c) === 'numeric');
  const categorical = columns.filter((c) => kindOf(c) === 'categorical');
  const fresh = numeric.filter((c) => !options.edges?.[c]);
  const sampled = fresh.length ? await sampleEdges(conn, fromSql, fresh, bins) : { rows: 0, edges: {} as Record<string, SampledEdges> };

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
    // new edges: the number of inner edges at or below each value (mapped onto the final buckets below)
    sel.push(`histogram(CASE WHEN isfinite(${v}) THEN ${given ? bucketSql(c, given) : countLeSql(v, sampled.edges[c].inner)} END) AS b${i}`);
    if (options.values?.includes(c) || (!given && sampled.edges[c].discrete)) sel.push(`histogram(${fin}) AS v${i}`);
  });
  categorical.forEach((c, i) => {
    const text = categoryText(c, types[c]);
    sel.push(`count(${sqlIdent(c)}) AS cn${i}`, `count(*) - count(${sqlIdent(c)}) AS cnulls${i}`, `histogram(${text}) AS h${i}`);
  });
  const row = (await conn.runAndReadAll(`SELECT ${sel.join(', ')} FROM ${fromSql}`)).getRowObjects()[0];
  const rows = num(row.__rows);

  const out: Record<string, ColumnProfile> = {};
  numeric.forEach((c, i) => {
    const n = num(row[`n${i}`]);
    const min = row[`min${i}`] === null ? null : num(row[`min${i}`]);
    const max = row[`max${i}`] === null ? null : num(row[`max${i}`]);
    const given = options.edges?.[c];
    let edges: number[];
    let counts: number[];
    if (given) {
      edges = given;
      counts = new Array(edges.length + 1).fill(0);
      for (const [k, v] of mapEntries(row[`b${i}`])) counts[Number(k)] += v;
    } else if (min === null || max === null) {
      edges = [0, 0];
      counts = [0, 0, 0];
    } else {
      // every sampled quantile lies in [min, max]; the final edges are the distinct values of min, inner, max
      const inner = sampled.edges[c].inner;
      const all = [min, ...inner, max];
      edges = all.filter((e, j) => j === 0 || e > all[j - 1]);
      if (edges.length === 1) edges = [edges[0], edges[0]];
      const k = edges.length;
      const minIsInner = inner.length > 0 && inner[0] === min ? 1 : 0;
      counts = new Array(k + 1).fill(0);
      // b = #{inner ≤ v}; the bucket is #{edges ≤ v} = 1 + b - [min is an inner edge], v == max in the last inner bucket
      for (const [b, cnt] of mapEntries(row[`b${i}`])) counts[Math.min(1 + Number(b) - minIsInner, k - 1)] += cnt;
    }
    const p: NumericProfile = {
      kind: 'numeric',
      count: n,
      nulls: num(row[`nulls${i}`]),
      nans: num(row[`nans${i}`]),
      mean: n ? num(row[`mean${i}`]) : 0,
      m2: num(row[`m2_${i}`]),
      min,
      max,
      edges,
      counts,
    };
    if (!given && sampled.rows === rows) p.distinct = sampled.edges[c].distinct;
    if (row[`v${i}`] !== undefined) {
      const values = valueFrequencies(row[`v${i}`]);
      if (options.values?.includes(c) || Object.keys(values).length <= DISCRETE_LIMIT) p.values = values;
    }
    out[c] = p;
  });
  categorical.forEach((c, i) => {
    const frequencies: Record<string, number> = {};
    for (const [k, v] of mapEntries(row[`h${i}`]).sort((a, b) => (a[0] < b[0] ? -1 : 1))) frequencies[k] = v;
    const p: CategoricalProfile = { kind: 'categorical', count: num(row[`cn${i}`]), nulls: num(row[`cnulls${i}`]), frequencies };
    out[c] = p;
  });
  const columnsOut: Record<string, ColumnProfile> = {};
  for (const c of columns) columnsOut[c] = out[c];
  return { rows, columns: columnsOut };
}

/** SQL for a categorical column's values as text (JSON values, from prediction logs, as their text rather than their JSON encoding). */
function categoryText(column: string, type: string | undefined): string {
  return /^JSON$/i.test(type ?? '') ? `json_extract_string(${sqlIdent(column)}, '$')` : `${sqlIdent(column)}::VARCHAR`;
}

/**
 * Categorical profiles of several columns with one GROUP BY each: the same
 * numbers as profileRelation's, cheaper than its histogram() aggregates on large relations.
 */
export async function profileCategories(conn: DuckDBConnection, fromSql: string, columns: string[]): Promise<Record<string, CategoricalProfile>> {
  const out: Record<string, CategoricalProfile> = {};
  if (!columns.length) return out;
  const types = await columnTypes(conn, fromSql);
  for (const c of columns) out[c] = { kind: 'categorical', count: 0, nulls: 0, frequencies: {} };
  const values: [number, string, number][] = [];
  for (const [i, c] of columns.entries()) {
    // text and booleans grouped as they are (JS prints booleans as DuckDB's ::VARCHAR does; the cast itself is costly)
    const native = /^(VARCHAR|BOOLEAN)$/i.test(types[c] ?? '');
    const r = await conn.runAndReadAll(`SELECT ${native ? sqlIdent(c) : categoryText(c, types[c])} AS v, count(*) AS n FROM ${fromSql} GROUP BY ALL`);
    for (const [v, n] of r.getRows()) {
      if (v === null) out[c].nulls += num(n);
      else values.push([i, String(v), num(n)]);
    }
  }
  values.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  for (const [c, v, n] of values) {
    const p = out[columns[c]];
    p.count += n;
    p.frequencies[v] = n;
  }
  return out;
}

/**
 * Adds a value sketch (PACKAGE_SKETCH_SCALE bins per doubling) to each continuous numeric column of a
 * profile — those without exact value frequencies — for a package's reference: drift against it then
 * gets certified Wasserstein and KS bounds instead of 20-bin interpolation.
 */
export async function attachSketches(conn: DuckDBConnection, fromSql: string, profile: Profile): Promise<void> {
  const types = await columnTypes(conn, fromSql);
  for (const [c, p] of Object.entries(profile.columns)) {
    if (p.kind !== 'numeric' || p.values || p.count === 0) continue;
    p.sketch = coarsenSketch(await sketchColumn(conn, fromSql, c, undefined, types[c]), PACKAGE_SKETCH_SCALE);
  }
}
