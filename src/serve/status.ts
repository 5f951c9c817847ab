/**
 * The status model (`GET /-/status`): two axes as in Argo CD — sync (is what runs what git says?)
 * and health (can it serve?) — plus KServe-like per-model states. Pure: computed from the
 * reconciler's records.
 */
import type { EnvironmentModel } from '../spec/types.js';

export type ModelState = 'Loading' | 'Loaded' | 'FailedToLoad';
export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatus = 'Ready' | 'Progressing' | 'Degraded';

export interface VersionRef {
  version: string;
  digest: string;
}

export interface RoleSet {
  primary: VersionRef;
  canary?: VersionRef & { weight: number };
  shadow?: VersionRef;
}

export interface ModelRecord {
  desired: RoleSet | null;
  loaded: RoleSet | null;
  state: ModelState;
  reason?: string;
  /** when the current loaded set was swapped in */
  since?: string;
  /** FailedToLoad: the first reconcile after this time tries the same (commit, digests) again */
  nextTry?: string;
}

export interface ServeStatus {
  environment: string;
  repo: string;
  branch: string;
  sync: {
    status: SyncStatus;
    desiredCommit: string | null;
    appliedCommit: string | null;
    models: Record<string, { status: 'Synced' | 'OutOfSync'; desired: RoleSet | null; loaded: RoleSet | null }>;
  };
  health: { status: HealthStatus; reason?: string };
  models: Record<string, { state: ModelState; reason?: string; since?: string; nextTry?: string }>;
  lastReconcile: { at: string; trigger: string; result: 'synced' | 'unchanged' | 'failed'; durationMs: number; message?: string } | null;
}

export function roleSetOf(m: EnvironmentModel): RoleSet {
  return {
    primary: { version: m.version, digest: m.digest },
    ...(m.canary ? { canary: { version: m.canary.version, digest: m.canary.digest, weight: m.canary.weight } } : {}),
    ...(m.shadow ? { shadow: { version: m.shadow.version, digest: m.shadow.digest } } : {}),
  };
}

export function sameVersion(a: VersionRef | undefined, b: VersionRef | undefined): boolean {
  return a?.digest === b?.digest && a?.version === b?.version;
}

export function sameRoles(a: RoleSet | null, b: RoleSet | null): boolean {
  if (!a || !b) return a === b;
  return sameVersion(a.primary, b.primary) && sameVersion(a.canary, b.canary) && (a.canary?.weight ?? 0) === (b.canary?.weight ?? 0) && sameVersion(a.shadow, b.shadow);
}

export interface StatusInputs {
  environment: string;
  repo: string;
  branch: string;
  desiredCommit: string | null;
  appliedCommit: string | null;
  models: Map<string, ModelRecord>;
  /** a problem with the source or manifest (fetch failed, manifest invalid) */
  sourceError: string | null;
  reconciling: boolean;
  lastReconcile: ServeStatus['lastReconcile'];
}

export function computeStatus(s: StatusInputs): ServeStatus {
  const syncModels: ServeStatus['sync']['models'] = {};
  const models: ServeStatus['models'] = {};
  let allSynced = s.desiredCommit !== null && s.appliedCommit === s.desiredCommit && !s.sourceError;
  const failures: string[] = [];
  let loading = false;
  for (const [name, r] of [...s.models].sort(([a], [b]) => a.localeCompare(b))) {
    const synced = sameRoles(r.desired, r.loaded);
    if (!synced) allSynced = false;
    syncModels[name] = { status: synced ? 'Synced' : 'OutOfSync', desired: r.desired, loaded: r.loaded };
    models[name] = { state: r.state, ...(r.reason ? { reason: r.reason } : {}), ...(r.since ? { since: r.since } : {}), ...(r.state === 'FailedToLoad' && r.nextTry ? { nextTry: r.nextTry } : {}) };
    if (r.state === 'FailedToLoad') failures.push(`${name}: ${r.reason ?? 'failed to load'}`);
    if (r.state === 'Loading') loading = true;
  }
  let health: ServeStatus['health'];
  if (s.sourceError) health = { status: 'Degraded', reason: s.sourceError };
  else if (failures.length) health = { status: 'Degraded', reason: failures.join('; ') };
  else if (loading || s.desiredCommit === null) health = { status: 'Progressing', reason: s.desiredCommit === null ? 'waiting for the first reconcile' : 'loading models' };
  else if (!allSynced && s.reconciling) health = { status: 'Progressing', reason: 'reconciling' };
  else health = { status: 'Ready' };
  return {
    environment: s.environment,
    repo: s.repo,
    branch: s.branch,
    sync: { status: s.desiredCommit === null ? 'Unknown' : allSynced ? 'Synced' : 'OutOfSync', desiredCommit: s.desiredCommit, appliedCommit: s.appliedCommit, models: syncModels },
    health,
    models,
    lastReconcile: s.lastReconcile,
  };
}
