/**
 * The drift report's markdown (job summary, stdout, the drift issue) shows values from production data and
 * prediction logs: anyone who can call the model can put a category there. None may ping a team, render
 * an image or link, add a table cell, or carry a credential into the issue.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/data/generate.js';
import { renderMarkdown, type DriftReport } from '../../src/drift/report.js';
import type { FeatureDrift } from '../../src/drift/compare.js';
import { runCli } from '../support/cli.js';
import { GitHubTestServer } from '../support/github/server.js';

const EVIL = [
  '@acme/security-team',
  '<img src=https://evil.example/p.png>',
  '[win](https://evil.example/prize)',
  '![x](https://evil.example/t.png)',
  'a | b',
  'fixes #1',
  '$\\color{red}{ALERT}$',
  'www.evil.example',
];

/** What GitHub matches mentions, references and autolinks in: the text after entities are decoded. */
const decode = (h: string) => h.replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)));

function expectInert(markdown: string): void {
  expect(markdown).not.toMatch(/<img|\]\(https:\/\/evil|!\[|@acme|www\.evil|\$/);
  // GitHub looks for mentions and references outside code only
  const text = decode(markdown.replace(/<code>.*?<\/code>/g, ''));
  expect(text).not.toMatch(/(^|[^\w\u200b])@[A-Za-z0-9]/);
  expect(text).not.toMatch(/#[0-9]/);
  // every table row keeps its column count
  for (const block of markdown.split('\n\n').filter((b) => b.startsWith('|'))) {
    expect(new Set(block.split('\n').map((l) => l.split('|').length)).size).toBe(1);
  }
}

describe('the drift markdown escapes what came from the data', () => {
  it('feature names, categories, notes, reasons and sources are escaped as in the PR report', () => {
    const s = EVIL.join(' ');
    const f: FeatureDrift = { test: 'jensenshannon', statistic: 0.4, threshold: 0.1, p_value: 0.001, drifted: true, n_ref: 100, n_cur: 100, kind: 'categorical', basis: 'values', note: s };
    const report: DriftReport = {
      drifted: true, model: 'credit-risk', env: 'production',
      reference: { kind: 'data', source: `https://ci:hunter2-passw0rd@data.example/ref.csv ${s}`, rows: 100 },
      current: { kind: 'logs', source: `logs/${s}`, rows: 100, skipped_lines: [`logs/${s}.jsonl:3`] },
      features: { [s]: f }, drifted_features: [s], share_of_drifted_features: 1,
      prediction: null, performance: null,
      missing: { [s]: { ref_rate: 0, cur_rate: 0.5, difference: 0.5, threshold: 0.1, p_value: 0.001, drifted: true } },
      unseen_categories: { [s]: { categories: EVIL, count: 50, share: 0.5, threshold: 0.01, drifted: true } },
      missing_columns: [], reasons: [`unseen categories in region: 50.00% of rows (${EVIL.join(', ')})`], generated_at: '2026-01-01T00:00:00Z',
    };
    report.unseen_categories.region = { categories: ['x\r::warning title=Fake::pwned', 'y\u2028z'], count: 5, share: 0.05, threshold: 0.01, drifted: true };
    const out = renderMarkdown(report);
    expectInert(out);
    // printed to the job's log too: no value starts a line the runner would read as a workflow command
    expect(out.split(/\r\n|\r|\n/).filter((l) => /^\s*::/.test(l))).toEqual([]);
    expect(out).not.toMatch(/\r|\u2028/);
    expect(out).not.toContain('hunter2');
    // each category is escaped on its own (and capped), and still reads the same once rendered
    expect(decode(out)).toContain('@\u200bacme/security-team, <img src=https://evil.example/p.png>, [win](https://evil.example/prize)');
    expect(out).toContain('Current window: <code>logs/');
  });

  it('a window whose categories are markup opens an issue, a summary and a log that render none of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-drift-md-'));
    const gh = await GitHubTestServer.start();
    try {
      const TOKEN = 'ghs_driftmarkdowntoken0000000000000000';
      gh.addToken(TOKEN, 'github-actions[bot]', { installation: true, permissions: { issues: 'write', metadata: 'read' } });
      await generateDataset(join(dir, 'ref.csv'), { rows: 1000, seed: 1 });
      await generateDataset(join(dir, 'cur.csv'), { rows: 1000, seed: 2, idOffset: 1000 });
      // a third of the window's regions are markup, as a client of the model could send them
      const [head, ...lines] = readFileSync(join(dir, 'cur.csv'), 'utf8').trimEnd().split('\n');
      const at = head.split(',').indexOf('region');
      const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
      const edited = lines.map((l, i) => (i % 3 ? l : l.split(',').map((c, k) => (k === at ? quote(EVIL[i % EVIL.length]) : c)).join(',')));
      writeFileSync(join(dir, 'cur.csv'), [head, ...edited].join('\n') + '\n');
      const env = { ...process.env, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.apiUrl, GITHUB_REPOSITORY: 'acme/risk', GITHUB_RUN_ID: '42', GITHUB_SERVER_URL: 'https://github.test' };
      const r = await runCli(['drift', '--model', 'credit-risk', '--reference', join(dir, 'ref.csv'), '--current', join(dir, 'cur.csv'), '--issue'], process.cwd(), env);
      expect(r.code, r.stderr).toBe(1);
      const issues = [...gh.repo('acme', 'risk').issues.values()];
      expect(issues).toHaveLength(1);
      expect(issues[0].body).toContain('Unseen categories');
      for (const md of [issues[0].body, r.summary]) expectInert(md);
      // stdout is plain text for the log: the categories as they are (quoted), no entities, no line a workflow command
      expect(r.stdout).toMatch(/^DRIFT: credit-risk in production\n/);
      expect(r.stdout).toContain('"[win](https://evil.example/prize)"');
      expect(r.stdout).not.toMatch(/&#\d+;|<code>/);
      expect(r.stdout.split(/\r\n|\r|\n/).filter((l) => /^\s*::/.test(l))).toEqual([]);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
