/**
 * Reads the two sides of a drift check with DuckDB: the current window (a data file, or a directory of
 * prediction logs), the reference (a data file, a package directory, a digest in the store, or the
 * package pinned in an environment), their profiles on the reference's bin edges, and for numeric
 * columns what the tests run on: where both sides are raw data, the exact paired counts (up to
 * SKETCH_MIN_ROWS rows) or value sketches of both sides (above); against a package, the window's sketch
 * at the package sketch's scale.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertReadable, dataLocation, detectFormat, readerSql, sqlIdent, sqlString } from '../data/duckdb.js';
import { reading, type DataSource } from '../data/read-error.js';
import { contractReaderSql } from '../data/contract-reader.js';
import type { RowSchema } from '../spec/types.js';
import { columnTypes, DEFAULT_BINS, isNumericType, profileCategories, profileRelation } from '../data/profile.js';
import { sketchColumn } from '../data/sketch.js';
import { InputError } from '../errors.js';
import { assertPackageOf, CARD_FILE, type ModelCard } from '../package/card.js';
import { loadEnvironment } from '../spec/environment.js';
import { assertDigest } from '../store/digest.js';
import { isRemote } from '../spec/paths.js';
import { openStore, storeLocation } from '../store/open.js';
import { assessFeatures, type ColumnPair, type DriftConfig, type FeatureAssessment } from './assess.js';
import { logFiles } from './log-files.js';
import { shownNames } from './names.js';
import { DIGEST_COLUMN, ROLE_COLUMN, VERSION_COLUMN } from './log-versions.js';
import { profileFromSketch, sketchEdges } from './sketch-profile.js';
import { coarsenSketch, PACKAGE_SKETCH_SCALE, sketchMoments } from './sketch.js';
import type { ColumnProfile, Profile } from './profile.js';
import { pairFromRows, pairSorted, type PairedCounts } from './stats/samples.js';
import { parseJsonFile } from '../spec/json-syntax.js';

/** Above this many distinct values, exact pairing sorts in memory instead of grouping in DuckDB. */
export const GROUP_BY_MAX_DISTINCT = 200_000;
/**
 * Raw data on both sides with at most this many rows each: numeric columns are profiled exactly and
 * their raw values paired (tests exactly as SciPy computes them on the samples). Above, each numeric
 * column is sketched on each side in one GROUP BY (src/drift/sketch.ts): exact for discrete columns,
 * certified bounds for continuous ones, and raw pairing only for a column whose bounds straddle its
 * threshold (settleUndecided). Binning alone (20 quantile bins) is not enough: it misjudges heavy tails.
 */
export const SKETCH_MIN_ROWS = 100_000;

export interface CurrentSide {
  kind: 'data' | 'logs';
  /** how messages and the report name it (the flag's value) */
  source: string;
  /** the file, URL or logs directory read */
  path?: string;
  /** a relation DuckDB can select from */
  sql: string;
  /** prediction logs: the column holding model outputs */
  hasPredictions: boolean;
  /** prediction logs: how read errors name the files read (copies of cut-short files are named as the originals) */
  sources?: DataSource[];
  /** prediction logs: files whose cut-short last line is skipped (named under `source`), and that line */
  truncated?: { file: string; line: number }[];
}

export type ReferenceSide =
  | { kind: 'data'; source: string; path?: string; sql: string }
  | { kind: 'package'; source: string; dir: string; card: ModelCard; digest?: string };

/** A data file or URL: checked (local), its format told from its name, and its columns read once so a bad file fails here, named. */
async function dataSide(conn: DuckDBConnection, path: string, display: string, contract?: RowSchema): Promise<string> {
  if (!isRemote(path)) {
    try {
      assertReadable(path);
    } catch (e) {
      throw new InputError((e as Error).message.replace(path, display));
    }
  }
  const sql = readerSql(path, detectFormat(display));
  await reading({ path, display }, () => columnTypes(conn, sql));
  return contract ? contractReaderSql(conn, path, contract, detectFormat(display)) : sql;
}

/**
 * The current window: a data file or URL, or a directory of prediction logs (<dir>/**\/*.jsonl, as
 * 'slipway serve' writes them) filtered to the model. `display` names it in messages.
 */
