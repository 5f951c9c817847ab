import { describe, expect, it } from 'vitest';
import { auditTable, type AuditRow } from '../../src/gitops/audit.js';

/** A row whose committer, approver and evaluation come from a commit anyone with push access wrote. */
const row: AuditRow = {
  when: '2026-01-02T03:04:05Z',
  kind: 'promote',
  model: 'm',
  from: '1.0.0',
  to: '1.1.0',
  weight: null,
  digest: `sha256:${'a'.repeat(64)}`,
  committer: '![x](https://evil.example/p.png) @acme/security-team <e@example.com>',
  approver: '[approved](https://evil.example) #1 <a@example.com>',
  pr: 7,
  evaluation: 'https://ci.example/runs/1?a=<b>&c=$x$',
  commit: 'b'.repeat(40),
  rolled_back_by: null,
  rollback_of: [],
  reverts: null,
};

describe('slipway audit: names and trailers from commits in the job summary', () => {
  it('the markdown escapes every cell: no image, link, mention, issue reference or HTML renders', () => {
    const m = auditTable('staging', [row], 'markdown');
    const line = m.split('\n')[4];
    expect(line).toContain('&#33;&#91;x&#93;&#40;https&#58;//evil.example/p.png&#41; &#64;&#8203;acme/security-team');
    expect(line).toContain('&#91;approved&#93;&#40;https&#58;//evil.example&#41; &#35;&#8203;1 &#40;PR &#35;&#8203;7&#41;');
    expect(line).not.toMatch(/!\[|\]\(|<b>|@acme|\$x\$/);
    expect(line).toContain('| m ');
    expect(line).toContain('1.0.0 → 1.1.0');
  });

  it('the text for the terminal stays readable, one row per event', () => {
    const text = auditTable('staging', [{ ...row, committer: 'Ann\n::warning::x | y <e@example.com>' }]);
    expect(text.split('\n')[4]).toContain('Ann ::warning::x \\| y');
    expect(text.split('\n')[4]).toContain('[approved](https://evil.example) #1 (PR #7)');
    expect(text.split('\n').filter((l) => /^\s*::/.test(l))).toEqual([]);
  });
});
