import { describe, expect, it } from 'vitest';
import { editManifest, readManifest } from '../../src/gitops/manifest.js';
import { keepLayout } from '../../src/gitops/layout.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

/** A manifest as a person edits it: comment spacing, quoted keys, blank lines, a flow entry, an anchor. */
const HAND = `# Desired state of production.   Owned by @acme/ml-platform
apiVersion: "slipway/v1"
kind:   Environment
name: production
promotion: push        # staging-like: direct commits


models:
  # the credit model
  "credit-risk":
    version: '1.0.0'     # pinned by slipway
    digest: ${D('a')}
    uri: &store 'file://.slipway/store'   # where promote publishes

  fraud: {version: 2.0.0, digest: "${D('b')}", uri: *store}    # flow style, by hand
  churn:
      version: 3.0.0
      digest: ${D('c')}
      uri: *store


# end of models
`;

/** Indices of the lines that differ (the texts must have the same number of lines). */
function changedLines(before: string, after: string): number[] {
  const [a, b] = [before.split('\n'), after.split('\n')];
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [i + 1]));
}

describe('manifest edits keep the hand-written layout', () => {
  it('a promotion changes only the pinned lines, byte for byte everywhere else', () => {
    // the whole document was re-printed: '        # staging-like' lost its spacing, the two blank lines became
    // one, the flow entry became '{ version: … }' and churn's 6-space indentation became 4
    const e = editManifest(HAND, 'production', { kind: 'promote', model: 'churn', version: '3.1.0', digest: D('d'), uri: 'file://.slipway/store' });
    expect(changedLines(HAND, e.text)).toEqual([17, 18, 19]);
    // (the pinned lines themselves are re-printed, at the printer's indentation: still the same block)
    expect(e.text.split('\n').slice(16, 19)).toEqual(['    version: 3.1.0', `    digest: ${D('d')}`, '    uri: file://.slipway/store']);
    expect(readManifest(e.text, 'production').spec.models?.fraud.uri).toBe('file://.slipway/store');
  });

  it('changing an anchored value does not change the models that alias it', () => {
    // credit-risk's uri carries &store, which fraud and churn alias: editing the scalar in place re-pinned
    // fraud and churn to credit-risk's new release
    const hand = HAND.replace(/^ {6}/gm, '    ');
    const e = editManifest(hand, 'production', { kind: 'promote', model: 'credit-risk', version: '1.1.0', digest: D('e'), uri: 'github-release://acme/models/credit-risk-1.1.0' });
    const models = readManifest(e.text, 'production').spec.models!;
    expect(models['credit-risk'].uri).toBe('github-release://acme/models/credit-risk-1.1.0');
    expect(models.fraud).toEqual({ version: '2.0.0', digest: D('b'), uri: 'file://.slipway/store' });
    expect(models.churn).toEqual({ version: '3.0.0', digest: D('c'), uri: 'file://.slipway/store' });
    // the pinned lines changed, and the two aliases became the value they stood for; nothing else
    expect(changedLines(hand, e.text)).toEqual([11, 12, 13, 15, 19]);
    expect(e.text.split('\n')[14]).toBe(`  fraud: { version: 2.0.0, digest: "${D('b')}", uri: 'file://.slipway/store' }    # flow style, by hand`.replace('    #', ' #'));
    expect(e.text.split('\n')[18]).toBe("    uri: 'file://.slipway/store'");
  });

  it('removing an entry whose anchor others alias (a rollback to before the first promotion) keeps their values', () => {
    const e = editManifest(HAND, 'production', { kind: 'set', model: 'credit-risk', entry: null });
    const models = readManifest(e.text, 'production').spec.models!;
    expect(Object.keys(models)).toEqual(['fraud', 'churn']);
    expect([models.fraud.uri, models.churn.uri]).toEqual(['file://.slipway/store', 'file://.slipway/store']);
  });

  it('a canary is inserted beside its entry and a completed one removed, every other line kept', () => {
    // (churn indented as the printer does: new lines in a block written at 6 spaces re-print the block's lines)
    const hand = HAND.replace(/^ {6}/gm, '    ');
    const canary = editManifest(hand, 'production', { kind: 'promote', model: 'churn', version: '3.1.0', digest: D('d'), uri: 'file://.slipway/store', weight: 10 });
    const lines = canary.text.split('\n');
    const at = lines.findIndex((l) => l.trim() === 'canary:');
    expect(at).toBe(19);
    expect([...lines.slice(0, at), ...lines.slice(at + 5)].join('\n')).toBe(hand);
    const done = editManifest(canary.text, 'production', { kind: 'promote', model: 'churn', version: '3.1.0', digest: D('d') });
    // the pinned lines: version, digest, and uri (its value is the canary's, which replaced the alias)
    expect(changedLines(hand, done.text)).toEqual([17, 18, 19]);
  });

  it('keeps CRLF line endings and a byte order mark along with the layout', () => {
    const crlf = `\ufeff${HAND.replace(/\n/g, '\r\n')}`;
    const e = editManifest(crlf, 'production', { kind: 'promote', model: 'churn', version: '3.1.0', digest: D('d'), uri: 'file://.slipway/store' });
    expect(e.text.startsWith('\ufeff# Desired state of production.   Owned by')).toBe(true);
    expect(changedLines(crlf, e.text)).toEqual([17, 18, 19]);
  });

  it('falls back to the re-printed text when a merge would not be the same document', () => {
    expect(keepLayout('a: 1\n', 'a: 1\n', 'a: 2\n')).toBe('a: 2\n');
    expect(keepLayout('a:   1\nb: 2\n', 'a: 1\nb: 2\n', 'a: 1\nb: 3\n')).toBe('a:   1\nb: 3\n');
    // the original holds something the re-print lost track of: never guessed
    expect(keepLayout('a: 1\nb: [1,\n  2]\n', 'a: 1\nb: [ 1, 2 ]\n', 'a: 5\nb: [ 1, 2 ]\n')).toBe('a: 5\nb: [1,\n  2]\n');
  });
});
