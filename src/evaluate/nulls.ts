import { InputError } from '../errors.js';
import type { FeatureBatch } from '../model/features.js';

/** Above this share of null rows a feature is "mostly null": the evaluation warns (it still runs). */
export const MOSTLY_NULL = 0.5;

/** A model feature with null values in the test data (null, or NaN in a numeric column). */
export interface NullFeature {
  column: string;
  nulls: number;
  /** nulls / rows */
  fraction: number;
}

/**
 * Counts null values per model feature over the scored batches. A feature that is null on every row
 * is an input error (every metric would measure the model on a missing input: a broken join or a
 * renamed column, not the model); one null on more than half the rows is a warning in the output and
 * in the report (`warnings`, `data.null_features`).
 */
export class NullCounter {
  private readonly counts: Map<string, number>;

  constructor(readonly features: string[]) {
    this.counts = new Map(features.map((f) => [f, 0]));
  }

  add(batch: FeatureBatch): void {
    for (const f of this.features) {
      const col = batch.columns[f];
      if (!col) continue;
      let n = 0;
      if (col instanceof Float64Array) {
        for (let i = 0; i < batch.rows; i++) if (Number.isNaN(col[i])) n++;
      } else {
        for (let i = 0; i < batch.rows; i++) if (col[i] === null) n++;
      }
      this.counts.set(f, this.counts.get(f)! + n);
    }
  }

  /** Throws for entirely-null features; the mostly-null ones (fraction > MOSTLY_NULL) and their warnings. */
  check(rows: number, where: string): { nullFeatures: NullFeature[]; warnings: string[] } {
    const all = this.features.filter((f) => this.counts.get(f) === rows);
    if (rows > 0 && all.length) {
      throw new InputError(
        `${where}: model feature${all.length === 1 ? '' : 's'} ${all.map((f) => `'${f}'`).join(', ')} ${all.length === 1 ? 'is' : 'are'} null on all ${rows.toLocaleString('en-US')} rows; ` +
          'metrics would measure the model on a missing input, not on data like production. Check the test data (a broken join, a renamed or empty column) and evaluate again',
      );
    }
    const nullFeatures = this.features
      .map((column) => ({ column, nulls: this.counts.get(column)!, fraction: rows ? this.counts.get(column)! / rows : 0 }))
      .filter((f) => f.fraction > MOSTLY_NULL);
    const warnings = nullFeatures.map(
      (f) => `feature '${f.column}' is null on ${f.nulls.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} rows (${(f.fraction * 100).toFixed(1)}%) of the test data: the metrics mostly measure how the model handles a missing value`,
    );
    return { nullFeatures, warnings };
  }
}
