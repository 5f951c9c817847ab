/** The JSON report of `slipway evaluate` (consumed by report, promote and the actions). */
export interface Interval {
  value: number;
  ci_low: number;
  ci_high: number;
  /** whether a positive delta is an improvement (false for losses such as log_loss, brier, ece, mae) */
  higher_is_better?: boolean;
  /** bootstrap replicates in which the metric was defined for both models */
  replicates?: number;
}

export interface GroupRow {
  group: string;
  count: number;
  selection_rate: number | null;
  tpr: number | null;
  fpr: number | null;
  /** the model's main metric within the group (roc_auc for binary), null when undefined */
  metric: number | null;
  /** true when count < min_group_size */
  small: boolean;
  /** binary tasks: actual positives in the group */
  positives?: number;
}

export interface FairnessAttribute {
  groups: GroupRow[];
  demographic_parity_difference: number | null;
  demographic_parity_ratio: number | null;
  equalized_odds_difference: number | null;
  equalized_odds_ratio: number | null;
  equal_opportunity_difference: number | null;
  /** which metric `GroupRow.metric` is (roc_auc, accuracy, mae) */
  metric_name?: string;
  /** max − min and min / max of the per-group metric over groups where it is defined */
  metric_difference?: number | null;
  metric_ratio?: number | null;
  /** groups with count < min_group_size */
  small_groups?: string[];
}

export interface GateResult {
  /** e.g. metrics.roc_auc, versus_champion.roc_auc, fairness.sex.demographic_parity_ratio, latency_p99_ms */
  name: string;
  observed: number | null;
  threshold: string;
  ok: boolean;
  /** for versus_champion gates: the CI of the delta */
  ci?: [number, number];
  /** why the gate failed or was skipped, in words (e.g. "roc_auc is n/a: the test data has one class") */
  reason?: string;
  /** true when the gate did not apply (versus_champion on a first deployment); such a gate has ok: true */
  skipped?: boolean;
}

export interface PackageRef {
  name: string;
  version: string;
  digest: string;
}

export interface EvaluationReport {
  model: string;
  task: 'binary-classification' | 'multiclass-classification' | 'regression';
  /** null_features: model features null on more than half the rows (absent when none) */
  data: { uri: string; rows: number; digest: string | null; null_features?: { column: string; nulls: number; fraction: number }[] };
  /** things the reader must know before trusting the metrics (e.g. a mostly-null feature); absent when none */
  warnings?: string[];
  candidate: PackageRef;
  /** null on a first deployment */
  champion: (PackageRef & { env: string }) | null;
  metrics: { candidate: Record<string, number | null>; champion: Record<string, number | null> | null };
  /** candidate minus champion, with paired-bootstrap CIs */
  deltas: Record<string, Interval>;
  confusion_matrix?: number[][];
  calibration?: { ece: number; bins: { lower: number; upper: number; count: number; mean_predicted: number | null; fraction_positive: number | null }[] };
  /** curve points for charts (downsampled) */
  roc_curve?: { fpr: number[]; tpr: number[] };
  fairness: Record<string, FairnessAttribute>;
  latency: { single_p50_ms: number; single_p99_ms: number; batch_size: number; batch_p50_ms: number; batch_p99_ms: number; rows_per_s: number; execution_provider: string };
  bootstrap: { samples: number; seed: number; confidence: number };
  /** the decision threshold (binary classification) */
  threshold?: number;
  /** fairness settings used */
  min_group_size?: number;
  /** the champion's fairness figures, when there is a champion */
  champion_fairness?: Record<string, FairnessAttribute>;
  gates: GateResult[];
  ok: boolean;
  timings_ms: Record<string, number>;
}
