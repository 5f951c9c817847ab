import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Runs the CLI in-process, capturing its output, step outputs and job summary. */
export async function runCli(argv: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  const r: CliResult = { code: 0, stdout: '', stderr: '', outputs: {}, summary: '' };
  r.code = await main(argv, {
    stdout: (t) => void (r.stdout += t),
    stderr: (t) => void (r.stderr += t),
    cwd,
    env,
    setOutput: (name, value) => void (r.outputs[name] = value),
    appendSummary: (md) => void (r.summary += md),
  });
  return r;
}
