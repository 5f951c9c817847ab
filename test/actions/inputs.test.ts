import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { actionSpec } from '../../src/actions/catalog.js';
import { getBooleanInput, getInput, getMultilineInput, inputEnvName, splitArgs } from '../../src/actions/inputs.js';
import { invocation, pullRequestFromEvent, runAction } from '../../src/actions/run-action.js';
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

  it('a bad input is a usage error with an annotation, exit 2, and the exit-code output', async () => {
    const out = join(tmp, 'out-gpu');
    let stdout = '';
    const code = await runAction('train', env({ model: 'credit-risk', gpu: 'rocm' }, { GITHUB_OUTPUT: out }), { stdout: (t) => void (stdout += t), stderr: () => {} });
    expect(code).toBe(2);
    expect(stdout).toContain("::error title=slipway train::input 'gpu' must be 'cuda12' or 'false', got 'rocm'");
    expect(parseOutputFile(readFileSync(out, 'utf8'))).toEqual({ 'exit-code': '2' });
  });
});
