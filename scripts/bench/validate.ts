/**
 * Benchmark of `slipway validate` (issue: validate-data). Run by hand: `npx tsx scripts/bench/validate.ts`.
 *
 * Data: 5,000,000 rows of the synthetic credit-risk table (generateDataset, seed 42), the 12 feature
 * columns, as CSV and Parquet (cached under .bench/). Contract: models/credit-risk/schema.json restricted to
 * those 12 columns (types, minimum/maximum/exclusiveMinimum, enums, required, null fraction, row count).
 * A second line runs the full 16-column contract (adds the id's pattern and uniqueness) on the full file,
 * against the bare scan alone and against the bare scan doing the same uniqueness and pattern work.
 *
 * Baselines, all in this run, each repeated; times are medians, ratios the median of the ratios measured back to
 * back within each repetition:
 * - bare DuckDB scan touching every column's values (CSV: min, max and count of each column of the auto-detected
 *   reader, which parses and converts every value and looks at each once; Parquet: max(hash(col)), since count(col) is answered from Parquet metadata);
 * - pandas read_csv + the same checks (/usr/bin/python3 scripts/bench/validate_pandas.py --fast; its own
 *   timer: read + checks, interpreter start and imports excluded);
 * - csv-parse + ajv row by row on a 200,000-row prefix (each repetition), extrapolated per row to 5M (stated as such);
 * - peak RSS of a separate `validate` process (GNU time %M).
 * The machine is shared: the load average is printed before and after.
 */
import { execFile } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { parse } from 'csv-parse';
import { openDuckDB, sqlIdent, sqlString } from '../../src/data/duckdb.js';
import { FEATURES, generateDataset } from '../../src/data/generate.js';
import { validateData } from '../../src/data/validate.js';
import type { RowSchema } from '../../src/spec/types.js';
import { median } from './median.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const BENCH = join(ROOT, '.bench');
const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000);
const SMALL = 200_000;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

// child mode: one validation, for the peak-RSS measurement
if (process.argv[2] === '--child') {
  const schema = JSON.parse(readFileSync(process.argv[3], 'utf8')) as RowSchema;
  const t = performance.now();
  const r = await validateData({ model: 'bench', schema, data: process.argv[4], compile: { schemaDisplay: process.argv[3], locate: () => ({}) } });
  process.stdout.write(JSON.stringify({ ok: r.report.ok, rows: r.report.rows, seconds: (performance.now() - t) / 1000 }) + '\n');
  process.exit(0);
}

const log = (s: string) => process.stdout.write(s + '\n');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

async function files(): Promise<{ full: Record<'csv' | 'parquet', string>; feat: Record<'csv' | 'parquet', string>; small: string }> {
  await mkdir(BENCH, { recursive: true });
  const full = { csv: join(BENCH, `validate-${ROWS}.csv`), parquet: join(BENCH, `validate-${ROWS}.parquet`) };
  const feat = { csv: join(BENCH, `validate-features-${ROWS}.csv`), parquet: join(BENCH, `validate-features-${ROWS}.parquet`) };
  const small = join(BENCH, `validate-features-${SMALL}.csv`);
  for (const f of Object.values(full)) {
    if (!existsSync(f)) {
      log(`generating ${f} …`);
      await generateDataset(f, { rows: ROWS, seed: 42 });
    }
  }
  const conn = await openDuckDB();
  const cols = FEATURES.map(sqlIdent).join(', ');
  for (const [fmt, f] of Object.entries(feat)) {
    if (!existsSync(f)) {
      log(`writing ${f} …`);
      await conn.run(`COPY (SELECT ${cols} FROM read_parquet(${sqlString(full.parquet)})) TO ${sqlString(f)} (${fmt === 'csv' ? 'HEADER' : 'FORMAT parquet, COMPRESSION zstd'})`);
    }
  }
  if (!existsSync(small)) await conn.run(`COPY (SELECT ${cols} FROM read_parquet(${sqlString(full.parquet)}) LIMIT ${SMALL}) TO ${sqlString(small)} (HEADER)`);
  conn.closeSync();
  return { full, feat, small };
}

