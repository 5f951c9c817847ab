import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Command } from '../command.js';
import { str } from '../command.js';
import { UsageError } from '../../errors.js';
import { renderKServe } from '../../serve/kserve.js';
import { loadEnvironment } from '../../spec/environment.js';
import { assertName } from '../../spec/paths.js';
import { findRepoRoot } from '../../spec/repo.js';
import { writeFileAtomic } from '../../fs/atomic.js';
import { makeDir } from '../../fs/make-dir.js';
import { displayPath } from '../../spec/yaml-file.js';

export const render: Command = {
  name: 'render',
  summary: 'Render an environment for another deployer (kserve: InferenceService resources).',
  positionals: 'kserve',
  options: {
    env: { type: 'string', value: '<env>', description: 'environment', required: true },
    out: { type: 'string', value: '<dir|file.yaml|->', description: "where to write the manifests: a directory (one <model>.yaml each; a model's file from an earlier render is removed once it is no longer pinned), one .yaml/.yml file (all of them, as YAML documents), or '-' for stdout", default: '-' },
    namespace: { type: 'string', value: '<ns>', description: 'Kubernetes namespace of the resources' },
    'storage-prefix': { type: 'string', value: '<uri>', description: 'where packages are mirrored by digest (s3://bucket/models → s3://bucket/models/sha256/<hex>), for pins without a KServe-readable uri' },
  },
  details: `One InferenceService per model in environments/<env>.yaml: modelFormat onnx, protocolVersion v2,
storageUri from the pin's uri (or --storage-prefix + digest), canaryTrafficPercent from the canary weight.
Commit the output where Argo CD or Flux watches. See docs/serve.md#kserve-slipway-render-kserve.`,
  async run(opts, positionals, ctx) {
    if (positionals.length !== 1 || positionals[0] !== 'kserve') throw new UsageError(`slipway render: expected the target 'kserve' (slipway render kserve --env <env>), got ${positionals.length ? `'${positionals.join(' ')}'` : 'nothing'}`);
    const out = str(opts, 'out')!;
    // an empty value would resolve to the working directory and write there
    if (out.trim() === '') throw new UsageError(`--out: expected a directory, a .yaml file or '-' (stdout), got ${JSON.stringify(out)}`);
    const env = assertName('environment', str(opts, 'env')!);
    const root = findRepoRoot(ctx.cwd);
    const { spec, file } = await loadEnvironment(root, env);
    const namespace = str(opts, 'namespace');
    if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) throw new UsageError(`--namespace '${namespace}' is not a valid Kubernetes namespace name: lower-case letters, digits and '-', at most 63, with a letter or digit at each end`);
    const resources = renderKServe(spec, { namespace, storagePrefix: str(opts, 'storage-prefix'), file: displayPath(file, ctx.cwd) });
    // what the YAML cannot say: how KServe will route a canary, and what has no place in it
    for (const [model, m] of Object.entries(spec.models ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (m.canary) ctx.stderr(`render: ${model}: canary ${m.canary.version} is the model, at canaryTrafficPercent ${m.canary.weight}; KServe splits against the revision it last rolled out at 100 %, so on a new InferenceService, or in RawDeployment mode (no canaries), ${m.canary.version} takes all the traffic\n`);
      if (m.shadow) ctx.stderr(`render: ${model}: shadow ${m.shadow.version} is not rendered (KServe has no shadow)\n`);
    }
    const documents = () => resources.map((r) => stringify(r, { lineWidth: 0 })).join('---\n');
    if (out === '-') {
      ctx.stdout(documents());
      if (resources.length === 0) ctx.stderr(`render: environment '${env}' pins no models; nothing to render\n`);
      return 0;
    }
    if (/\.ya?ml$/i.test(out)) {
      const path = resolve(ctx.cwd, out);
      await writeFileAtomic(path, documents());
      ctx.stderr(`wrote ${displayPath(path, ctx.cwd)} (${resources.length} InferenceService${resources.length === 1 ? '' : 's'})\n`);
      return 0;
    }
    const dir = resolve(ctx.cwd, out);
    await makeDir(dir);
    // one directory per environment: the files are named by model alone, so another environment's would be overwritten
    for (const r of resources) {
      const path = join(dir, `${r.metadata.name}.yaml`);
      const other = (await renderedBy(path))?.environment;
      if (other !== undefined && other !== spec.name) throw new UsageError(`${displayPath(path, ctx.cwd)} holds the InferenceService of environment '${other}', which this render of '${spec.name}' would overwrite; render each environment into a directory of its own`);
    }
    const written = new Set<string>();
    for (const r of resources) {
      const path = join(dir, `${r.metadata.name}.yaml`);
      await writeFileAtomic(path, stringify(r, { lineWidth: 0 }));
      written.add(`${r.metadata.name}.yaml`);
      ctx.stderr(`wrote ${displayPath(path, ctx.cwd)}\n`);
    }
    // the directory mirrors the manifest: a model no longer pinned must not stay deployed by Argo CD or Flux
    for (const { name, model } of await staleRenders(dir, written, spec.name)) {
      await rm(join(dir, name));
      ctx.stderr(`removed ${displayPath(join(dir, name), ctx.cwd)} (model '${model}' is no longer in ${displayPath(file, ctx.cwd)})\n`);
    }
    if (resources.length === 0) ctx.stderr(`render: environment '${env}' pins no models; nothing written\n`);
    return 0;
  },
};

/** The environment and model of a file that render wrote (one InferenceService labelled as Slipway's), else undefined. */
async function renderedBy(path: string): Promise<{ environment: string; model: string } | undefined> {
  let doc: unknown;
  try {
    doc = parse(await readFile(path, 'utf8'));
  } catch {
    return undefined; // absent, not YAML, not a file: not ours
  }
  const r = doc as { kind?: unknown; metadata?: { labels?: Record<string, unknown> } } | null;
  const labels = r?.metadata?.labels;
  if (r?.kind !== 'InferenceService' || labels?.['app.kubernetes.io/managed-by'] !== 'slipway' || typeof labels['slipway.dev/environment'] !== 'string') return undefined;
  return { environment: labels['slipway.dev/environment'], model: String(labels['slipway.dev/model']) };
}

/**
 * The files of a directory that an earlier render of this environment wrote and this one did not: a YAML file
 * holding one InferenceService labelled as Slipway's for the environment. Anything else there is left alone.
 */
async function staleRenders(dir: string, written: Set<string>, environment: string): Promise<{ name: string; model: string }[]> {
  const stale: { name: string; model: string }[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (written.has(name) || !/\.ya?ml$/.test(name)) continue;
    const by = await renderedBy(join(dir, name));
    if (by?.environment === environment) stale.push({ name, model: by.model });
  }
  return stale;
}
