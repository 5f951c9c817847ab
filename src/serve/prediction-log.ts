/**
 * Prediction logs: what `slipway serve` writes and `slipway drift` reads. JSON lines, one record per
 * scored row (so DuckDB reads a directory of them as a table: `read_json_auto('<dir>/**\/*.jsonl')`).
 * Files live under `<logs dir>/<model>/<YYYY-MM-DD>/predictions-<HHMMSS>-<seq>.jsonl` and rotate by size.
 */
export interface PredictionLogRecord {
  /** ISO 8601 time the request was answered */
  ts: string;
  /** the request id (OIP `id`, or generated); a row's index is appended as `<id>#<i>` when a request holds several rows */
  request_id: string;
  model: string;
  version: string;
  digest: string;
  /** which deployment answered: 'primary', 'canary' or 'shadow' */
  role: 'primary' | 'canary' | 'shadow';
  /** the row's features (and sensitive columns, unless dropped; hashed values are `sha256:…` strings) */
  inputs: Record<string, string | number | boolean | null>;
  /** binary: P(class 1); multiclass: probabilities; regression: the value */
  prediction: number | number[];
}
