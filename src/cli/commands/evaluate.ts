import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { int, str } from '../command.js';
import { renderMarkdown, renderText } from '../../evaluate/render.js';
import { runEvaluation } from '../../evaluate/run.js';
import { bootstrapSamplesProblem, MIN_BOOTSTRAP_SAMPLES } from '../../evaluate/bootstrap-samples.js';
import { UsageError } from '../../errors.js';
import { writeReport } from '../../evaluate/write.js';
import { findRepoRoot } from '../../spec/repo.js';
import { openStore, storeLocation } from '../../store/open.js';

export const evaluate: Command = {
  name: 'evaluate',
  summary: 'Evaluate a candidate against the champion: metrics, confidence intervals, fairness, latency and gates.',
  details: [
    'The champion is the version of the model pinned in environments/<env>.yaml (--against), fetched',
    'from the store and verified by digest; with none pinned this is a first deployment (no deltas).',
    'Exit codes: 0 every gate passes, 1 a gate failed, 2 bad input or configuration.',
    'See docs/evaluate.md for the metrics, the fairness definitions and the report format.',
  ].join('\n'),
  options: {
    model: { type: 'string', value: '<name>', description: 'model under models/<name>/', required: true },
    candidate: { type: 'string', value: '<dir|digest|model.onnx>', description: 'the candidate: a package directory, a sha256:… digest in the store, or a bare model.onnx', required: true },
    data: { type: 'string', value: '<path>', description: 'test data: CSV, Parquet or JSON lines, local or a URL (default: data.test of model.yaml)' },
    against: { type: 'string', value: '<env>', description: 'environment whose pinned version is the champion', default: 'production' },
    report: { type: 'string', value: '<file.json>', description: 'write the JSON report here' },
    store: { type: 'string', value: '<path|url>', description: 'model store (default: SLIPWAY_STORE, else .slipway/store)' },
    bootstrap: { type: 'string', value: '<n>', description: `bootstrap replicates: 0 disables the CIs, else at least ${MIN_BOOTSTRAP_SAMPLES} (default: evaluate.bootstrap.samples of model.yaml, else 200)` },
  },
  async run(opts, _pos, ctx) {
    const bootstrapSamples = int(opts, 'bootstrap', 0, 100_000);
    const bootstrapProblem = bootstrapSamplesProblem(bootstrapSamples ?? 0);
    if (bootstrapProblem) throw new UsageError(`--bootstrap ${bootstrapProblem}`);
    // checked before the evaluation, which can take minutes: the report must have somewhere to go
    const reportFile = str(opts, 'report');
    if (reportFile) {
      const target = resolve(ctx.cwd, reportFile);
      if (existsSync(target) && statSync(target).isDirectory()) throw new UsageError(`--report ${reportFile} is a directory; expected the JSON file to write (e.g. ${join(reportFile, 'eval.json')})`);
      const data = str(opts, 'data');
      if (data && resolve(ctx.cwd, data) === target) throw new UsageError(`--report ${reportFile} is the --data file; the report would overwrite the test data: write it elsewhere`);
    }
    const repoRoot = findRepoRoot(ctx.cwd);
    const store = openStore(storeLocation(str(opts, 'store'), ctx.env), repoRoot);
    const report = await runEvaluation({
      repoRoot,
      cwd: ctx.cwd,
      model: str(opts, 'model')!,
      candidate: str(opts, 'candidate')!,
      data: str(opts, 'data'),
      against: str(opts, 'against')!,
      store,
      bootstrapSamples,
      progress: (m) => ctx.stderr(m + '\n'),
    });
    const out = str(opts, 'report');
    if (out) {
      const file = resolve(ctx.cwd, out);
      await writeReport(file, report);
      ctx.stderr(`wrote ${file}\n`);
      ctx.setOutput('report', file);
    }
    ctx.stdout(renderText(report));
    ctx.setOutput('ok', String(report.ok));
    ctx.appendSummary(renderMarkdown(report));
    return report.ok ? 0 : 1;
  },
};
