import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Command } from '../command.js';
import { str } from '../command.js';
import { annotationCommand } from '../../data/annotations.js';
import { validationMarkdown, validationText } from '../../data/markdown.js';
import { dataLocation } from '../../data/duckdb.js';
import { parseSize } from '../../data/read-input.js';
import { validateData, type LocatedViolation } from '../../data/validate.js';
import type { ValidationReport } from '../../data/validation-types.js';
import type { Profile } from '../../drift/profile.js';
import { readEnv } from '../../env.js';
import { UsageError } from '../../errors.js';
import { environmentFile, loadEnvironment } from '../../spec/environment.js';
import { loadContract, loadModel } from '../../spec/model.js';
import { isRemote } from '../../spec/paths.js';
import { findRepoRoot } from '../../spec/repo.js';
import { writeFileAtomic } from '../../fs/atomic.js';
import type { LoadedModel } from '../../spec/types.js';
import { displayPath, locate } from '../../spec/yaml-file.js';
import { openStore, storeLocation } from '../../store/open.js';

/** The reference profile of the model pinned in the environment, or why there is none. */
async function productionReference(m: LoadedModel, env: string, storeFlag: string | undefined, vars: NodeJS.ProcessEnv): Promise<{ profile?: Profile; note: string }> {
  if (!existsSync(environmentFile(m.repoRoot, env))) return { note: `no environments/${env}.yaml: schema drift skipped` };
  const { spec } = await loadEnvironment(m.repoRoot, env);
  const pin = spec.models?.[m.spec.name];
  if (!pin) return { note: `no ${m.spec.name} model in ${env} yet: schema drift skipped` };
  try {
    const store = openStore(storeLocation(storeFlag, vars), m.repoRoot);
    const dir = await store.get(pin.digest);
    const { readPackage } = await import('../../package/read.js');
    const pkg = await readPackage(dir);
    if (!pkg.card.reference || !Object.keys(pkg.card.reference.columns ?? {}).length) return { note: `${m.spec.name} ${pin.version} in ${env} has no reference profile: schema drift skipped` };
    return { profile: pkg.card.reference, note: `schema drift against ${m.spec.name} ${pin.version} (${pin.digest.slice(0, 19)}…) in ${env}` };
  } catch (e) {
    return { note: `cannot read ${m.spec.name} ${pin.version} (${pin.digest}) from the store (${(e as Error).message}): schema drift skipped` };
  }
}

/** Several files' reports as one: ok of all, rows summed, violations tagged with their file. */
export function combineReports(model: string, reports: ValidationReport[]): ValidationReport {
  if (reports.length === 1) return reports[0];
  return {
    ok: reports.every((r) => r.ok),
    model,
    data: reports.map((r) => r.data).join(', '),
    format: reports[0].format,
    rows: reports.reduce((s, r) => s + r.rows, 0),
    columns: reports[0].columns,
    violations: reports.flatMap((r) => r.violations.map((v) => ({ ...v, data: r.data }))),
    ...(reports[0].schema_drift ? { schema_drift: reports[0].schema_drift } : {}),
    duration_ms: reports.reduce((s, r) => s + r.duration_ms, 0),
    datasets: reports,
  };
}

/** Bounds of --memory-limit: below, DuckDB cannot start or read a CSV buffer; above, it cannot represent the limit. */
const MIN_MEMORY = 16 * 2 ** 20;
const MAX_MEMORY = 2 ** 50;

function checkMemoryLimit(value: string): void {
  const bytes = /^\d+(\.\d+)?\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)$/i.test(value) ? parseSize(value) : NaN;
  if (!(bytes >= MIN_MEMORY && bytes <= MAX_MEMORY)) {
    throw new UsageError(`--memory-limit expects a size like 512MB or 2GB, got '${value}'; it must be between 16MiB and 1024TiB`);
  }
}

