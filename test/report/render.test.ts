import { describe, expect, it } from 'vitest';
import { loadCard, loadEvaluation, loadValidation } from '../../src/report/inputs.js';
import { renderReport, renderSections, verdictOf, type ReportInput } from '../../src/report/render.js';
import { fitSections, COMMENT_LIMIT } from '../../src/report/truncate.js';
import { rocOnGrid } from '../../src/report/charts.js';
import { code, md, mermaidLabel, reportMarker } from '../../src/report/escape.js';
import { registerSecret } from '../../src/secrets.js';
import { arrow, direction, missedBy, num, signed } from '../../src/report/format.js';
import type { EvaluationReport } from '../../src/evaluate/report-types.js';
import { renderText } from '../../src/evaluate/render.js';

const FX = 'test/fixtures/report';
const evaluation = () => loadEvaluation(`${FX}/evaluation.json`);
const links = { run: 'https://github.com/acme/risk/actions/runs/7', artifacts: 'https://github.com/acme/risk/actions/runs/7#artifacts', repository: 'https://github.com/acme/risk' };

function full(e: EvaluationReport = evaluation()): ReportInput {
  return { evaluation: e, validation: loadValidation(`${FX}/validation-violations.json`), card: loadCard(`${FX}/card.json`), links, tool: '0.1.0' };
}

/** the lines of the markdown table that follows a heading/line containing `after` */
function tableAfter(markdown: string, after: string): string[][] {
  const lines = markdown.split('\n');
  let i = lines.findIndex((l) => l.includes(after));
  while (i < lines.length && !lines[i].startsWith('|')) i++;
  const rows: string[][] = [];
  for (; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i].slice(1, -1).split('|').map((c) => c.trim()));
  return rows;
}

