import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDuckDB, sqlString } from '../../src/data/duckdb.js';
import type { ValidationReport } from '../../src/data/validation-types.js';
import { runCli } from '../support/cli.js';
import { gitInitCommit } from '../support/git-repo.js';
import { tempDir } from '../support/tmp.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const t = tempDir('slipway-validate-cli-');
const repo = t.dir;
cpSync(join(ROOT, 'models', 'credit-risk', 'model.yaml'), join(repo, 'models', 'credit-risk', 'model.yaml'));
cpSync(join(ROOT, 'models', 'credit-risk', 'schema.json'), join(repo, 'models', 'credit-risk', 'schema.json'));
cpSync(join(ROOT, 'environments'), join(repo, 'environments'), { recursive: true });
writeFileSync(join(repo, '.gitignore'), '.slipway/\nmodels/*/data/\n*.csv\n*.json\n');
gitInitCommit(repo);

const env = { ...process.env, GITHUB_ACTIONS: '', SLIPWAY_STORE: '', SLIPWAY_EXECUTION_PROVIDER: 'cpu' };
const schemaText = readFileSync(join(repo, 'models', 'credit-risk', 'schema.json'), 'utf8');
const lineOf = (needle: string) => schemaText.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('slipway validate (CLI)', () => {
  it('by default validates data.train and data.test of model.yaml: exit 0, ok output, summary', async () => {
    const g = await runCli(['generate', '--model', 'credit-risk', '--rows', '2000'], repo, env);
    expect(g.code, g.stderr).toBe(0);
    const r = await runCli(['validate', '--model', 'credit-risk', '--report', 'out/report.json'], repo, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS models\/credit-risk\/data\/train\.parquet: 2000 rows, 16 columns, 0 violation/m);
    expect(r.stdout).toMatch(/^PASS models\/credit-risk\/data\/test\.parquet: 500 rows/m);
    expect(r.stderr).toContain('no credit-risk model in production yet: schema drift skipped');
    expect(r.outputs).toEqual({ ok: 'true', report: join(repo, 'out/report.json') });
    const report = JSON.parse(readFileSync(join(repo, 'out/report.json'), 'utf8')) as ValidationReport;
    expect(report).toMatchObject({ ok: true, model: 'credit-risk', rows: 2500, violations: [] });
    expect(report.datasets!.map((d) => [d.data, d.format, d.rows])).toEqual([
      ['models/credit-risk/data/train.parquet', 'parquet', 2000],
      ['models/credit-risk/data/test.parquet', 'parquet', 500],
    ]);
    expect(r.summary).toContain('✅ **Data contract holds** for `credit-risk`');
  });

  it('a violated contract: exit 1, the JSON report, markdown, and annotations on the schema lines in Actions', async () => {
    await runCli(['generate', '--out', 'bad.csv', '--rows', '3000', '--violations', '0.05', '--seed', '4'], repo, env);
    const r = await runCli(['validate', '--model', 'credit-risk', '--data', 'bad.csv', '--report', 'bad-report.json'], repo, { ...env, GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(1);
    expect(r.outputs.ok).toBe('false');
    const report = JSON.parse(readFileSync(join(repo, 'bad-report.json'), 'utf8')) as ValidationReport;
    expect(report).toMatchObject({ ok: false, model: 'credit-risk', data: 'bad.csv', format: 'csv', rows: 3000 });
    expect(report.columns).toHaveLength(16);
    expect(report.violations.map((v) => `${v.column}/${v.rule}`).sort()).toEqual(['debt_ratio/max_null_fraction', 'debt_ratio/required', 'income/minimum', 'region/enum', 'utilization/maximum']);
    for (const v of report.violations) {
      expect(v.count).toBeGreaterThan(0);
      expect(v.examples.length).toBe(5);
      expect(v.fraction_of_rows).toBeCloseTo(v.count / 3000, 12);
    }
    const income = report.violations.find((v) => v.column === 'income')!;
    const annotation = r.stdout.split('\n').find((l) => l.startsWith('::error') && l.includes('income minimum'))!;
    expect(annotation).toBe(
      `::error file=models/credit-risk/schema.json,line=${lineOf('"income": {')},col=${schemaText.split('\n')[lineOf('"income": {') - 1].indexOf('"minimum": ') + '"minimum": '.length + 1},title=data contract%3A income minimum::bad.csv: income: minimum (expected >= 0): ${income.count} of 3000 rows; first at row ${income.examples[0].row}: ${income.examples[0].message}`,
    );
    const debt = r.stdout.split('\n').find((l) => l.startsWith('::error') && l.includes('debt_ratio required'))!;
    expect(debt).toContain(`line=${lineOf('"required"')}`);
    expect(r.summary).toContain('❌ **Data contract violated** for `credit-risk`: 5 rules failed');
    expect(r.summary).toContain(`| ❌ | income | <code>minimum</code> | &#62;= 0 | ${income.count} |`);
  });

  it('schema drift against the reference profile of the model pinned in production', async () => {
    const trained = await runCli(['train', '--model', 'credit-risk'], repo, env);
    expect(trained.code, trained.stderr).toBe(0);
    const digest = trained.stdout.trim().split('\n').pop()!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const prod = join(repo, 'environments', 'production.yaml');
    writeFileSync(prod, readFileSync(prod, 'utf8').replace('models: {}', `models:\n  credit-risk:\n    version: 1.0.0\n    digest: ${digest}\n`));
    // new data: purpose dropped, a new column, income no longer numeric, a region never seen in training
    const conn = await openDuckDB();
    await conn.run(`COPY (SELECT * EXCLUDE (purpose, income, region), CASE WHEN id = 'A000002007' THEN 'n/a' ELSE income::VARCHAR END AS income,
        CASE WHEN id IN ('A000002003', 'A000002009') THEN 'atlantis' ELSE region END AS region, 1 AS bonus
      FROM read_parquet(${sqlString(join(repo, 'models/credit-risk/data/test.parquet'))})) TO ${sqlString(join(repo, 'new.csv'))} (HEADER)`);
    conn.closeSync();
    const r = await runCli(['validate', '--model', 'credit-risk', '--data', 'new.csv', '--report', 'drift.json'], repo, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('schema drift against credit-risk 1.0.0');
    const report = JSON.parse(readFileSync(join(repo, 'drift.json'), 'utf8')) as ValidationReport;
    expect(report.schema_drift).toEqual({
      new_columns: ['bonus'],
      missing_columns: ['purpose'],
      type_changes: [{ column: 'income', from: 'numeric', to: 'categorical (VARCHAR)' }],
      new_categories: { region: ['atlantis'] },
    });
    expect(r.stdout).toContain('schema drift: new categories in region: atlantis');
    expect(r.summary).toContain('- new categories in <code>region</code>: <code>atlantis</code>');
  });

  it('a pattern RE2 cannot run is a config error located in schema.json (exit 2)', async () => {
    cpSync(join(repo, 'models', 'credit-risk'), join(repo, 'models', 'look'), { recursive: true });
    const y = join(repo, 'models', 'look', 'model.yaml');
    writeFileSync(y, readFileSync(y, 'utf8').replace('name: credit-risk', 'name: look'));
    const s = join(repo, 'models', 'look', 'schema.json');
    const text = readFileSync(s, 'utf8').replace('"^A[0-9]{9}$"', '"^A(?!0)[0-9]{9}$"');
    writeFileSync(s, text);
    const r = await runCli(['validate', '--model', 'look', '--data', 'bad.csv'], repo, env);
    expect(r.code).toBe(2);
    const line = text.split('\n').findIndex((l) => l.includes('(?!0)')) + 1;
    expect(r.stderr).toContain(`models/look/schema.json:${line}:`);
    expect(r.stderr).toContain('/properties/id/pattern: the pattern uses a lookahead (?= / (?!');
  });

  it('bad flags: exit 2', async () => {
    expect((await runCli(['validate'], repo, env)).code).toBe(2);
    const r = await runCli(['validate', '--model', 'credit-risk', '--memory-limit', 'lots'], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--memory-limit expects a size like 512MB or 2GB, got 'lots'");
    const h = await runCli(['validate', '--help'], repo, env);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--data <path|url>');
  });
});
