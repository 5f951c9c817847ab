/**
 * The report action with a fork PR's bundle runs in a job that holds a write token: nothing the
 * bundle says may become a workflow command (a mask, ::stop-commands::, a fake annotation).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAction } from '../../src/actions/run-action.js';
import { tempDir } from '../support/tmp.js';
import { writeJson } from './support.js';

const FIXTURE = resolve('test/fixtures/report/evaluation.json');
const INJECTED = '\n::warning title=pwned::from the bundle\n::add-mask::credit-risk\n##[error]v1 style';

/** The workflow commands the runner would act on in this log: `::name …::data` lines (leading blanks trimmed), none between ::stop-commands::T and ::T::, and v1 `##[name]` ones. */
function commandsOf(log: string): string[] {
  const out: string[] = [];
  let stopped: string | undefined;
  for (const raw of log.split('\n')) {
    const line = raw.trimStart();
    if (stopped !== undefined) {
      if (line === `::${stopped}::`) stopped = undefined;
      continue;
    }
    const m = /^::([\w-]+)(?: [^:]*)?::(.*)$/.exec(line);
    if (m) {
      out.push(`${m[1]}: ${m[2]}`);
      if (m[1] === 'stop-commands') stopped = m[2];
    } else if (line.includes('##[')) out.push(`v1: ${line}`);
  }
  return out;
}

async function reportBundle(edit: (e: Record<string, Record<string, unknown>>) => void, files: Record<string, unknown> = {}) {
  const t = tempDir('slipway-untrusted-');
  const e = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  edit(e);
  const bundle = join(t.dir, 'bundle');
  writeJson(join(bundle, 'evaluation.json'), e);
  for (const [name, value] of Object.entries(files)) writeJson(join(bundle, name), value);
  writeJson(join(bundle, 'pr.json'), { number: 42, head_sha: 'a'.repeat(40), model: e.model });
  const env: NodeJS.ProcessEnv = { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: t.dir, RUNNER_TEMP: t.dir, GITHUB_REPOSITORY: 'acme/risk', GITHUB_API_URL: 'http://127.0.0.1:9', INPUT_BUNDLE: bundle, INPUT_TOKEN: 'ghs_untrustedOutputTest0123456789', SLIPWAY_GITHUB_WAIT_SCALE: '0' };
  let log = '';
  const code = await runAction('report', env, { stdout: (s) => void (log += s), stderr: (s) => void (log += s) });
  return { code, log };
}

describe('report --bundle through the action: the bundle cannot issue workflow commands', () => {
  it('a candidate version carrying command lines is refused by the schema: none of it reaches the log', async () => {
    const r = await reportBundle((e) => void (e.candidate.version = `1.1.0${INJECTED}`));
    expect(r.code).toBe(2);
    expect(r.log).not.toContain('pwned');
    const commands = commandsOf(r.log);
    expect(commands.map((c) => c.slice(0, c.indexOf(':')))).toEqual(['add-mask', 'stop-commands', 'error']);
    expect(commands[0]).toBe('add-mask: ghs_untrustedOutputTest0123456789');
    expect(commands[1]).toMatch(/^stop-commands: [0-9a-f]{32}$/);
    expect(commands[2]).toMatch(/^error: bundle evaluation\.json does not match .*%0A {2}bundle evaluation\.json: \/candidate\/version: must match pattern/); // the action's own annotation, after the resume
  });

  it("a card version carrying command lines is refused by the card's schema too (it was quoted by the mismatch error): none of it reaches the log", async () => {
    const card = { ...JSON.parse(readFileSync(resolve('test/fixtures/report/card.json'), 'utf8')), version: `1.0.0${INJECTED}` };
    const r = await reportBundle(() => {}, { 'card.json': card });
    expect(r.code).toBe(2);
    expect(r.log).not.toContain('pwned');
    const commands = commandsOf(r.log);
    expect(commands.map((c) => c.slice(0, c.indexOf(':')))).toEqual(['add-mask', 'stop-commands', 'error']);
    expect(commands[2]).toMatch(/^error: bundle card\.json does not match .*\/version: must match pattern/);
  });

  it('the umbrella action running report --bundle is held back the same way', async () => {
    const t = tempDir('slipway-untrusted-');
    const e = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    e.candidate.version = `1.1.0${INJECTED}`;
    writeJson(join(t.dir, 'b', 'evaluation.json'), e);
    writeJson(join(t.dir, 'b', 'pr.json'), { number: 42, head_sha: 'a'.repeat(40), model: e.model });
    for (const args of ['--bundle b', '--bundle=b']) {
      let log = '';
      await runAction('', { GITHUB_WORKSPACE: t.dir, RUNNER_TEMP: t.dir, GITHUB_API_URL: 'http://127.0.0.1:9', SLIPWAY_GITHUB_WAIT_SCALE: '0', INPUT_COMMAND: 'report', INPUT_ARGS: args, INPUT_TOKEN: 'ghs_untrustedOutputTest0123456789' }, { stdout: (s) => void (log += s), stderr: (s) => void (log += s) });
      expect(log).not.toContain('pwned');
      expect(commandsOf(log).map((c) => c.slice(0, c.indexOf(':')))).toEqual(['add-mask', 'stop-commands', 'error']);
    }
  });

  it('in a workflow_run or pull_request_target job, report without a bundle is held back too: its files came from another run', async () => {
    // a package artifact whose card version carries command lines
    const t = tempDir('slipway-untrusted-');
    const card = { ...JSON.parse(readFileSync(resolve('test/fixtures/report/card.json'), 'utf8')), version: `1.0.0${INJECTED}` };
    writeJson(join(t.dir, 'pkg', 'slipway.json'), card);
    for (const event of ['workflow_run', 'pull_request_target']) {
      let log = '';
      const code = await runAction('report', { GITHUB_WORKSPACE: t.dir, RUNNER_TEMP: t.dir, GITHUB_EVENT_NAME: event, INPUT_EVALUATION: FIXTURE, INPUT_PACKAGE: join(t.dir, 'pkg') }, { stdout: (s) => void (log += s), stderr: (s) => void (log += s) });
      expect(code).toBe(2);
      expect(log).not.toContain('pwned'); // refused by the card's schema; and the command ran held back all the same
      const commands = commandsOf(log);
      expect(commands.map((c) => c.slice(0, c.indexOf(':'))), event).toEqual(['stop-commands', 'error']);
      expect(commands[1]).toMatch(/^error: .*slipway\.json does not match .*\/version: must match pattern/);
    }
    // the umbrella action running another command there is not held back (nothing it reads is a report's input)
    let other = '';
    await runAction('', { GITHUB_WORKSPACE: t.dir, RUNNER_TEMP: t.dir, GITHUB_EVENT_NAME: 'workflow_run', INPUT_COMMAND: 'check', INPUT_ARGS: '--model nope' }, { stdout: (s) => void (other += s), stderr: (s) => void (other += s) });
    expect(other).not.toContain('::stop-commands::');
  });

  it('without a bundle (the same-repo PR job) the output is read as before: nothing is stopped', async () => {
    const t = tempDir('slipway-untrusted-');
    let log = '';
    await runAction('report', { GITHUB_WORKSPACE: t.dir, RUNNER_TEMP: t.dir, INPUT_EVALUATION: FIXTURE }, { stdout: (s) => void (log += s), stderr: (s) => void (log += s) });
    expect(log).not.toContain('::stop-commands::');
  });
});
