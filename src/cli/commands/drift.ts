import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Command } from '../command.js';
import { bool, filledStr, str } from '../command.js';
import { dataLocation, openDuckDB } from '../../data/duckdb.js';
import { reading } from '../../data/read-error.js';
import { compareColumn, featuresDrifted, type DriftConfig } from '../../drift/assess.js';
import { declaredTypes } from '../../data/contract-sql.js';
import { numbersAsNumbers } from '../../drift/coerce.js';
import { assessCollected, collect, currentSide, joinLabels, referenceSide } from '../../drift/load.js';
import { textColumnsOf } from '../../data/contract-reader.js';
import { describeScored, scoredByReference } from '../../drift/log-versions.js';
import { assessPerformance } from '../../drift/performance.js';
import { reasonsOf, renderMarkdown, type DriftReport } from '../../drift/report.js';
import { driftSummary, renderDriftText } from '../../drift/output.js';
import { checkDriftSpec } from '../../drift/tests.js';
import { readEnv, runUrl } from '../../env.js';
import { UsageError } from '../../errors.js';
import { createGitHubApi } from '../../github/api.js';
import { GitHubError, githubFromEnv, parseRepository } from '../../github/client.js';
import { syncDriftIssue } from '../../github/drift-issue.js';
import { loadModel } from '../../spec/model.js';
import { assertName, isRemote } from '../../spec/paths.js';
import { findRepoRoot } from '../../spec/repo.js';
import { writeFileAtomic } from '../../fs/atomic.js';

