import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validationMarkdown, validationText } from '../../src/data/markdown.js';
import type { ValidationReport } from '../../src/data/validation-types.js';

/** A report whose column names, example messages and new categories come from hostile data. */
function hostile(): ValidationReport {
  return {
    ok: false,
    model: 'credit-risk',
    data: 'new.csv',
    format: 'csv',
    rows: 10,
    columns: ['region', 'x\n::warning title=Fake::all clear'],
    violations: [
      {
        column: 'region',
        rule: 'enum',
        expected: 'one of north, south',
        severity: 'error',
        count: 2,
        fraction: 0.2,
        fraction_of_rows: 0.2,
        examples: [
          { row: 3, value: 'x', message: 'region: "@acme/security-team #1 ![i](https://evil.example/p.png) $\\\\color{red}x$ &amp; a\r\n::error::fake" must be equal to one of the allowed values' },
        ],
      },
      {
        column: 'x\n::warning title=Fake::all clear',
        rule: 'unknown_column',
        expected: 'a column of the contract',
        severity: 'warning',
        count: 10,
        fraction: 1,
        fraction_of_rows: 1,
        examples: [],
      },
    ],
    schema_drift: {
      new_columns: ['x\n::warning title=Fake::all clear'],
      missing_columns: [],
      type_changes: [],
      new_categories: { region: ['atlantis', 'a`b\n::add-mask::secret', '[link](https://evil.example)'] },
    },
    duration_ms: 12,
  };
}

describe('validate: the job summary and the log show values from the data safely', () => {
  it('the markdown neutralises mentions, issue references, images, math, entities and line breaks', () => {
    const m = validationMarkdown(hostile());
    expect(m).not.toContain('@acme');
    expect(m).toContain('&#64;&#8203;acme');
    expect(m).toContain('&#35;&#8203;1');
    expect(m).not.toMatch(/!\[|\]\(|\$\\|&amp;|\r/);
    expect(m).not.toContain('`a`b');
    expect(m).toContain('- new categories in <code>region</code>: <code>atlantis</code>, <code>a&#96;b &#58;&#58;add-mask&#58;&#58;secret</code>, <code>&#91;link&#93;&#40;https&#58;//evil.example&#41;</code>');
    // no line of the summary starts with a workflow command or a line the data began
    expect(m.split('\n').filter((l) => /^\s*(::|-\s*::)/.test(l))).toEqual([]);
  });

  it('the text for the log quotes names and values that are not plain: no line of it is a workflow command', () => {
    const text = validationText(hostile());
    expect(text.split(/\r\n|\r|\n/).filter((l) => /^\s*::/.test(l))).toEqual([]);
    expect(text).toContain('      row 3: region: "@acme/security-team #1 ![i](https://evil.example/p.png) $\\\\color{red}x$ &amp; a\\r\\n::error::fake" must be equal');
    expect(text).toContain('  warning "x\\n::warning title=Fake::all clear" unknown_column: expected a column of the contract; 10 (100.0% of rows)');
    expect(text).toContain('  schema drift: new columns "x\\n::warning title=Fake::all clear"');
    expect(text).toContain('  schema drift: new categories in region: atlantis, "a`b\\n::add-mask::secret", "[link](https://evil.example)"');
  });
});

describe('docs', () => {
  it('docs/validate.md says names and messages from the data are quoted in the log and escaped in the summary', () => {
    const doc = readFileSync('docs/validate.md', 'utf8').replace(/\s+/g, ' ');
    expect(doc).toContain('Column names and new categories that are not plain');
    expect(doc).toContain('every column name, value and message from the data is escaped');
  });
});
