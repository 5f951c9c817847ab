import { stringify } from 'yaml';
import type { Command } from '../cli/command.js';
import { commands } from '../cli/registry.js';
import { EXIT_CODE_OUTPUT, entryName, exitCodeOutput, type ActionSpec } from './catalog.js';

export interface InputDecl {
  description: string;
  required: boolean;
  default?: string;
  /** the command flag this input maps to (kebab-case, same name), if any */
  flag?: { name: string; type: 'string' | 'boolean'; multiple: boolean };
}

export function commandOf(spec: ActionSpec): Command | undefined {
  if (spec.command === '*') return undefined;
  const cmd = commands.find((c) => c.name === spec.command);
  if (!cmd) throw new Error(`action ${spec.dir}: no command '${spec.command}'`);
  return cmd;
}

/** Every input of an action: the command's flags (same names), then the action's own inputs. */
export function inputsOf(spec: ActionSpec): Record<string, InputDecl> {
  const out: Record<string, InputDecl> = {};
  const cmd = commandOf(spec);
  for (const [name, o] of Object.entries(cmd?.options ?? {})) {
    const fileDefault = spec.fileDefaults?.[name];
    let description = o.description.replace(/\.$/, '');
    if (o.multiple) description += ' (one per line)';
    if (fileDefault) description += ` (default: a new path under RUNNER_TEMP; its path is the '${fileDefault.output}' output)`;
    if (spec.prFromEvent === name) description += ` (default: the pull request of the triggering event${spec.untrustedInput ? `, unless ${spec.untrustedInput} is given` : ''})`;
    description = description.charAt(0).toUpperCase() + description.slice(1) + '.';
    const required = !!o.required && !fileDefault;
    const decl: InputDecl = { description, required, flag: { name, type: o.type, multiple: !!o.multiple } };
    if (o.default !== undefined) decl.default = String(o.default);
    else if (o.type === 'boolean') decl.default = 'false';
    else if (!required) decl.default = '';
    out[name] = decl;
  }
  for (const [name, x] of Object.entries(spec.extra)) {
    if (out[name]) throw new Error(`action ${spec.dir}: input '${name}' is both a flag of '${spec.command}' and an action input`);
    out[name] = { description: x.description, required: !!x.required, ...(x.default !== undefined ? { default: x.default } : {}) };
  }
  return out;
}

export function outputsOf(spec: ActionSpec): Record<string, { description: string }> {
  const out: Record<string, { description: string }> = {};
  for (const f of Object.values(spec.fileDefaults ?? {})) out[f.output] = { description: f.outputDescription };
  Object.assign(out, spec.commandOutputs);
  out[EXIT_CODE_OUTPUT] = exitCodeOutput;
  return out;
}

/** The path of the action's main script, relative to its action.yml. */
export function mainPath(spec: ActionSpec): string {
  return spec.dir === '' ? 'actions/index.js' : 'index.js';
}

/** Renders action.yml for an action; the committed files must equal this (a test checks). */
export function renderActionYml(spec: ActionSpec): string {
  const inputs: Record<string, Record<string, unknown>> = {};
  for (const [name, d] of Object.entries(inputsOf(spec))) {
    inputs[name] = { description: d.description, required: d.required, ...(d.default !== undefined ? { default: d.default } : {}) };
  }
  const doc = {
    name: spec.title,
    description: spec.description,
    author: 'Slipway',
    branding: spec.branding,
    inputs,
    outputs: outputsOf(spec),
    runs: { using: 'node24', main: mainPath(spec) },
  };
  const header = [
    `# Generated from src/actions/catalog.ts and the flags of \`slipway ${spec.command === '*' ? '<command>' : spec.command}\``,
    `# (src/cli/commands/). Regenerate with: npx tsx src/actions/generate-metadata.ts`,
    `# Entry point: src/actions/${entryName(spec)}.ts, started by ${spec.dir === '' ? 'actions/index.js' : `actions/${spec.dir}/index.js`} (actions/bootstrap.js).`,
  ].join('\n');
  return `${header}\n${stringify(doc, { lineWidth: 0 })}`;
}

export function actionYmlPath(spec: ActionSpec): string {
  return spec.dir === '' ? 'action.yml' : `actions/${spec.dir}/action.yml`;
}