export async function currentSide(conn: DuckDBConnection, path: string, display: string, model: string, contract?: RowSchema): Promise<CurrentSide> {
  if (!isRemote(path) && existsSync(path) && statSync(path).isDirectory()) {
    const logs = logFiles(path);
    if (!logs.files.length && !logs.truncated.length) throw new InputError(`${display}: no prediction logs (*.jsonl, *.jsonl.gz) found under it`);
    const sources = [{ path, display }, ...(logs.copies ? [{ path: logs.copies, display }] : [])];
    // the glob of *.jsonl, unless a file's cut-short last line is left out or rotated files are compressed: then the list of files
    const listed = logs.truncated.length > 0 || logs.files.some((f) => !/\.jsonl$/i.test(f));
    const files = listed ? `[${logs.files.map(sqlString).join(', ')}]` : sqlString(join(resolve(path), '**', '*.jsonl'));
    if (!logs.files.length) throw new InputError(`${display}: the prediction logs (*.jsonl) under it hold no whole line (${logs.truncated.length} file(s) with only a cut-short line)`);
    const from = `read_json_auto(${files}, format = 'newline_delimited', union_by_name = true)`;
    const types = await reading(sources, () => columnTypes(conn, from));
    const names = Object.keys(types);
    if (names.length === 1 && names[0] === 'json' && types.json === 'JSON') throw new InputError(`${display}: the prediction logs (*.jsonl) under it are empty`);
    if (!('model' in types) || !('inputs' in types)) {
      throw new InputError(`${display}: not prediction logs of 'slipway serve': their lines have no ${['model', 'inputs'].filter((c) => !(c in types)).map((c) => `'${c}'`).join(' or ')} field (found: ${shownNames(names)})`);
    }
    if (!/^STRUCT/i.test(types.inputs)) {
      throw new InputError(`${display}: the prediction logs' 'inputs' hold no feature values (read as ${types.inputs}); expected an object of feature name → value on every line, as 'slipway serve' writes`);
    }
    const opt = (c: string, as = c) => `${c in types ? sqlIdent(c) : 'NULL'} AS ${sqlIdent(as)}`;
    const versions = `${opt('version', VERSION_COLUMN)}, ${opt('digest', DIGEST_COLUMN)}, ${opt('role', ROLE_COLUMN)}`;
    return {
      kind: 'logs',
      source: display,
      path,
      sql: `(SELECT inputs.*, ${opt('prediction')}, ${opt('request_id')}, ${opt('ts')}, ${versions} FROM ${from} WHERE model = ${sqlString(model)}${'role' in types ? " AND role <> 'shadow'" : ''})`,
      hasPredictions: true,
      sources,
      truncated: logs.truncated.map((t) => ({ file: display.replace(/\/+$/, '') + t.file.slice(resolve(path).replace(/\/+$/, '').length), line: t.line })),
    };
  }
  return { kind: 'data', source: display, path, sql: await dataSide(conn, path, display, contract), hasPredictions: false };
}

function readCard(dir: string): ModelCard {
  const file = join(dir, CARD_FILE);
  if (!existsSync(file)) throw new InputError(`${dir}: not a model package (no ${CARD_FILE})`);
  const card = parseJsonFile(file, readFileSync(file, 'utf8')) as ModelCard;
  if (!card.reference || typeof card.reference !== 'object' || !card.reference.columns) {
    throw new InputError(`${file}: the model card has no reference profile ('reference.columns'); retrain with a version of Slipway that writes one`);
  }
  return card;
}

/**
 * The reference: `--reference` as a data file, a package directory or a digest; by default the
 * package pinned for the model in environments/<env>.yaml, fetched from the store and verified.
 */
