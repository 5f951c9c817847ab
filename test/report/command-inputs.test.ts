/** `slipway report`: inputs that must agree with each other, --out that must not clobber them, and GitHub's deadline. */
import { createServer, type Server } from 'node:http';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDigest } from '../../src/store/digest.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const FX = resolve('test/fixtures/report');
const evaluationText = readFileSync(join(FX, 'evaluation.json'), 'utf8');
const cardText = readFileSync(join(FX, 'card.json'), 'utf8');
const noGitHub: NodeJS.ProcessEnv = {};

function evaluation(t: ReturnType<typeof tempDir>, name: string, change: (e: { candidate: { name: string; digest: string }; champion: { name: string } }) => void = () => {}): string {
  const e = JSON.parse(evaluationText);
  change(e);
  return t.write(name, JSON.stringify(e));
}

function packageDir(t: ReturnType<typeof tempDir>, name: string, version: string): string {
  const c = JSON.parse(cardText);
  c.version = version;
  t.write(join(name, 'slipway.json'), JSON.stringify(c));
  t.write(join(name, 'model.onnx'), `model ${version}`);
  return join(t.dir, name);
}

describe('report --out', () => {
  it('refuses to overwrite an input file, however the path is spelled (exit 2, the input unchanged)', async () => {
    const t = tempDir('slipway-report-out-');
    const e = evaluation(t, 'same.json');
    const before = readFileSync(e, 'utf8');
    mkdirSync(join(t.dir, 'sub'));
    symlinkSync(e, join(t.dir, 'link.json'));
    const validation = t.write('validation.json', readFileSync(join(FX, 'validation.json'), 'utf8'));
    for (const [flags, out] of [
      [['--evaluation', 'same.json'], 'same.json'],
      [['--evaluation', e], './sub/../same.json'],
      [['--evaluation', 'same.json'], 'link.json'],
      [['--evaluation', 'same.json', '--validation', validation], 'validation.json'],
    ] as const) {
      const r = await runCli(['report', ...flags, '--out', out], t.dir, noGitHub);
      expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/error: --out .* is the --(evaluation|validation) file; the report would overwrite its own input/)]);
    }
    expect(readFileSync(e, 'utf8')).toBe(before);
    expect(readFileSync(validation, 'utf8')).toBe(readFileSync(join(FX, 'validation.json'), 'utf8'));
  });

  it('refuses a file inside the --package directory', async () => {
    const t = tempDir('slipway-report-out-');
    const pkg = packageDir(t, 'pkg', '1.1.0');
    const r = await runCli(['report', '--evaluation', evaluation(t, 'e.json'), '--package', pkg, '--out', join(pkg, 'report.md')], t.dir, noGitHub);
    expect([r.code, r.stderr]).toEqual([2, expect.stringContaining('is inside the --package directory')]);
  });

  it('a directory as --out: exit 2 naming it, and no temporary file left beside it', async () => {
    const t = tempDir('slipway-report-out-');
    const e = evaluation(t, 'e.json');
    mkdirSync(join(t.dir, 'outdir'));
    const r = await runCli(['report', '--evaluation', e, '--out', 'outdir'], t.dir, noGitHub);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(t.dir, 'outdir')}: it is a directory`);
    expect(readdirSync(t.dir).sort()).toEqual(['e.json', 'outdir']);
    expect(readdirSync(join(t.dir, 'outdir'))).toEqual([]);
  });
});

describe('report --package and the evaluation must be about the same candidate', () => {
  it("refuses another version's package (its lineage would be shown as the candidate's)", async () => {
    const t = tempDir('slipway-report-pkg-');
    const r = await runCli(['report', '--evaluation', evaluation(t, 'e.json'), '--package', packageDir(t, 'old', '1.0.0')], t.dir, noGitHub);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is credit-risk 1.0.0, but the evaluation');
    expect(r.stderr).toContain('judged candidate 1.1.0 (/candidate/version)');
    expect(r.summary).toBe('');
  });

  it("refuses a package directory of the right version whose digest is not the evaluated candidate's; accepts the one that is", async () => {
    const t = tempDir('slipway-report-pkg-');
    const pkg = packageDir(t, 'pkg', '1.1.0');
    const wrong = await runCli(['report', '--evaluation', evaluation(t, 'e.json'), '--package', pkg], t.dir, noGitHub);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`has digest ${await packageDigest(pkg)}, but the evaluation`);
    expect(wrong.stderr).toContain('(/candidate/digest)');
    const digest = await packageDigest(pkg);
    const right = await runCli(['report', '--evaluation', evaluation(t, 'right.json', (e) => (e.candidate.digest = digest)), '--package', pkg], t.dir, noGitHub);
    expect([right.code, right.stderr]).toEqual([0, '']);
    expect(right.summary).toContain('Lineage');
  });

  it("refuses a card whose version is no semantic version (it reaches the log and the PR comment), naming the field", async () => {
    const t = tempDir('slipway-report-pkg-');
    const r = await runCli(['report', '--evaluation', evaluation(t, 'e.json'), '--package', packageDir(t, 'pkg', '1.1.0\n::warning::spoofed')], t.dir, noGitHub);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/slipway\.json: \/version: must match pattern/);
    expect(r.stderr).not.toMatch(/^::warning::/m);
  });

  it('says so when the report goes nowhere: no --out and no job summary (run outside Actions)', async () => {
    const t = tempDir('slipway-report-nowhere-');
    const e = evaluation(t, 'e.json');
    const nowhere = await runCli(['report', '--evaluation', e], t.dir, noGitHub, false);
    expect(nowhere.code).toBe(0);
    expect(nowhere.stdout).toMatch(/^(PASS|FAIL): credit-risk 1\.1\.0/);
    expect(nowhere.stderr).toContain('notice: the report was written nowhere: there is no job summary (GITHUB_STEP_SUMMARY) outside GitHub Actions; give --out <file> to write it');
    const toFile = await runCli(['report', '--evaluation', e, '--out', 'report.md'], t.dir, noGitHub, false);
    expect([toFile.code, toFile.stderr]).toEqual([0, '']);
    expect(readFileSync(join(t.dir, 'report.md'), 'utf8')).toContain('credit-risk');
  });

  it('refuses an evaluation whose champion (or candidate) is another model', async () => {
    const t = tempDir('slipway-report-pkg-');
    const champ = await runCli(['report', '--evaluation', evaluation(t, 'c.json', (e) => (e.champion.name = 'fraud'))], t.dir, noGitHub);
    expect([champ.code, champ.stderr]).toEqual([2, expect.stringContaining("/champion/name: is 'fraud', expected the evaluated model 'credit-risk'")]);
    const cand = await runCli(['report', '--evaluation', evaluation(t, 'd.json', (e) => (e.candidate.name = 'fraud'))], t.dir, noGitHub);
    expect([cand.code, cand.stderr]).toEqual([2, expect.stringContaining("/candidate/name: is 'fraud'")]);
  });
});

describe('report --pr against an API that never answers', () => {
  let server: Server;
  let apiUrl: string;
  let requests = 0;
  beforeAll(async () => {
    server = createServer(() => void requests++); // accepts, reads the request, never responds
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  it('stops at the deadline with exit 2 and says so; the job summary and --out are written', async () => {
    const t = tempDir('slipway-report-deadline-');
    const env = { GITHUB_TOKEN: 'ghs_neverAnswersTokenEEEEEEEEEEEEEEEEEEEEE', GITHUB_API_URL: apiUrl, GITHUB_REPOSITORY: 'acme/risk', SLIPWAY_GITHUB_WAIT_SCALE: '0.001', SLIPWAY_GITHUB_DEADLINE_S: '0.5' };
    const started = Date.now();
    const r = await runCli(['report', '--evaluation', evaluation(t, 'e.json'), '--pr', '42', '--out', 'report.md'], t.dir, env);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: GitHub did not answer within 0.5 s (retries included), so the report was not posted');
    expect(requests).toBeGreaterThan(0);
    expect(r.summary).toContain('<!-- slipway:report model=credit-risk -->');
    expect(readFileSync(join(t.dir, 'report.md'), 'utf8')).toContain('credit-risk');
  });

  it('refuses a deadline that is not a positive number of seconds', async () => {
    const t = tempDir('slipway-report-deadline-');
    const r = await runCli(['report', '--evaluation', evaluation(t, 'e.json')], t.dir, { SLIPWAY_GITHUB_DEADLINE_S: 'soon' });
    expect([r.code, r.stderr]).toEqual([2, "error: SLIPWAY_GITHUB_DEADLINE_S: expected a number of seconds above 0, got 'soon'\n"]);
  });
});

describe('an evaluation with as many groups as evaluate allows', () => {
  it('renders: 10,000 groups in an attribute (MAX_GROUPS) and an intersection label of 1,000 characters, with the champion too, pretty-printed as evaluate writes it', async () => {
    const t = tempDir('slipway-report-groups-');
    const e = JSON.parse(evaluationText);
    const row = e.fairness.sex.groups[0];
    const zip = { ...e.fairness.sex, groups: Array.from({ length: 10_000 }, (_, i) => ({ ...row, group: `z${String(i).padStart(5, '0')}`, small: true })), small_groups: Array.from({ length: 10_000 }, (_, i) => `z${String(i).padStart(5, '0')}`) };
    const long = `${'x'.repeat(200)} & ${'y'.repeat(200)} & ${'z'.repeat(200)} & ${'w'.repeat(200)} & ${'v'.repeat(188)}`;
    expect(long).toHaveLength(1000);
    const inter = { ...e.fairness.sex, groups: [{ ...row, group: long }, e.fairness.sex.groups[1]] };
    e.fairness.zip = zip;
    e.champion_fairness.zip = zip;
    e.fairness['a&b&c&d&e'] = inter;
    const file = t.write('many-groups.json', JSON.stringify(e, null, 2) + '\n');
    const r = await runCli(['report', '--evaluation', file, '--out', join(t.dir, 'r.md')], t.dir, noGitHub);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(t.dir, 'r.md'), 'utf8')).toContain('z09999');
  });
});

describe('the job summary', () => {
  it('fits GitHub\'s 1 MiB in bytes, not characters: 4,000 groups named in CJK are 0.7 M characters but 1.5 MB', async () => {
    const t = tempDir('slipway-report-bytes-');
    const e = JSON.parse(evaluationText);
    const row = e.fairness.sex.groups[0];
    const name = (i: number) => `${'東京都千代田区'.repeat(14)}${String(i).padStart(4, '0')}`;
    e.fairness.region = { ...e.fairness.sex, groups: Array.from({ length: 4000 }, (_, i) => ({ ...row, group: name(i) })) };
    const file = t.write('cjk.json', JSON.stringify(e));
    const r = await runCli(['report', '--evaluation', file, '--out', join(t.dir, 'full.md')], t.dir, noGitHub);
    expect(r.code, r.stderr).toBe(0);
    const full = readFileSync(join(t.dir, 'full.md'), 'utf8');
    expect(full.length).toBeLessThan(1_000_000);
    expect(Buffer.byteLength(full)).toBeGreaterThan(1024 * 1024);
    expect(Buffer.byteLength(r.summary)).toBeLessThanOrEqual(1_000_000);
    expect(r.summary).toContain("shortened to fit GitHub's 1,000,000-byte limit: Fairness");
  });
});
