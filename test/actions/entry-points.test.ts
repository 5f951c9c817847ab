import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actions, type ActionSpec } from '../../src/actions/catalog.js';
import { inputEnvName } from '../../src/actions/inputs.js';
import { inputsOf, mainPath } from '../../src/actions/metadata.js';
import { cleanCopy, parseOutputFile, removeDir } from './support.js';
import { GitHubTestServer } from '../support/github/server.js';
import { createPull } from '../support/github/handlers/pulls.js';

// Each action's main script runs the way the runner runs it: `node <action>/index.js` in a child
// process, from a clean copy of this repository (tracked + untracked-not-ignored files, so no
// dist/ and no build), with the workspace elsewhere (a user's repo), INPUT_* variables, files
// for GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, and GITHUB_EVENT_PATH holding a pull_request payload.

const EVENT = fileURLToPath(new URL('fixtures/pull_request.json', import.meta.url));
const RECORDER = pathToFileURL(fileURLToPath(new URL('fixtures/record-inputs.mjs', import.meta.url))).href;
const TOKEN = 'ghs_Zx8Qw2Lm4Np6Rt8Vx0Bz2Dc4Fg6Hj8Kl0M';

let actionRoot: string;
let workspace: string;
let scratch: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** INPUT_* variables read before anything copied the whole environment */
  reads: string[];
}

let runs = 0;
/** Spawns the action's main script (asynchronously, so the fake GitHub in this process can answer). */
async function runAsRunner(spec: ActionSpec, inputs: Record<string, string>, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  const n = ++runs;
  const outFile = join(scratch, `output-${n}`);
  const summaryFile = join(scratch, `summary-${n}`);
  const record = join(scratch, `reads-${n}.json`);
  writeFileSync(outFile, '');
  writeFileSync(summaryFile, '');
  const declared = inputsOf(spec);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'acme/risk-models',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: EVENT,
    GITHUB_SHA: '3b2b2a6f2a3f0e3f4c5d6e7f8091a2b3c4d5e6f7',
    GITHUB_REF: 'refs/pull/42/merge',
    GITHUB_RUN_ID: '123456789',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'http://127.0.0.1:9', // nothing listens: no request leaves the machine
    GITHUB_OUTPUT: outFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: join(scratch, 'runner-temp'),
    RUNNER_TOOL_CACHE: join(scratch, 'tool-cache'),
    RUNNER_OS: 'Linux',
    // Records which INPUT_* variables the process reads (test/actions/fixtures/record-inputs.mjs).
    NODE_OPTIONS: `--import=${RECORDER}`,
    SLIPWAY_RECORD_INPUTS: record,
    SLIPWAY_GITHUB_WAIT_SCALE: '0',
    ...extraEnv,
  };
  // The runner sets every declared input, with its default when the workflow gives none.
  for (const [name, d] of Object.entries(declared)) {
    const value = name in inputs ? inputs[name] : (d.default ?? '');
    env[inputEnvName(name)] = value === '${{ github.token }}' ? TOKEN : value;
  }
  for (const name of Object.keys(inputs)) if (!(name in declared)) throw new Error(`test bug: ${spec.dir} has no input ${name}`);
  mkdirSync(env.RUNNER_TEMP!, { recursive: true });
  const main = join(actionRoot, spec.dir === '' ? '' : join('actions', spec.dir), mainPath(spec));
  const child = spawn(process.execPath, [main], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => void (stderr += d));
  const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const { reads, enumeratedAfter } = JSON.parse(readFileSync(record, 'utf8')) as { reads: string[]; enumeratedAfter: string[] | null };
  return { status, stdout, stderr, outputs: parseOutputFile(readFileSync(outFile, 'utf8')), summary: readFileSync(summaryFile, 'utf8'), reads: enumeratedAfter ?? reads };
}

/** Every input the entry point read is declared, and every declared input was read. */
function expectReadsDeclared(r: Run, spec: ActionSpec): void {
  expect(r.reads).toEqual(Object.keys(inputsOf(spec)).map(inputEnvName).sort());
}

const spec = (dir: string) => actions.find((a) => a.dir === dir)!;

