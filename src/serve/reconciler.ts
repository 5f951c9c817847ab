/**
 * The reconciler: makes the loaded models match `environments/<env>.yaml` at the branch head.
 * Plan (pure, `planModel`) then apply: fetch, read and check the manifest, load what changed
 * (store → verified package → ONNX Runtime session → warm-up and smoke test), and swap each
 * model's slot atomically. A failed load keeps the previous versions serving, marks the model
 * FailedToLoad (health Degraded) and is tried again for the same (commit, digests) only after a backoff
 * (a store that was down, a package published late), at the first reconcile past it.
 */
import { ConfigError, SlipwayError } from '../errors.js';
import { redact } from '../secrets.js';
import { checkEnvironment } from '../spec/environment.js';
import type { EnvironmentSpec, PinnedVersion } from '../spec/types.js';
import { parseYamlText } from '../spec/yaml-file.js';
import type { ModelStore } from '../store/types.js';
import { Deployed, slotMembers, type Role, type Slot, type ModelRuntime } from './deployment.js';
import type { GitSource } from './git-source.js';
import { nearest } from '../spec/nearest.js';
import { environmentsIn } from '../spec/environment-checks.js';
import { computeStatus, roleSetOf, sameRoles, type ModelRecord, type RoleSet, type ServeStatus } from './status.js';

/** Loads one pinned version (verified, opened, warmed up and smoke-tested) or throws why not. */
export type VersionLoader = (req: { model: string; pin: PinnedVersion; role: Role; commit: string; store: ModelStore }) => Promise<ModelRuntime>;

export interface ReconcilerOptions {
  environment: string;
  source: GitSource;
  /** the store for a manifest: its `store:` field, else the serve flags/env */
  storeFor: (spec: EnvironmentSpec) => ModelStore;
  load: VersionLoader;
  /** a swap happened (metrics) */
  onChange?: (model: string, before: Slot | undefined, after: Slot | undefined) => void;
  onResult?: (result: 'synced' | 'unchanged' | 'failed') => void;
  /** the longest one version may take to load (default LOAD_TIMEOUT_MS): past it the load fails and the reconcile goes on */
  loadTimeoutMs?: number;
  /** the first wait before a failed load is tried again at the same (commit, digests), doubling to RETRY_MAX_MS (default RETRY_FIRST_MS) */
  retryMs?: number;
  log?: (line: string) => void;
}

/** A failed load is tried again after 1 minute, then 2, 4, … up to 30 minutes (at the first reconcile past the wait). */
export const RETRY_FIRST_MS = 60_000;
export const RETRY_MAX_MS = 30 * 60_000;
/**
 * A store that never answers (a download that stalls) would hold this reconcile, and every later one — a revert
 * included — behind it: a version that has not loaded in 15 minutes fails (and is retired if it loads later).
 */
export const LOAD_TIMEOUT_MS = 15 * 60_000;