export async function referenceSide(conn: DuckDBConnection, opts: { reference?: string; repoRoot: string; cwd: string; env: string; model: string; store?: string; processEnv: NodeJS.ProcessEnv }): Promise<ReferenceSide> {
  const store = () => openStore(storeLocation(opts.store, opts.processEnv), opts.repoRoot);
  const ref = opts.reference;
  if (ref && /^sha256:/i.test(ref)) {
    const dir = await store().get(assertDigest(ref));
    return { kind: 'package', source: ref, dir, card: readCard(dir), digest: ref };
  }
  if (ref) {
    const path = dataLocation(ref, opts.cwd);
    if (!isRemote(path) && existsSync(path) && statSync(path).isDirectory()) return { kind: 'package', source: ref, dir: path, card: readCard(path) };
    return { kind: 'data', source: ref, path, sql: await dataSide(conn, path, ref) };
  }
  const { spec, file } = await loadEnvironment(opts.repoRoot, opts.env);
  const pinned = spec.models?.[opts.model];
  if (!pinned) throw new InputError(`${file}: model '${opts.model}' is not pinned in environment '${opts.env}'; pass --reference <data file | package dir | sha256:…>`);
  const dir = await store().get(pinned.digest);
  const card = readCard(dir);
  assertPackageOf({ card }, opts.model, `${file}: ${opts.model} ${pinned.version} (${pinned.digest})`);
  return { kind: 'package', source: `${opts.env}: ${opts.model} ${pinned.version} (${pinned.digest})`, dir, card, digest: pinned.digest };
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : Number(v);
}

/** Exact paired counts of one numeric column on both sides. */
async function pairColumn(conn: DuckDBConnection, refSql: string, curSql: string, col: string, distinct: number | undefined): Promise<PairedCounts> {
  const v = `${sqlIdent(col)}::DOUBLE`;
  if (distinct !== undefined && distinct <= GROUP_BY_MAX_DISTINCT) {
    const r = await conn.runAndReadAll(`
      WITH a AS (SELECT ${v} AS v, count(*) AS n FROM ${refSql} WHERE isfinite(${v}) GROUP BY 1),
           b AS (SELECT ${v} AS v, count(*) AS n FROM ${curSql} WHERE isfinite(${v}) GROUP BY 1)
      SELECT coalesce(a.v, b.v) AS v, coalesce(a.n, 0) AS na, coalesce(b.n, 0) AS nb FROM a FULL OUTER JOIN b ON a.v = b.v ORDER BY 1`);
    return pairFromRows(r.getRows().map((row) => [num(row[0]), num(row[1]), num(row[2])]));
  }
  const read = async (sql: string) => {
    const r = await conn.runAndReadAll(`SELECT ${v} FROM ${sql} WHERE isfinite(${v})`);
    const out = Float64Array.from(r.getColumns()[0] as number[]);
    return out.sort();
  };
  return pairSorted(await read(refSql), await read(curSql));
}

export interface Collected {
  reference: Profile;
  current: Profile;
  columns: Record<string, ColumnPair>;
  prediction?: ColumnPair;
  /** features the current window lacks */
  missingColumns: string[];
}

