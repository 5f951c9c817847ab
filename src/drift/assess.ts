/**
 * The drift verdict for a window: every feature's test, the missing-rate and unseen-category checks,
 * prediction and performance drift, and the dataset-level decision. Pure.
 */
import { InputError } from '../errors.js';
import type { ModelSpec } from '../spec/types.js';
import { compareCategorical, compareMissing, compareNumeric, unseenCategories, type FeatureDrift, type MissingDrift, type UnseenDrift } from './compare.js';
import type { ColumnProfile } from './profile.js';
import type { ValueSketch } from './sketch.js';
import type { PairedCounts } from './stats/samples.js';
import { FEW_VALUES_MAX, MISSING_RATE_THRESHOLD, UNSEEN_SHARE_THRESHOLD } from './tests.js';

export type DriftConfig = NonNullable<ModelSpec['drift']>;

export interface ColumnPair {
  ref: ColumnProfile;
  cur: ColumnProfile;
  /** exact paired counts of raw values (numeric columns, both sides raw) */
  raw?: PairedCounts;
  /** value sketches of both sides (numeric columns of large raw data) */
  sketch?: { ref: ValueSketch; cur: ValueSketch };
}

export interface FeatureAssessment {
  features: Record<string, FeatureDrift>;
  missing: Record<string, MissingDrift>;
  unseen_categories: Record<string, UnseenDrift>;
  drifted_features: string[];
  share_of_drifted_features: number;
}

export function compareColumn(name: string, pair: ColumnPair, spec: DriftConfig['prediction']): FeatureDrift {
  const { ref, cur } = pair;
  if (ref.kind === 'numeric' && cur.kind === 'numeric') return compareNumeric({ ref, cur, raw: pair.raw, sketch: pair.sketch }, spec);
  if (ref.kind === 'categorical' && cur.kind === 'categorical') return compareCategorical(ref, cur, spec);
  throw new InputError(`column '${name}': the reference is ${ref.kind} but the current window is ${cur.kind}`);
}

export function assessFeatures(columns: Record<string, ColumnPair>, config: DriftConfig = {}): FeatureAssessment {
  const features: Record<string, FeatureDrift> = {};
  const missing: Record<string, MissingDrift> = {};
  const unseen: Record<string, UnseenDrift> = {};
  const missingThreshold = config.missing_rate_threshold ?? MISSING_RATE_THRESHOLD;
  const unseenThreshold = config.unseen_category_threshold ?? UNSEEN_SHARE_THRESHOLD;
  for (const [name, pair] of Object.entries(columns)) {
    const spec = config.features?.[name] ?? config.features?.default;
    features[name] = compareColumn(name, pair, spec);
    missing[name] = compareMissing(pair.ref, pair.cur, missingThreshold);
    const { ref, cur } = pair;
    if (ref.kind === 'categorical' && cur.kind === 'categorical') unseen[name] = unseenCategories(ref, cur, unseenThreshold);
    // a numeric column of a few values is tested like categories, on the reference's values: a value the
    // reference never had is outside that test (it could not be seen at all when the window holds no other)
    else if (ref.kind === 'numeric' && cur.kind === 'numeric' && ref.values && cur.values && ref.count > 0 && Object.keys(ref.values).length <= FEW_VALUES_MAX) {
      unseen[name] = unseenCategories({ frequencies: ref.values }, { frequencies: cur.values, count: cur.count }, unseenThreshold);
    }
  }
  const drifted = Object.entries(features).filter(([, f]) => f.drifted).map(([n]) => n);
  const n = Object.keys(features).length;
  return { features, missing, unseen_categories: unseen, drifted_features: drifted, share_of_drifted_features: n ? drifted.length / n : 0 };
}

/**
 * Whether the features drift as a whole: with `share_of_drifted_features` set (Evidently's drift_share),
 * when at least that share of features drifted; by default, when any feature drifted.
 */
export function featuresDrifted(a: FeatureAssessment, config: DriftConfig = {}): boolean {
  const share = config.share_of_drifted_features;
  if (share === undefined) return a.drifted_features.length > 0;
  return a.drifted_features.length > 0 && a.share_of_drifted_features >= share;
}