/** `loading`, or a failure saying `what` did not load within `ms`; a runtime that comes later is closed. */
async function withinTime(loading: Promise<ModelRuntime>, ms: number, what: string): Promise<ModelRuntime> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      loading.then((rt) => new Deployed(rt).retire(), () => {}).catch(() => {});
      reject(new Error(`${what} did not load within ${ms >= 60_000 ? `${ms / 60_000} min` : `${ms} ms`} (a store that does not answer?); it is tried again after a backoff`));
    }, ms);
  });
  try {
    return await Promise.race([loading, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What must happen to one model (pure). */
export type ModelPlan = { action: 'keep' } | { action: 'reweight'; weight: number } | { action: 'load'; load: Role[] } | { action: 'skip-failed' };

export function planModel(desired: RoleSet, loaded: RoleSet | null, failedBefore: boolean): ModelPlan {
  if (sameRoles(desired, loaded)) return { action: 'keep' };
  if (failedBefore) return { action: 'skip-failed' };
  const need: Role[] = [];
  const differs = (a?: { version: string; digest: string }, b?: { version: string; digest: string }) => a?.digest !== b?.digest || a?.version !== b?.version;
  if (differs(desired.primary, loaded?.primary)) need.push('primary');
  if (differs(desired.canary, loaded?.canary)) need.push('canary');
  if (differs(desired.shadow, loaded?.shadow)) need.push('shadow');
  if (need.length === 0 && desired.canary) return { action: 'reweight', weight: desired.canary.weight };
  return { action: 'load', load: need };
}

/** What a missing manifest's message offers: the environments the commit has, and the nearest to the one asked for. */
function otherEnvironments(asked: string, files: string[]): string {
  const names = environmentsIn(files);
  if (!names.length) return '; it has no environments/*.yaml';
  const near = nearest(asked, names);
  return `; its environments: ${names.join(', ')}${near ? ` (did you mean --env ${near}?)` : ''}`;
}

function errorText(e: unknown): string {
  if (e instanceof ConfigError) return e.message.replace(/\n/g, '; ');
  if (e instanceof SlipwayError) return e.message.split('\n').join(' ');
  return (e as Error)?.message ?? String(e);
}

export class Reconciler {
  readonly slots = new Map<string, Slot>();
  private readonly records = new Map<string, ModelRecord>();
  /** failed loads by (commit, model, digests): how many times, and when the next try may come */
  private readonly failed = new Map<string, { tries: number; next: number }>();
  private desiredCommit: string | null = null;
  private appliedCommit: string | null = null;
  private sourceError: string | null = null;
  private reconciling = false;
  private lastReconcile: ServeStatus['lastReconcile'] = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private stopped = false;
  private readonly opts: ReconcilerOptions;

  constructor(opts: ReconcilerOptions) {
    this.opts = opts;
  }

  status(): ServeStatus {
    return computeStatus({
      environment: this.opts.environment,
      repo: this.opts.source.display,
      branch: this.opts.source.branch,
      desiredCommit: this.desiredCommit,
      appliedCommit: this.appliedCommit,
      models: this.records,
      sourceError: this.sourceError,
      reconciling: this.reconciling,
      lastReconcile: this.lastReconcile,
    });
  }

  /**
   * Readiness: a manifest has been read and every model it pins is loaded and serving (a model whose
   * newer version failed to load still counts while its previous version serves: status says Degraded).
   */
  ready(): boolean {
    if (this.desiredCommit === null || this.lastReconcile === null) return false;
    for (const [name, r] of this.records) if (r.desired && !this.slots.has(name)) return false;
    return true;
  }

  /** Why a model is not serving (for 503 answers), or undefined if the manifest does not pin it. */
  modelState(model: string): ModelRecord | undefined {
    return this.records.get(model);
  }

  modelNames(): string[] {
    return [...this.records.keys()].sort();
  }

  /** Every loaded version in service, each once (a version may hold two roles of its model). */
  loaded(): Deployed[] {
    return [...new Set([...this.slots.values()].flatMap(slotMembers))];
  }

  /**
   * Runs a reconcile. Calls while one runs are coalesced into one more run after it (so a webhook
   * burst costs at most two fetches); the promise resolves when a run that started after the call ends.
   */
  reconcile(trigger = 'manual'): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.running) {
      this.running = this.runOnce(trigger).finally(() => (this.running = null));
      return this.running;
    }
    if (!this.queued) {
      this.queued = this.running.then(() => {
        this.queued = null;
        return this.reconcile(trigger);
      });
    }
    return this.queued;
  }

  /** Unloads everything (shutdown): waits for in-flight requests, then closes the sessions. */
  async unloadAll(): Promise<void> {
    this.stopped = true;
    await this.queued?.catch(() => {});
    await this.running?.catch(() => {});
    const all = this.loaded();
    this.slots.clear();
    await Promise.all(all.map((d) => d.retire()));
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private async runOnce(trigger: string): Promise<void> {
    const started = Date.now();
    this.reconciling = true;
    let result: 'synced' | 'unchanged' | 'failed' = 'unchanged';
    let message: string | undefined;
    try {
      let commit: string;
      try {
        commit = await this.opts.source.fetch();
      } catch (e) {
        this.sourceError = redact(`cannot fetch ${this.opts.source.branch} from ${this.opts.source.display}: ${errorText(e)}`);
        throw e;
      }
      const short = commit.slice(0, 12);
      this.desiredCommit = commit;
      const path = `environments/${this.opts.environment}.yaml`;
      const text = await this.opts.source.show(commit, path);
      if (text === null) {
        this.sourceError = `${path} does not exist at ${short} (branch ${this.opts.source.branch})${otherEnvironments(this.opts.environment, await this.opts.source.names(commit, 'environments'))}`;
        throw new Error(this.sourceError);
      }
      let spec: EnvironmentSpec;
      let store: ModelStore;
      try {
        spec = checkEnvironment(parseYamlText(text, `${path}@${short}`), this.opts.environment);
        store = this.opts.storeFor(spec);
      } catch (e) {
        this.sourceError = `invalid manifest at ${short}: ${errorText(e)}`;
        throw e;
      }
      this.sourceError = null;
      const changed = await this.apply(spec, commit, store);
      const failed = [...this.records.values()].some((r) => r.state === 'FailedToLoad');
      if (!failed) this.appliedCommit = commit;
      result = failed ? 'failed' : changed ? 'synced' : 'unchanged';
      if (failed) message = this.status().health.reason;
    } catch (e) {
      result = 'failed';
      message = errorText(e);
      this.log(`reconcile failed: ${message}`);
    } finally {
      this.reconciling = false;
      this.lastReconcile = { at: new Date().toISOString(), trigger, result, durationMs: Date.now() - started, ...(message ? { message } : {}) };
      this.opts.onResult?.(result);
    }
  }

  /** Brings every model to the manifest; true when something changed. */
  private async apply(spec: EnvironmentSpec, commit: string, store: ModelStore): Promise<boolean> {
    const desired = spec.models ?? {};
    let changed = false;
    for (const [model, entry] of Object.entries(desired)) {
      const want = roleSetOf(entry);
      const current = this.slots.get(model);
      const loaded = this.records.get(model)?.loaded ?? null;
      const key = `${commit}|${model}|${want.primary.digest}|${want.canary?.digest ?? ''}|${want.shadow?.digest ?? ''}`;
      const failedBefore = this.failed.get(key);
      const plan = planModel(want, current ? loaded : null, failedBefore !== undefined && Date.now() < failedBefore.next);
      const record: ModelRecord = this.records.get(model) ?? { desired: want, loaded: null, state: 'Loading' };
      record.desired = want;
      this.records.set(model, record);
      if (plan.action === 'keep') {
        record.state = 'Loaded';
        delete record.reason;
        delete record.nextTry;
        continue;
      }
      if (plan.action === 'skip-failed') continue;
      if (plan.action === 'reweight' && current?.canary) {
        this.swap(model, { ...current, canary: { deployed: current.canary.deployed, weight: plan.weight } }, want);
        changed = true;
        continue;
      }
      record.state = 'Loading';
      delete record.reason;
      delete record.nextTry;
      const pins: Record<Role, PinnedVersion | undefined> = { primary: entry, canary: entry.canary, shadow: entry.shadow };
      const reuse = new Map(slotMembers(current).map((d) => [`${d.rt.digest}|${d.rt.version}`, d]));
      const fresh: Deployed[] = [];
      const get = async (role: Role): Promise<Deployed | undefined> => {
        const pin = pins[role];
        if (!pin) return undefined;
        const have = reuse.get(`${pin.digest}|${pin.version}`);
        if (have) return have;
        this.log(`loading ${model} ${pin.version} (${role}) ${pin.digest.slice(0, 19)}…`);
        const loading = this.opts.load({ model, pin: { version: pin.version, digest: pin.digest, uri: pin.uri }, role, commit, store });
        const d = new Deployed(await withinTime(loading, this.opts.loadTimeoutMs ?? LOAD_TIMEOUT_MS, `${model} ${pin.version} (${role}, ${pin.digest.slice(0, 19)}…)`));
        fresh.push(d);
        reuse.set(`${pin.digest}|${pin.version}`, d);
        return d;
      };
      try {
        const primary = (await get('primary'))!;
        const canary = await get('canary');
        // a shadow answers no request: one that fails to load keeps neither the primary nor the canary from serving
        let shadow: Deployed | undefined;
        let shadowError: unknown;
        try {
          shadow = await get('shadow');
        } catch (e) {
          shadowError = e;
          shadow = current?.shadow;
        }
        const slot: Slot = { model, primary, ...(canary ? { canary: { deployed: canary, weight: entry.canary!.weight } } : {}), ...(shadow ? { shadow } : {}) };
        const { shadow: _wanted, ...served } = want;
        const got: RoleSet = shadowError ? { ...served, ...(shadow && loaded?.shadow ? { shadow: loaded.shadow } : {}) } : want;
        this.swap(model, slot, got);
        changed = true;
        this.log(`${model}: serving ${got.primary.version}${got.canary ? ` + canary ${got.canary.version} at ${got.canary.weight}%` : ''}${got.shadow ? ` + shadow ${got.shadow.version}` : ''} (commit ${commit.slice(0, 12)})`);
        if (shadowError) {
          this.failedAgain(key, record);
          record.state = 'FailedToLoad';
          record.reason = `shadow ${want.shadow!.version}: ${errorText(shadowError)}`;
          this.log(`${model}: shadow ${want.shadow!.version} failed to load at ${commit.slice(0, 12)}: ${errorText(shadowError)} (requests are answered without it)`);
        }
      } catch (e) {
        await Promise.all(fresh.map((d) => d.retire().catch(() => {})));
        this.failedAgain(key, record);
        record.state = 'FailedToLoad';
        record.reason = errorText(e);
        this.log(`${model}: failed to load at ${commit.slice(0, 12)}: ${record.reason}${current ? ' (previous version keeps serving)' : ''}`);
      }
    }
    for (const model of [...this.records.keys()]) {
      if (model in desired) continue;
      const old = this.slots.get(model);
      this.slots.delete(model);
      this.records.delete(model);
      if (old) {
        this.opts.onChange?.(model, old, undefined);
        for (const d of slotMembers(old)) void d.retire();
        this.log(`${model}: unloaded (no longer in the manifest)`);
        changed = true;
      }
    }
    return changed;
  }

  /** Counts a failed load and sets when it may be tried again (the record shows it). */
  private failedAgain(key: string, record: ModelRecord): void {
    const tries = (this.failed.get(key)?.tries ?? 0) + 1;
    const wait = Math.min((this.opts.retryMs ?? RETRY_FIRST_MS) * 2 ** (tries - 1), RETRY_MAX_MS);
    const next = Date.now() + wait;
    this.failed.set(key, { tries, next });
    record.nextTry = new Date(next).toISOString();
  }

  private swap(model: string, slot: Slot, want: RoleSet): void {
    const old = this.slots.get(model);
    this.slots.set(model, slot);
    const record = this.records.get(model)!;
    record.loaded = want;
    record.state = 'Loaded';
    record.since = new Date().toISOString();
    delete record.reason;
    delete record.nextTry;
    this.opts.onChange?.(model, old, slot);
    const keep = new Set(slotMembers(slot));
    for (const d of slotMembers(old)) if (!keep.has(d)) void d.retire();
  }
}
