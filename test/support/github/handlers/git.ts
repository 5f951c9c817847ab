/** Git database: refs and commits (trees are opaque shas here). */
import { HttpError, type GitHubTestServer, type GhRequest } from '../server.js';
import { example } from '../openapi.js';
import { fakeSha, now, type Json, type RepoState } from '../state.js';

export function refObject(repo: RepoState, ref: string, sha: string): Json {
  return {
    ref: `refs/${ref}`,
    node_id: Buffer.from(`REF${repo.fullName}${ref}`).toString('base64'),
    url: `${repo.url}/git/refs/${ref}`,
    object: { type: 'commit', sha, url: `${repo.url}/git/commits/${sha}` },
  };
}

/** Adds a commit to the state (used by POST git/commits and by tests to seed history). */
export function createCommit(repo: RepoState, f: { message: string; tree?: string; parents?: string[]; author?: { name: string; email: string; date?: string } }): Json {
  const c = example('git-commit');
  const tree = f.tree ?? fakeSha(`tree:${f.message}`);
  const sha = fakeSha(`${repo.fullName}:${tree}:${(f.parents ?? []).join(',')}:${f.message}:${repo.commits.size}`);
  const who = { name: f.author?.name ?? 'Slipway Test', email: f.author?.email ?? 'test@example.com', date: f.author?.date ?? now() };
  Object.assign(c, {
    sha,
    node_id: Buffer.from(`C${sha}`).toString('base64'),
    url: `${repo.url}/git/commits/${sha}`,
    html_url: `${repo.htmlUrl}/commit/${sha}`,
    author: who,
    committer: who,
    message: f.message,
    tree: { sha: tree, url: `${repo.url}/git/trees/${tree}` },
    parents: (f.parents ?? []).map((p) => ({ sha: p, url: `${repo.url}/git/commits/${p}`, html_url: `${repo.htmlUrl}/commit/${p}` })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  });
  repo.commits.set(sha, c);
  return c;
}

function refName(req: GhRequest): string {
  return req.params.ref.replace(/^refs\//, '');
}

export function registerGitHandlers(s: GitHubTestServer): void {
  s.route('GET', '/repos/{owner}/{repo}/git/ref/{ref}', (req) => {
    const ref = refName(req);
    const sha = req.repo.refs.get(ref);
    if (!sha) throw new HttpError(404, 'Not Found');
    return { status: 200, body: refObject(req.repo, ref, sha) };
  });
  s.route('POST', '/repos/{owner}/{repo}/git/refs', (req) => {
    const ref = String(req.body.ref);
    if (!/^refs\/(heads|tags)\/./.test(ref) || ref.split('/').length < 3) throw new HttpError(422, 'Reference name must start with refs/ and have at least two slashes.');
    const name = ref.slice('refs/'.length);
    if (req.repo.refs.has(name)) throw new HttpError(422, 'Reference already exists');
    req.repo.refs.set(name, String(req.body.sha));
    return { status: 201, body: refObject(req.repo, name, String(req.body.sha)), headers: { location: `${req.repo.url}/git/refs/${name}` } };
  });
  s.route('PATCH', '/repos/{owner}/{repo}/git/refs/{ref}', (req) => {
    const ref = refName(req);
    const cur = req.repo.refs.get(ref);
    if (!cur) throw new HttpError(422, 'Reference does not exist');
    const next = String(req.body.sha);
    if (!req.body.force) {
      // fast-forward only: the new commit must have the current one among its ancestors
      const seen = new Set<string>();
      const stack = [next];
      let ff = false;
      while (stack.length) {
        const sha = stack.pop()!;
        if (sha === cur) {
          ff = true;
          break;
        }
        if (seen.has(sha)) continue;
        seen.add(sha);
        for (const p of req.repo.commits.get(sha)?.parents ?? []) stack.push(p.sha);
      }
      if (!ff) throw new HttpError(422, 'Update is not a fast forward');
    }
    req.repo.refs.set(ref, next);
    return { status: 200, body: refObject(req.repo, ref, next) };
  });
  s.route('DELETE', '/repos/{owner}/{repo}/git/refs/{ref}', (req) => {
    if (!req.repo.refs.delete(refName(req))) throw new HttpError(422, 'Reference does not exist');
    return { status: 204 };
  });
  s.route('GET', '/repos/{owner}/{repo}/git/commits/{commit_sha}', (req) => {
    const c = req.repo.commits.get(req.params.commit_sha);
    if (!c) throw new HttpError(404, 'Not Found');
    return { status: 200, body: c };
  });
  s.route('POST', '/repos/{owner}/{repo}/git/commits', (req) => {
    const b = req.body;
    return { status: 201, body: createCommit(req.repo, { message: b.message, tree: b.tree, parents: b.parents, author: b.author }) };
  });
}
