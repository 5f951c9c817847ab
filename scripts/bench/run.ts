/**
 * `npm run bench [-- name …]`: runs the named benchmarks of scripts/bench/ one after another (all of them
 * when none is named), each in its own process so that one cannot warm or slow another. Each prints its
 * own numbers and ratios; see docs/*.md (Performance) for what they measure and the targets.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCHES = ['validate', 'evaluate', 'drift', 'serve', 'ort-cache', 'model-load', 'swap-stall', 'git-spawn', 'audit', 'features'];
const asked = process.argv.slice(2);
const unknown = asked.filter((b) => !BENCHES.includes(b));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; expected some of: ${BENCHES.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of asked.length ? asked : BENCHES) {
  process.stdout.write(`\n=== ${name} (scripts/bench/${name}.ts) ===\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, `${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`${name}: exited with ${r.status ?? r.signal}\n`);
  }
}
process.exit(failed ? 1 : 0);