export const validate: Command = {
  name: 'validate',
  summary: "Check a dataset against the model's data contract (models/<name>/schema.json) with DuckDB.",
  details: `Every rule of the contract is counted exactly in one DuckDB scan (CSV, Parquet, JSON lines;
local files or URLs DuckDB reads). For each violated rule the first ${5} rows are shown, re-checked with ajv.
Schema drift (new/missing columns, type changes, new categories) is reported against the reference
profile of the model pinned in --env, when there is one.

Exit codes: 0 the contract holds, 1 it is violated, 2 bad input or config.
See docs/validate.md.`,
  options: {
    model: { type: 'string', value: '<name>', description: 'model under models/<name>/', required: true },
    data: { type: 'string', value: '<path|url>', description: 'CSV, Parquet or JSON lines file to check (default: data.train and data.test of model.yaml)', expected: 'a data file path or URL (leave the flag out to validate data.train and data.test)' },
    report: { type: 'string', value: '<file.json>', description: 'write the JSON report here' },
    env: { type: 'string', value: '<env>', description: 'environment whose pinned model gives the reference for schema drift', default: 'production' },
    store: { type: 'string', value: '<path|url>', description: 'model store (default: SLIPWAY_STORE or .slipway/store)' },
    'memory-limit': { type: 'string', value: '<size>', description: "DuckDB memory limit; larger work spills to a temp directory", default: '512MB' },
  },
  async run(opts, _pos, ctx) {
    const env = readEnv(ctx.env);
    const memoryLimit = str(opts, 'memory-limit')!;
    checkMemoryLimit(memoryLimit);
    const repoRoot = findRepoRoot(ctx.cwd);
    const m = await loadModel(repoRoot, str(opts, 'model')!);
    const contract = await loadContract(m.schemaFile);
    const schemaRel = relative(repoRoot, m.schemaFile).split('\\').join('/');
    const dataFlag = str(opts, 'data'); // a blank one is refused with its `expected` (checkTokens)
    const files = dataFlag
      ? [{ path: dataLocation(dataFlag, ctx.cwd), display: dataFlag }]
      : [m.spec.data.train, m.spec.data.test].map((p) => (isRemote(p) ? { path: p, display: p } : { path: resolve(m.dir, p), display: displayPath(resolve(m.dir, p), ctx.cwd) }));

    const ref = await productionReference(m, str(opts, 'env')!, str(opts, 'store'), ctx.env);
    ctx.stderr(`${ref.note}\n`);
    const reports: ValidationReport[] = [];
    const located: LocatedViolation[] = [];
    for (const f of files) {
      ctx.stderr(`validating ${f.display} against ${schemaRel}\n`);
      const r = await validateData({
        model: m.spec.name,
        schema: m.schema,
        data: f.path,
        display: f.display,
        compile: { schemaDisplay: contract.display, locate: (p) => locate(contract, p) },
        memoryLimit,
        reference: ref.profile,
        driftIgnore: [m.target, ...(m.spec.data.id ? [m.spec.data.id] : [])],
        progress: (line) => ctx.stderr(`  ${line}\n`),
      });
      reports.push(r.report);
      located.push(...r.located.map((v) => ({ ...v, data: f.display })));
      ctx.stdout(validationText(r.report));
    }
    const combined = combineReports(m.spec.name, reports);
    const reportFile = str(opts, 'report');
    if (reportFile) {
      const abs = resolve(ctx.cwd, reportFile);
      await writeFileAtomic(abs, JSON.stringify(combined, null, 2) + '\n');
      ctx.stderr(`wrote ${reportFile}\n`);
      ctx.setOutput('report', abs);
    }
    ctx.setOutput('ok', String(combined.ok));
    ctx.appendSummary(validationMarkdown(combined));
    if (env.githubActions) {
      for (const v of located) {
        const pos = locate(contract, v.schemaPath);
        const what = `${v.column ?? 'dataset'}: ${v.rule} (expected ${v.expected})`;
        const first = v.examples[0] ? `; first at row ${v.examples[0].row}: ${v.examples[0].message}` : '';
        ctx.stdout(
          annotationCommand({
            level: v.severity,
            file: schemaRel,
            line: pos.line,
            column: pos.column,
            title: `data contract: ${v.column ?? 'dataset'} ${v.rule}`,
            message: `${v.data}: ${what}: ${v.count} of ${v.fraction_of_rows > 0 ? Math.round(v.count / v.fraction_of_rows) : 0} rows${first}`,
          }),
        );
      }
    }
    return combined.ok ? 0 : 1;
  },
};