function featureContract(): RowSchema {
  const s = JSON.parse(readFileSync(join(ROOT, 'models/credit-risk/schema.json'), 'utf8')) as RowSchema;
  const props = Object.fromEntries(FEATURES.map((f) => [f, s.properties[f]]));
  return { type: 'object', required: [...FEATURES], properties: props, 'x-slipway': { rows: { min: 100 }, max_null_fraction: 0.01, unknown_columns: 'warn' } };
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function bare(path: string, columns: string[], fmt: 'csv' | 'parquet', extra: string[] = []): Promise<void> {
  const conn = await openDuckDB({ memoryLimit: '512MB' });
  const sel = [...(fmt === 'csv' ? columns.map((c) => `min(${sqlIdent(c)}), max(${sqlIdent(c)}), count(${sqlIdent(c)})`) : columns.map((c) => `max(hash(${sqlIdent(c)}))`)), ...extra];
  await conn.runAndReadAll(`SELECT ${sel.join(', ')} FROM ${fmt === 'csv' ? `read_csv(${sqlString(path)})` : `read_parquet(${sqlString(path)})`}`);
  conn.closeSync();
}

async function slipway(schema: RowSchema, path: string): Promise<boolean> {
  const r = await validateData({ model: 'bench', schema, data: path, compile: { schemaDisplay: 'schema', locate: () => ({}) } });
  if (r.report.rows !== ROWS) throw new Error(`expected ${ROWS} rows, got ${r.report.rows}`);
  return r.report.ok;
}

async function pandas(schemaFile: string, path: string): Promise<{ inner: number; wall: number }> {
  const t = performance.now();
  const { stdout } = await run('/usr/bin/python3', [join(ROOT, 'scripts/bench/validate_pandas.py'), '--fast', schemaFile, path], { maxBuffer: 1 << 24 });
  const out = JSON.parse(stdout) as { seconds: number; rows: number };
  if (out.rows !== ROWS) throw new Error(`pandas read ${out.rows} rows`);
  return { inner: out.seconds, wall: (performance.now() - t) / 1000 };
}

/** csv-parse + ajv row by row: values cast by the contract's declared types, every row validated. */
async function csvParseAjv(schema: RowSchema, path: string): Promise<{ seconds: number; rows: number; errors: number }> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const rowSchema = { ...schema };
  delete rowSchema['x-slipway'];
  const validate = ajv.compile(rowSchema);
  const numeric = new Set(Object.entries(schema.properties).filter(([, s]) => [s.type].flat().some((t) => t === 'number' || t === 'integer')).map(([c]) => c));
  const boolean = new Set(Object.entries(schema.properties).filter(([, s]) => [s.type].flat().includes('boolean')).map(([c]) => c));
  const t = performance.now();
  let rows = 0;
  let errors = 0;
  const parser = createReadStream(path).pipe(parse({ columns: true }));
  for await (const rec of parser as AsyncIterable<Record<string, string>>) {
    const row: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) {
      if (v === '') continue;
      if (numeric.has(k)) {
        const n = Number(v);
        row[k] = Number.isFinite(n) ? n : v;
      } else if (boolean.has(k)) row[k] = v === 'true' ? true : v === 'false' ? false : v;
      else row[k] = v;
    }
    if (!validate(row)) errors += validate.errors?.length ?? 0;
    rows++;
  }
  return { seconds: (performance.now() - t) / 1000, rows, errors };
}

async function peakRss(schemaFile: string, path: string): Promise<{ mb: number; seconds: number }> {
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'MAXRSS %M', process.execPath, '--import', 'tsx', join(ROOT, 'scripts/bench/validate.ts'), '--child', schemaFile, path], { cwd: ROOT, maxBuffer: 1 << 24 });
  const kb = Number(/MAXRSS (\d+)/.exec(stderr)?.[1]);
  return { mb: kb / 1024, seconds: (JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number }).seconds };
}

const f = await files();
const feat = featureContract();
const featFile = join(BENCH, 'features.schema.json');
writeFileSync(featFile, JSON.stringify(feat, null, 2));
const fullFile = join(ROOT, 'models/credit-risk/schema.json');
const full = JSON.parse(readFileSync(fullFile, 'utf8')) as RowSchema;
const featCols = [...FEATURES];
const fullCols = Object.keys(full.properties);
// the full contract's own extra work, done bare: the id's uniqueness (a hash table) and its pattern
const uniqueWork = [`count(DISTINCT "id")`, `count(*) FILTER (WHERE NOT regexp_matches("id", ${sqlString(String(full.properties.id.pattern))}))`];

