/**
 * Charts as Mermaid `xychart-beta` blocks, which GitHub renders natively in comments, job
 * summaries and check runs: no images, no third-party hosting. Every number is formatted here and
 * every label goes through mermaidLabel, so report data cannot break out of the block.
 */
import type { EvaluationReport, FairnessAttribute } from '../evaluate/report-types.js';
import { mermaidLabel } from './escape.js';

const r4 = (x: number) => String(Math.round(x * 10000) / 10000);

function block(lines: string[]): string {
  return ['```mermaid', 'xychart-beta', ...lines.map((l) => `    ${l}`), '```'].join('\n');
}

/**
 * TPR at evenly spaced FPR values, by linear interpolation between ROC points (numpy.interp on the
 * upper envelope: where several points share an FPR, the highest TPR is used).
 */
export function rocOnGrid(fpr: number[], tpr: number[], steps = 20): number[] {
  const pts = fpr.map((f, i) => [f, tpr[i]] as const).filter(([f, t]) => Number.isFinite(f) && Number.isFinite(t));
  pts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [f, t] of pts) {
    if (xs.length && xs[xs.length - 1] === f) ys[ys.length - 1] = Math.max(ys[ys.length - 1], t);
    else {
      xs.push(f);
      ys.push(t);
    }
  }
  const out: number[] = [];
  for (let k = 0; k <= steps; k++) {
    const g = k / steps;
    if (!xs.length) out.push(g);
    else if (g <= xs[0]) out.push(ys[0]);
    else if (g >= xs[xs.length - 1]) out.push(ys[ys.length - 1]);
    else {
      let i = 0;
      while (xs[i + 1] < g) i++;
      const w = (g - xs[i]) / (xs[i + 1] - xs[i]);
      out.push(ys[i] + w * (ys[i + 1] - ys[i]));
    }
  }
  return out;
}

export function rocChart(r: EvaluationReport): string | undefined {
  const c = r.roc_curve;
  if (!c || c.fpr.length < 2 || c.fpr.length !== c.tpr.length) return undefined;
  const steps = 20;
  const grid = Array.from({ length: steps + 1 }, (_, k) => k / steps);
  const auc = r.metrics.candidate.roc_auc;
  return block([
    `title "ROC curve of the candidate${typeof auc === 'number' ? ` (AUC ${r4(auc)})` : ''}"`,
    `x-axis "false positive rate" [${grid.map((g) => `"${g.toFixed(2)}"`).join(', ')}]`,
    'y-axis "true positive rate" 0 --> 1',
    `line [${rocOnGrid(c.fpr, c.tpr, steps).map(r4).join(', ')}]`,
    `line [${grid.map(r4).join(', ')}]`,
  ]);
}

export function calibrationChart(r: EvaluationReport): string | undefined {
  const bins = (r.calibration?.bins ?? []).filter((b) => b.count > 0 && b.mean_predicted !== null && b.fraction_positive !== null);
  if (bins.length < 2) return undefined;
  return block([
    `title "Calibration (ECE ${r4(r.calibration!.ece)})"`,
    `x-axis "mean predicted probability" [${bins.map((b) => `"${b.mean_predicted!.toFixed(2)}"`).join(', ')}]`,
    'y-axis "observed positive rate" 0 --> 1',
    `line [${bins.map((b) => r4(b.fraction_positive!)).join(', ')}]`,
    `line [${bins.map((b) => r4(b.mean_predicted!)).join(', ')}]`,
  ]);
}

/** Selection rate per group of one sensitive attribute (groups where it is undefined are left out). */
export function groupBars(attr: string, f: FairnessAttribute, maxGroups = 30): string | undefined {
  const groups = f.groups.filter((g) => g.selection_rate !== null).slice(0, maxGroups);
  if (groups.length < 1) return undefined;
  const top = Math.max(1, ...groups.map((g) => g.selection_rate!));
  return block([
    `title "Selection rate by ${mermaidLabel(attr)}"`,
    `x-axis [${groups.map((g) => `"${mermaidLabel(g.group)}"`).join(', ')}]`,
    `y-axis "selection rate" 0 --> ${r4(top)}`,
    `bar [${groups.map((g) => r4(g.selection_rate!)).join(', ')}]`,
  ]);
}
