/** The JSON report of `slipway validate` (consumed by report and the actions). */
export interface ViolationExample {
  /** 1-based data row number (header excluded) */
  row: number;
  value: unknown;
  /** human message from re-checking the row with ajv */
  message: string;
}

export interface Violation {
  column: string | null;
  /** e.g. type, minimum, maximum, enum, pattern, required, max_null_fraction, unique, rows, unknown_column */
  rule: string;
  /** what was expected, e.g. ">= 0" */
  expected: string;
  severity: 'error' | 'warning';
  count: number;
  /** count / non-null values of the column (Great Expectations' unexpected_percent_nonmissing) */
  fraction: number;
  /** count / all rows (unexpected_percent) */
  fraction_of_rows: number;
  examples: ViolationExample[];
  /** the data file it was found in (set in a combined report of several files) */
  data?: string;
}

export interface ValidationReport {
  ok: boolean;
  model: string;
  data: string;
  format: 'csv' | 'parquet' | 'json';
  rows: number;
  columns: string[];
  violations: Violation[];
  /** schema drift against the production reference profile, when there is one */
  schema_drift?: { new_columns: string[]; missing_columns: string[]; type_changes: { column: string; from: string; to: string }[]; new_categories: Record<string, string[]> };
  duration_ms: number;
  /**
   * When several files were validated (by default data.train and data.test), the report of each;
   * the top level then combines them: ok of all, rows summed, every violation tagged with its `data`.
   */
  datasets?: ValidationReport[];
}
