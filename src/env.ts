import { registerSecret } from './secrets.js';

/**
 * Every environment variable Slipway reads is read here (actions/toolkit style), so that what the
 * tool depends on is listed in one place. Tokens are registered for redaction as they are read.
 */
export interface SlipwayEnv {
  store?: string;
  githubToken?: string;
  githubApiUrl: string;
  githubGraphqlUrl: string;
  githubServerUrl: string;
  githubRepository?: string;
  githubRunId?: string;
  githubEventPath?: string;
  githubEventName?: string;
  githubSha?: string;
  githubActions: boolean;
  runnerName?: string;
  /** set to 'cpu' to force the CPU execution provider, 'cuda' to require CUDA */
  executionProvider?: string;
  /** ACTIONS_RUNTIME_TOKEN: present only in node/docker actions; @actions/artifact needs it */
  actionsRuntimeToken?: string;
  /** SOURCE_DATE_EPOCH (seconds): fixes the timestamps written into model packages, for reproducible digests */
  sourceDateEpoch?: number;
  /** SLIPWAY_GITHUB_WAIT_SCALE: multiplies GitHub retry/rate-limit waits (tests use 0.001); default 1 */
  githubWaitScale?: number;
  /** SLIPWAY_GITHUB_IDENTITY: the login the token comments as, when GET /user cannot tell (a GitHub App: `<app-slug>[bot]`) */
  githubIdentity?: string;
  /** SLIPWAY_WEBHOOK_SECRET: shared secret of the push webhook that triggers `slipway serve` reconciles (X-Hub-Signature-256) */
  webhookSecret?: string;
  /** GIT_AUTHOR_NAME/EMAIL, GIT_COMMITTER_NAME/EMAIL (those set): who the git CLI path commits promotions and rollbacks as, over git config */
  gitIdentity: Record<string, string>;
}

const GIT_IDENTITY = ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL'];

export function readEnv(env: NodeJS.ProcessEnv = process.env): SlipwayEnv {
  // The actions hand their `token` input over as SLIPWAY_GITHUB_TOKEN (src/actions/run-action.ts); INPUT_*
  // variables are read only by the action entry points, each one declared in its action.yml.
  const token = env.SLIPWAY_GITHUB_TOKEN || env.GITHUB_TOKEN || undefined;
  registerSecret(token);
  registerSecret(env.SLIPWAY_WEBHOOK_SECRET);
  const apiUrl = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  return {
    store: env.SLIPWAY_STORE || undefined,
    githubToken: token,
    githubApiUrl: apiUrl,
    githubGraphqlUrl: (env.GITHUB_GRAPHQL_URL || `${apiUrl}/graphql`).replace(/\/+$/, ''),
    githubServerUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    githubRepository: env.GITHUB_REPOSITORY || undefined,
    githubRunId: env.GITHUB_RUN_ID || undefined,
    githubEventPath: env.GITHUB_EVENT_PATH || undefined,
    githubEventName: env.GITHUB_EVENT_NAME || undefined,
    githubSha: env.GITHUB_SHA || undefined,
    githubActions: env.GITHUB_ACTIONS === 'true',
    runnerName: env.RUNNER_NAME || undefined,
    executionProvider: env.SLIPWAY_EXECUTION_PROVIDER || undefined,
    webhookSecret: env.SLIPWAY_WEBHOOK_SECRET || undefined,
    actionsRuntimeToken: registered(env.ACTIONS_RUNTIME_TOKEN),
    sourceDateEpoch: env.SOURCE_DATE_EPOCH && /^\d+$/.test(env.SOURCE_DATE_EPOCH) ? Number(env.SOURCE_DATE_EPOCH) : undefined,
    githubIdentity: env.SLIPWAY_GITHUB_IDENTITY || undefined,
    gitIdentity: Object.fromEntries(GIT_IDENTITY.filter((k) => env[k]).map((k) => [k, env[k] as string])),
    githubWaitScale: env.SLIPWAY_GITHUB_WAIT_SCALE && /^\d+(\.\d+)?$/.test(env.SLIPWAY_GITHUB_WAIT_SCALE) ? Number(env.SLIPWAY_GITHUB_WAIT_SCALE) : undefined,
  };
}

function registered(token: string | undefined): string | undefined {
  registerSecret(token);
  return token || undefined;
}

/** The URL of the current Actions run, when running in one. */
export function runUrl(e: SlipwayEnv): string | undefined {
  return e.githubRepository && e.githubRunId ? `${e.githubServerUrl}/${e.githubRepository}/actions/runs/${e.githubRunId}` : undefined;
}