/** The command line the action printed before running it. */
function commandLine(r: Run): string {
  return r.stdout.split('\n').find((l) => l.startsWith('slipway ')) ?? '';
}

/**
 * The words of a command line as run-action prints it: words joined by single spaces, each either bare
 * (only [\w@%+=:,./-], or *** where a secret was redacted) or a JSON string literal (a path with a space
 * or a quote, say).
 */
function wordsOf(line: string): string[] {
  const word = /(?:"(?:[^"\\]|\\.)*"|[\w@%+=:,./*-]+)(?: |$)/y;
  const words: string[] = [];
  while (word.lastIndex < line.length) {
    const at = word.lastIndex;
    const m = word.exec(line);
    if (!m) throw new Error(`cannot read the word at character ${at + 1} of ${line}`);
    const w = m[0].endsWith(' ') ? m[0].slice(0, -1) : m[0];
    words.push(w.startsWith('"') ? (JSON.parse(w) as string) : w);
  }
  return words;
}

/** Its flags (--name value, or --name alone for booleans), so that added defaults do not matter. */
function flagsOf(r: Run): Record<string, string> {
  const words = wordsOf(commandLine(r)).slice(2);
  const out: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    if (!words[i].startsWith('--')) throw new Error(`unexpected word ${words[i]} in ${commandLine(r)}`);
    out[words[i].slice(2)] = words[i + 1] && !words[i + 1].startsWith('--') ? words[++i] : 'true';
  }
  return out;
}

function git(...args: string[]): string {
  return spawnSync('git', args, { cwd: workspace, encoding: 'utf8' }).stdout.trim();
}

let gh: GitHubTestServer;

/**
 * The Actions results service @actions/artifact talks to (Twirp CreateArtifact / FinalizeArtifact
 * and a blob endpoint for the signed upload URL), recording what it receives.
 */
