import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { actions, entryName } from '../../src/actions/catalog.js';
import { generatedFiles } from '../../src/actions/generate-metadata.js';
import { actionYmlPath, commandOf, inputsOf, outputsOf } from '../../src/actions/metadata.js';
import { REPO } from './support.js';

const SPECS = join(REPO, '..', 'shared', 'specs');
const actionSchemaPath = join(SPECS, 'github-action.json');
const haveSpecs = existsSync(actionSchemaPath);
if (!haveSpecs) console.log(`skipping the action.yml schema check: ${actionSchemaPath} is absent (../shared/specs/)`);

interface ActionYml {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}
const load = (rel: string) => parse(readFileSync(join(REPO, rel), 'utf8')) as ActionYml;

describe('action metadata', () => {
  it('there is a root action.yml and one per capability', () => {
    expect(actions.map((a) => actionYmlPath(a)).sort()).toEqual(
      ['action.yml', ...['validate-data', 'train', 'evaluate', 'report', 'promote', 'rollback', 'drift'].map((d) => `actions/${d}/action.yml`)].sort(),
    );
  });

  it('docs/actions.md carries the generated reference of every input and output', () => {
    expect(Object.keys(generatedFiles(REPO))).toContain('docs/actions.md');
    const doc = readFileSync(join(REPO, 'docs', 'actions.md'), 'utf8');
    for (const a of actions) for (const name of Object.keys(inputsOf(a))) expect(doc).toContain(`| \`${name}\` |`);
  });

  it('the committed action.yml and main scripts are what the catalog and the flags render (run generate-metadata after changing either)', () => {
    for (const [rel, text] of Object.entries(generatedFiles(REPO))) {
      expect(existsSync(join(REPO, rel)), rel).toBe(true);
      expect(readFileSync(join(REPO, rel), 'utf8'), `${rel} is stale: npx tsx src/actions/generate-metadata.ts`).toBe(text);
    }
  });

  it.skipIf(!haveSpecs).each(actions.map((a) => actionYmlPath(a)))('%s validates against the GitHub action schema', (rel) => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(actionSchemaPath, 'utf8')));
    const ok = validate(load(rel));
    expect(validate.errors ?? [], rel).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check is real: a broken action.yml fails it', () => {
    if (!haveSpecs) return;
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(actionSchemaPath, 'utf8')));
    const broken = { ...load('actions/train/action.yml'), runs: { using: 'node18', main: 'index.js' } };
    expect(validate(broken)).toBe(false);
    const noDescription = load('actions/train/action.yml');
    noDescription.inputs.model = { required: true } as never;
    expect(validate(noDescription)).toBe(false);
  });

  it.each(actions.map((a) => [actionYmlPath(a), a] as const))('%s runs on node24, its main script exists, every input and output is documented', (rel, spec) => {
    const yml = load(rel);
    expect(yml.runs.using).toBe('node24');
    expect(existsSync(join(REPO, dirname(rel), yml.runs.main))).toBe(true);
    expect(readFileSync(join(REPO, dirname(rel), yml.runs.main), 'utf8')).toContain(`runAction('${entryName(spec)}'`);
    expect(existsSync(join(REPO, 'src', 'actions', `${entryName(spec)}.ts`))).toBe(true);
    for (const [name, input] of Object.entries(yml.inputs)) {
      expect(name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(input.description.length, `${rel} input ${name}`).toBeGreaterThan(10);
      expect(typeof input.required, `${rel} input ${name}`).toBe('boolean');
      if (!input.required) expect(input.default, `${rel} input ${name} needs a default`).toBeDefined();
    }
    for (const [name, output] of Object.entries(yml.outputs)) expect(output.description.length, `${rel} output ${name}`).toBeGreaterThan(10);
    expect(yml.outputs['exit-code']).toBeDefined();
  });

  it.each(actions.filter((a) => a.command !== '*').map((a) => [a.dir, a] as const))('actions/%s: inputs are exactly the flags of its command plus its own inputs', (_dir, spec) => {
    const yml = load(actionYmlPath(spec));
    const flags = Object.keys(commandOf(spec)!.options);
    expect(Object.keys(yml.inputs).sort()).toEqual([...flags, ...Object.keys(spec.extra)].sort());
    for (const [name, o] of Object.entries(commandOf(spec)!.options)) {
      const input = yml.inputs[name];
      if (o.default !== undefined) expect(input.default, `${spec.dir}.${name}`).toBe(String(o.default));
      if (o.required && !spec.fileDefaults?.[name]) expect(input.required, `${spec.dir}.${name}`).toBe(true);
    }
    expect(Object.keys(yml.outputs).sort()).toEqual(Object.keys(outputsOf(spec)).sort());
    expect(Object.keys(inputsOf(spec)).sort()).toEqual(Object.keys(yml.inputs).sort());
  });

  it.each(actions.filter((a) => a.command !== '*').map((a) => [a.dir, a] as const))('actions/%s declares every output its command sets, and only those (besides its own)', (_dir, spec) => {
    const source = readFileSync(join(REPO, 'src', 'cli', 'commands', `${spec.command}.ts`), 'utf8');
    const set = new Set([...source.matchAll(/setOutput\(\s*'([a-z0-9-]+)'/g)].map((m) => m[1]));
    const own = new Set(['exit-code', ...Object.values(spec.fileDefaults ?? {}).map((f) => f.output)]);
    const declared = Object.keys(load(actionYmlPath(spec)).outputs);
    for (const name of set) expect(declared, `slipway ${spec.command} sets '${name}'`).toContain(name);
    for (const name of declared) if (!own.has(name)) expect(set.has(name), `actions/${spec.dir} declares '${name}', which slipway ${spec.command} never sets`).toBe(true);
  });

  it('the token is an input only of actions that call the GitHub API, and defaults to the job token', () => {
    for (const a of actions) {
      const yml = load(actionYmlPath(a));
      expect('token' in yml.inputs, a.dir).toBe(!!a.token);
      if (a.token) expect(yml.inputs.token.default).toBe('${{ github.token }}');
    }
    expect(actions.find((a) => a.dir === 'train')!.token).toBeFalsy(); // training runs PR code: no token
    expect(actions.find((a) => a.dir === 'validate-data')!.token).toBeFalsy();
  });
});
