import { describe, expect, it } from 'vitest';
import { renderMarkdown, renderText } from '../../src/evaluate/render.js';
import { loadEvaluation } from '../../src/report/inputs.js';

const evaluation = () => loadEvaluation('test/fixtures/report/evaluation.json');

describe('the job summary of slipway evaluate', () => {
  it('escapes names and messages: a pipe, a mention, HTML or a newline in a column name stays text', () => {
    const e = evaluation();
    const evil = "a|b @acme/security-team <img src=x> $x$\n## Fake";
    e.gates[0] = { ...e.gates[0], name: `fairness.${evil}.demographic_parity_ratio`, ok: false, reason: `only 1 group in '${evil}'` };
    e.warnings = [`feature '${evil}' is null on 700 of 1,000 rows (70.0%)`];
    const out = renderMarkdown(e);
    expect(out).not.toMatch(/<img|@acme|^## Fake|\$x\$/m);
    // every table row keeps its column count
    for (const t of out.split('\n\n').filter((b) => b.startsWith('|'))) {
      expect(new Set(t.trim().split('\n').map((l) => l.split('|').length)).size).toBe(1);
    }
    expect(out).toContain('a&#124;b &#64;&#8203;acme/security-team &#60;img src=x&#62;');
  });
});

describe('the printed summary of slipway evaluate', () => {
  it('keeps a group from the data on its line: a newline is shown as an escape, a leading :: is quoted (no workflow command)', () => {
    const e = loadEvaluation('test/fixtures/report/evaluation.json');
    e.fairness.sex.groups[0].group = 'F\n::error title=fake::all gates pass';
    e.fairness.sex.groups[1].group = '::add-mask::0.8';
    const out = renderText(e);
    for (const line of out.split('\n')) expect(line.trimStart().startsWith('::'), line).toBe(false);
    expect(out).toContain('    F\\u000a::error title=fake::all gates pass');
    expect(out).toContain("    '::add-mask::0.8'");
  });
});

describe('deltas whose metric is undefined on some resamples', () => {
  it('say how many replicates their interval rests on, in the summary and the job summary; a full count is not repeated', () => {
    const e = evaluation();
    e.deltas.roc_auc = { ...e.deltas.roc_auc, value: 0.1646, ci_low: -0.03008, ci_high: 0.3528, replicates: 175 };
    const text = renderText(e);
    const line = text.split('\n').find((l) => l.startsWith('roc_auc '))!;
    expect(line).toMatch(/\+0\.1646 \[-0\.03008, \+0\.3528 from 175 of 200 replicates\]\s+within noise$/);
    expect(text.split('\n').find((l) => l.startsWith('log_loss '))).not.toContain('replicates');
    expect(renderMarkdown(e)).toContain('| +0.1646 (-0.03008, +0.3528 from 175 of 200 replicates) |');
  });
});
