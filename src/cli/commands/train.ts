import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { str } from '../command.js';
import { CancelledError, UsageError } from '../../errors.js';
import { nextVersion } from '../../gitops/versions.js';
import { semverProblem } from '../../gitops/semver.js';
import type { ProviderChoice } from '../../model/session.js';
import { loadModel } from '../../spec/model.js';
import { assertOutDir } from '../../package/write.js';
import { findRepoRoot } from '../../spec/repo.js';
import { openStore, storeLocation } from '../../store/open.js';
import { uploadPackageArtifact } from '../../train/artifact.js';
import { trainModel } from '../../train/train.js';
import { checkDuration } from '../../spec/duration.js';

export const train: Command = {
  name: 'train',
  summary: "Run the model's training command, verify model.onnx and build a model package in the store.",
  options: {
    model: { type: 'string', value: '<name>', description: 'model under models/<name>/', required: true },
    out: { type: 'string', value: '<dir>', description: 'also write the package (model.onnx + slipway.json) here: a new or empty directory, or a package an earlier --out wrote (never under models/)' },
    version: { type: 'string', value: '<semver>', description: 'package version (default: the next minor version after those in environments/ history)' },
    store: { type: 'string', value: '<path|uri>', description: 'model store (default: SLIPWAY_STORE, else .slipway/store)' },
    timeout: { type: 'string', value: '<duration>', description: 'override train.timeout (6h when model.yaml sets none), e.g. 30m or 2h' },
    provider: { type: 'string', value: '<auto|cpu|cuda>', description: 'execution provider for verification (default: SLIPWAY_EXECUTION_PROVIDER, else auto)' },
  },
  details: `The training command runs in models/<name>/ with SLIPWAY_TRAIN_DATA, SLIPWAY_VALIDATION_DATA,
SLIPWAY_OUTPUT_DIR (write model.onnx there), SLIPWAY_PARAMS (JSON), SLIPWAY_SEED and more: see docs/train.md.
Outputs (in GitHub Actions): digest, version, path.`,
  async run(opts, _pos, ctx) {
    const repoRoot = findRepoRoot(ctx.cwd);
    const model = await loadModel(repoRoot, str(opts, 'model')!);
    const version = str(opts, 'version') ?? (await nextVersion(repoRoot, model.spec.name));
    const versionProblem = semverProblem(version);
    if (versionProblem) throw new UsageError(`--version '${version}' ${versionProblem}`);
    const timeout = str(opts, 'timeout');
    const timeoutProblem = timeout === undefined ? undefined : checkDuration(timeout).problem;
    if (timeoutProblem) throw new UsageError(`--timeout '${timeout}' ${timeoutProblem}`);
    const provider = str(opts, 'provider');
    if (provider !== undefined && !['auto', 'cpu', 'cuda'].includes(provider)) throw new UsageError(`--provider expects auto, cpu or cuda, got '${provider}'`);
    const store = openStore(storeLocation(str(opts, 'store'), ctx.env), repoRoot);
    const outText = str(opts, 'out');
    const out = outText === undefined ? undefined : resolve(ctx.cwd, outText);
    // refused before anything is said or run (trainModel checks again for its other callers)
    if (out) await assertOutDir(out, { repoRoot, storeUri: store.uri, cwd: ctx.cwd });
    const log = (line: string) => ctx.stderr(`slipway train: ${line}\n`);

    // Cancelling slipway (Ctrl-C, or Actions cancelling the job) cancels the training command cleanly.
    const controller = new AbortController();
    let received: NodeJS.Signals | undefined;
    const cancel = (sig: NodeJS.Signals) => {
      log(`received ${sig}: stopping the training command`);
      received ??= sig;
      controller.abort();
    };
    process.on('SIGINT', cancel);
    process.on('SIGTERM', cancel);
    let result;
    try {
      log(`training ${model.spec.name} ${version}`);
      result = await trainModel({
        repoRoot,
        model,
        store,
        version,
        out,
        cwd: ctx.cwd,
        timeout,
        provider: provider as ProviderChoice | undefined,
        env: ctx.env,
        log,
        output: (line) => ctx.stderr(`  | ${line}\n`),
        signal: controller.signal,
      });
    } catch (e) {
      // stopped on purpose: the shell's code for the signal (130 for Ctrl-C), not a usage error
      if (received) throw new CancelledError(`${(e as Error).message} (stopped by ${received})`, received);
      throw e;
    } finally {
      process.off('SIGINT', cancel);
      process.off('SIGTERM', cancel);
    }
    log(`package ${model.spec.name} ${result.version} stored in ${store.uri}`);
    ctx.stdout(`${result.digest}\n`);
    ctx.setOutput('digest', result.digest);
    ctx.setOutput('version', result.version);
    ctx.setOutput('path', result.path);
    const m = result.card.metrics ?? {};
    ctx.appendSummary(
      `### slipway train: ${model.spec.name} ${result.version}\n\n` +
        `- digest: \`${result.digest}\`\n- commit: ${result.card.lineage.git.commit ?? 'none'}${result.card.lineage.git.dirty ? ' (dirty)' : ''}\n` +
        `- hardware: ${result.card.lineage.hardware.gpus.map((g) => g.name).join(', ') || result.card.lineage.hardware.cpu.model}\n` +
        `- duration: ${result.card.lineage.duration_s} s\n` +
        (Object.keys(m).length ? `- metrics: ${Object.entries(m).map(([k, v]) => `${k} ${Number(v.toPrecision(6))}`).join(', ')}\n` : ''),
    );
    await uploadPackageArtifact(`${model.spec.name}-${result.version}`, result.path, ctx.env, log);
    return 0;
  },
};
