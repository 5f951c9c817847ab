import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/data/generate.js';
import { runCli } from '../support/cli.js';
import { GitHubTestServer } from '../support/github/server.js';

const ROOT = process.cwd();
let dir: string;
let gh: GitHubTestServer;
const TOKEN = 'ghs_drifttoken000000000000000000000000';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-drift-'));
  await generateDataset(join(dir, 'ref.parquet'), { rows: 3000, seed: 1 });
  await generateDataset(join(dir, 'same.parquet'), { rows: 3000, seed: 2, idOffset: 3000 });
  await generateDataset(join(dir, 'shifted.parquet'), { rows: 3000, seed: 3, covariateShift: 0.5, idOffset: 6000 });
  await generateDataset(join(dir, 'small.csv'), { rows: 400, seed: 4 });
  gh = await GitHubTestServer.start();
  gh.addToken(TOKEN, 'github-actions[bot]', { installation: true, permissions: { issues: 'write', actions: 'write', metadata: 'read' } });
});
afterAll(async () => {
  await gh?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.apiUrl, GITHUB_REPOSITORY: 'acme/risk', GITHUB_RUN_ID: '42', GITHUB_SERVER_URL: 'https://github.test' });

describe('slipway drift', () => {
  it('reports no drift (exit 0) for a window from the same population, with the JSON shape of the issue', async () => {
    const report = join(dir, 'same.json');
    const r = await runCli(['drift', '--model', 'credit-risk', '--reference', join(dir, 'ref.parquet'), '--current', join(dir, 'same.parquet'), '--report', report], ROOT);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const j = JSON.parse(readFileSync(report, 'utf8'));
    expect(j.drifted).toBe(false);
    expect(Object.keys(j.features)).toHaveLength(12);
    for (const f of Object.values(j.features) as Record<string, unknown>[]) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['test', 'statistic', 'threshold', 'p_value', 'drifted', 'n_ref', 'n_cur']));
    }
    expect(j.features.income.test).toBe('wasserstein');
    expect(j.features.income.basis).toBe('raw');
    expect(j.features.region.test).toBe('jensenshannon');
    expect(j).toHaveProperty('prediction', null);
    expect(j).toHaveProperty('performance', null);
    expect(r.outputs.drifted).toBe('false');
    expect(r.summary).toContain('No drift');
  });

  it('detects covariate drift in income and utilization (exit 1), and small references use KS / chi-square / z', async () => {
    const r = await runCli(['drift', '--model', 'credit-risk', '--reference', join(dir, 'ref.parquet'), '--current', join(dir, 'shifted.parquet'), '--report', join(dir, 'shifted.json')], ROOT);
    expect(r.code).toBe(1);
    const j = JSON.parse(readFileSync(join(dir, 'shifted.json'), 'utf8'));
    expect(j.drifted_features).toEqual(expect.arrayContaining(['income', 'utilization']));
    expect(j.features.debt_ratio.drifted).toBe(false);
    const s = await runCli(['drift', '--model', 'credit-risk', '--reference', join(dir, 'small.csv'), '--current', join(dir, 'shifted.parquet'), '--report', join(dir, 'small.json')], ROOT);
    const k = JSON.parse(readFileSync(join(dir, 'small.json'), 'utf8'));
    expect(k.features.income.test).toBe('ks');
    expect(k.features.region.test).toBe('chisquare');
    expect(k.features.has_cosigner.test).toBe('z');
    expect(k.features.term_months.test).toBe('z');
    expect(s.code).toBe(1);
  });

  it('bad input exits 2 with a clear message', async () => {
    const r = await runCli(['drift', '--model', 'credit-risk', '--reference', join(dir, 'ref.parquet'), '--current', join(dir, 'nope.parquet')], ROOT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.parquet: file not found');
    const u = await runCli(['drift', '--model', 'credit-risk', '--env', 'production', '--current', join(dir, 'same.parquet')], ROOT);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/not pinned in environment 'production'/);
  });

  it('keeps one issue per (model, env): opened with a retrain dispatch, updated, closed when drift clears', async () => {
    const args = (cur: string) => ['drift', '--model', 'credit-risk', '--env', 'staging', '--reference', join(dir, 'ref.parquet'), '--current', join(dir, cur), '--issue', '--dispatch', 'retrain.yml'];
    const first = await runCli(args('shifted.parquet'), ROOT, env());
    expect(first.code).toBe(1);
    const repo = gh.repo('acme', 'risk');
    const issues = () => [...repo.issues.values()];
    expect(issues()).toHaveLength(1);
    expect(issues()[0].state).toBe('open');
    expect(issues()[0].body).toContain('<!-- slipway:drift model=credit-risk env=staging -->');
    expect(issues()[0].body).toContain('https://github.test/acme/risk/actions/runs/42');
    expect(repo.dispatches).toHaveLength(1);
    expect(repo.dispatches[0]).toMatchObject({ workflow_id: 'retrain.yml', ref: 'main', inputs: { model: 'credit-risk', env: 'staging', window: join(dir, 'shifted.parquet') } });

    const second = await runCli(args('shifted.parquet'), ROOT, env());
    expect(second.code).toBe(1);
    expect(issues()).toHaveLength(1);
    expect(second.outputs.issue).toBe(String(issues()[0].number));

    const cleared = await runCli(args('same.parquet'), ROOT, env());
    expect(cleared.code).toBe(0);
    expect(issues()).toHaveLength(1);
    expect(issues()[0].state).toBe('closed');
    expect(repo.dispatches).toHaveLength(2);
    expect(gh.violations).toEqual([]);
  });
});

describe('slipway drift --issue with GitHub out of reach', () => {
  it('exits 2 naming the API it could not reach, with no stack trace (--issue and --dispatch)', async () => {
    for (const extra of [[], ['--dispatch', 'retrain.yml']]) {
      const r = await runCli(
        ['drift', '--model', 'credit-risk', '--env', 'staging', '--reference', join(dir, 'ref.parquet'), '--current', join(dir, 'shifted.parquet'), '--issue', ...extra],
        ROOT,
        { ...env(), GITHUB_API_URL: 'http://127.0.0.1:1', SLIPWAY_GITHUB_WAIT_SCALE: '0.001' },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/error: GitHub API: .* failed: could not reach http:\/\/127\.0\.0\.1:1/);
      expect(r.stderr).not.toContain('internal error');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