describe('the verdict comes first', () => {
  it('names the failed gates and by how much they missed', () => {
    const e = evaluation();
    const out = renderReport(full(e));
    const lines = out.split('\n');
    expect(lines[0]).toBe('<!-- slipway:report model=credit-risk -->');
    expect(lines[2]).toBe(`## ❌ credit-risk ${e.candidate.version}: 2 of 5 gates failed`);
    const failed = tableAfter(out, 'Failed gate');
    expect(failed[0]).toEqual(['', 'Failed gate', 'Observed', 'Threshold', 'Missed by']);
    const byName = Object.fromEntries(failed.slice(2).map((r) => [r[1].replace(/&#95;/g, '_'), r]));
    const dpr = e.gates.find((g) => g.name === 'fairness.age_band.demographic_parity_ratio')!;
    const lat = e.gates.find((g) => g.name === 'latency_p99_ms')!;
    expect(byName['fairness.age_band.demographic_parity_ratio'][4]).toBe(num(0.8 - dpr.observed!));
    expect(byName['latency_p99_ms'][4]).toBe(num(lat.observed! - 5));
    expect(Object.keys(byName)).toHaveLength(2);
  });

  it('says all gates pass when they do, and lists no failures', () => {
    const e = evaluation();
    e.gates = e.gates.map((g) => ({ ...g, ok: true }));
    e.ok = true;
    const out = renderReport({ evaluation: e });
    expect(out.split('\n')[2]).toBe(`## ✅ credit-risk ${e.candidate.version}: all 5 gates pass`);
    expect(out).not.toContain('Failed gate');
    expect(verdictOf(e).ok).toBe(true);
  });

  it("shows evaluate's warnings under the verdict, escaped", () => {
    const e = evaluation();
    expect(renderReport(full(e))).not.toContain('⚠️ feature');
    e.warnings = ["feature 'income' is null on 70% of the test rows (350 of 500) <b>"];
    const verdict = renderSections(full(e)).find((x) => x.id === 'verdict')!.markdown;
    expect(verdict).toContain(`⚠️ ${md(e.warnings[0], 300)}`);
    expect(verdict).not.toContain('<b>');
  });

  it('an evaluation with ok: false is never reported as passing', () => {
    const e = evaluation();
    e.gates = e.gates.map((g) => ({ ...g, ok: true }));
    e.ok = false;
    expect(verdictOf(e).ok).toBe(false);
  });

  it('first deployment: no champion, metrics without deltas', () => {
    const e = loadEvaluation(`${FX}/evaluation-first.json`);
    const out = renderReport({ evaluation: e });
    expect(out).toContain('first deployment: no champion to compare with');
    const t = tableAfter(out, '### Metrics');
    expect(t[0]).toEqual(['Metric', 'Candidate']);
    expect(t.slice(2).map((r) => r[0].replace(/&#95;/g, '_'))).toEqual(Object.keys(e.metrics.candidate));
  });
});

describe('candidate vs champion', () => {
  it('shows both values, the delta, its CI and the direction for every metric', () => {
    const e = evaluation();
    const rows = tableAfter(renderReport({ evaluation: e }), '### Candidate vs champion');
    expect(rows[0]).toEqual(['Metric', 'Candidate', 'Champion', 'Δ', '95% CI', 'Direction']);
    const body = rows.slice(2);
    expect(body).toHaveLength(Object.keys(e.metrics.candidate).length);
    for (const r of body) {
      const m = r[0].replace(/&#95;/g, '_');
      const d = e.deltas[m];
      expect(r[1]).toBe(num(e.metrics.candidate[m]));
      expect(r[2]).toBe(num(e.metrics.champion![m]));
      expect(r[3]).toBe(signed(d.value));
      expect(r[4]).toBe(`[${signed(d.ci_low)}, ${signed(d.ci_high)}]`);
      const expected = d.ci_low > 0 ? (d.higher_is_better === false ? 'worse' : 'better') : d.ci_high < 0 ? (d.higher_is_better === false ? 'better' : 'worse') : 'within noise';
      expect(r[5]).toContain(expected);
    }
  });

  it('direction needs the whole CI on one side, and knows losses are better lower', () => {
    expect(direction(0.01, 0.03, true)).toBe('better');
    expect(direction(0.01, 0.03, false)).toBe('worse');
    expect(direction(-0.03, -0.01, false)).toBe('better');
    expect(direction(-0.01, 0.03, true)).toBe('noise');
    expect(arrow(0.02, 'better')).toBe('▲ better');
    expect(arrow(-0.02, 'worse')).toBe('▼ worse');
    const e = evaluation();
    e.deltas.log_loss = { value: 0.02, ci_low: 0.01, ci_high: 0.03 }; // no higher_is_better given: known loss
    const row = tableAfter(renderReport({ evaluation: e }), '### Candidate vs champion').find((r) => r[0] === 'log&#95;loss')!;
    expect(row[5]).toBe('▲ worse');
  });

  it('missedBy parses gate thresholds', () => {
    expect(missedBy(0.7, '>= 0.75')).toBeCloseTo(0.05, 12);
    expect(missedBy(12, '<= 5')).toBe(7);
    expect(missedBy(null, '>= 1')).toBeUndefined();
    expect(missedBy(1, 'between 1 and 2')).toBeUndefined();
  });
});

describe('fairness, validation, lineage, links', () => {
  it('lists every group per attribute with n/a for undefined rates and flags small groups', () => {
    const e = evaluation();
    e.fairness.age_band.groups[3] = { ...e.fairness.age_band.groups[3], tpr: null, metric: null, small: true, count: 12 };
    const out = renderReport({ evaluation: e });
    for (const [attr, f] of Object.entries(e.fairness)) {
      const rows = tableAfter(out, `#### ${md(attr)}`);
      const groups = tableAfter(out.slice(out.indexOf(`#### ${md(attr)}`)), '| Group');
      expect(groups[0][0]).toBe('Group');
      expect(rows[0][0]).toBe('Figure');
      expect(groups.slice(2)).toHaveLength(f.groups.length);
    }
    const sixty = out.split('\n').find((l) => l.startsWith('| 60+'))!;
    expect(sixty).toContain('⚠️ small');
    expect(sixty.split('|').map((c) => c.trim())).toEqual(['', '60+ ⚠️ small', '12', num(e.fairness.age_band.groups[3].selection_rate), 'n/a', num(e.fairness.age_band.groups[3].fpr), 'n/a', '']);
    expect(out).toContain(`demographic parity ratio | ${num(e.fairness.age_band.demographic_parity_ratio)} | ${num(e.champion_fairness!.age_band.demographic_parity_ratio)}`);
  });

  it('summarises data validation: counts, each violation with an example, schema drift', () => {
    const v = loadValidation(`${FX}/validation-violations.json`);
    const out = renderReport(full());
    expect(out).toContain('### Data validation: ❌ failed');
    expect(out).toContain(`${v.rows.toLocaleString('en-US')} rows, ${v.columns.length} columns; ${v.violations.length} errors, 0 warnings.`);
    const rows = tableAfter(out, '### Data validation').slice(2);
    expect(rows).toHaveLength(v.violations.length);
    expect(rows[0].slice(1, 5)).toEqual([md(v.violations[0].column), md(v.violations[0].rule), md(v.violations[0].expected), String(v.violations[0].count)]);
    expect(rows[0][7]).toContain(`row ${v.violations[0].examples[0].row}`);
    expect(out).toContain('- region: new categories unknown');
  });

  it('shows lineage: commit link, data digests, runner and GPU, training time', () => {
    const inp = full();
    inp.card!.lineage.hardware.gpus = [{ name: 'NVIDIA H100 80GB HBM3', memory_mb: 81559, driver: '550.54.15' }];
    inp.card!.lineage.duration_s = 3723;
    const out = renderReport(inp);
    const c = inp.card!.lineage;
    expect(out).toContain(`[${c.git.commit!.slice(0, 12)}](https://github.com/acme/risk/commit/${c.git.commit})`);
    expect(out).toContain(md(c.data.train.digest!.slice(0, 19)) + '…');
    expect(out).toContain('| GPU | NVIDIA H100 80GB HBM3 (80 GiB), driver 550.54.15 |');
    expect(out).toContain('| Training time | 1h 2m 3s (');
    expect(out).toContain('[Workflow run](https://github.com/acme/risk/actions/runs/7) · [Artifacts: full report and model package](https://github.com/acme/risk/actions/runs/7#artifacts)');
  });

  it('without a package it says how to get lineage', () => {
    expect(renderReport({ evaluation: evaluation() })).toContain('no package given: pass --package for lineage');
  });
});

describe('charts', () => {
  it('renders ROC, calibration and per-group bars as Mermaid, no images', () => {
    const out = renderReport(full());
    const blocks = out.match(/```mermaid\nxychart-beta[^`]*```/g) ?? [];
    expect(blocks).toHaveLength(2 + 2);
    expect(blocks[0]).toContain('title "ROC curve of the candidate (AUC ');
    expect(blocks[1]).toContain('title "Calibration (ECE ');
    expect(blocks[2]).toContain('x-axis ["F", "M"]');
    expect(out).not.toMatch(/!\[|<img|https?:\/\/(?!github\.com\/acme)/);
  });

  it('interpolates the ROC curve onto the grid like numpy.interp on the upper envelope', () => {
    expect(rocOnGrid([0, 0.5, 1], [0, 0.8, 1], 4)).toEqual([0, 0.4, 0.8, 0.9, 1]);
    expect(rocOnGrid([0, 0, 0.5, 1], [0, 0.5, 0.5, 1], 2)).toEqual([0.5, 0.5, 1]);
    // numpy.interp([0, .25, .5, .75, 1], [0, .1, .4, 1], [0, .6, .9, 1]) = [0, .75, .91666…, .95833…, 1]
    const got = rocOnGrid([0, 0.1, 0.4, 1], [0, 0.6, 0.9, 1], 4);
    [0, 0.75, 0.9166666666666666, 0.9583333333333334, 1].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
  });
});

describe('untrusted strings cannot inject markup', () => {
  const evil = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[click](https://evil.example)',
    '![x](https://evil.example/p.png)',
    '@acme/security-team',
    'a | b | c',
    'line\n## Fake heading',
    '<!-- slipway:report model=other -->',
    '```\nmermaid',
    'www.evil.example',
    '#1',
  ];

  it('escapes every string field of the evaluation, validation and card', () => {
    const e = evaluation();
    const inp = full(e);
    const s = evil.join(' ');
    e.candidate.version = s;
    e.champion!.env = s;
    e.data.uri = s;
    e.gates[0] = { ...e.gates[0], name: s, threshold: s, ok: false, reason: s, observed: null };
    e.metrics.candidate[s] = 0.5;
    e.fairness[s] = { ...e.fairness.sex, groups: e.fairness.sex.groups.map((g) => ({ ...g, group: s })), metric_name: s };
    e.latency.execution_provider = s;
    inp.validation!.violations[0] = { ...inp.validation!.violations[0], column: s, rule: s, expected: s, examples: [{ row: 1, value: s, message: s }] };
    inp.validation!.data = s;
    inp.card!.lineage.command = s;
    inp.card!.lineage.git.branch = s;
    inp.card!.lineage.git.commit = s;
    inp.card!.lineage.hardware.cpu.model = s;
    const out = renderReport(inp);
    expect(out).not.toMatch(/<script|<img|\]\(https:\/\/evil|!\[|@acme|www\.evil|^## Fake/m);
    expect(out.match(/<!-- slipway:report/g)).toHaveLength(1);
    expect(out).not.toContain('```\nmermaid');
    // every table row keeps its column count
    const tables = out.split('\n\n').filter((b) => b.startsWith('|'));
    for (const t of tables) {
      const counts = t.split('\n').map((l) => l.split('|').length);
      expect(new Set(counts).size).toBe(1);
    }
    // Mermaid labels are reduced to a safe set
    expect(mermaidLabel('a"]\n```<b>')).toMatch(/^a[_]+b_$/);
  });

  it('what GitHub sees after decoding entities has no mention, issue reference or math', () => {
    // GitHub looks for @mentions and #123 references in the HTML's text nodes, where &#64; is '@' again
    const decode = (h: string) => h.replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)));
    const e = evaluation();
    e.fairness.sex.groups[0].group = '@acme/security-team, @octocat';
    e.fairness.sex.groups[1].group = 'fixes #1 and GH-2, acme/risk#3';
    e.gates[0] = { ...e.gates[0], name: '$\\color{green}\\textsf{all gates pass}$', ok: false };
    e.warnings = ["feature 'income band $0-$50k' is null on most rows"];
    const out = renderReport({ evaluation: e });
    // (Mermaid blocks are code: GitHub links nothing in them, and their labels are reduced to [A-Za-z0-9 _.,+%/-])
    const text = decode(out.replace(/```mermaid[^`]*```/g, ''));
    expect(text).toContain('@\u200bacme/security-team, @\u200boctocat');
    expect(text).toContain('#\u200b1 and GH\u200b-2, acme/risk#\u200b3');
    expect(text).not.toMatch(/(^|[^\w\u200b])@[A-Za-z0-9]/);
    expect(text).not.toMatch(/#[0-9]|GH-[0-9]/i);
    // no '$' reaches the markdown parser: GitHub would render $…$ as LaTeX
    expect(out).not.toContain('$');
    expect(text).toContain('income band $0-$50k');
    // code spans keep copied text intact: no zero-width space in a command
    const card = full(evaluation()).card!;
    card.lineage.command = 'pip install pkg@1.2 && python train.py --issue #4';
    expect(renderReport({ evaluation: evaluation(), card })).toContain('<code>pip install pkg&#64;1.2 &#38;&#38; python train.py --issue &#35;4</code>');
  });

  it('credentials in a data URI, a command or a message are redacted before escaping, never reaching a comment', () => {
    registerSecret('reg1stered-s3cret-value');
    const e = evaluation();
    e.data.uri = 'https://risk-data.s3.amazonaws.com/test.parquet?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=f00dfacecafe1234';
    e.warnings = ['could not read https://ci-user:hunter2-passw0rd@data.example/test.csv with ghp_abcdefghijklmnopqrstuvwxyz0123456789 (reg1stered-s3cret-value)'];
    const inp = full(e);
    inp.card!.lineage.command = 'python train.py --data https://svc:tr41n-p4ss@data.example/train.csv';
    inp.card!.lineage.data.train = { ...inp.card!.lineage.data.train!, uri: 'https://acct.blob.core.windows.net/c/train.parquet?sv=2024-01-01&sig=AzureSasSignature%3D' };
    const out = renderReport(inp);
    for (const secret of ['f00dfacecafe1234', 'AKIAEXAMPLE', 'hunter2-passw0rd', 'ghp_abcdefghij', 'reg1stered-s3cret', 'tr41n-p4ss', 'AzureSasSignature']) expect(out).not.toContain(secret);
    // what is left is still escaped, and says where the credential was
    expect(out).toContain('X-Amz-Signature=&#42;&#42;&#42;');
    expect(out).toContain('ci-user&#58;&#42;&#42;&#42;&#64;&#8203;data.example');
    // a password cut short by the length cap is redacted before the cut, not shown in part
    expect(code(`https://u:${'p'.repeat(300)}@host/x`, 40)).toBe('<code>https&#58;//u&#58;&#42;&#42;&#42;&#64;host/x</code>');
    expect(md(`https://u:${'p'.repeat(300)}@host/x`, 20)).not.toContain('pp');
  });

  it('redaction costs little: 20,000 table cells escape in well under a second, and a huge value is not read whole', () => {
    const cells = Array.from({ length: 20_000 }, (_, i) => `group ${i} @team https://example.com/p?i=${i} ${'x'.repeat(i % 80)}`);
    const t0 = performance.now();
    for (const c of cells) md(c, 100);
    expect(performance.now() - t0).toBeLessThan(1000);
    // redaction reads a bounded prefix: its URL pattern is quadratic on a run like "a.a.a.…" (100 KB here: seconds whole)
    const t1 = performance.now();
    expect(md('a.'.repeat(50_000), 60)).toBe('a.'.repeat(29) + 'a…');
    expect(performance.now() - t1).toBeLessThan(300);
  });

  it('a long value is cut without splitting a surrogate pair', () => {
    const cut = md('a'.repeat(98) + '😀😀', 100);
    expect(cut).toBe('a'.repeat(98) + '…');
    expect(md('a'.repeat(97) + '😀😀', 100)).toBe('a'.repeat(97) + '😀…');
  });

  it('the marker only accepts valid model names', () => {
    expect(reportMarker('credit-risk')).toBe('<!-- slipway:report model=credit-risk -->');
    expect(() => reportMarker('x --> <b>')).toThrow(/invalid model name/);
  });
});

describe('truncation', () => {
  it('keeps the comment under 65,536 characters, verdict intact, pointing to the full report', () => {
    const e = evaluation();
    const many = Array.from({ length: 4000 }, (_, i) => ({ group: `group-${i}-${'x'.repeat(40)}`, count: 100 + i, selection_rate: 0.3, tpr: 0.5, fpr: 0.1, metric: 0.8, small: false }));
    e.fairness.region = { ...e.fairness.sex, groups: many };
    const inp: ReportInput = { evaluation: e, links };
    const marker = reportMarker(e.model);
    const fullText = renderReport(inp);
    expect(fullText.length).toBeGreaterThan(COMMENT_LIMIT);
    expect(fullText).toContain('group-3999-');
    const fitted = fitSections(marker, renderSections(inp), COMMENT_LIMIT, 'the job summary of [the run](https://github.com/acme/risk/actions/runs/7)');
    expect(fitted.markdown.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(fitted.markdown.startsWith(marker)).toBe(true);
    expect(fitted.markdown).toContain('2 of 5 gates failed');
    expect(fitted.omitted).toContain('Fairness');
    expect(fitted.markdown).toContain("shortened to fit GitHub's 65,536-character limit: Fairness");
    expect(fitted.markdown).toContain('The full report is in the job summary of [the run](https://github.com/acme/risk/actions/runs/7).');
    expect(fitted.markdown).toContain('### Lineage'); // later sections still fit
    // the compact rendering caps tables instead, so nothing needs to be left out
    const compact = fitSections(marker, renderSections(inp, { maxRows: 50 }), COMMENT_LIMIT, 'x');
    expect(compact.omitted).toEqual([]);
    expect(compact.markdown).toContain('… and 3950 more groups');
  });

  it('cuts even an oversized verdict rather than exceed the limit', () => {
    const e = evaluation();
    e.gates = Array.from({ length: 500 }, (_, i) => ({ name: `gate-${i}-${'y'.repeat(250)}`, observed: 0.1, threshold: '>= 0.5', ok: false }));
    const fitted = fitSections(reportMarker(e.model), renderSections({ evaluation: e }), 20_000, 'the job summary');
    expect(fitted.markdown.length).toBeLessThanOrEqual(20_000);
    expect(fitted.markdown).toContain('500 of 500 gates failed');
    expect(fitted.omitted[0]).toBe('part of Verdict');
  });
});

describe('an evaluation with the bootstrap off (--bootstrap 0)', () => {
  it('shows point deltas with no interval and calls none of them better or worse', () => {
    const e = evaluation();
    e.bootstrap.samples = 0;
    for (const d of Object.values(e.deltas)) Object.assign(d, { ci_low: d.value, ci_high: d.value, replicates: 0 });
    e.deltas.roc_auc.value = 0.05; // a large point delta is still not "better" without an interval
    const out = renderReport({ evaluation: e });
    const metrics = out.slice(out.indexOf('### Candidate vs champion'), out.indexOf('### Fairness'));
    expect(metrics).not.toMatch(/better|worse|within noise/);
    expect(metrics).toMatch(/\| roc&#95;auc \| [^|]+ \| [^|]+ \| \+0\.0500 \| n\/a \| ▲ no interval \|/);
    expect(out).toContain('the bootstrap was off (`--bootstrap 0`): point deltas only, no confidence intervals.');
    expect(out).not.toContain('from 0 paired bootstrap replicates');
  });
});

describe('a first deployment whose only gates compare with the champion', () => {
  it('says no gate applies, not "all 0 gates pass", in the report and in evaluate\'s summary', () => {
    const e = evaluation();
    e.champion = null;
    e.metrics.champion = null;
    e.deltas = {};
    e.gates = [{ name: 'versus_champion.roc_auc', observed: null, threshold: '>= -0.005', ok: true, skipped: true, reason: 'no champion: first deployment' }];
    e.ok = true;
    expect(verdictOf(e).headline).toBe('no gate applies (1 skipped: no champion to compare with)');
    expect(renderText(e)).toContain('verdict: PASS: no gate applies (1 skipped: no champion)');
  });
});

describe('an interval from fewer replicates than were drawn', () => {
  it('says on how many of them it rests (the metric was undefined in the others)', () => {
    const e = evaluation();
    e.deltas.precision.replicates = 37;
    const out = renderReport({ evaluation: e });
    expect(out).toMatch(/\| precision \| [^|]+ \| [^|]+ \| [^|]+ \| \[[^\]]+\] \(37 of 200\) \|/);
    expect(out).toContain('(k of N): the metric was undefined in the other resamples');
    // full intervals carry no count
    expect(out).not.toMatch(/roc&#95;auc \|[^\n]*\(200 of 200\)/);
    expect(renderReport({ evaluation: evaluation() })).not.toContain('(k of N)');
  });
});
