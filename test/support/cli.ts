import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Runs the CLI in-process, capturing its output, step outputs and job summary (`jobSummary` false: a run with none, as outside Actions). */
export async function runCli(argv: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env, jobSummary = true): Promise<CliResult> {
  const r: CliResult = { code: 0, stdout: '', stderr: '', outputs: {}, summary: '' };
  r.code = await main(argv, {
    stdout: (t) => void (r.stdout += t),
    stderr: (t) => void (r.stderr += t),
    cwd,
    env,
    setOutput: (name, value) => void (r.outputs[name] = value),
    appendSummary: (md) => jobSummary && ((r.summary += md), true),
  });
  return r;
}
