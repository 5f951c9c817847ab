/**
 * What each Slipway action is: the command it runs, the inputs it adds to the command's flags,
 * and the outputs it promises. The action.yml files are rendered from this (metadata.ts) and the
 * entry points read their inputs from it (run-action.ts), so the three cannot drift apart; a
 * test compares the committed action.yml files with what this renders.
 */

/** An input that is not a flag of the command (token, working directory, …). */
export interface ExtraInput {
  description: string;
  default?: string;
  required?: boolean;
}

export interface ActionOutput {
  description: string;
}

export interface ActionSpec {
  /** directory under actions/ ('' for the root action.yml) */
  dir: string;
  /** display name in action.yml */
  title: string;
  description: string;
  /** the slipway command it runs; '*' = the `command` input picks it */
  command: string;
  /** inputs besides the command's flags */
  extra: Record<string, ExtraInput>;
  /**
   * Flags whose value the action fills in when the input is empty, so that the file lands in a
   * fresh directory under RUNNER_TEMP and its path becomes the output of the same name.
   */
  fileDefaults?: Record<string, { file: string; output: string; outputDescription: string }>;
  /** outputs the command itself sets with ctx.setOutput (documented in the command's docs) */
  commandOutputs: Record<string, ActionOutput>;
  /** run on a GPU-capable install of onnxruntime-node when the `gpu` input asks for it */
  gpu?: boolean;
  /** the action passes a GitHub token to the command */
  token?: boolean;
  /** fill --pr from the pull_request event when the input is empty */
  prFromEvent?: string;
  /**
   * An input that names untrusted content (report: the fork PR's bundle). When it is given, or
   * when the job runs on workflow_run or pull_request_target (its files came from another run), the
   * runner reads no workflow commands from the command's output (::stop-commands::), so that text
   * from that content cannot add a mask, stop commands or fake an annotation in a job that writes.
   */
  untrustedInput?: string;
  branding: { icon: string; color: string };
}

const token: ExtraInput = {
  description:
    'GitHub token the command uses for the API (comments, checks, issues, releases). Registered as a secret, masked in logs and passed to the command in the environment, never on a command line.',
  default: '${{ github.token }}',
};
const workingDirectory: ExtraInput = {
  description: 'Directory of the repository that holds models/ and environments/, relative to the workspace.',
  default: '.',
};
const gpu: ExtraInput = {
  description:
    "'cuda12' installs onnxruntime-node's CUDA 12 execution provider on first use (Linux x64; cached like the other dependencies) and requires CUDA; 'false' uses the CPU.",
  default: 'false',
};
const failOnCheckFailure: ExtraInput = {
  description:
    "When 'false', a failed check (exit code 1: a gate, drift, a contract) does not fail the step; read the exit-code output instead. Usage and configuration errors (exit code 2) always fail it.",
  default: 'true',
};

export const EXIT_CODE_OUTPUT = 'exit-code';
export const exitCodeOutput: ActionOutput = {
  description: 'Exit code of the command: 0 ok, 1 a check failed, 2 usage, configuration or input error.',
};

