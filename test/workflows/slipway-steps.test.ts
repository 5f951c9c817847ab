import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/registry.js';
import { REPO } from '../actions/support.js';

// What a user copies: every `uses:` of a Slipway action (or reusable workflow) in the workflows we
// ship, the examples and the YAML blocks of the docs passes only inputs the action declares, with a
// value of the kind it reads ('true'/'false' for a boolean, a gpu flavour for `gpu`), and every
// `steps.<id>.outputs.<name>` / `needs.<job>.outputs.<name>` it reads is an output that exists.
// A typo there is no error on GitHub: the input is ignored with a warning, the output is ''.

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;
type Declared = { inputs: Record<string, Json>; outputs: Record<string, Json> };

const OWNER = 'slipway-ml/slipway';
const ymlIn = (dir: string) => (existsSync(join(REPO, dir)) ? readdirSync(join(REPO, dir)).filter((f) => f.endsWith('.yml')).map((f) => `${dir}/${f}`) : []);
const mdIn = (dir: string) => readdirSync(join(REPO, dir)).filter((f) => f.endsWith('.md')).map((f) => `${dir}/${f}`);

/** `uses:` of one of our actions → its action.yml, or undefined for other actions. */
function actionFile(uses: string): string | undefined {
  if (uses === './' || uses === `${OWNER}@v1`) return 'action.yml';
  const m = new RegExp(`^(?:${OWNER}/|\\./)actions/([a-z-]+)(?:@v1)?$`).exec(uses);
  return m ? `actions/${m[1]}/action.yml` : undefined;
}
function workflowFile(uses: string): string | undefined {
  const m = new RegExp(`^${OWNER}/\\.github/workflows/([a-z-]+\\.yml)@v1$`).exec(uses);
  return m ? `.github/workflows/${m[1]}` : undefined;
}
function declared(file: string): Declared {
  const doc = parseDocument(readFileSync(join(REPO, file), 'utf8')).toJS() as Json;
  if (file.startsWith('.github/')) return { inputs: doc.on.workflow_call.inputs ?? {}, outputs: doc.on.workflow_call.outputs ?? {} };
  return { inputs: doc.inputs ?? {}, outputs: doc.outputs ?? {} };
}

/** Every string in a value, for the expressions in it. */
function strings(v: Json): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}
const refs = (v: Json, kind: 'steps' | 'needs') => strings(v).flatMap((s) => [...s.matchAll(new RegExp(`\\b${kind}\\.([\\w-]+)\\.outputs\\.([\\w-]+)`, 'g'))].map((m) => ({ id: m[1], name: m[2] })));

/** The mistakes in one set of jobs (a workflow, or a fragment of one from the docs). */
export function problems(jobs: Record<string, Json>, where: string): string[] {
  const out: string[] = [];
  for (const [name, job] of Object.entries<Json>(jobs)) {
    const at = `${where}: job ${name}`;
    // a reusable workflow of ours: its inputs (typed by the workflow itself) and outputs
    const wf = typeof job.uses === 'string' ? workflowFile(job.uses) : undefined;
    if (wf) for (const key of Object.keys(job.with ?? {})) if (!(key in declared(wf).inputs)) out.push(`${at}: ${job.uses} has no input '${key}'`);
    // needs.<job>.outputs.<name>: the job (or the workflow it calls) declares it
    for (const { id, name: output } of refs(job, 'needs')) {
      const other = jobs[id];
      if (!other) continue; // a fragment of a workflow: the job is not shown
      const has = other.outputs ? output in other.outputs : typeof other.uses === 'string' && workflowFile(other.uses) ? output in declared(workflowFile(other.uses)!).outputs : false;
      if (!has) out.push(`${at}: needs.${id}.outputs.${output}: job ${id} has no output '${output}'`);
    }
    const steps: Json[] = job.steps ?? [];
    const ids = new Map<string, Declared & { uses: string }>();
    for (const step of steps) {
      const file = typeof step.uses === 'string' ? actionFile(step.uses) : undefined;
      if (!file) continue;
      if (!existsSync(join(REPO, file))) {
        out.push(`${at}: ${step.uses}: no ${file}`);
        continue;
      }
      const d = declared(file);
      if (step.id) ids.set(step.id, { ...d, uses: step.uses });
      for (const [key, value] of Object.entries<Json>(step.with ?? {})) {
        const input = d.inputs[key];
        if (!input) {
          out.push(`${at}: ${step.uses} has no input '${key}' (it has: ${Object.keys(d.inputs).join(', ')})`);
          continue;
        }
        const text = String(value);
        if (text.includes('${{')) continue; // known only when the job runs
        if (key === 'gpu' && !['cuda12', 'false'].includes(text)) out.push(`${at}: ${step.uses} input 'gpu' is 'cuda12' or 'false', not '${text}'`);
        else if (['true', 'false'].includes(String(input.default)) && key !== 'gpu' && !['true', 'false'].includes(text)) out.push(`${at}: ${step.uses} input '${key}' is 'true' or 'false', not '${text}'`);
      }
      for (const [key, input] of Object.entries<Json>(d.inputs)) if (input.required && input.default === undefined && !(key in (step.with ?? {}))) out.push(`${at}: ${step.uses} needs input '${key}'`);
      // the umbrella action: a command that exists, and flags of that command in `args`
      const command = file === 'action.yml' ? String(step.with?.command ?? '') : '';
      if (command && !command.includes('${{')) {
        const cmd = commands.find((c) => c.name === command);
        if (!cmd) out.push(`${at}: ${step.uses}: no command '${command}'`);
        const flags = [...String(step.with?.args ?? '').matchAll(/(?:^|\s)--([\w-]+)/g)].map((m) => m[1]);
        if (cmd) for (const flag of flags) if (!(flag in cmd.options) && flag !== 'help') out.push(`${at}: ${step.uses}: slipway ${command} has no flag --${flag}`);
      }
    }
    // steps.<id>.outputs.<name> of a Slipway step: the action declares it
    for (const { id, name: output } of refs(job, 'steps')) {
      const d = ids.get(id);
      if (d && !(output in d.outputs)) out.push(`${at}: steps.${id}.outputs.${output}: ${d.uses} has no output '${output}' (it has: ${Object.keys(d.outputs).join(', ')})`);
    }
  }
  return out;
}

