/** The runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) pointing nowhere writable: the workflow's mistake, exit 2. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAction } from '../../src/actions/run-action.js';
import { tempDir } from '../support/tmp.js';
import { parseOutputFile } from './support.js';

const EVALUATION = resolve('test/fixtures/report/evaluation.json');

async function report(files: { output?: string; summary?: string }) {
  const t = tempDir('slipway-runner-files-');
  const env: NodeJS.ProcessEnv = {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: t.dir,
    RUNNER_TEMP: t.dir,
    INPUT_EVALUATION: EVALUATION,
    ...(files.output !== undefined ? { GITHUB_OUTPUT: files.output } : {}),
    ...(files.summary !== undefined ? { GITHUB_STEP_SUMMARY: files.summary } : {}),
  };
  let stdout = '';
  let stderr = '';
  const code = await runAction('report', env, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr, annotations: stdout.split('\n').filter((l) => l.startsWith('::error')), dir: t.dir };
}

describe('actions with an unwritable runner file', () => {
  it('a job summary path that cannot be written: one annotation naming GITHUB_STEP_SUMMARY and the path, exit 2', async () => {
    const t = tempDir('slipway-runner-out-');
    const output = join(t.dir, 'output');
    const r = await report({ output, summary: '/nonexistent/x.md' });
    expect(r.code).toBe(2);
    expect(r.annotations).toEqual([expect.stringContaining("GITHUB_STEP_SUMMARY is '/nonexistent/x.md', which cannot be written: no such file or directory (ENOENT)")]);
    expect(r.stdout + r.stderr).not.toContain("ENOENT: no such file or directory, open");
    expect(parseOutputFile(readFileSync(output, 'utf8'))).toEqual({ 'exit-code': '2' });
  });

  it('a step output path that cannot be written (a directory): one annotation naming GITHUB_OUTPUT, exit 2', async () => {
    const t = tempDir('slipway-runner-out-');
    const r = await report({ output: t.dir, summary: join(t.dir, 'summary.md') });
    expect(r.code).toBe(2);
    expect(r.annotations).toEqual([expect.stringContaining(`GITHUB_OUTPUT is '${t.dir}', which cannot be written: it is a directory, expected a file (EISDIR)`)]);
    expect(r.stdout).not.toContain('slipway report --evaluation'); // the command never ran
  });

  it('a RUNNER_TEMP that cannot hold the files of empty file inputs: an annotation naming it, exit 2, not an internal error', async () => {
    const t = tempDir('slipway-runner-out-');
    const output = join(t.dir, 'output');
    const env: NodeJS.ProcessEnv = { GITHUB_WORKSPACE: t.dir, RUNNER_TEMP: join(t.dir, 'gone'), GITHUB_OUTPUT: output, INPUT_EVALUATION: EVALUATION };
    let stdout = '';
    const code = await runAction('report', env, { stdout: (s) => void (stdout += s), stderr: () => {} });
    expect(code).toBe(2);
    expect(stdout.split('\n').filter((l) => l.startsWith('::error'))).toEqual([
      `::error title=slipway report::RUNNER_TEMP is '${join(t.dir, 'gone')}', where the action puts the files of empty file inputs, cannot be written: no such file or directory (ENOENT). The runner sets it to a writable directory; unset it or point it at one.`,
    ]);
    expect(parseOutputFile(readFileSync(output, 'utf8'))).toEqual({ 'exit-code': '2' });
  });

  it('writable files (the summary created on first write, as the runner would): the report runs, exit 0', async () => {
    const t = tempDir('slipway-runner-out-');
    const output = join(t.dir, 'output');
    const summary = join(t.dir, 'summary.md');
    const r = await report({ output, summary });
    expect(r.annotations).toEqual([]);
    expect(r.code).toBe(0);
    expect(readFileSync(summary, 'utf8')).toContain('<!-- slipway:report model=credit-risk -->');
    expect(parseOutputFile(readFileSync(output, 'utf8'))['exit-code']).toBe('0');
  });
});
