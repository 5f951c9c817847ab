/**
 * The fake GitHub refuses what GitHub refuses at the size limits the report is fitted to, counted as
 * GitHub counts them: a check run's summary and text in UTF-8 bytes, an issue or comment body in characters.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubTestServer } from '../support/github/server.js';

const TOKEN = 'ghp_limitsTestTokenLLLLLLLLLLLLLLLLLLLLLLLL';
let gh: GitHubTestServer;

async function send(method: string, path: string, body: unknown) {
  const res = await fetch(gh.apiUrl + path, {
    method,
    headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { message: string; errors?: unknown[] } };
}

beforeAll(async () => {
  gh = await GitHubTestServer.start();
  gh.addToken(TOKEN, 'alice');
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.violations.length = 0;
});

describe('size limits of the fake GitHub', () => {
  const cjk = '東'.repeat(30_000); // 30,000 characters, 90,000 bytes

  it('refuses a check run summary or text over 65,535 UTF-8 bytes, even under 65,535 characters, on create and update', async () => {
    const create = await send('POST', '/repos/acme/limits/check-runs', { name: 'slipway/m', head_sha: 'a'.repeat(40), output: { title: 't', summary: cjk } });
    expect(create.status).toBe(422);
    expect(create.body.errors).toEqual([{ resource: 'CheckRun', code: 'custom', field: 'summary', message: 'summary exceeds a maximum bytesize of 65535' }]);
    expect(gh.repo('acme', 'limits').checkRuns.size).toBe(0);

    // exactly 65,535 bytes is accepted
    const fits = '東'.repeat(21_845);
    const ok = await send('POST', '/repos/acme/limits/check-runs', { name: 'slipway/m', head_sha: 'a'.repeat(40), output: { title: 't', summary: fits } });
    expect(ok.status).toBe(201);
    const id = (ok.body as unknown as { id: number }).id;

    const update = await send('PATCH', `/repos/acme/limits/check-runs/${id}`, { output: { title: 't', summary: 's', text: cjk } });
    expect(update.status).toBe(422);
    expect(update.body.errors).toEqual([{ resource: 'CheckRun', code: 'custom', field: 'text', message: 'text exceeds a maximum bytesize of 65535' }]);
    expect(gh.repo('acme', 'limits').checkRuns.get(id).output.summary).toBe(fits);
    // GitHub's description documents no 422 for check runs, though GitHub answers one: the fake says so
    expect(gh.violations.map((v) => v.problems.join())).toEqual([
      'status 422 is not documented for POST /repos/{owner}/{repo}/check-runs (documented: 201)',
      'status 422 is not documented for PATCH /repos/{owner}/{repo}/check-runs/{check_run_id} (documented: 200)',
    ]);
  });

  it('refuses an issue or pull request body over 65,536 characters on create and update, as it does a comment', async () => {
    const long = 'x'.repeat(65_537);
    const tooLong = { resource: 'Issue', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' };
    const create = await send('POST', '/repos/acme/limits/issues', { title: 'Drift detected', body: long });
    expect(create.status).toBe(422);
    expect(create.body.errors).toEqual([tooLong]);

    const ok = await send('POST', '/repos/acme/limits/issues', { title: 'Drift detected', body: cjk + 'x'.repeat(35_536) });
    expect(ok.status).toBe(201);
    const number = (ok.body as unknown as { number: number }).number;
    const update = await send('PATCH', `/repos/acme/limits/issues/${number}`, { body: long });
    expect(update.status).toBe(422);
    expect(update.body.errors).toEqual([tooLong]);
    expect(gh.repo('acme', 'limits').issues.get(number).body).toHaveLength(65_536);

    // a pull request's body too (GitHub names the resource Issue)
    const pull = await send('POST', '/repos/acme/limits/pulls', { title: 'promote', head: 'promote/m', base: 'main', body: long });
    expect(pull.status).toBe(422);
    expect(pull.body.errors).toEqual([tooLong]);

    const comment = await send('POST', `/repos/acme/limits/issues/${number}/comments`, { body: long });
    expect(comment.status).toBe(422);
    expect(comment.body.errors).toEqual([{ ...tooLong, resource: 'IssueComment' }]);
    expect(gh.violations).toEqual([]);
  });
});