/** The YAML blocks of a markdown file that use Slipway, as jobs (a bare list of steps is one job). */
function blocks(rel: string): { where: string; jobs: Record<string, Json> }[] {
  const text = readFileSync(join(REPO, rel), 'utf8');
  const out: { where: string; jobs: Record<string, Json> }[] = [];
  for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
    if (!new RegExp(`uses:\\s*${OWNER}[/@]`).test(m[1])) continue;
    const line = text.slice(0, m.index).split('\n').length + 1;
    const lines = m[1].split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim() && !l.trim().startsWith('#')).map((l) => /^ */.exec(l)![0].length));
    const doc = parseDocument(lines.map((l) => l.slice(indent)).join('\n'));
    expect(doc.errors.map((e) => e.message), `${rel}:${line}`).toEqual([]);
    const js = doc.toJS() as Json;
    const jobs = Array.isArray(js) ? { '(steps)': { steps: js } } : js.jobs ?? (js.steps ? { '(job)': js } : undefined);
    expect(jobs, `${rel}:${line}: a block that uses ${OWNER} and is neither a workflow, a job nor a list of steps`).toBeDefined();
    out.push({ where: `${rel}:${line}`, jobs });
  }
  return out;
}

const WORKFLOWS = [...ymlIn('.github/workflows'), ...ymlIn('examples/workflows')];
const DOCS = ['README.md', ...mdIn('docs')];

describe('Slipway steps in what users copy', () => {
  it.each(WORKFLOWS)('%s: inputs declared and of the right kind, outputs that exist', (rel) => {
    const wf = parseDocument(readFileSync(join(REPO, rel), 'utf8')).toJS() as Json;
    expect(problems(wf.jobs, rel)).toEqual([]);
  });

  it.each(DOCS.filter((rel) => blocks(rel).length > 0))('%s: every YAML block with a Slipway step or workflow', (rel) => {
    for (const { where, jobs } of blocks(rel)) expect(problems(jobs, where)).toEqual([]);
  });

  it('the docs show Slipway in YAML (so the test above checks something)', () => {
    expect(DOCS.filter((rel) => blocks(rel).length > 0)).toEqual(expect.arrayContaining(['README.md', 'docs/actions.md', 'docs/fork-prs.md', 'docs/gpu-runners.md']));
  });
});

