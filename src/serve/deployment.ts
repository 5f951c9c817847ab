/**
 * Loaded model versions and the per-model slot that requests read. A slot is immutable: a swap
 * replaces the whole slot in one assignment, so a request sees either the old or the new set of
 * versions, never a mix. Each loaded version counts the requests using it; a version that leaves
 * every slot is closed once its last request has finished (drain, then close).
 */
import type { Task, RowSchema } from '../spec/types.js';
import type { SensitivePolicy } from './log-writer.js';
import type { Prediction } from './oip-encode.js';
import type { Row } from './oip-decode.js';
import type { BodyAnswer } from './inference-thread.js';
import type { RunCounts } from './run-counts.js';

export type Role = 'primary' | 'canary' | 'shadow';

/** Everything the server needs to answer for one model version. */
export interface ModelRuntime {
  model: string;
  /** the version pinned in git (what responses report) */
  version: string;
  digest: string;
  task: Task;
  features: string[];
  /** columns requests may carry besides the features (sensitive, id): logged, not scored */
  extra: string[];
  sensitive: string[];
  contract: RowSchema;
  /** binary decision threshold */
  threshold: number;
  /** number of classes for multiclass (0 if unknown) */
  classes: number;
  logSampleRate: number;
  logSensitive: SensitivePolicy;
  /** `GET /v2/models/{m}` input metadata */
  inputs: { name: string; datatype: string; shape: number[] }[];
  provider: string;
  /** its ONNX Runtime runs and the rows they scored since it was loaded (`/metrics`) */
  runs?: RunCounts;
  predict(rows: Row[]): Promise<Prediction>;
  /**
   * With inference on a worker thread: the whole common request from its bytes (decode, score, encode the
   * outputs) off the event loop; null when the body needs the general decoder (then predict the rows).
   */
  answer?(body: Buffer): Promise<BodyAnswer | null>;
  close(): Promise<void>;
}

/** A loaded version with its in-flight count. */
export class Deployed {
  readonly rt: ModelRuntime;
  private refs = 0;
  private retired = false;
  private closed: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  constructor(rt: ModelRuntime) {
    this.rt = rt;
  }

  get inflight(): number {
    return this.refs;
  }

  /** out of service (swapped out or unloaded): no new work should start on it */
  get isRetired(): boolean {
    return this.retired;
  }

  acquire(): void {
    this.refs++;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0 && this.retired && this.drained) this.drained();
  }

  /** Marks the version out of service; closes its session once in-flight requests are done. */
  retire(): Promise<void> {
    if (this.closed) return this.closed;
    this.retired = true;
    this.closed = (async () => {
      if (this.refs > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      await this.rt.close();
    })();
    return this.closed;
  }

  /** Runs fn with the version held (so a concurrent retire waits for it). */
  async use<T>(fn: (rt: ModelRuntime) => Promise<T>): Promise<T> {
    this.acquire();
    try {
      return await fn(this.rt);
    } finally {
      this.release();
    }
  }
}

export interface Slot {
  model: string;
  primary: Deployed;
  canary?: { deployed: Deployed; weight: number };
  shadow?: Deployed;
}

export function slotMembers(s: Slot | undefined): Deployed[] {
  if (!s) return [];
  return [s.primary, ...(s.canary ? [s.canary.deployed] : []), ...(s.shadow ? [s.shadow] : [])];
}

/** FNV-1a 32-bit: a fast, stable hash for canary assignment. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** True when the request goes to the canary: hash(id) mod 100 < weight when an id is given, random otherwise. */
export function routesToCanary(weight: number, requestId: string | undefined, random: () => number = Math.random): boolean {
  if (weight <= 0) return false;
  if (weight >= 100) return true;
  const bucket = requestId !== undefined ? fnv1a(requestId) % 100 : Math.floor(random() * 100);
  return bucket < weight;
}

/** Picks who answers a request: the version named in the URL, else canary by weight, else primary. */
export function pickDeployment(slot: Slot, requestId: string | undefined, version?: string): { deployed: Deployed; role: Role } | null {
  if (version !== undefined) {
    if (slot.primary.rt.version === version) return { deployed: slot.primary, role: 'primary' };
    if (slot.canary?.deployed.rt.version === version) return { deployed: slot.canary.deployed, role: 'canary' };
    if (slot.shadow?.rt.version === version) return { deployed: slot.shadow, role: 'shadow' };
    return null;
  }
  if (slot.canary && routesToCanary(slot.canary.weight, requestId)) return { deployed: slot.canary.deployed, role: 'canary' };
  return { deployed: slot.primary, role: 'primary' };
}
