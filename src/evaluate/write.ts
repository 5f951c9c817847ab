import { writeFileAtomic } from '../fs/atomic.js';
import type { EvaluationReport } from './report-types.js';

/** Writes the JSON report atomically (temp file in the same directory, then rename). */
export async function writeReport(file: string, report: EvaluationReport): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(report, null, 2) + '\n');
}
