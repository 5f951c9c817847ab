import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { profileCategories, profileNumbers } from '../../src/drift/profile-values.js';
import { runCli } from '../support/cli.js';
import { modelYaml } from '../support/config-repo.js';
import { tempDir } from '../support/tmp.js';

/**
 * Prediction logs that hold several versions of the model (a canary beside the primary, a promotion
 * inside the window): prediction drift compares the reference package's own predictions with its card,
 * never another version's. Real DuckDB reads the logs; the package's profiles are made by the profiler.
 */
const t = tempDir('slipway-drift-versions-');
t.write('models/m/model.yaml', modelYaml('y'));
t.write('models/m/schema.json', JSON.stringify({ type: 'object', required: ['a', 'b', 'y'], properties: { a: { type: 'number' }, b: { type: 'string' }, y: { type: 'integer' } } }));
const env = { ...process.env, GITHUB_TOKEN: '', SLIPWAY_GITHUB_TOKEN: '', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' };

/** Deterministic values in [0, 1). */
const u = (i: number, seed: number) => {
  const x = Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453;
  return x - Math.floor(x);
};
const N = 400;
const refA = Array.from({ length: N }, (_, i) => u(i, 1) * 10);
const refB = Array.from({ length: N }, (_, i) => (u(i, 2) < 0.5 ? 'x' : 'y'));
/** version 1.0.0 predicts in [0.1, 0.3) */
const p1 = (i: number, seed: number) => 0.1 + 0.2 * u(i, seed);

// the package of version 1.0.0: its card's reference and prediction profiles
const pkg = join(t.dir, 'pkg');
mkdirSync(pkg);
const aProfile = profileNumbers(refA);
writeFileSync(
  join(pkg, 'slipway.json'),
  JSON.stringify({
    schema_version: 1,
    name: 'm',
    version: '1.0.0',
    task: 'binary-classification',
    target: 'y',
    sensitive: [],
    signature: { features: ['a', 'b'] },
    reference: { rows: N, columns: { a: aProfile, b: profileCategories(refB) } },
    prediction_reference: profileNumbers(Array.from({ length: N }, (_, i) => p1(i, 3))),
  }),
);

function logLine(i: number, version: string, role: string, prediction: number): string {
  return JSON.stringify({ ts: '2026-01-01T00:00:00.000Z', request_id: `r${version}-${i}`, model: 'm', version, digest: `sha256:${version === '1.0.0' ? 'a' : 'b'}`, role, inputs: { a: u(i, 4) * 10, b: u(i, 5) < 0.5 ? 'x' : 'y' }, prediction }) + '\n';
}

async function drift(logs: string) {
  const report = join(t.dir, `report-${Math.random().toString(36).slice(2)}.json`);
  const r = await runCli(['drift', '--model', 'm', '--reference', pkg, '--current', logs, '--report', report], t.dir, env);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return { code: r.code, stderr: r.stderr, report: JSON.parse(readFileSync(report, 'utf8')) };
}

describe('drift on prediction logs of several model versions', () => {
  it("a canary's predictions are left out of prediction drift (they are another model's); its rows still count for the features", async () => {
    const logs = join(t.dir, 'logs-canary');
    mkdirSync(join(logs, 'm', '2026-01-01'), { recursive: true });
    let text = '';
    for (let i = 0; i < 300; i++) text += logLine(i, '1.0.0', 'primary', p1(i, 6));
    // the canary, 1.1.0, is calibrated differently: its outputs sit near 0.9
    for (let i = 300; i < 400; i++) text += logLine(i, '1.1.0', 'canary', 0.85 + 0.1 * u(i, 7));
    writeFileSync(join(logs, 'm', '2026-01-01', 'predictions-000000-0001.jsonl'), text);
    const r = await drift(logs);
    expect(r.report.current.rows).toBe(400);
    expect(r.report.features.a.n_cur).toBe(400);
    expect(r.report.prediction).toMatchObject({ n_cur: 300, drifted: false });
    expect(r.report.prediction.note).toBe('predictions of the reference version 1.0.0 only: 300 of 400 logged rows (other versions left out: 1.1.0 (canary): 100)');
    expect(r.stderr).toContain('predictions of the reference version 1.0.0 only');
    expect(r.code).toBe(0);
  });

  it('a logged version or role holding a newline is shown quoted: no line of the log becomes a workflow command', async () => {
    const logs = join(t.dir, 'logs-odd-version');
    mkdirSync(join(logs, 'm', '2026-01-01'), { recursive: true });
    let text = '';
    for (let i = 0; i < 300; i++) text += logLine(i, '1.0.0', 'primary', p1(i, 6));
    for (let i = 300; i < 310; i++) text += logLine(i, '2.0.0\n::warning title=Fake::all clear', 'canary\r::add-mask::x', 0.5);
    writeFileSync(join(logs, 'm', '2026-01-01', 'predictions-000000-0001.jsonl'), text);
    const r = await drift(logs);
    expect(r.report.prediction.note).toBe('predictions of the reference version 1.0.0 only: 300 of 310 logged rows (other versions left out: "2.0.0\\n::warning title=Fake::all clear" ("canary\\r::add-mask::x"): 10)');
    expect(r.stderr.split(/\r\n|\r|\n/).filter((l) => /^\s*::/.test(l))).toEqual([]);
  });

  it("--labels are joined to the reference version's predictions only: the canary's rows are not scored against the card", async () => {
    const logs = join(t.dir, 'logs-canary');
    const labels = t.write('labels.csv', 'id,y\n' + Array.from({ length: 400 }, (_, i) => `r${i < 300 ? '1.0.0' : '1.1.0'}-${i},${i % 2}`).join('\n') + '\n');
    const report = join(t.dir, 'labels-report.json');
    const r = await runCli(['drift', '--model', 'm', '--reference', pkg, '--current', logs, '--labels', labels, '--report', report], t.dir, env);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(JSON.parse(readFileSync(report, 'utf8')).performance).toMatchObject({ metric: 'roc_auc', n: 300 });
    expect(r.stderr).toContain('100 label(s) matched no logged prediction of the reference version');
  });

  it('a window with no row of the reference version measures no prediction drift, and says so', async () => {
    const logs = join(t.dir, 'logs-other');
    mkdirSync(join(logs, 'm', '2026-01-02'), { recursive: true });
    let text = '';
    for (let i = 0; i < 200; i++) text += logLine(i, '1.1.0', 'primary', 0.85 + 0.1 * u(i, 8));
    writeFileSync(join(logs, 'm', '2026-01-02', 'predictions-000000-0001.jsonl'), text);
    const r = await drift(logs);
    expect(r.report.prediction).toBeNull();
    expect(r.stderr).toContain('no logged predictions of the reference version 1.0.0 in the window (1.1.0 (primary): 200): prediction and performance drift not measured');
    expect(r.report.features.a.n_cur).toBe(200);
  });

  it('logs of the reference version alone are read whole, without a note', async () => {
    const logs = join(t.dir, 'logs-same');
    mkdirSync(join(logs, 'm', '2026-01-03'), { recursive: true });
    let text = '';
    for (let i = 0; i < 300; i++) text += logLine(i, '1.0.0', 'primary', p1(i, 9));
    writeFileSync(join(logs, 'm', '2026-01-03', 'predictions-000000-0001.jsonl'), text);
    const r = await drift(logs);
    expect(r.report.prediction).toMatchObject({ n_cur: 300, drifted: false });
    expect(r.report.prediction.note).toBeUndefined();
  });
});
