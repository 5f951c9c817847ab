import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditRows, auditTable } from '../../src/gitops/audit.js';
import { readHistory } from '../../src/gitops/history.js';
import { tempDir } from '../support/tmp.js';
import { configure, digest, sh } from './repos.js';

const manifest = (env: string, promotion: string, version?: string, d?: string) =>
  `# ${env}\napiVersion: slipway/v1\nkind: Environment\nname: ${env}\npromotion: ${promotion}\nmodels:${version ? `\n  m:\n    version: ${version}\n    digest: ${d}\n` : ' {}\n'}`;

/** A fast-import stream: 2,000 commits on main, with promotions, PR merges and unrelated changes. */
function stream(): { text: string; staging: number; production: number } {
  const out: string[] = [];
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let mark = 0;
  let prev = 0;
  let t = 1_700_000_000;
  let staging = 0;
  let production = 0;
  const who = (n: string, e: string) => `${n} <${e}> ${t} +0000`;
  for (let i = 1; i <= 2000; i++) {
    t += 60;
    const m = ++mark;
    const lines = [`commit refs/heads/main`, `mark :${m}`];
    let files = '';
    let msg: string;
    let author = who('Dev', 'dev@example.com');
    if (i === 1) {
      msg = 'environments\n';
      files = `M 100644 inline environments/staging.yaml\n${data(manifest('staging', 'push'))}M 100644 inline environments/production.yaml\n${data(manifest('production', 'pull-request'))}`;
    } else if (i % 10 === 0) {
      staging++;
      const v = `1.${staging}.0`;
      const from = staging === 1 ? 'none' : `1.${staging - 1}.0`;
      msg = `promote(staging): m ${from} -> ${v}\n\nPin m.\n\nSlipway-Model: m\nSlipway-Environment: staging\nSlipway-Version: ${v}\nSlipway-From: ${from}\nSlipway-Digest: ${digest((staging % 10).toString())}\nSlipway-Evaluation: https://ci.example/runs/${staging}\n`;
      files = `M 100644 inline environments/staging.yaml\n${data(manifest('staging', 'push', v, digest((staging % 10).toString())))}`;
    } else if (i % 100 === 5) {
      // a promotion PR: a commit on a branch, then GitHub's merge commit (authored by whoever merged)
      production++;
      const v = `1.${production}.0`;
      const from = production === 1 ? 'none' : `1.${production - 1}.0`;
      const content = manifest('production', 'pull-request', v, digest('f'));
      out.push(
        [`commit refs/heads/pr`, `mark :${m}`, `author ${who('Bot', 'bot@example.com')}`, `committer ${who('Bot', 'bot@example.com')}`].join('\n') +
          '\n' +
          data(`promote(production): m ${from} -> ${v}\n\nSlipway-Model: m\nSlipway-Environment: production\nSlipway-Version: ${v}\nSlipway-From: ${from}\nSlipway-Digest: ${digest('f')}\n`) +
          `from :${prev}\nM 100644 inline environments/production.yaml\n${data(content)}`,
      );
      const mm = ++mark;
      t += 30;
      author = who(`Merger ${production}`, `merger${production}@example.com`);
      out.push(
        [`commit refs/heads/main`, `mark :${mm}`, `author ${author}`, `committer ${who('GitHub', 'noreply@github.com')}`].join('\n') +
          '\n' +
          data(`Merge pull request #${100 + production} from acme/slipway/promote/production/m-${v}\n\n${`promote(production): m ${from} -> ${v}`}\n`) +
          `from :${prev}\nmerge :${m}\nM 100644 inline environments/production.yaml\n${data(content)}`,
      );
      prev = mm;
      continue;
    } else {
      msg = `change ${i}\n`;
      files = `M 100644 inline src/file${i % 7}.txt\n${data(`line ${i}\n`)}`;
    }
    lines.push(`author ${author}`, `committer ${who('Dev', 'dev@example.com')}`);
    out.push(lines.join('\n') + '\n' + data(msg) + (prev ? `from :${prev}\n` : '') + files);
    prev = m;
  }
  return { text: out.join('\n') + '\ndone\n', staging, production };
}

describe('audit', () => {
  it('reads the history of an environment from one git log, on thousands of commits', async () => {
    const { dir } = tempDir('slipway-audit-');
    const repo = join(dir, 'big');
    sh(dir, 'init', '--quiet', '--initial-branch=main', repo);
    configure(repo, 'Oncall', 'oncall@example.com');
    const s = stream();
    execFileSync('git', ['fast-import', '--quiet', '--done'], { cwd: repo, input: s.text });
    sh(repo, 'checkout', '--quiet', '--force', 'main');
    expect(Number(sh(repo, 'rev-list', '--count', 'main').trim())).toBeGreaterThanOrEqual(2000);
    // a hand-made `git revert` of the last staging promotion is a rollback too
    const last = sh(repo, 'log', '-1', '--format=%H', '--', 'environments/staging.yaml').trim();
    sh(repo, 'revert', '--no-edit', last);

    const trace = join(dir, 'trace.txt');
    writeFileSync(trace, '');
    const staging = await readHistory(repo, { env: 'staging', gitEnv: { GIT_TRACE: trace } });
    const calls = readFileSync(trace, 'utf8').split('\n').filter((l) => /trace: built-in: git /.test(l));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/git log .*%\(trailers:only,unfold\).* -- environments\/staging\.yaml/);

    expect(staging).toHaveLength(s.staging + 1);
    const [rb, lastPromo] = staging;
    expect(rb).toMatchObject({ kind: 'rollback', model: 'm', from: '1.200.0', to: '1.199.0', rollbackOf: ['1.200.0'], reverts: lastPromo.sha, committer: 'Oncall <oncall@example.com>' });
    expect(lastPromo).toMatchObject({ kind: 'promote', to: '1.200.0', from: '1.199.0', revertedBy: rb.sha, evaluation: 'https://ci.example/runs/200' });
    expect(staging.filter((e) => e.kind === 'promote').map((e) => e.to)).toEqual(Array.from({ length: 200 }, (_, k) => `1.${200 - k}.0`));

    const production = await readHistory(repo, { env: 'production' });
    expect(production).toHaveLength(s.production);
    expect(production[0]).toMatchObject({ kind: 'promote', to: '1.20.0', pr: 120, approvers: ['Merger 20 (merged PR #120)'] });
    expect(production[0].landedBy).not.toBe(production[0].sha);
    expect(production.every((e, k) => e.pr === 120 - k && e.approvers[0] === `Merger ${20 - k} (merged PR #${120 - k})`)).toBe(true);

    const rows = auditRows(production);
    expect(rows[0]).toMatchObject({ kind: 'promote', model: 'm', from: '1.19.0', to: '1.20.0', digest: digest('f'), approver: 'Merger 20 (merged PR #120)', pr: 120 });
    const table = auditTable('staging', auditRows(staging));
    expect(table.split('\n')[4]).toMatch(/⟲ rollback of 1\.200\.0 +\| m +\| 1\.200\.0 → 1\.199\.0/);
    expect(table.split('\n')[5]).toMatch(/promote \(rolled back in [0-9a-f]{7}\)/);
  });
});