export const drift: Command = {
  name: 'drift',
  summary: 'Compare a window of production data or prediction logs with the training reference profile.',
  details: `The reference is, by default, the profile in the package pinned for the model in environments/<env>.yaml
(fetched from the store and verified by digest). --reference takes a data file (tests then run on raw values,
exactly as SciPy), a package directory or a sha256:… digest. --current is a data file or a directory of
prediction logs written by 'slipway serve' (<dir>/**/*.jsonl, also .jsonl.gz, filtered to the model).

Per feature the test follows Evidently's defaults (KS / chi-square / z for ≤ 1000 reference rows, normed
Wasserstein / Jensen–Shannon above), overridable in model.yaml under drift.features. Missing-rate drift,
unseen categories, prediction drift and (with --labels) performance drift are checked too.

Exit codes: 0 no drift, 1 drift detected, 2 bad input. See docs/drift.md.`,
  options: {
    model: { type: 'string', value: '<name>', description: 'model name', required: true },
    env: { type: 'string', value: '<env>', description: 'environment whose pinned package holds the reference', default: 'production' },
    current: { type: 'string', value: '<path|logs dir>', description: 'current window: a data file (CSV, Parquet, JSON lines; a local path or a URL) or a prediction-log directory', required: true },
    reference: { type: 'string', value: '<data path|package dir|digest>', description: 'compare with this instead of the pinned package (a data file may be a URL)', expected: 'a data file, URL, package directory or sha256:… digest' },
    labels: { type: 'string', value: '<file>', description: 'labels that arrived later (request id + target columns) for performance drift', expected: 'a data file' },
    report: { type: 'string', value: '<file.json>', description: 'write the JSON report here' },
    markdown: { type: 'string', value: '<file.md>', description: 'write the markdown report here' },
    issue: { type: 'boolean', description: 'open/update/close the drift issue for (model, env) on GitHub' },
    dispatch: { type: 'string', value: '<workflow>', description: 'on drift, dispatch this workflow (e.g. retrain.yml) with the window as input' },
    ref: { type: 'string', value: '<git ref>', description: 'the ref to dispatch the workflow on', default: 'main' },
    store: { type: 'string', value: '<uri>', description: 'model store (default: SLIPWAY_STORE or .slipway/store)' },
  },
  async run(opts, _positionals, ctx) {
    const model = assertName('model', str(opts, 'model')!);
    const env = assertName('environment', str(opts, 'env') ?? 'production');
    const dispatch = str(opts, 'dispatch');
    if (dispatch && !bool(opts, 'issue')) throw new UsageError('--dispatch needs --issue (it runs with the drift issue in Actions)');
    if (dispatch && !/^[A-Za-z0-9._-]+\.ya?ml$|^\d+$/.test(dispatch)) throw new UsageError(`--dispatch expects a workflow file name such as retrain.yml or its id, got '${dispatch}'`);
    const repoRoot = findRepoRoot(ctx.cwd);
    const m = await loadModel(repoRoot, model);
    const config: DriftConfig = (m.spec.drift ?? {}) as DriftConfig;
    checkDriftSpec(relative(ctx.cwd, m.file) || m.file, config.features, m.features);
    const vars = readEnv(ctx.env);
    // flags are checked before any data is read: a mistake costs no drift computation
    const currentFlag = filledStr(opts, 'current', 'a data file, URL or prediction-log directory')!;
    // blank --reference or --labels are refused with their `expected` before this (checkTokens)
    const referenceFlag = str(opts, 'reference');
    const labels = str(opts, 'labels');
    const currentPath = dataLocation(currentFlag, ctx.cwd);
    const logsDir = !isRemote(currentPath) && existsSync(currentPath) && statSync(currentPath).isDirectory();
    if (labels && !logsDir && (isRemote(currentPath) || existsSync(currentPath))) throw new UsageError(`--labels needs prediction logs as --current (a directory), got the data file ${currentFlag}`);
    const octokit = bool(opts, 'issue') ? githubFromEnv(vars) : undefined;
    if (bool(opts, 'issue') && !octokit) throw new UsageError('--issue needs a token: set GITHUB_TOKEN (the workflow needs `permissions: issues: write`)');
    const repository = octokit ? parseRepository(vars.githubRepository) : undefined;
    const t0 = Date.now();
    const progress = (msg: string) => ctx.stderr(`drift: [${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}\n`);

    const conn = await openDuckDB({ memoryLimit: '2GB' });
    let report: DriftReport;
    try {
      const referenceRead = await referenceSide(conn, { reference: referenceFlag, repoRoot, cwd: ctx.cwd, env, model, store: str(opts, 'store'), processEnv: ctx.env });
      // a CSV window is read as training read the package's data: its text columns as text
      const window = await currentSide(conn, currentPath, currentFlag, model, referenceRead.kind === 'package' ? textColumnsOf(referenceRead.card) : undefined);
      const labelsSource = labels ? { path: dataLocation(labels, ctx.cwd), display: labels } : undefined;
      progress(`reference: ${referenceRead.source}; current: ${window.source}`);
      // a log file's cut-short last line (serve stopped mid-write) is skipped, not fatal
      if (window.truncated?.length) progress(`skipped the cut-short last line of ${window.truncated.length} log file(s) (a write interrupted): ${window.truncated.slice(0, 5).map((t) => `${t.file}:${t.line}`).join(', ')}${window.truncated.length > 5 ? ', …' : ''}`);
      const features = referenceRead.kind === 'package' ? referenceRead.card.signature?.features ?? m.features : m.features;
      // a file can still fail past the part read to check it (a bad line deep in a CSV or JSON lines file)
      const sources = [...(window.sources ?? [{ path: currentPath, display: currentFlag }]), ...(referenceRead.kind === 'data' && referenceRead.path ? [{ path: referenceRead.path, display: referenceRead.source }] : []), ...(labelsSource ? [labelsSource] : [])];
      report = await reading(sources, async () => {
        // a numeric feature that arrives as text: its numbers read as numbers, the rest as missing
        const numeric = features.filter((f) => m.schema.properties[f] && declaredTypes(m.schema.properties[f]).some((t) => t === 'number' || t === 'integer'));
        const { reference, current, notes: textNotes } = await numbersAsNumbers(conn, referenceRead, window, features, numeric);
        // prediction and performance drift read only the rows the reference model scored
        const scored = await scoredByReference(conn, current, reference);
        const scoredNote = scored && describeScored(scored, reference.kind === 'package' ? reference.card.version : undefined);
        if (scoredNote) progress(scoredNote);
        const scoredSide = scored ? (scored.matched ? scored.current : null) : current;
        const c = await collect(conn, reference, current, features, progress, scoredSide);
        if (c.reference.rows === 0) throw new UsageError(`${reference.source}: the reference has no rows`);
        if (c.current.rows === 0) throw new UsageError(`${current.source}: the current window has no rows${current.kind === 'logs' ? ` for model '${model}'` : ''}`);
        const a = await assessCollected(conn, reference, current, c, config, progress);
        for (const [f, note] of Object.entries(textNotes)) {
          progress(`${f}: ${note}`);
          if (a.features[f]) a.features[f].note = a.features[f].note ? `${note}; ${a.features[f].note}` : note;
        }
        const prediction = c.prediction ? compareColumn('prediction', c.prediction, config.prediction) : null;
        if (prediction && scoredNote) prediction.note = scoredNote;
        let performance = null;
        if (labelsSource && m.spec.task === 'multiclass-classification') {
          // a multiclass model logs a probability per class: no one number to score against a label
          progress(`--labels: performance drift is measured for binary classification and regression, not for a multiclass model; the labels are not read`);
        } else if (labelsSource && !scoredSide) {
          progress(`--labels: no logged predictions of the reference model to join them with; performance drift not measured`);
        } else if (labelsSource && scoredSide) {
          progress(`joining labels from ${labelsSource.display}`);
          const card = reference.kind === 'package' ? reference.card : undefined;
          const j = await joinLabels(conn, scoredSide, labelsSource, m.spec.data.id ?? 'id', m.target, m.spec.task === 'regression' ? undefined : m.spec.data.positive_label ?? 1);
          if (j.unmatched > 0) progress(`${j.unmatched} label(s) matched no logged prediction${scored?.others.length ? ' of the reference version' : ''}`);
          performance = assessPerformance(m.spec.task, j.predictions, j.labels, { metrics: card?.metrics, decisionThreshold: card?.threshold, maxDrop: config.performance_max_drop });
        }
        const fd = featuresDrifted(a, config);
        const partial = {
          model,
          env,
          reference: {
            kind: reference.kind,
            source: reference.source,
            rows: c.reference.rows,
            ...(reference.kind === 'package' ? { version: reference.card.version, ...(reference.digest ? { digest: reference.digest } : {}) } : {}),
          },
          current: { kind: current.kind, source: current.source, rows: c.current.rows, ...(current.truncated?.length ? { skipped_lines: current.truncated.map((t) => `${t.file}:${t.line}`) } : {}) },
          features: a.features,
          drifted_features: a.drifted_features,
          share_of_drifted_features: a.share_of_drifted_features,
          prediction,
          performance,
          missing: a.missing,
          unseen_categories: a.unseen_categories,
          missing_columns: c.missingColumns,
          generated_at: new Date().toISOString(),
        };
        const reasons = reasonsOf(partial, fd);
        return { drifted: reasons.length > 0, ...partial, reasons };
      });
    } finally {
      conn.closeSync();
    }

    const json = JSON.stringify(report, null, 2) + '\n';
    const md = renderMarkdown(report);
    const reportFile = str(opts, 'report');
    if (reportFile) await writeFileAtomic(resolve(ctx.cwd, reportFile), json);
    const mdFile = str(opts, 'markdown');
    if (mdFile) await writeFileAtomic(resolve(ctx.cwd, mdFile), md);
    ctx.stdout(renderDriftText(report));
    ctx.setOutput('drifted', String(report.drifted));
    ctx.setOutput('report', reportFile ? resolve(ctx.cwd, reportFile) : json);
    ctx.appendSummary(driftSummary(md));

    if (octokit && repository) {
      const api = createGitHubApi(octokit, repository);
      const r = await syncDriftIssue(api, report, {
        env,
        runUrl: runUrl(vars),
        // an identity GitHub refuses is no reason to stop; an API that cannot be reached is
        author: await api.identity().catch((e: unknown) => {
          if (e instanceof GitHubError && e.status === undefined) throw e;
          return undefined;
        }),
        ...(dispatch ? { dispatch: { workflow: dispatch, ref: str(opts, 'ref') ?? 'main', inputs: { model, env, window: currentFlag } } } : {}),
      });
      if (r.issue) ctx.stderr(`drift: issue #${r.issue.number} ${r.action} (${r.issue.url})\n`);
      if (r.dispatched) ctx.stderr(`drift: dispatched ${dispatch} on ${str(opts, 'ref') ?? 'main'}\n`);
      ctx.setOutput('issue', r.issue ? String(r.issue.number) : '');
    }
    return report.drifted ? 1 : 0;
  },
};