export const actions: ActionSpec[] = [
  {
    dir: '',
    title: 'Slipway',
    description: 'Run any slipway command (validate, train, evaluate, report, promote, rollback, audit, drift, render, check, …) in a workflow.',
    command: '*',
    extra: {
      command: { description: "The slipway command to run, e.g. 'check', 'audit', 'render'.", required: true },
      args: {
        description:
          "Arguments for the command: one per line (a line '--flag value' is the flag and its value), or separated by spaces with '…' or \"…\" quoting. No shell runs: $VARS and globs are passed literally.",
        default: '',
      },
      'working-directory': workingDirectory,
      token,
      'fail-on-check-failure': failOnCheckFailure,
    },
    commandOutputs: {},
    token: true,
    branding: { icon: 'anchor', color: 'blue' },
  },
  {
    dir: 'validate-data',
    title: 'Slipway: validate data',
    description: "Check a dataset against the model's data contract (models/<name>/schema.json) with DuckDB; fails on violations.",
    command: 'validate',
    extra: { 'working-directory': workingDirectory, 'fail-on-check-failure': failOnCheckFailure },
    fileDefaults: { report: { file: 'validation.json', output: 'report', outputDescription: 'Path of the JSON validation report.' } },
    commandOutputs: { ok: { description: "'true' when the check passed, 'false' when it failed." } },
    branding: { icon: 'check-square', color: 'green' },
  },
  {
    dir: 'train',
    title: 'Slipway: train',
    description: "Run the model's training command (on your self-hosted GPU runner), verify model.onnx and build a content-addressed model package.",
    command: 'train',
    extra: { 'working-directory': workingDirectory, gpu },
    fileDefaults: { out: { file: 'package', output: 'package', outputDescription: 'Directory holding the model package (model.onnx + slipway.json); upload it as an artifact.' } },
    commandOutputs: {
      digest: { description: 'sha256 digest of the package (its identity in the store).' },
      version: { description: 'Version of the package (semver).' },
      path: { description: 'Path of the package in the local store.' },
    },
    gpu: true,
    branding: { icon: 'cpu', color: 'purple' },
  },
  {
    dir: 'evaluate',
    title: 'Slipway: evaluate',
    description: 'Evaluate a candidate package against the champion pinned in an environment: metrics with confidence intervals, fairness, latency and gates.',
    command: 'evaluate',
    extra: { 'working-directory': workingDirectory, token, gpu, 'fail-on-check-failure': failOnCheckFailure },
    fileDefaults: { report: { file: 'evaluation.json', output: 'report', outputDescription: 'Path of the JSON evaluation report (input of the report action).' } },
    commandOutputs: { ok: { description: "'true' when every gate passed, 'false' when one failed." } },
    gpu: true,
    token: true,
    branding: { icon: 'bar-chart-2', color: 'orange' },
  },
  {
    dir: 'report',
    title: 'Slipway: report',
    description: 'Post the evaluation as one sticky PR comment, the job summary and a check run whose conclusion is the verdict.',
    command: 'report',
    // no fail-on-check-failure: slipway report exits 0 whatever the verdict (the check run and the
    // verdict output carry it), so the input would promise a failed step that never comes
    extra: { 'working-directory': workingDirectory, token },
    fileDefaults: { out: { file: 'report.md', output: 'markdown', outputDescription: 'Path of the rendered markdown report.' } },
    commandOutputs: {
      verdict: { description: "'pass' or 'fail': the verdict of the gates." },
      'comment-url': { description: 'URL of the sticky PR comment (when one was posted).' },
      'check-run-id': { description: 'ID of the check run (when one was created).' },
    },
    token: true,
    prFromEvent: 'pr',
    untrustedInput: 'bundle',
    branding: { icon: 'message-square', color: 'blue' },
  },
  {
    dir: 'promote',
    title: 'Slipway: promote',
    description: 'Publish a model package and pin it in environments/<env>.yaml: a verified commit for push environments, a pull request for pull-request environments.',
    command: 'promote',
    extra: { 'working-directory': workingDirectory, token },
    commandOutputs: {
      version: { description: 'Version promoted.' },
      digest: { description: 'Digest of the promoted package.' },
      uri: { description: 'Where the package was published (store URI).' },
      commit: { description: 'The commit that changed the manifest (empty when a pull request was opened instead).' },
      branch: { description: 'The branch the change went to (the PR branch for pull-request environments).' },
      'pr-url': { description: 'URL of the promotion pull request (pull-request environments).' },
      'pr-number': { description: 'Number of the promotion pull request (pull-request environments).' },
    },
    token: true,
    branding: { icon: 'upload-cloud', color: 'green' },
  },
  {
    dir: 'rollback',
    title: 'Slipway: rollback',
    description: 'Revert the last promotion of a model in an environment (a revert commit, or a pull request for pull-request environments).',
    command: 'rollback',
    extra: { 'working-directory': workingDirectory, token },
    commandOutputs: {
      version: { description: 'Version pinned after the rollback.' },
      'rolled-back': { description: 'Versions taken out, comma-separated (promote refuses them again without force).' },
      commit: { description: 'The commit that changed the manifest (empty when a pull request was opened instead).' },
      branch: { description: 'The branch the change went to (the PR branch for pull-request environments).' },
      'pr-url': { description: 'URL of the rollback pull request (pull-request environments).' },
      'pr-number': { description: 'Number of the rollback pull request (pull-request environments).' },
    },
    token: true,
    branding: { icon: 'rotate-ccw', color: 'red' },
  },
  {
    dir: 'drift',
    title: 'Slipway: drift',
    description: 'Compare a window of production data or prediction logs with the training reference profile; open, update or close the drift issue.',
    command: 'drift',
    extra: { 'working-directory': workingDirectory, token, 'fail-on-check-failure': failOnCheckFailure },
    fileDefaults: { report: { file: 'drift.json', output: 'report', outputDescription: 'Path of the JSON drift report.' } },
    commandOutputs: {
      drifted: { description: "'true' when drift was found (the step's exit code is then 1)." },
      issue: { description: 'Number of the drift issue for (model, env), when the issue input is true and one is open.' },
    },
    token: true,
    branding: { icon: 'activity', color: 'yellow' },
  },
];

export function actionSpec(dir: string): ActionSpec {
  const spec = actions.find((a) => a.dir === dir);
  if (!spec) throw new Error(`no action named '${dir}'`);
  return spec;
}

/** Entry module name under src/actions/ (and dist/actions/) for an action directory. */
export function entryName(spec: ActionSpec): string {
  return spec.dir === '' ? 'slipway' : spec.dir;
}
