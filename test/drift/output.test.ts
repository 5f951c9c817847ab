/**
 * What `slipway drift` prints (plain text for the terminal and the job's log) and what it puts in the
 * job summary (the markdown, fitted under GitHub's 1 MiB limit).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FeatureDrift } from '../../src/drift/compare.js';
import { driftSummary, renderDriftText } from '../../src/drift/output.js';
import { renderMarkdown, type DriftReport } from '../../src/drift/report.js';

const feature = (drifted: boolean, note?: string): FeatureDrift => ({ test: 'wasserstein', statistic: drifted ? 0.3 : 0.01, threshold: 0.1, p_value: 0.5, drifted, n_ref: 1000, n_cur: 1000, kind: 'numeric', basis: 'raw', ...(note ? { note } : {}) });

function report(features: Record<string, FeatureDrift>, extra: Partial<DriftReport> = {}): DriftReport {
  const drifted = Object.keys(features).filter((f) => features[f].drifted);
  return {
    drifted: drifted.length > 0, model: 'credit-risk', env: 'production',
    reference: { kind: 'data', source: 'https://ci:hunter2-passw0rd@data.example/ref.csv', rows: 1000 },
    current: { kind: 'data', source: 'window.csv', rows: 1000 },
    features, drifted_features: drifted, share_of_drifted_features: drifted.length / Object.keys(features).length,
    prediction: null, performance: null, missing: {},
    unseen_categories: { region: { categories: ['atlantis', 'x\n::warning title=Fake::all clear', 'New York'], count: 30, share: 0.03, threshold: 0.01, drifted: true } },
    missing_columns: [], reasons: ['unseen categories in region: 3.00% of rows (atlantis, x\n::warning title=Fake::all clear, New York)'], generated_at: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

describe('slipway drift: stdout is plain text', () => {
  it('names read as they are, values that are not plain are quoted, no entities, no line a workflow command', () => {
    const text = renderDriftText(report({ feature_0001: feature(true), 'odd\rname': feature(false, 'note\n::error::x') }));
    expect(text.split('\n')[0]).toBe('DRIFT: credit-risk in production');
    expect(text).toContain('| feature_0001 | drift | wasserstein | 0.3000 | ≥ 0.1 | 0.5000 | 1000 | 1000 | raw |');
    expect(text).toContain('| "odd\\rname" | ok | wasserstein | 0.0100 | ≥ 0.1 | 0.5000 | 1000 | 1000 | raw — note\\n::error::x |');
    expect(text).toContain('- unseen categories in region: 3.00% of rows (atlantis, x\\n::warning title=Fake::all clear, New York)');
    expect(text).toContain('  region: 3.00% of rows (atlantis, "x\\n::warning title=Fake::all clear", "New York") drift');
    expect(text).not.toMatch(/&#\d+;|<code>|hunter2/);
    expect(text.split(/\r\n|\r|\n/).filter((l) => /^\s*::/.test(l))).toEqual([]);
  });
});

describe('slipway drift: the job summary fits under GitHub limit', () => {
  it('a small report is the markdown as it is', () => {
    const md = renderMarkdown(report({ income: feature(true) }));
    expect(driftSummary(md)).toBe(md);
  });

  it('a model with very many features: the feature table is cut at a row, the later tables left out, a note says so', () => {
    const many = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`feature_${String(i).padStart(4, '0')}_${'x_'.repeat(40)}`, feature(i % 2 === 0)]));
    const md = renderMarkdown(report(many));
    expect(Buffer.byteLength(md)).toBeGreaterThan(1_048_576);
    const summary = driftSummary(md);
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(1_000_000);
    expect(summary.startsWith(md.slice(0, 1000))).toBe(true);
    expect(summary).toMatch(/\| feature&#95;0000&#95;x/);
    expect(summary).not.toContain('**Unseen categories**');
    expect(summary).toContain("This report was shortened to fit GitHub's 1,000,000-byte limit: part of the feature table, the unseen categories table, the legend are left out. The full report is in the --report file.");
  });
});

describe('docs', () => {
  it('docs/drift.md says what stdout and the job summary hold, that names with a control character are refused, and the 200-character cut', () => {
    const doc = readFileSync('docs/drift.md', 'utf8').replace(/\s+/g, ' ');
    expect(doc).toContain('stdout gets the same report as plain text');
    expect(doc).toContain('The job summary is cut to fit GitHub\'s 1 MiB limit');
    expect(doc).toContain('whose **name holds a control character** (a newline, say) is refused, exit 2');
    expect(doc).toContain('each **cut to 200 characters**');
  });
});