describe('the rules are real', () => {
  const job = (step: Json, more: Json = {}) => ({ j: { steps: [step, ...(more.steps ?? [])], ...more.job } });

  it('an undeclared input, a wrong boolean, a wrong gpu and a missing required input are caught', () => {
    expect(problems(job({ uses: `${OWNER}/actions/evaluate@v1`, with: { model: 'm', candidate: 'c', 'fail-on-check-failure': 'no', gpu: 'cuda' } }), 'x')).toEqual([
      "x: job j: slipway-ml/slipway/actions/evaluate@v1 input 'fail-on-check-failure' is 'true' or 'false', not 'no'",
      "x: job j: slipway-ml/slipway/actions/evaluate@v1 input 'gpu' is 'cuda12' or 'false', not 'cuda'",
    ]);
    expect(problems(job({ uses: `${OWNER}/actions/drift@v1`, with: { model: 'm', issues: 'true' } }), 'x')).toEqual([
      expect.stringContaining("x: job j: slipway-ml/slipway/actions/drift@v1 has no input 'issues' (it has: model, env,"),
      "x: job j: slipway-ml/slipway/actions/drift@v1 needs input 'current'",
    ]);
  });

  it("the umbrella action's command and the flags in its args are checked", () => {
    expect(problems(job({ uses: `${OWNER}@v1`, with: { command: 'audit', args: '--env production' } }), 'x')).toEqual([]);
    expect(problems(job({ uses: `${OWNER}@v1`, with: { command: 'audit', args: '--environment production' } }), 'x')).toEqual(['x: job j: slipway-ml/slipway@v1: slipway audit has no flag --environment']);
    expect(problems(job({ uses: `${OWNER}@v1`, with: { command: 'audits' } }), 'x')).toEqual(["x: job j: slipway-ml/slipway@v1: no command 'audits'"]);
  });

  it('an output the action does not declare is caught, in a later step or in the job outputs', () => {
    const train = { id: 'train', uses: `${OWNER}/actions/train@v1`, with: { model: 'm' } };
    expect(problems(job(train, { steps: [{ run: 'true', env: { P: '${{ steps.train.outputs.package }}' } }] }), 'x')).toEqual([]);
    expect(problems(job(train, { steps: [{ run: 'true', env: { P: '${{ steps.train.outputs.package-dir }}' } }] }), 'x')).toEqual([
      expect.stringContaining("x: job j: steps.train.outputs.package-dir: slipway-ml/slipway/actions/train@v1 has no output 'package-dir'"),
    ]);
    expect(problems(job(train, { job: { outputs: { ok: '${{ steps.train.outputs.ok }}' } } }), 'x')).toEqual([expect.stringContaining("has no output 'ok'")]);
  });

  it('an output a called workflow or another job does not have is caught', () => {
    const jobs = {
      drift: { uses: `${OWNER}/.github/workflows/drift.yml@v1`, with: { model: 'm', current: 'c' } },
      after: { needs: 'drift', if: "${{ needs.drift.outputs.drift == 'true' }}", steps: [{ run: 'true' }] },
    };
    expect(problems(jobs, 'x')).toEqual(["x: job after: needs.drift.outputs.drift: job drift has no output 'drift'"]);
    jobs.after.if = "${{ needs.drift.outputs.drifted == 'true' }}";
    expect(problems(jobs, 'x')).toEqual([]);
  });
});

describe('the examples fit together once copied', () => {
  const example = (name: string) => {
    const text = readFileSync(join(REPO, 'examples', 'workflows', `${name}.yml`), 'utf8');
    const copyTo = /^# Copy to \.github\/workflows\/([\w.-]+\.yml)\./m.exec(text)?.[1];
    return { wf: parseDocument(text).toJS() as Json, copyTo };
  };

  it.each(ymlIn('examples/workflows').map((f) => f.replace(/^.*\/|\.yml$/g, '')))('%s.yml says where to copy it', (name) => {
    expect(example(name).copyTo).toMatch(/\.yml$/);
  });

  it("report-fork runs after the model-pr example's workflow, by its name", () => {
    expect(example('report-fork').wf.on.workflow_run.workflows).toEqual([example('model-pr').wf.name]);
  });

  it("promote finds the package in the runs of the model-pr example's file", () => {
    const job = Object.values<Json>(example('promote').wf.jobs)[0];
    const pr = job.with['pr-workflow'] ?? declared('.github/workflows/promote.yml').inputs['pr-workflow'].default;
    expect(pr).toBe(example('model-pr').copyTo);
  });

  it('drift dispatches the retrain example, with inputs that it declares', () => {
    const job = Object.values<Json>(example('drift').wf.jobs)[0];
    const retrain = example('retrain');
    expect(job.with['retrain-workflow']).toBe(retrain.copyTo);
    // gh workflow run -f name=… for an input the workflow does not declare is refused (HTTP 422)
    const dispatch = (parseDocument(readFileSync(join(REPO, '.github/workflows/drift.yml'), 'utf8')).toJS() as Json).jobs.retrain.steps[0].run as string;
    const fields = [...dispatch.matchAll(/-f ([\w-]+)=/g)].map((m) => m[1]);
    expect(fields).toEqual(['model', 'env', 'window']);
    expect(Object.keys(retrain.wf.on.workflow_dispatch.inputs)).toEqual(expect.arrayContaining(fields));
    expect('schedule' in retrain.wf.on).toBe(true);
  });
});