/** A relation read more than once: Parquet as is, other formats (CSV, JSON lines, logs) loaded once into a temporary table. */
async function readOnce(conn: DuckDBConnection, sql: string, columns: string[], name: string): Promise<string> {
  if (sql.startsWith('read_parquet(')) return sql;
  // row order means nothing to a profile: let DuckDB load in parallel without keeping it (≈ 20 % faster)
  await conn.run('SET preserve_insertion_order = false');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${name} AS SELECT ${columns.map(sqlIdent).join(', ')} FROM ${sql}`);
  return name;
}

async function rowCount(conn: DuckDBConnection, sql: string): Promise<number> {
  return num((await conn.runAndReadAll(`SELECT count(*) FROM ${sql}`)).getRows()[0][0]);
}

/**
 * Both sides as raw data, large: categorical columns profiled in one scan per side, numeric columns
 * sketched per side (one GROUP BY each), their profiles made from the sketches on the reference's edges.
 */
async function collectSketched(conn: DuckDBConnection, refSql: string, curSql: string, present: string[], refTypes: Record<string, string>, curTypes: Record<string, string>, rows: { ref: number; cur: number }, progress: (m: string) => void): Promise<{ reference: Profile; current: Profile; columns: Record<string, ColumnPair> }> {
  const numeric = present.filter((f) => isNumericType(refTypes[f]));
  const categorical = present.filter((f) => !numeric.includes(f));
  const reference: Profile = { rows: rows.ref, columns: {} };
  const current: Profile = { rows: rows.cur, columns: {} };
  const columns: Record<string, ColumnPair> = {};
  const sketches: Record<string, NonNullable<ColumnPair['sketch']>> = {};
  if (categorical.length) {
    progress(`profiling ${categorical.length} categorical column(s) of both sides`);
    Object.assign(reference.columns, await profileCategories(conn, refSql, categorical));
    Object.assign(current.columns, await profileCategories(conn, curSql, categorical));
  }
  for (const f of numeric) {
    progress(`sketching ${f} on both sides`);
    const rs = await sketchColumn(conn, refSql, f, undefined, refTypes[f]);
    const m = sketchMoments(rs);
    const cs = await sketchColumn(conn, curSql, f, m.min === null || m.max === null ? undefined : { min: m.min, max: m.max }, curTypes[f]);
    const edges = sketchEdges(rs, DEFAULT_BINS);
    const ref = profileFromSketch(rs, edges);
    reference.columns[f] = ref;
    current.columns[f] = profileFromSketch(cs, edges, ref.values !== undefined);
    sketches[f] = { ref: rs, cur: cs };
  }
  for (const f of present) {
    columns[f] = { ref: reference.columns[f], cur: current.columns[f], ...(sketches[f] ? { sketch: sketches[f] } : {}) };
  }
  return { reference, current, columns };
}

/** Profiles both sides (and pairs raw values or sketches them when both are data) for the given features. */
export async function collect(conn: DuckDBConnection, reference: ReferenceSide, current: CurrentSide, features: string[], progress: (m: string) => void = () => {}, scored: CurrentSide | null = current): Promise<Collected> {
  const curTypes = await columnTypes(conn, current.sql);
  const missingColumns = features.filter((f) => !(f in curTypes));
  const present = features.filter((f) => f in curTypes);
  if (!present.length) {
    const found = Object.keys(curTypes).filter((c) => !c.startsWith('__slipway_'));
    throw new InputError(`${current.source}: none of the model's features is in the current window (expected: ${features.join(', ')}; found: ${shownNames(found) || 'no columns'})`);
  }
  let refProfile: Profile;
  let curProfile: Profile;
  let columns: Record<string, ColumnPair> = {};
  if (reference.kind === 'data') {
    const refTypes = await columnTypes(conn, reference.sql);
    const absent = present.filter((f) => !(f in refTypes));
    if (absent.length) throw new InputError(`${reference.source}: missing column(s) ${absent.join(', ')}`);
    progress(`reading ${reference.source} and ${current.source}`);
    const refSql = await readOnce(conn, reference.sql, present, '__slipway_reference');
    const curSql = await readOnce(conn, current.sql, present, '__slipway_current');
    const rows = { ref: await rowCount(conn, refSql), cur: await rowCount(conn, curSql) };
    if (Math.max(rows.ref, rows.cur) > SKETCH_MIN_ROWS) {
      ({ reference: refProfile, current: curProfile, columns } = await collectSketched(conn, refSql, curSql, present, refTypes, curTypes, rows, progress));
    } else {
      progress(`profiling the reference ${reference.source}`);
      refProfile = await profileRelation(conn, refSql, present);
      const { edges, kinds, values } = binsOf(refProfile, present);
      progress(`profiling the current window ${current.source} on the reference's bins`);
      curProfile = await profileRelation(conn, curSql, present, { edges, kinds, values });
      for (const f of present) {
        const pair: ColumnPair = { ref: refProfile.columns[f], cur: curProfile.columns[f] };
        const r = pair.ref;
        if (r.kind === 'numeric') {
          progress(`pairing raw values of ${f}`);
          pair.raw = await pairColumn(conn, refSql, curSql, f, r.values ? Object.keys(r.values).length : r.distinct);
        }
        columns[f] = pair;
      }
    }
  } else {
    refProfile = reference.card.reference;
    const absent = present.filter((f) => !refProfile.columns[f]);
    if (absent.length) throw new InputError(`${reference.source}: the reference profile has no column(s) ${absent.join(', ')}`);
    const { edges, kinds, values } = binsOf(refProfile, present);
    // sketched columns read the window again: a CSV or a logs directory is read once into a table
    const sketched = present.some((f) => { const p = refProfile.columns[f]; return p.kind === 'numeric' && !!p.sketch; });
    const curSql = sketched ? await readOnce(conn, current.sql, present, '__slipway_current') : current.sql;
    progress(`profiling the current window ${current.source} on the reference's bins`);
    curProfile = await profileRelation(conn, curSql, present, { edges, kinds, values });
    for (const f of present) {
      const ref = refProfile.columns[f];
      columns[f] = { ref, cur: curProfile.columns[f] };
      // the package's sketch of a continuous column: the window sketched at its scale
      if (ref.kind === 'numeric' && ref.sketch && ref.min !== null && ref.max !== null && curProfile.columns[f].kind === 'numeric') {
        progress(`sketching ${f} of the current window`);
        const cs = await sketchColumn(conn, curSql, f, { min: ref.min, max: ref.max }, curTypes[f]);
        columns[f].sketch = { ref: ref.sketch, cur: coarsenSketch(cs, ref.sketch.scale ?? PACKAGE_SKETCH_SCALE) };
      }
    }
  }
  let prediction: ColumnPair | undefined;
  // predictions: of the rows the reference model scored (`scored`, null when it scored none)
  if (scored && current.hasPredictions && reference.kind === 'package' && reference.card.prediction_reference) {
    const pr: ColumnProfile = reference.card.prediction_reference;
    const pSql = `(SELECT TRY_CAST(prediction AS DOUBLE) AS prediction FROM ${scored.sql})`;
    const p = await profileRelation(conn, pSql, ['prediction'], pr.kind === 'numeric' ? { edges: { prediction: pr.edges }, kinds: { prediction: 'numeric' }, values: pr.values ? ['prediction'] : [] } : { kinds: { prediction: 'categorical' } });
    prediction = { ref: pr, cur: p.columns.prediction };
  }
  return { reference: refProfile, current: curProfile, columns, prediction, missingColumns };
}

