import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { actionSpec } from '../../src/actions/catalog.js';
import { getBooleanInput, getInput, getMultilineInput, inputEnvName, splitArgs } from '../../src/actions/inputs.js';
import { invocation, pullRequestFromEvent, runAction } from '../../src/actions/run-action.js';
import { inputsOf } from '../../src/actions/metadata.js';
import { workflowCommand } from '../../src/actions/workflow-commands.js';
import { parseOutputFile, writeJson } from './support.js';

const EVENT = fileURLToPath(new URL('fixtures/pull_request.json', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'slipway-inputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('inputs as the runner passes them', () => {
  it('names: spaces become _, upper case, hyphens kept (as @actions/core reads them)', () => {
    expect(inputEnvName('working-directory')).toBe('INPUT_WORKING-DIRECTORY');
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT');
  });

  it('values are trimmed; booleans follow the YAML 1.2 core schema; lists are one per line', () => {
    const env = { 'INPUT_A': '  x \n', INPUT_B: 'True', INPUT_C: 'yes', INPUT_D: 'a\n\n  b  \n' };
    expect(getInput(env, 'a')).toBe('x');
    expect(getBooleanInput(env, 'b')).toBe(true);
    expect(getBooleanInput(env, 'missing', true)).toBe(true);
    expect(() => getBooleanInput(env, 'c')).toThrow("input 'c' must be true or false, got 'yes'");
    expect(getMultilineInput(env, 'd')).toEqual(['a', 'b']);
  });

  it('args: quoting without a shell; lines are arguments; nothing is expanded', () => {
    expect(splitArgs('')).toEqual([]);
    expect(splitArgs('--env production --json')).toEqual(['--env', 'production', '--json']);
    expect(splitArgs(`--out 'my dir/$HOME' --x "a \\"b\\" c" d\\ e`)).toEqual(['--out', 'my dir/$HOME', '--x', 'a "b" c', 'd e']);
    expect(splitArgs('--data\nfile with spaces.csv\n  --report  \n')).toEqual(['--data', 'file with spaces.csv', '--report']);
    expect(splitArgs('$(rm -rf /) `id` *')).toEqual(['$(rm', '-rf', '/)', '`id`', '*']);
    // a line `--flag value` is the flag and its value, as YAML users write flags one per line
    expect(splitArgs('--env production\n--json\n')).toEqual(['--env', 'production', '--json']);
    expect(splitArgs('--data data/my file.csv\n--out "a dir/x.md"\n--to=\'1.0 b\'\n--x\n$(id) here')).toEqual(['--data', 'data/my file.csv', '--out', 'a dir/x.md', "--to='1.0 b'", '--x', '$(id) here']);
    expect(() => splitArgs(`--out 'open`)).toThrow("unterminated ' quote at character 7");
    expect(() => splitArgs(`"open`)).toThrow('unterminated " quote');
  });

  it('workflow commands escape their data so a message cannot start another command', () => {
    const line = workflowCommand('error', 'bad\n::add-mask::x 100%', { title: 'slipway: a,b' });
    expect(line).toBe('::error title=slipway%3A a%2Cb::bad%0A::add-mask::x 100%25\n');
    expect(line.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('inputs → command line', () => {
  const env = (inputs: Record<string, string>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    GITHUB_WORKSPACE: tmp,
    RUNNER_TEMP: tmp,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [inputEnvName(k), v])),
    ...extra,
  });

  it('string flags come from inputs of the same name; empty inputs are left out; file flags get a fresh path', () => {
    const inv = invocation(actionSpec('evaluate'), env({ model: 'credit-risk', candidate: 'pkg', data: '', against: 'staging', report: '' }));
    expect(inv.argv.slice(0, 7)).toEqual(['evaluate', '--model', 'credit-risk', '--candidate', 'pkg', '--against', 'staging']);
    expect(inv.argv[7]).toBe('--report');
    expect(inv.argv[8]).toMatch(new RegExp(`^${tmp}/slipway-evaluate-[^/]+/evaluation\\.json$`));
    expect(inv.files).toEqual({ report: inv.argv[8] });
    expect(inv.argv).not.toContain('--data');
  });

  it('a given file input is used as is, relative to working-directory', () => {
    const inv = invocation(actionSpec('drift'), env({ model: 'm', current: 'logs/', report: 'out/drift.json', 'working-directory': 'sub' }));
    expect(inv.cwd).toBe(join(tmp, 'sub'));
    expect(inv.files.report).toBe(join(tmp, 'sub', 'out', 'drift.json'));
    expect(inv.argv).toContain('out/drift.json');
  });

  it('report: --pr defaults to the pull request of the event; an explicit input wins', () => {
    expect(pullRequestFromEvent({ GITHUB_EVENT_PATH: EVENT })).toBe(42);
    const a = invocation(actionSpec('report'), env({ evaluation: 'e.json' }, { GITHUB_EVENT_PATH: EVENT }));
    expect(a.argv.join(' ')).toContain('--pr 42');
    const b = invocation(actionSpec('report'), env({ evaluation: 'e.json', pr: '7' }, { GITHUB_EVENT_PATH: EVENT }));
    expect(b.argv.join(' ')).toContain('--pr 7');
    const push = writeJson(join(tmp, 'push.json'), { ref: 'refs/heads/main', head_commit: { id: 'abc' } });
    expect(invocation(actionSpec('report'), env({ evaluation: 'e.json' }, { GITHUB_EVENT_PATH: push })).argv).not.toContain('--pr');
    // with a bundle the PR is the bundle's (the CLI refuses --pr beside --bundle): none is added
    expect(invocation(actionSpec('report'), env({ bundle: 'b' }, { GITHUB_EVENT_PATH: EVENT })).argv).not.toContain('--pr');
    const comment = writeJson(join(tmp, 'comment.json'), { issue: { number: 9, pull_request: { url: 'x' } } });
    expect(pullRequestFromEvent({ GITHUB_EVENT_PATH: comment })).toBe(9);
  });

  it('the umbrella action takes the command and its arguments', () => {
    const inv = invocation(actionSpec(''), env({ command: 'audit', args: "--env production --json" }));
    expect(inv.argv).toEqual(['audit', '--env', 'production', '--json']);
    expect(() => invocation(actionSpec(''), env({ command: '' }))).toThrow("input 'command' is required");
    expect(() => invocation(actionSpec(''), env({ command: '--help' }))).toThrow('must be a slipway command');
  });

  it('the token is masked, handed to the command as SLIPWAY_GITHUB_TOKEN and removed from INPUT_TOKEN', async () => {
    const token = 'ghs_0123456789abcdefghijABCDEFGHIJ';
    const out = join(tmp, 'out-token');
    const e = env({ command: 'check', args: '--model nope', token, 'fail-on-check-failure': 'true' }, { GITHUB_OUTPUT: out });
    let stdout = '';
    let stderr = '';
    const code = await runAction('', e, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
    expect(code).toBe(2);
    expect(stdout.split('\n')[0]).toBe(`::add-mask::${token}`);
    expect(stdout.split(token)).toHaveLength(2); // the mask command only
    expect(stderr).not.toContain(token);
    expect(e.SLIPWAY_GITHUB_TOKEN).toBe(token);
    expect(e.INPUT_TOKEN).toBeUndefined();
    expect(parseOutputFile(readFileSync(out, 'utf8'))['exit-code']).toBe('2');
  });

  it('an empty token input (a secret that is not set) is a warning naming the input, not only "set GITHUB_TOKEN"', async () => {
    const out = join(tmp, 'out-empty-token');
    let stdout = '';
    const code = await runAction('drift', env({ model: 'credit-risk', current: 'x.csv', issue: 'true', token: '  ' }, { GITHUB_OUTPUT: out }), { stdout: (t) => void (stdout += t), stderr: () => {} });
    expect(code).toBe(2);
    expect(stdout.split('\n')[0]).toBe("::warning title=slipway drift::input 'token' is empty (a secret that is not set? pull requests from forks get no secrets): the command runs without a GitHub token; leave the input out to use the job's token");
    let quiet = '';
    await runAction('', env({ command: 'check', args: '--model nope' }), { stdout: (t) => void (quiet += t), stderr: () => {} }); // no token input at all
    expect(quiet).not.toContain('::warning');
  });

  it('a bad input is a usage error with an annotation, exit 2, and the exit-code output', async () => {
    const out = join(tmp, 'out-gpu');
    let stdout = '';
    const code = await runAction('train', env({ model: 'credit-risk', gpu: 'rocm' }, { GITHUB_OUTPUT: out }), { stdout: (t) => void (stdout += t), stderr: () => {} });
    expect(code).toBe(2);
    expect(stdout).toContain("::error title=slipway train::input 'gpu' must be 'cuda12' or 'false', got 'rocm'");
    expect(parseOutputFile(readFileSync(out, 'utf8'))).toEqual({ 'exit-code': '2' });
  });
});

describe('input mistakes name the input and what was expected, before the command runs', () => {
  async function run(dir: string, inputs: Record<string, string>) {
    const out = join(tmp, `out-${Math.random().toString(36).slice(2)}`);
    const summary = `${out}.md`;
    const e: NodeJS.ProcessEnv = { GITHUB_WORKSPACE: tmp, RUNNER_TEMP: tmp, GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: summary, ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [inputEnvName(k), v])) };
    let stdout = '';
    let stderr = '';
    const code = await runAction(dir, e, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
    const errors = stdout.split('\n').filter((l) => l.startsWith('::error'));
    return { code, stdout, stderr, errors, outputs: parseOutputFile(readFileSync(out, 'utf8')), summary: readFileSync(summary, 'utf8') };
  }

  it('a required input left blank (or only spaces) is named as the input, not as the flag it maps to', async () => {
    const r = await run('validate-data', { model: '   ' });
    expect(r.code).toBe(2);
    expect(r.errors).toEqual(["::error title=slipway validate::input 'model' is required: Model under models/<name>/."]);
    expect(r.stdout + r.stderr).not.toContain('--model');
    expect(r.outputs).toEqual({ 'exit-code': '2' });
    const promote = await run('promote', { model: 'credit-risk', env: 'staging', candidate: '' });
    expect(promote.errors[0]).toContain("input 'candidate' is required");
  });

  it("an unknown command for the umbrella action: the nearest command and the list, not the CLI's whole help", async () => {
    const r = await run('', { command: 'chekc' });
    expect(r.code).toBe(2);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain("input 'command' must be a slipway command, got 'chekc': did you mean 'check'? (one of: validate, train,");
    expect(r.stdout + r.summary).not.toContain('Usage: slipway');
    expect(() => invocation(actionSpec(''), { INPUT_COMMAND: 'rm -rf /' })).toThrow("got 'rm -rf /' (one of:");
    expect(invocation(actionSpec(''), { INPUT_COMMAND: 'help' }).argv).toEqual(['help']);
    // serve never ends: a step running it would hold the runner until the job's timeout
    expect(() => invocation(actionSpec(''), { INPUT_COMMAND: 'serve', INPUT_ARGS: '--env production' })).toThrow("input 'command' is 'serve', which runs a server until it is stopped");
    expect(invocation(actionSpec(''), { INPUT_COMMAND: 'serve', INPUT_ARGS: '--help' }).argv).toEqual(['serve', '--help']);
  });

  it('a working-directory that is a file or missing: exit 2 naming the input and the resolved path', async () => {
    writeFileSync(join(tmp, 'a-file'), 'x');
    const file = await run('', { command: 'check', 'working-directory': 'a-file' });
    expect(file.code).toBe(2);
    expect(file.errors).toEqual([`::error title=slipway check::input 'working-directory' is 'a-file' (${join(tmp, 'a-file')}, relative to the workspace), which is not a directory`]);
    const missing = await run('', { command: 'check', 'working-directory': '../no such dir' });
    expect(missing.code).toBe(2);
    expect(missing.errors[0]).toContain(`input 'working-directory' is '../no such dir' (${join(tmp, '..', 'no such dir')}, relative to the workspace), which cannot be used: no such file or directory`);
    expect(missing.outputs).toEqual({ 'exit-code': '2' });
  });

  it('report offers no fail-on-check-failure: a failed verdict is exit 0 (the check run carries it), so the input could never fail the step', async () => {
    const r = await run('report', { evaluation: join(process.cwd(), 'test/fixtures/report/evaluation.json') });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ verdict: 'fail', 'exit-code': '0' });
    expect(Object.keys(inputsOf(actionSpec('report')))).not.toContain('fail-on-check-failure');
    // the actions whose command can exit 1 keep it
    for (const dir of ['', 'validate-data', 'evaluate', 'drift']) expect(Object.keys(inputsOf(actionSpec(dir))), dir).toContain('fail-on-check-failure');
  });

  it('an input whose value starts with a dash is that flag\'s value (--flag=value), never a flag of its own', async () => {
    const evaluation = join(process.cwd(), 'test/fixtures/report/evaluation.json');
    const r = await run('report', { evaluation, out: '-report.md' });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs.markdown).toBe(join(tmp, '-report.md'));
    expect(readFileSync(join(tmp, '-report.md'), 'utf8')).toContain('<!-- slipway:report model=');
    // a value that looks like a flag is checked as the value it is, not run as the flag
    const help = await run('validate-data', { model: '--help' });
    expect(help.code).toBe(2);
    expect(help.errors[0]).toContain('invalid model name "--help"');
    expect(help.stdout).not.toContain('Usage: slipway');
    expect(invocation(actionSpec('evaluate'), { INPUT_MODEL: 'm', INPUT_CANDIDATE: '-pkg', INPUT_REPORT: 'r.json' }).argv).toEqual(['evaluate', '--model', 'm', '--candidate=-pkg', '--report', 'r.json']);
  });

  it("the command line the step prints holds no credential of a pre-signed data URL (the job log may be public)", async () => {
    const url = 'https://bucket.s3.amazonaws.com/window.parquet?X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=deadbeefcafe0123&X-Amz-Expires=900';
    const r = await run('validate-data', { model: 'no-such-model', data: url });
    expect(r.code).toBe(2);
    const line = r.stdout.split('\n').find((l) => l.startsWith('slipway validate '));
    expect(line).toContain('--data "https://bucket.s3.amazonaws.com/window.parquet?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=900"');
    expect(r.stdout + r.stderr + r.summary).not.toMatch(/AKIAEXAMPLE|deadbeefcafe0123/);
  });

  it('a failure before the command runs still gets its job summary section, as a failed command does', async () => {
    const r = await run('train', { model: 'credit-risk', gpu: 'rocm' });
    expect(r.code).toBe(2);
    expect(r.summary).toBe("### ❌ `slipway train` failed (exit code 2)\n\n```text\ninput 'gpu' must be 'cuda12' or 'false', got 'rocm'\n```\n");
  });
});
