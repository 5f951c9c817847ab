import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { openDuckDB, sqlString } from './duckdb.js';

/**
 * A seeded synthetic credit-risk table: 12 features (numeric and categorical), two sensitive
 * attributes, an id and a binary label with a known relationship to the features. Every random
 * number is a hash of (seed, row, column), so the same seed gives the same bytes at any size and
 * thread count, and generating 5 million rows takes seconds.
 */
export interface GenerateOptions {
  rows: number;
  seed: number;
  /** log-odds added to the label for sex = 'F', with a proxy: F's income shifts down by 0.25·bias σ */
  bias?: number;
  /** mean shift, in standard deviations, of log-income and utilization (covariate drift) */
  covariateShift?: number;
  /** log-odds added to every row's label (label drift: the base rate changes) */
  labelShift?: number;
  /** fraction of rows given one contract violation (negative income, unknown region, utilization > 1, null debt_ratio) */
  violations?: number;
  /** first row id (so that windows of the same population do not repeat ids) */
  idOffset?: number;
}

export const FEATURES = [
  'income', 'debt_ratio', 'credit_lines', 'utilization', 'late_payments', 'employment_years',
  'loan_amount', 'term_months', 'region', 'home_ownership', 'purpose', 'has_cosigner',
] as const;
export const SENSITIVE = ['sex', 'age_band'] as const;
export const TARGET = 'default';

function check(o: GenerateOptions): void {
  if (!Number.isInteger(o.rows) || o.rows < 1) throw new UsageError(`rows must be a positive whole number, got ${o.rows}`);
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new UsageError(`seed must be a whole number >= 0, got ${o.seed}`);
  if (o.violations !== undefined && !(o.violations >= 0 && o.violations <= 1)) throw new UsageError(`violations must be a fraction in [0, 1], got ${o.violations}`);
}

/** The SELECT producing the table (ordered by id). */
export function generatorSql(o: GenerateOptions): string {
  check(o);
  const s = Math.trunc(o.seed);
  const bias = o.bias ?? 0;
  const shift = o.covariateShift ?? 0;
  const label = o.labelShift ?? 0;
  const viol = o.violations ?? 0;
  const off = o.idOffset ?? 0;
  // uniform in (0, 1) from 53 bits of a hash of the string 'row:seed:column' (hashing one string mixes well;
  // DuckDB's multi-argument hash() combines its arguments weakly and made columns correlate)
  const u = (col: string) => `(((hash(i::VARCHAR || ':${s}:${col}') >> 11)::DOUBLE + 0.5) / 9007199254740992.0)`;
  const z = (col: string) => `(sqrt(-2 * ln(${u(col + '.a')})) * cos(2 * pi() * ${u(col + '.b')}))`;
  return `
WITH base AS (
  SELECT i,
    CASE WHEN ${u('sex')} < 0.5 THEN 'F' ELSE 'M' END AS sex,
    ${u('age')} AS ua,
    ${z('income')} AS zi, ${z('debt')} AS zd, ${z('lines')} AS zl, ${u('util')} AS uu, ${u('late')} AS ul,
    ${z('emp')} AS ze, ${z('loan')} AS zo, ${u('term')} AS ut, ${u('region')} AS ur, ${u('home')} AS uh,
    ${u('purpose')} AS up, ${u('cosigner')} AS uc, ${u('label')} AS uy, ${u('viol')} AS uv, ${u('violkind')} AS uk
  FROM range(${o.rows}) r(i)
), feat AS (
  SELECT i, sex,
    CASE WHEN ua < 0.25 THEN '18-29' WHEN ua < 0.60 THEN '30-44' WHEN ua < 0.85 THEN '45-59' ELSE '60+' END AS age_band,
    round(exp(10.8 + 0.5 * (zi + ${shift} - CASE WHEN sex = 'F' THEN ${0.25 * bias} ELSE 0 END)), 2) AS income,
    round(least(1.5, greatest(0.0, 0.35 + 0.15 * zd)), 3) AS debt_ratio,
    least(40, floor(exp(1.5 + 0.5 * zl)))::INTEGER AS credit_lines,
    round(least(1.0, greatest(0.0, pow(uu, 1.5) + ${0.28 * shift})), 3) AS utilization,
    least(12, floor(-ln(ul) * 0.8))::INTEGER AS late_payments,
    round(abs(ze) * 6, 1) AS employment_years,
    round(exp(9.5 + 0.6 * zo), 0) AS loan_amount,
    CASE WHEN ut < 0.7 THEN 36 ELSE 60 END AS term_months,
    CASE WHEN ur < 0.25 THEN 'north' WHEN ur < 0.5 THEN 'south' WHEN ur < 0.7 THEN 'east' WHEN ur < 0.9 THEN 'west' ELSE 'central' END AS region,
    CASE WHEN uh < 0.45 THEN 'rent' WHEN uh < 0.65 THEN 'own' ELSE 'mortgage' END AS home_ownership,
    CASE WHEN up < 0.3 THEN 'car' WHEN up < 0.5 THEN 'home' WHEN up < 0.65 THEN 'education' WHEN up < 0.8 THEN 'business' ELSE 'debt_consolidation' END AS purpose,
    uc < 0.15 AS has_cosigner,
    uy, uv, uk
  FROM base
), labelled AS (
  SELECT *,
    -1.3 + ${label}
      + 1.1 * (debt_ratio - 0.35) / 0.15 + 1.2 * (utilization - 0.45) / 0.3 + 0.45 * late_payments
      - 0.7 * (ln(income) - 10.8) / 0.5 - 0.04 * employment_years + 0.3 * (term_months = 60)::INTEGER
      + CASE region WHEN 'south' THEN 0.25 WHEN 'central' THEN -0.15 ELSE 0 END
      + 0.3 * (purpose = 'business')::INTEGER - 0.4 * has_cosigner::INTEGER
      + CASE WHEN sex = 'F' THEN ${bias} ELSE 0 END AS logit
  FROM feat
)
SELECT
  'A' || lpad((i + ${off})::VARCHAR, 9, '0') AS id,
  CASE WHEN uv < ${viol} AND uk < 0.25 THEN -income ELSE income END AS income,
  CASE WHEN uv < ${viol} AND uk >= 0.75 THEN NULL ELSE debt_ratio END AS debt_ratio,
  credit_lines,
  CASE WHEN uv < ${viol} AND uk >= 0.5 AND uk < 0.75 THEN 1.7 ELSE utilization END AS utilization,
  late_payments, employment_years, loan_amount, term_months,
  CASE WHEN uv < ${viol} AND uk >= 0.25 AND uk < 0.5 THEN 'unknown' ELSE region END AS region,
  home_ownership, purpose, has_cosigner, sex, age_band,
  (uy < 1 / (1 + exp(-logit)))::INTEGER AS "default"
FROM labelled
ORDER BY i`;
}

/** Writes the table as CSV or Parquet (by extension) through DuckDB, atomically. */
export async function generateDataset(path: string, o: GenerateOptions): Promise<void> {
  const sql = generatorSql(o);
  const format = /\.parquet$/i.test(path) ? 'parquet' : /\.csv$/i.test(path) ? 'csv' : null;
  if (!format) throw new UsageError(`${path}: expected a .csv or .parquet file name`);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  const conn = await openDuckDB();
  try {
    const opts = format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT parquet, COMPRESSION zstd';
    await conn.run(`COPY (${sql}) TO ${sqlString(tmp)} (${opts})`);
    await rename(tmp, path);
  } finally {
    conn.closeSync();
    await rm(tmp, { force: true });
  }
}