/** The reference's bins, kinds and discrete columns, for profiling a window on them. */
function binsOf(refProfile: Profile, present: string[]): { edges: Record<string, number[]>; kinds: Record<string, 'numeric' | 'categorical'>; values: string[] } {
  const edges: Record<string, number[]> = {};
  const kinds: Record<string, 'numeric' | 'categorical'> = {};
  const values: string[] = [];
  for (const f of present) {
    const p = refProfile.columns[f];
    kinds[f] = p.kind;
    if (p.kind === 'numeric') {
      edges[f] = p.edges;
      if (p.values) values.push(f);
    }
  }
  return { edges, kinds, values };
}

/**
 * The feature verdicts, settling columns whose sketch bounds straddle the threshold by pairing their raw
 * values (both sides are raw data whenever a sketch exists).
 */
export async function assessCollected(conn: DuckDBConnection, reference: ReferenceSide, current: CurrentSide, collected: Collected, config: DriftConfig, progress: (m: string) => void = () => {}): Promise<FeatureAssessment> {
  const a = assessFeatures(collected.columns, config);
  const open = Object.entries(a.features).filter(([, f]) => f.undecided).map(([name]) => name);
  if (!open.length) return a;
  if (reference.kind === 'data') {
    for (const f of open) {
      progress(`pairing raw values of ${f}: its sketch's bounds straddle the threshold`);
      collected.columns[f].raw = await pairColumn(conn, reference.sql, current.sql, f, undefined);
    }
    return assessFeatures(collected.columns, config);
  }
  // a package holds no raw reference values: the sketch's estimate decides, and the report says so;
  // a sketch that cannot tell at all (overlapping bins, few values) gives way to the profile's bins
  const undecidable = open.filter((f) => a.features[f].statistic === null);
  for (const f of undecidable) delete collected.columns[f].sketch;
  const b = undecidable.length ? assessFeatures(collected.columns, config) : a;
  for (const f of open) {
    const x = b.features[f];
    if (!x.undecided) continue;
    delete x.undecided;
    x.note = `the sketch's bounds [${x.bounds![0].toPrecision(4)}, ${x.bounds![1].toPrecision(4)}] straddle the threshold ${x.threshold}; the package holds no raw reference values, so the estimate decides`;
  }
  return b;
}