interface Results {
  url: string;
  calls: { method: string; path: string; auth?: string; body: Buffer }[];
  blob: () => Buffer;
  close: () => Promise<void>;
}
async function resultsService(): Promise<Results> {
  const calls: Results['calls'] = [];
  const blocks = new Map<string, Buffer>();
  let order: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      calls.push({ method: req.method ?? '', path: url.pathname, auth: req.headers.authorization, body });
      const json = (o: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(o));
      };
      if (url.pathname.endsWith('.ArtifactService/CreateArtifact')) return json({ ok: true, signedUploadUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/blob/upload.zip?sig=s` });
      if (url.pathname.endsWith('.ArtifactService/FinalizeArtifact')) return json({ ok: true, artifactId: '4242' });
      if (url.pathname.startsWith('/blob/')) {
        if (url.searchParams.get('comp') === 'block') blocks.set(url.searchParams.get('blockid')!, body);
        else if (url.searchParams.get('comp') === 'blocklist') order = [...body.toString().matchAll(/<Latest>([^<]+)<\/Latest>/g)].map((m) => m[1]);
        else blocks.set((order = ['single'])[0], body);
        res.statusCode = 201;
        res.setHeader('x-ms-request-id', 'r');
        res.setHeader('etag', '"0x1"');
        res.setHeader('last-modified', new Date().toUTCString());
        return res.end();
      }
      res.statusCode = 404;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    calls,
    blob: () => Buffer.concat(order.map((id) => blocks.get(id)!)),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
/** An Actions runtime token: a JWT whose scope names the run and the job (not verified by the client). */
const runtimeToken = () => ['{"alg":"none"}', '{"scp":"Actions.Results:6d1f3c4e-0000-4000-8000-000000000001:6d1f3c4e-0000-4000-8000-000000000002"}'].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.sig';

beforeAll(async () => {
  actionRoot = cleanCopy('slipway-action-');
  scratch = mkdtempSync(join(tmpdir(), 'slipway-runner-'));
  // The user's repository, where actions/checkout put it; the action lives elsewhere.
  workspace = join(scratch, 'workspace');
  mkdirSync(workspace);
  for (const d of ['models', 'environments']) cpSync(join(actionRoot, d), join(workspace, d), { recursive: true });
  writeFileSync(join(workspace, '.gitignore'), 'models/*/data/\n.slipway/\n');
  for (const args of [['init', '-q', '-b', 'main'], ['config', 'user.name', 'CI'], ['config', 'user.email', 'ci@example.com'], ['add', '.'], ['commit', '-qm', 'models']]) git(...args);
  gh = await GitHubTestServer.start();
  gh.addToken(TOKEN, 'github-actions[bot]', { installation: true, type: 'Bot' });
  const repo = gh.repo('acme', 'risk-models');
  gh.addToken('ghp_octocatTokenForTheFixturePullRequest00', 'octocat');
  repo.nextNumber = 42;
  createPull(repo, gh.userObject('octocat'), { title: 'credit-risk: more trees', head: 'feature/more-trees', base: 'main', head_sha: '9f2c1e0d8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d' });
});
afterAll(async () => {
  await gh?.close();
  removeDir(actionRoot);
  removeDir(scratch);
});

describe('the umbrella action (action.yml at the root), from a clean copy', () => {
  it('check: a real command, run from the sources through tsx; the token is masked first and appears nowhere else', async () => {
    const r = await runAsRunner(spec(''), { command: 'check' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('ok  models/credit-risk');
    expect(r.stdout).toContain('ok  environments/production.yaml');
    expect(r.outputs['exit-code']).toBe('0');
    expect(existsSync(join(actionRoot, 'dist'))).toBe(false);
    expect(r.stdout.split('\n')[0]).toBe(`::add-mask::${TOKEN}`);
    expect((r.stdout + r.stderr + JSON.stringify(r.outputs) + r.summary).split(TOKEN)).toHaveLength(2);
    expectReadsDeclared(r, spec(''));
  });

  it('generate: writes into the workspace, not into the action', async () => {
    const r = await runAsRunner(spec(''), { command: 'generate', args: '--model credit-risk --rows 3000 --seed 7' });
    expect(r.status, r.stderr).toBe(0);
    expect(commandLine(r)).toBe('slipway generate --model credit-risk --rows 3000 --seed 7');
    expect(existsSync(join(workspace, 'models/credit-risk/data/train.parquet'))).toBe(true);
    expect(existsSync(join(workspace, 'models/credit-risk/data/test.parquet'))).toBe(true);
    expect(existsSync(join(actionRoot, 'models/credit-risk/data'))).toBe(false);
  });

  it('a configuration error fails the step with an annotation and a summary, exit code 2, no stack trace', async () => {
    const r = await runAsRunner(spec(''), { command: 'check', args: '--model no-such-model', 'working-directory': '.' });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^::error title=slipway check::.*no-such-model/m);
    expect(r.outputs['exit-code']).toBe('2');
    expect(r.summary).toContain('`slipway check` failed (exit code 2)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a working-directory that is a file: exit 2 with an annotation naming the input, not an internal error with a stack', async () => {
    const r = await runAsRunner(spec(''), { command: 'check', 'working-directory': 'models/credit-risk/model.yaml' });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^::error title=slipway check::input 'working-directory' is 'models\/credit-risk\/model\.yaml' \(.*\), which is not a directory$/m);
    expect(r.stdout + r.stderr).not.toMatch(/internal error|ENOTDIR|\n\s+at /);
    expect(r.outputs['exit-code']).toBe('2');
  });
});

describe('each capability action, as the runner runs it, on the example model', () => {
  let pkg = '';
  let evaluation = '';
  let validation = '';
  let evaluationOk = '';

  it('validate-data: the data passes its contract; --report defaults to a fresh file whose path is the report output', async () => {
    const r = await runAsRunner(spec('validate-data'), { model: 'credit-risk' });
    expect(commandLine(r)).toMatch(/^slipway validate /);
    expect(flagsOf(r)).toMatchObject({ model: 'credit-risk', env: 'production' });
    expect(flagsOf(r).report).toMatch(new RegExp(`^${scratch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/runner-temp/slipway-validate-data-\\w+/validation\\.json$`));
    expect(flagsOf(r).data).toBeUndefined(); // an empty input is no flag
    expectReadsDeclared(r, spec('validate-data'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.outputs).toMatchObject({ ok: 'true', 'exit-code': '0' });
    validation = r.outputs.report;
    expect(JSON.parse(readFileSync(validation, 'utf8'))).toMatchObject({ model: 'credit-risk', ok: true });
    expect(r.summary.length).toBeGreaterThan(50);
  });

  it('train: builds the package; its directory is the package output; @actions/artifact uploads it with the runtime token only a node action gets', async () => {
    const results = await resultsService();
    const token = runtimeToken();
    const r = await runAsRunner(spec('train'), { model: 'credit-risk' }, { ACTIONS_RUNTIME_TOKEN: token, ACTIONS_RESULTS_URL: results.url }).finally(() => results.close());
    expect(commandLine(r)).toMatch(/^slipway train /);
    expect(flagsOf(r).model).toBe('credit-risk');
    expect(flagsOf(r).out).toMatch(/\/slipway-train-\w+\/package$/);
    expect(r.stdout).not.toContain('::add-mask::');
    expectReadsDeclared(r, spec('train'));
    expect(r.status, r.stderr).toBe(0);
    pkg = r.outputs.package;
    expect(existsSync(join(pkg, 'model.onnx'))).toBe(true);
    const card = JSON.parse(readFileSync(join(pkg, 'slipway.json'), 'utf8'));
    expect(card).toMatchObject({ name: 'credit-risk', version: r.outputs.version });
    expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.summary).toContain(r.outputs.digest);
    // the artifact: created and finalized with the runtime token, the zip holds the package
    const twirp = results.calls.filter((c) => c.path.includes('/twirp/'));
    expect(twirp.map((c) => c.path.split('/').pop())).toEqual(['CreateArtifact', 'FinalizeArtifact']);
    for (const c of twirp) expect(c.auth).toBe(`Bearer ${token}`);
    expect(JSON.parse(twirp[0].body.toString())).toMatchObject({ name: `credit-risk-${r.outputs.version}`, workflow_run_backend_id: '6d1f3c4e-0000-4000-8000-000000000001' });
    const zip = results.blob();
    expect(zip.subarray(0, 4).toString('hex')).toBe('504b0304'); // a zip archive
    expect(zip.includes('model.onnx')).toBe(true);
    expect(zip.includes('slipway.json')).toBe(true);
    expect(r.stdout + r.stderr).toContain(`uploaded artifact 'credit-risk-${r.outputs.version}' (id 4242)`);
  });

  it('evaluate: the first deployment is judged on its own gates; fail-on-check-failure false never hides a usage error', async () => {
    const bad = await runAsRunner(spec('evaluate'), { model: 'credit-risk', candidate: join(scratch, 'no-package'), 'fail-on-check-failure': 'false' });
    expect(flagsOf(bad)).toMatchObject({ model: 'credit-risk', candidate: join(scratch, 'no-package'), against: 'production' });
    expect(flagsOf(bad).report).toMatch(/\/evaluation\.json$/);
    expectReadsDeclared(bad, spec('evaluate'));
    expect(bad.status).toBe(2);
    expect(bad.outputs['exit-code']).toBe('2');
    expect(bad.stdout).toMatch(/^::error title=slipway evaluate::/m);
    expect(pkg, 'the train test made a package').not.toBe('');
    const r = await runAsRunner(spec('evaluate'), { model: 'credit-risk', candidate: pkg, bootstrap: '100', 'fail-on-check-failure': 'false' });
    expect([0, 1]).toContain(Number(r.outputs['exit-code']));
    expect(r.status, r.stderr).toBe(0); // a failed gate is a warning here, by request
    expect(r.outputs.ok).toBe(r.outputs['exit-code'] === '0' ? 'true' : 'false');
    evaluation = r.outputs.report;
    evaluationOk = r.outputs.ok;
    expect(JSON.parse(readFileSync(evaluation, 'utf8'))).toMatchObject({ model: 'credit-risk' });
  });

  it('report: --pr comes from the pull_request event; posts the sticky comment and the check run; PR text is never echoed', async () => {
    expect(evaluation, 'the evaluate test wrote a report').not.toBe('');
    const r = await runAsRunner(spec('report'), { evaluation, validation, package: pkg }, { GITHUB_API_URL: gh.apiUrl });
    expect(flagsOf(r)).toMatchObject({ evaluation, pr: '42' });
    expect(flagsOf(r).out).toMatch(/\/report\.md$/);
    expect(r.stdout.split('\n')[0]).toBe(`::add-mask::${TOKEN}`);
    expectReadsDeclared(r, spec('report'));
    const everything = r.stdout + r.stderr + r.summary;
    expect(everything).not.toContain('curl evil.example');
    expect(everything).not.toContain('more-trees;rm');
    expect(pkg, 'the train test made a package').not.toBe('');
    expect(r.status, r.stderr).toBe(0);
    expect(r.outputs.verdict).toBe(evaluationOk === 'true' ? 'pass' : 'fail');
    expect(readFileSync(r.outputs.markdown, 'utf8')).toContain('credit-risk');
    expect(r.summary).toContain('credit-risk');
    const comments = gh.repo('acme', 'risk-models').commentsOf(42);
    expect(comments).toHaveLength(1);
    expect(comments[0].html_url).toBe(r.outputs['comment-url']);
    expect([...gh.repo('acme', 'risk-models').checkRuns.values()].map((c) => c.head_sha)).toEqual(['9f2c1e0d8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d']);
    expect(gh.violations).toEqual([]);
  });

  it('promote: a push environment gets a commit with the package pinned', async () => {
    const candidate = pkg;
    const r = await runAsRunner(spec('promote'), { model: 'credit-risk', candidate, env: 'staging', via: 'git' });
    expect(flagsOf(r)).toMatchObject({ model: 'credit-risk', candidate, env: 'staging', via: 'git' });
    expect(flagsOf(r).weight).toBeUndefined();
    expectReadsDeclared(r, spec('promote'));
    expect(pkg, 'the train test made a package').not.toBe('');
    expect(r.status, r.stderr).toBe(0);
    expect(r.outputs.commit).toBe(git('rev-parse', 'HEAD'));
    expect(git('log', '-1', '--format=%s')).toMatch(/^promote\(staging\): credit-risk/);
    expect(readFileSync(join(workspace, 'environments/staging.yaml'), 'utf8')).toContain(r.outputs.digest);
  });

  it('drift: compares the test data with the reference of the package pinned in staging', async () => {
    const current = join(workspace, 'models/credit-risk/data/test.parquet');
    const r = await runAsRunner(spec('drift'), { model: 'credit-risk', current, env: 'staging' });
    expect(flagsOf(r)).toMatchObject({ model: 'credit-risk', env: 'staging', current });
    expect(flagsOf(r).report).toMatch(/\/drift\.json$/);
    expect(flagsOf(r).issue).toBeUndefined(); // a boolean input 'false' is no flag
    expectReadsDeclared(r, spec('drift'));
    expect(pkg, 'the train test made a package').not.toBe('');
    expect([0, 1], r.stderr).toContain(r.status);
    const report = JSON.parse(readFileSync(r.outputs.report, 'utf8'));
    expect(String(report.drifted)).toBe(r.outputs.drifted);
    expect(r.outputs['exit-code']).toBe(report.drifted ? '1' : '0');
  });

  it('rollback: reverts the promotion with a revert commit', async () => {
    const r = await runAsRunner(spec('rollback'), { model: 'credit-risk', env: 'staging', via: 'git' });
    expect(flagsOf(r)).toMatchObject({ model: 'credit-risk', env: 'staging', via: 'git' });
    expectReadsDeclared(r, spec('rollback'));
    expect(pkg, 'the train test made a package').not.toBe('');
    expect(r.status, r.stderr).toBe(0);
    expect(git('log', '-1', '--format=%s')).toMatch(/^rollback\(staging\): credit-risk/);
    expect(r.outputs.commit).toBe(git('rev-parse', 'HEAD'));
    expect(readFileSync(join(workspace, 'environments/staging.yaml'), 'utf8')).not.toContain('sha256:');
  });
});

describe('no install on a runner that has the dependencies', () => {
  it('the tool cache stayed empty: the bootstrap found node_modules', () => {
    const cache = join(scratch, 'tool-cache', 'slipway-deps');
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
  });
});
