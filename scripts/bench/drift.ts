/**
 * Drift benchmark: 5M reference rows vs 5M current rows × 12 features (Parquet, the current window with
 * covariate drift), Slipway's `slipway drift` on the raw data (value sketches: exact for discrete columns,
 * certified bounds for continuous ones; see docs/drift.md) vs pandas + SciPy doing the same tests
 * (scripts/bench/drift_baseline.py), in the same run. Prints times, ratios and the largest disagreement
 * between the two sets of statistics.
 *
 *   npx tsx scripts/bench/drift.ts [--rows 5000000]
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateDataset, FEATURES } from '../../src/data/generate.js';
import { runCli } from '../../test/support/cli.js';

const run = promisify(execFile);
const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 5_000_000;
const dir = join(process.cwd(), '.scratch', 'bench-drift');
mkdirSync(dir, { recursive: true });
const files = {
  refParquet: join(dir, `ref-${ROWS}.parquet`),
  curParquet: join(dir, `cur-${ROWS}.parquet`),
  refCsv: join(dir, `ref-${ROWS}.csv`),
  curCsv: join(dir, `cur-${ROWS}.csv`),
};
const gen = async (path: string, seed: number, shift: number, idOffset: number) => {
  if (existsSync(path)) return;
  console.log(`generating ${path}`);
  await generateDataset(path, { rows: ROWS, seed, covariateShift: shift, idOffset });
};
await gen(files.refParquet, 1, 0, 0);
await gen(files.curParquet, 2, 0.1, ROWS);
await gen(files.refCsv, 1, 0, 0);
await gen(files.curCsv, 2, 0.1, ROWS);

const NUMERIC = ['income', 'debt_ratio', 'credit_lines', 'utilization', 'late_payments', 'employment_years', 'loan_amount', 'term_months'];
const CATEGORICAL = FEATURES.filter((f) => !NUMERIC.includes(f));

console.log(`\nSlipway: slipway drift --reference <5M parquet> --current <5M parquet> (value sketches; exact or certified bounds)`);
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const reportFile = join(dir, 'report.json');
const t0 = performance.now();
const r = await runCli(['drift', '--model', 'credit-risk', '--reference', files.refParquet, '--current', files.curParquet, '--report', reportFile]);
const slipwayS = (performance.now() - t0) / 1000;
if (r.code !== 0 && r.code !== 1) throw new Error(`slipway drift failed (${r.code}): ${r.stderr}`);
process.stdout.write(r.stderr.split('\n').filter((l) => l.startsWith('drift:')).map((l) => `  ${l}`).join('\n') + '\n');
const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { features: Record<string, { test: string; statistic: number; drifted: boolean; basis: string; threshold: number }> };

// the same comparison from the CSV copies pandas reads (like for like on the input format)
const t2 = performance.now();
const rc = await runCli(['drift', '--model', 'credit-risk', '--reference', files.refCsv, '--current', files.curCsv, '--report', join(dir, 'report-csv.json')]);
const slipwayCsvS = (performance.now() - t2) / 1000;
if (rc.code !== 0 && rc.code !== 1) throw new Error(`slipway drift on CSV failed (${rc.code}): ${rc.stderr}`);

console.log('pandas + SciPy: read_csv + the same tests (Debian pandas cannot read Parquet)');
const t1 = performance.now();
const py = await run('/usr/bin/python3', [join('scripts', 'bench', 'drift_baseline.py'), files.refCsv, files.curCsv, NUMERIC.join(','), CATEGORICAL.join(',')], { maxBuffer: 1 << 24 });
const pyWall = (performance.now() - t1) / 1000;
const base = JSON.parse(py.stdout) as { read_s: number; tests_s: number; features: Record<string, { test: string; statistic: number }> };

let maxAbs = 0;
let verdicts = 0;
console.log(`\n${'feature'.padEnd(18)} ${'test'.padEnd(14)} ${'basis'.padEnd(7)} ${'slipway'.padStart(12)} ${'SciPy'.padStart(12)}  drifted (threshold)`);
for (const [f, b] of Object.entries(base.features)) {
  const s = report.features[f];
  const scipyDrift = b.statistic >= s.threshold;
  if (s.drifted === scipyDrift) verdicts++;
  console.log(`${f.padEnd(18)} ${s.test.padEnd(14)} ${s.basis.padEnd(7)} ${s.statistic.toPrecision(5).padStart(12)} ${b.statistic.toPrecision(5).padStart(12)}  ${s.drifted}/${scipyDrift} (${s.threshold})`);
  if (s.test !== b.test) console.log(`  note: ${f}: slipway ran ${s.test}, baseline ${b.test}`);
  else maxAbs = Math.max(maxAbs, Math.abs(s.statistic - b.statistic));
}
const pad = (s: string) => s.padEnd(44);
console.log(`\nrows: ${ROWS} reference + ${ROWS} current, 12 features`);
console.log(`${pad('slipway drift (total, incl. reading Parquet)')} ${slipwayS.toFixed(2)} s`);
console.log(`${pad('pandas + SciPy, tests only (data in memory)')} ${base.tests_s.toFixed(2)} s   ratio ${(base.tests_s / slipwayS).toFixed(1)}×`);
console.log(`${pad('pandas + SciPy, read_csv + tests')} ${(base.read_s + base.tests_s).toFixed(2)} s   ratio ${((base.read_s + base.tests_s) / slipwayS).toFixed(1)}×`);
console.log(`${pad('pandas + SciPy, process wall time')} ${pyWall.toFixed(2)} s`);
console.log(`${pad('slipway drift on the CSV copies (total)')} ${slipwayCsvS.toFixed(2)} s   pandas read_csv + tests / slipway on CSV: ${((base.read_s + base.tests_s) / slipwayCsvS).toFixed(1)}×`);
console.log(`largest absolute difference between the statistics (thresholds are 0.1): ${maxAbs.toExponential(2)}; same verdict on ${verdicts}/${Object.keys(base.features).length} features`);
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`\nRATIO (pandas + SciPy tests only / slipway drift total): ${(base.tests_s / slipwayS).toFixed(1)}×  (target ≥ 10×)`);