/** SQL: whether label `t` is the positive class: its text, or its number (a boolean column's true is 1) */
function isPositive(t: string, positive: string | number | boolean): string {
  const n = Number(positive);
  const text = `${t}::VARCHAR = ${sqlString(String(positive))}`;
  return Number.isFinite(n) && String(positive).trim() !== '' ? `(${text} OR TRY_CAST(${t} AS DOUBLE) = ${n})` : text;
}

/**
 * Labels that cannot be what they claim are an input error, not a silently wrong metric: a regression
 * label that is not a number (it would count as 0); for classification, more than two distinct labels, or
 * two of which neither is the positive class (every label would count as negative).
 */
async function checkLabels(conn: DuckDBConnection, lsql: string, t: string, display: string, column: string, positive?: string | number | boolean): Promise<void> {
  if (positive === undefined) {
    const bad = (await conn.runAndReadAll(`SELECT ${t}::VARCHAR, count(*) OVER () FROM ${lsql} l WHERE ${t} IS NOT NULL AND TRY_CAST(${t} AS DOUBLE) IS NULL LIMIT 1`)).getRows();
    if (bad.length) throw new InputError(`${display}: column '${column}' holds ${num(bad[0][1])} label(s) that are not numbers (first: ${JSON.stringify(bad[0][0])}); a regression target is a number`);
    return;
  }
  const values = (await conn.runAndReadAll(`SELECT DISTINCT ${t}::VARCHAR AS v, ${isPositive(t, positive)} AS pos FROM ${lsql} l WHERE ${t} IS NOT NULL ORDER BY v LIMIT 6`)).getRows();
  const shown = values.slice(0, 5).map((r) => JSON.stringify(r[0])).join(', ') + (values.length > 5 ? ', …' : '');
  if (values.length > 2) throw new InputError(`${display}: column '${column}' holds more than two distinct labels (${shown}); a binary target has two, the positive class ${JSON.stringify(String(positive))} and the other`);
  if (values.length === 2 && !values.some((r) => r[1] === true)) throw new InputError(`${display}: neither label in column '${column}' (${shown}) is the positive class ${JSON.stringify(String(positive))} (data.positive_label in model.yaml)`);
}

/**
 * Joins the window's predictions with a labels file (CSV, Parquet or JSON lines holding `idColumn` and
 * `targetColumn`) by request id. Labels are mapped to 0/1 for classification with `positive` as 1.
 */
export async function joinLabels(conn: DuckDBConnection, current: CurrentSide, labels: { path: string; display: string }, idColumn: string, targetColumn: string, positive?: string | number | boolean): Promise<{ predictions: Float64Array; labels: Float64Array; unmatched: number }> {
  if (!current.hasPredictions) throw new InputError(`--labels needs prediction logs as --current (a directory), got the data file ${current.source}`);
  const lsql = await dataSide(conn, labels.path, labels.display);
  return reading(labels, async () => {
    const types = await columnTypes(conn, lsql);
    for (const c of [idColumn, targetColumn]) if (!(c in types)) throw new InputError(`${labels.display}: no column '${c}'; expected the request id column '${idColumn}' and the target '${targetColumn}'`);
    const t = `l.${sqlIdent(targetColumn)}`;
    await checkLabels(conn, lsql, t, labels.display, targetColumn, positive);
    const target = positive === undefined ? `TRY_CAST(${t} AS DOUBLE)` : `CASE WHEN ${isPositive(t, positive)} THEN 1.0 ELSE 0.0 END`;
    const r = await conn.runAndReadAll(`
      SELECT TRY_CAST(c.prediction AS DOUBLE) AS p, ${target} AS y
      FROM ${current.sql} c JOIN ${lsql} l ON c.request_id = l.${sqlIdent(idColumn)}::VARCHAR
      WHERE TRY_CAST(c.prediction AS DOUBLE) IS NOT NULL AND l.${sqlIdent(targetColumn)} IS NOT NULL`);
    const cols = r.getColumns();
    const total = num((await conn.runAndReadAll(`SELECT count(*) FROM ${lsql}`)).getRows()[0][0]);
    const predictions = Float64Array.from((cols[0] ?? []) as number[]);
    return { predictions, labels: Float64Array.from((cols[1] ?? []) as number[]), unmatched: total - predictions.length };
  });
}