log(`validate benchmark: ${ROWS.toLocaleString('en-US')} rows; ${REPEAT} repetitions, median; load average at start: ${load()}`);
const t: Record<string, number[]> = {};
const push = (k: string, v: number) => (t[k] ??= []).push(v);
const pandasWall: number[] = [];
for (let i = 0; i < REPEAT; i++) {
  push('csv bare', await timeIt(() => bare(f.feat.csv, featCols, 'csv')));
  push('csv slipway', await timeIt(() => slipway(feat, f.feat.csv)));
  const p = await pandas(featFile, f.feat.csv);
  push('csv pandas', p.inner);
  pandasWall.push(p.wall);
  push('parquet bare', await timeIt(() => bare(f.feat.parquet, featCols, 'parquet')));
  push('parquet slipway', await timeIt(() => slipway(feat, f.feat.parquet)));
  push('full csv bare', await timeIt(() => bare(f.full.csv, fullCols, 'csv')));
  push('full csv slipway', await timeIt(() => slipway(full, f.full.csv)));
  push('full parquet bare', await timeIt(() => bare(f.full.parquet, fullCols, 'parquet')));
  push('full parquet slipway', await timeIt(() => slipway(full, f.full.parquet)));
  push('full csv bare+unique', await timeIt(() => bare(f.full.csv, fullCols, 'csv', uniqueWork)));
  push('full parquet bare+unique', await timeIt(() => bare(f.full.parquet, fullCols, 'parquet', uniqueWork)));
  const cp = await csvParseAjv(feat, f.small);
  if (cp.rows !== SMALL) throw new Error(`csv-parse read ${cp.rows} rows`);
  push('csv-parse per row', cp.seconds / cp.rows);
  log(`  repetition ${i + 1}: ${Object.entries(t).filter(([k]) => k !== 'csv-parse per row').map(([k, v]) => `${k} ${v[v.length - 1].toFixed(2)}s`).join(', ')}, csv-parse+ajv ${cp.seconds.toFixed(2)}s/${SMALL}`);
}
const rss = await peakRss(featFile, f.feat.csv);
const rssFull = await peakRss(fullFile, f.full.csv);
const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
const csvParsePerRow = m['csv-parse per row'];
/** the median over repetitions of a ratio measured back to back within one repetition (robust to load swings) */
const r = (a: string, b: string) => median(t[a].map((x, i) => x / t[b][i])).toFixed(2);

const line = (label: string, secs: number, ratio?: string) => log(`  ${label.padEnd(58)} ${secs.toFixed(2).padStart(7)} s${ratio ? `   ${ratio}` : ''}`);
log('');
log(`CSV, 12 feature columns (${(readFileSync(f.feat.csv).length / 1e6).toFixed(0)} MB)`);
line('slipway validate', m['csv slipway']);
line('bare DuckDB scan (min, max, count of every column)', m['csv bare'], `slipway / bare = ${r('csv slipway', 'csv bare')}× (target ≤ 1.3×)`);
line(`pandas read_csv + checks (wall incl. python start ${median(pandasWall).toFixed(2)} s)`, m['csv pandas'], `pandas / slipway = ${r('csv pandas', 'csv slipway')}× (target ≥ 3×)`);
line(`csv-parse + ajv, ${SMALL.toLocaleString('en-US')} rows in ${(csvParsePerRow * SMALL).toFixed(2)} s, extrapolated`, csvParsePerRow * ROWS, `csv-parse+ajv / slipway = ${median(t['csv-parse per row'].map((x, i) => (x * ROWS) / t['csv slipway'][i])).toFixed(1)}× (target ≥ 20×)`);
log(`Parquet, 12 feature columns`);
line('slipway validate', m['parquet slipway']);
line('bare DuckDB scan (max(hash) of every column)', m['parquet bare'], `slipway / bare = ${r('parquet slipway', 'parquet bare')}× (target ≤ 1.3×)`);
log(`Full contract, 16 columns (adds the id's pattern and uniqueness: a regex and a 5M-entry hash table)`);
line('CSV: slipway validate', m['full csv slipway'], `/ bare ${m['full csv bare'].toFixed(2)} s = ${r('full csv slipway', 'full csv bare')}×; / bare + the same uniqueness and pattern work ${m['full csv bare+unique'].toFixed(2)} s = ${r('full csv slipway', 'full csv bare+unique')}×`);
line('Parquet: slipway validate', m['full parquet slipway'], `/ bare ${m['full parquet bare'].toFixed(2)} s = ${r('full parquet slipway', 'full parquet bare')}×; / bare + the same uniqueness and pattern work ${m['full parquet bare+unique'].toFixed(2)} s = ${r('full parquet slipway', 'full parquet bare+unique')}×`);
log(`Peak RSS of a validate process (node + DuckDB, memory_limit 512MB)`);
log(`  12-column CSV: ${rss.mb.toFixed(0)} MB (validation ${rss.seconds.toFixed(2)} s); 16-column CSV with uniqueness: ${rssFull.mb.toFixed(0)} MB (${rssFull.seconds.toFixed(2)} s)   target < 1024 MB`);
log(`load average at end: ${load()} (2 cores shared with other work: absolute times vary, ratios are measured back to back)`);
