/**
 * Benchmark: slipway audit reads an environment's history with ONE git log (custom format +
 * trailers). Baseline in the same run: one git call per promotion commit. Run by hand:
 *   npx tsx scripts/bench/audit.ts [commits=10000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHistory } from '../../src/gitops/history.js';
const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-audit-'));
console.log(`building a ${process.argv[2] ?? 10000}-commit repository with git fast-import in ${dir} …`);
execFileSync('git', ['init', '-q', '-b', 'main', dir]);
const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
const out: string[] = [];
const N = Number(process.argv[2] ?? 10000);
for (let i = 1; i <= N; i++) {
  const t = 1700000000 + i * 60;
  const promo = i % 10 === 0;
  const msg = promo ? `promote(staging): m 1.${i / 10 - 1}.0 -> 1.${i / 10}.0\n\nSlipway-Model: m\nSlipway-Version: 1.${i / 10}.0\nSlipway-From: 1.${i / 10 - 1}.0\nSlipway-Digest: sha256:${'a'.repeat(64)}\n` : `c ${i}\n`;
  const file = promo ? `M 100644 inline environments/staging.yaml\n${data(`apiVersion: slipway/v1\nkind: Environment\nname: staging\npromotion: push\nmodels:\n  m:\n    version: 1.${i / 10}.0\n    digest: sha256:${'a'.repeat(64)}\n`)}` : `M 100644 inline src/f${i % 50}.txt\n${data(`x ${i}\n`)}`;
  out.push(`commit refs/heads/main\nmark :${i}\ncommitter D <d@e> ${t} +0000\n${data(msg)}${i > 1 ? `from :${i - 1}\n` : ''}${file}`);
}
execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: out.join('\n') + '\n', maxBuffer: 1 << 30 });
for (let k = 0; k < 3; k++) {
  const t0 = performance.now();
  const ev = await readHistory(dir, { env: 'staging', ref: 'main' });
  const t1 = performance.now();
  // baseline: one git call per promotion commit (what "one call per commit" would cost)
  const shas = execFileSync('git', ['rev-list', 'main', '--', 'environments/staging.yaml'], { cwd: dir, encoding: 'utf8' }).trim().split('\n');
  const t2 = performance.now();
  for (const s of shas) execFileSync('git', ['log', '-1', '--format=%(trailers)', s], { cwd: dir });
  const t3 = performance.now();
  console.log(`${N} commits, ${ev.length} events: one git log ${(t1 - t0).toFixed(0)} ms; per-commit calls ${(t3 - t2).toFixed(0)} ms; ratio ${((t3 - t2) / (t1 - t0)).toFixed(1)}x`);
}
rmSync(dir, { recursive: true, force: true });
