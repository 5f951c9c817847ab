import { describe, expect, it } from 'vitest';
import { editManifest, readManifest } from '../../src/gitops/manifest.js';
import { InputError } from '../../src/errors.js';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const D3 = 'sha256:' + '3'.repeat(64);

const EMPTY = `# Desired state of production.
# Merging a promotion PR is the approval.
apiVersion: slipway/v1
kind: Environment
name: production # must match the file name
promotion: pull-request
store: "file://.slipway/store"
models: {}
`;

const PINNED = `# Desired state of production.

apiVersion: slipway/v1
kind: Environment
name: production
promotion: pull-request

models:
  # the credit model, owned by @acme/risk
  credit-risk:
    version: 1.4.0 # pinned by slipway
    digest: ${D1}
    uri: 'file://.slipway/store'

  # fraud scoring
  fraud:
    version: 2.0.0
    digest: ${D3}
`;

describe('editManifest', () => {
  it('pins a first version into an empty manifest, keeping comments and key order', () => {
    const r = editManifest(EMPTY, 'production', { kind: 'promote', model: 'credit-risk', version: '1.0.0', digest: D1, uri: 'file://.slipway/store' });
    expect(r.action).toBe('promote');
    expect(r.from).toBeNull();
    expect(r.text).toContain('# Desired state of production.\n# Merging a promotion PR is the approval.\n');
    expect(r.text).toContain('name: production # must match the file name');
    expect(r.text).toContain('store: "file://.slipway/store"');
    expect(r.text).toMatch(/models:\n {2}credit-risk:\n {4}version: 1\.0\.0\n {4}digest: sha256:1{64}\n {4}uri: file:\/\/\.slipway\/store\n/);
    expect(Object.keys(readManifest(r.text, 'production').spec)).toEqual(['apiVersion', 'kind', 'name', 'promotion', 'store', 'models']);
  });

  it("keeps a Windows-saved manifest's CRLF line endings and byte order mark: only the pinned lines change", () => {
    const windows = '\ufeff' + PINNED.replace(/\n/g, '\r\n');
    const r = editManifest(windows, 'production', { kind: 'promote', model: 'credit-risk', version: '1.5.0', digest: D2, uri: 'file://.slipway/store' });
    expect(r.text.startsWith('\ufeff# Desired state of production.\r\n')).toBe(true);
    expect(r.text.replace(/\r\n/g, '')).not.toContain('\n');
    const [a, b] = [windows.split('\r\n'), r.text.split('\r\n')];
    expect(b.length).toBe(a.length);
    expect(a.map((l, i) => [l, b[i]]).filter(([x, y]) => x !== y)).toEqual([
      ['    version: 1.4.0 # pinned by slipway', '    version: 1.5.0 # pinned by slipway'],
      [`    digest: ${D1}`, `    digest: ${D2}`],
    ]);
    // a manifest with LF endings stays LF
    expect(editManifest(PINNED, 'production', { kind: 'promote', model: 'credit-risk', version: '1.5.0', digest: D2, uri: 'file://.slipway/store' }).text).not.toContain('\r');
  });

  it('replaces a pinned version in place: comments on the entry and on other models survive', () => {
    const r = editManifest(PINNED, 'production', { kind: 'promote', model: 'credit-risk', version: '1.5.0', digest: D2, uri: 'file://.slipway/store' });
    expect(r.from).toBe('1.4.0');
    expect(r.to).toBe('1.5.0');
    expect(r.text).toContain('  # the credit model, owned by @acme/risk\n  credit-risk:\n    version: 1.5.0 # pinned by slipway\n');
    expect(r.text).toContain(`  # fraud scoring\n  fraud:\n    version: 2.0.0\n    digest: ${D3}\n`);
    expect(r.text).toContain("uri: 'file://.slipway/store'");
    expect(r.spec.models?.['credit-risk']).toEqual({ version: '1.5.0', digest: D2, uri: 'file://.slipway/store' });
    // the only changed lines are the version and digest
    const a = PINNED.split('\n');
    const b = r.text.split('\n');
    expect(b.length).toBe(a.length);
    expect(a.filter((l, i) => l !== b[i])).toEqual(['    version: 1.4.0 # pinned by slipway', `    digest: ${D1}`]);
  });

  it('writes a canary entry, then completes it: the canary replaces the stable entry and disappears', () => {
    const c = editManifest(PINNED, 'production', { kind: 'promote', model: 'credit-risk', version: '1.5.0', digest: D2, uri: 'u2', weight: 10 });
    expect(c.action).toBe('canary');
    expect(c.spec.models?.['credit-risk']).toEqual({ version: '1.4.0', digest: D1, uri: 'file://.slipway/store', canary: { version: '1.5.0', digest: D2, uri: 'u2', weight: 10 } });
    const w = editManifest(c.text, 'production', { kind: 'promote', model: 'credit-risk', version: '1.5.0', digest: D2, weight: 50 });
    expect(w.action).toBe('canary-weight');
    expect(w.spec.models?.['credit-risk'].canary?.weight).toBe(50);
    expect(w.spec.models?.['credit-risk'].canary?.uri).toBe('u2');
    const full = editManifest(w.text, 'production', { kind: 'promote', model: 'credit-risk', version: '1.5.0', digest: D2 });
    expect(full.action).toBe('complete-canary');
    expect(full.spec.models?.['credit-risk']).toEqual({ version: '1.5.0', digest: D2, uri: 'u2' });
    expect(full.text).not.toContain('canary');
    expect(full.text).toContain('# the credit model, owned by @acme/risk');
    const w100 = editManifest(c.text, 'production', { kind: 'promote', model: 'credit-risk', version: '1.5.0', digest: D2, weight: 100 });
    expect(w100.spec).toEqual(full.spec);
  });

  it('refuses versions that do not move forward, unless forced or completing the canary', () => {
    expect(() => editManifest(PINNED, 'production', { kind: 'promote', model: 'credit-risk', version: '1.3.0', digest: D2 })).toThrow(/1\.4\.0 is pinned there and versions only move forward/);
    expect(() => editManifest(PINNED, 'production', { kind: 'promote', model: 'credit-risk', version: '1.4.0', digest: D2 })).toThrow(InputError);
    const forced = editManifest(PINNED, 'production', { kind: 'promote', model: 'credit-risk', version: '1.3.0', digest: D2, force: true });
    expect(forced.spec.models?.['credit-risk'].version).toBe('1.3.0');
  });

  it('refuses a canary without a stable version and a canary of the stable digest', () => {
    expect(() => editManifest(EMPTY, 'production', { kind: 'promote', model: 'credit-risk', version: '1.0.0', digest: D1, weight: 10 })).toThrow(/no stable version/);
    expect(() => editManifest(PINNED, 'production', { kind: 'promote', model: 'credit-risk', version: '1.4.0', digest: D1, weight: 10 })).toThrow(/already the stable version/);
    expect(() => editManifest(PINNED, 'production', { kind: 'promote', model: 'credit-risk', version: '1.5.0', digest: D2, weight: 0 })).toThrow(/--weight/);
  });

  it('is a no-op for the version already pinned', () => {
    const r = editManifest(PINNED, 'production', { kind: 'promote', model: 'credit-risk', version: '1.4.0', digest: D1 });
    expect(r.unchanged).toBe(true);
    expect(r.text).toBe(PINNED);
  });

  it('sets and removes whole entries (rollbacks), keeping the rest', () => {
    const s = editManifest(PINNED, 'production', { kind: 'set', model: 'fraud', entry: { version: '1.9.0', digest: D2 } });
    expect(s.spec.models?.fraud).toEqual({ version: '1.9.0', digest: D2 });
    expect(s.text).toContain('# fraud scoring');
    const r = editManifest(PINNED, 'production', { kind: 'set', model: 'fraud', entry: null });
    expect(r.spec.models?.fraud).toBeUndefined();
    expect(r.spec.models?.['credit-risk'].version).toBe('1.4.0');
  });

  it('rejects an invalid manifest with a located error', () => {
    expect(() => editManifest(PINNED.replace('promotion: pull-request', 'promotion: yolo'), 'production', { kind: 'promote', model: 'credit-risk', version: '1.5.0', digest: D2 })).toThrow(
      /environments\/production\.yaml:6:\d+: \/promotion: expected one of/,
    );
  });
});
