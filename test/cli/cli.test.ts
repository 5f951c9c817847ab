import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/registry.js';
import { runCli } from '../support/cli.js';

const ALL = ['validate', 'train', 'evaluate', 'report', 'promote', 'rollback', 'audit', 'serve', 'drift', 'render', 'demo'];

describe('slipway CLI', () => {
  it('--help lists every command (through the real bin, as npx runs it)', () => {
    const out = execFileSync(process.execPath, ['bin/slipway.js', '--help'], { encoding: 'utf8' });
    for (const c of ALL) expect(out).toMatch(new RegExp(`^  ${c}\\s`, 'm'));
  });

  it.each(commands.map((c) => c.name))('%s --help describes its flags', async (name) => {
    const r = await runCli([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`slipway ${name}`);
    expect(r.stdout).toContain('--help');
    const cmd = commands.find((c) => c.name === name)!;
    for (const flag of Object.keys(cmd.options)) expect(r.stdout).toContain(`--${flag}`);
    // every description starts in one column, past the longest flag (serve's --inference <auto|thread|inline> ran into its own)
    const rows = r.stdout.slice(r.stdout.indexOf('Flags:\n') + 7).split('\n\n')[0].split('\n').filter((l) => /^ {2}(-\w, | {4})--/.test(l));
    const starts = new Set(rows.map((l) => /^ {2}(-\w, | {4})--\S+( <[^>]+>)? +/.exec(l)![0].length));
    expect([rows.length, starts.size]).toEqual([Object.keys(cmd.options).length + 1, 1]);
  });

  it('an unknown command is a usage error (exit 2) with no stack trace', async () => {
    const r = await runCli(['launch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'launch'.\n");
    expect((await runCli(['promte'])).stderr).toContain("error: slipway: unknown command 'promte': did you mean 'slipway promote'?\n");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // a flag before any command is slipway's own (mistyped) or a command's given too early; it was an "unknown command" with no hint
    const first = async (argv: string[]) => (await runCli(argv)).stderr.split('\n')[0];
    expect(await first(['--verison'])).toBe("error: slipway: unknown flag '--verison': did you mean 'slipway --version'?");
    expect(await first(['-V'])).toBe("error: slipway: unknown flag '-V': did you mean 'slipway --version'?");
    expect(await first(['--env', 'production', 'audit'])).toBe("error: slipway: unknown flag '--env': a command's flags come after it: slipway <command> --env");
  });

  it('an unknown flag and a missing required flag exit 2 and point at --help', async () => {
    const a = await runCli(['check', '--bogus']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("Run 'slipway check --help'");
    const b = await runCli(['evaluate', '--model', 'credit-risk']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--candidate');
  });

  it("flag mistakes are named in Slipway's words: a typo gets the nearest flag, an unknown one the command's flags, a missing or swallowed value and a valued switch say so", async () => {
    const cases: [string[], string][] = [
      [['train', '--modle', 'x'], 'slipway train: unknown flag --modle: did you mean --model?'],
      [['train', '--data', 'x'], 'slipway train: unknown flag --data: it takes --model, --out, --version, --store, --timeout, --provider.'],
      [['promote', '--model'], 'slipway promote: --model needs a value (<name>).'],
      [['promote', '--model', '--env', 'x'], 'slipway promote: --model needs a value (<name>), and what follows it starts with a dash; to give a value that starts with one, write --model=<value>.'],
      [['demo', '--keep=yes'], 'slipway demo: --keep is a switch and takes no value.'],
    ];
    for (const [argv, first] of cases) {
      const r = await runCli(argv);
      expect([r.code, r.stderr], argv.join(' ')).toEqual([2, `error: ${first}\nRun 'slipway ${argv[0]} --help' for the flags.\n`]);
    }
  });

  it("'slipway help <command>' and 'slipway --help <command>' print that command's help; an unknown one is exit 2 with the nearest", async () => {
    for (const argv of [['help', 'validate'], ['--help', 'validate'], ['-h', 'validate']]) {
      const r = await runCli(argv);
      expect([r.code, r.stdout], argv.join(' ')).toEqual([0, (await runCli(['validate', '--help'])).stdout]);
    }
    const typo = await runCli(['help', 'valdate']);
    expect([typo.code, typo.stdout]).toEqual([2, '']);
    expect(typo.stderr).toContain("error: slipway: unknown command 'valdate': did you mean 'slipway validate'?\n");
  });

  it('a value flag given twice is exit 2 naming both values, not the last one silently winning; a repeatable flag may repeat', async () => {
    const r = await runCli(['audit', '--env', 'staging', '--env=production']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      2,
      '',
      "error: slipway audit: --env is given more than once ('staging', 'production'); it takes one value.\nRun 'slipway audit --help' for the flags.\n",
    ]);
    // --approver is repeatable: the command gets past the flags (to the unknown environment)
    const approvers = await runCli(['promote', '--model', 'credit-risk', '--candidate', 'sha256:' + '0'.repeat(64), '--env', 'nowhere', '--approver', 'a', '--approver', 'b']);
    expect(approvers.code).toBe(2);
    expect(approvers.stderr).toContain("environment 'nowhere' not found");
  });

  it("a blank value of a flag with no default is exit 2, not the flag left out (no report written, no filter applied)", async () => {
    const cases: [string[], string][] = [
      [['audit', '--env', 'production', '--model', ''], '--model is empty: expected <name>'],
      [['check', '--model=  '], '--model is empty: expected <name>'],
      [['validate', '--model', 'credit-risk', '--report='], '--report is empty: expected <file.json>'],
      [['report', '--evaluation', 'test/fixtures/report/evaluation.json', '--out', ''], '--out is empty: expected <file.md>'],
      [['promote', '--model', 'credit-risk', '--candidate', 'x', '--env', 'staging', '--approver', 'a', '--approver', ''], '--approver is empty: expected <who>'],
      [['validate', '--model', 'credit-risk', '--data', ''], '--data is empty: expected a data file path or URL (leave the flag out to validate data.train and data.test)'],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      expect([r.code, r.stdout, r.stderr], argv.join(' ')).toEqual([2, '', `error: ${message}\n`]);
    }
    // asking for help still gets it
    const help = await runCli(['audit', '--env', 'a', '--env', 'b', '--model', '', '--help']);
    expect([help.code, help.stdout]).toEqual([0, (await runCli(['audit', '--help'])).stdout]);
  });

  it("serve --provider with a bad value names the flag, not SLIPWAY_EXECUTION_PROVIDER", async () => {
    const r = await runCli(['serve', '--env', 'production', '--provider', 'tpu'], process.cwd(), { ...process.env, SLIPWAY_EXECUTION_PROVIDER: undefined });
    expect([r.code, r.stderr]).toEqual([2, "error: --provider expects auto, cpu or cuda, got 'tpu'\n"]);
  });

  it('a reader that goes away (slipway check | head) ends no command: no stack trace, the exit code is the command\'s', async () => {
    for (const argv of [['--help'], ['check']]) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // closed before the first write: every write meets EPIPE
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((done) => child.on('close', done));
      // it was an uncaught 'error' event: exit 1 (a failed check) with Node's stack trace
      expect([code, stderr], argv.join(' ')).toEqual([0, '']);
    }
  });

  it('a GITHUB_STEP_SUMMARY or GITHUB_OUTPUT that cannot be written is exit 2 naming the variable, not only a path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
    try {
      // a job's own variables (tests run in Actions too) stay out of it
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GITHUB_')));
      const report = ['report', '--evaluation', 'test/fixtures/report/evaluation.json'];
      for (const [variable, argv] of [['GITHUB_STEP_SUMMARY', ['audit', '--env', 'production']], ['GITHUB_OUTPUT', report]] as const) {
        const file = join(dir, 'no-such-dir', 'file');
        const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...argv], { encoding: 'utf8', env: { ...base, [variable]: file } });
        // (report, without a job summary or --out, first says that its markdown went nowhere)
        const stderr = r.stderr.replace(/^notice: the report was written nowhere: .*\n/, '');
        expect([r.status, stderr], variable).toEqual([2, `error: ${variable} is '${file}', which cannot be written: no such file or directory (ENOENT). GitHub Actions sets it to a file of the job; outside Actions, unset it\n`]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no arguments prints usage and exits 2', () => {
    const r = spawnSync(process.execPath, ['bin/slipway.js'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('Usage: slipway <command>');
  });
});
