/**
 * Git-backed content for the fake GitHub: a repository whose files live in a REAL bare git repo, so
 * commits made through the API can be fetched and inspected with git. Registers:
 *   - GraphQL `createCommitOnBranch` (validated against GitHub's documented CreateCommitOnBranchInput;
 *     refuses with STALE_DATA when expectedHeadOid is not the branch head, as GitHub does);
 *   - GraphQL `updateRefs` (validated against the documented UpdateRefsInput; the repository is found
 *     by its node ID, as REST GET /repos/{owner}/{repo} hands it out; see refs-graphql.ts);
 *   - GET /repos/{owner}/{repo}/contents/{path} (files read from the bare repo at `ref`).
 * Branch heads are the RepoState refs (so REST git/refs handlers and GraphQL agree) mirrored into
 * the bare repo after each commit.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ajv } from 'ajv';
import { mutationInput } from './graphql-input.js';
import { GraphQLError, HttpError, type GitHubTestServer } from '../server.js';
import { example } from '../openapi.js';
import { registerUpdateRefs } from './refs-graphql.js';

/**
 * CreateCommitOnBranchInput as documented (docs.github.com/graphql/reference/input-objects):
 * branch: CommittableBranch! {branchId | repositoryNameWithOwner + branchName}, clientMutationId,
 * expectedHeadOid: GitObjectID!, fileChanges: FileChanges {additions: [FileAddition!] {path!, contents: Base64String!},
 * deletions: [FileDeletion!] {path!}}, message: CommitMessage! {headline!, body}.
 */
export const createCommitOnBranchInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['branch', 'expectedHeadOid', 'message'],
  properties: {
    branch: {
      type: 'object',
      additionalProperties: false,
      properties: { branchId: { type: 'string' }, repositoryNameWithOwner: { type: 'string' }, branchName: { type: 'string' } },
      anyOf: [{ required: ['branchId'] }, { required: ['repositoryNameWithOwner', 'branchName'] }],
    },
    clientMutationId: { type: 'string' },
    expectedHeadOid: { type: 'string', pattern: '^[0-9a-f]{40}$' },
    fileChanges: {
      type: 'object',
      additionalProperties: false,
      properties: {
        additions: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, required: ['path', 'contents'], properties: { path: { type: 'string', minLength: 1 }, contents: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' } } },
        },
        deletions: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: { type: 'string', minLength: 1 } } } },
      },
    },
    message: { type: 'object', additionalProperties: false, required: ['headline'], properties: { headline: { type: 'string', minLength: 1 }, body: { type: 'string' } } },
  },
};

const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(createCommitOnBranchInputSchema);

function git(bare: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync('git', args, { cwd: bare, encoding: 'utf8', input: opts.input, env: { ...process.env, ...opts.env } });
}

export function registerGitBackedRepo(s: GitHubTestServer, owner: string, name: string, bare: string): void {
  const repo = s.repo(owner, name);
  for (const line of git(bare, ['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads']).trim().split('\n').filter(Boolean)) {
    const [branch, sha] = line.split(' ');
    repo.refs.set(`heads/${branch}`, sha);
  }
  registerUpdateRefs(s, repo, bare);

  s.graphql('createCommitOnBranch', (vars, req) => {
    const input = mutationInput(s, req.query, vars, 'createCommitOnBranch', 'CreateCommitOnBranchInput', validate);
    if (input.branch.repositoryNameWithOwner.toLowerCase() !== `${owner}/${name}`.toLowerCase()) throw new GraphQLError(`Could not resolve to a Repository with the name '${input.branch.repositoryNameWithOwner}'.`, 'NOT_FOUND');
    const branch = String(input.branch.branchName).replace(/^refs\/heads\//, '');
    const head = repo.refs.get(`heads/${branch}`);
    if (!head) throw new GraphQLError(`A ref named "${branch}" does not exist.`, 'NOT_FOUND');
    if (head !== input.expectedHeadOid) throw new GraphQLError(`Expected branch to point to "${input.expectedHeadOid}" but it did not. Pull and try again.`, 'STALE_DATA');
    const index = join(tmpdir(), `fake-gh-index-${randomBytes(6).toString('hex')}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      git(bare, ['read-tree', head], { env });
      for (const a of input.fileChanges?.additions ?? []) {
        const blob = git(bare, ['hash-object', '-w', '--stdin'], { input: Buffer.from(a.contents, 'base64') }).trim();
        git(bare, ['update-index', '--add', '--cacheinfo', `100644,${blob},${a.path}`], { env });
      }
      for (const d of input.fileChanges?.deletions ?? []) git(bare, ['update-index', '--force-remove', '--', d.path], { env });
      const tree = git(bare, ['write-tree'], { env }).trim();
      const message = input.message.body ? `${input.message.headline}\n\n${input.message.body}` : input.message.headline;
      // GitHub authors the commit as the token's user and commits (and signs) it as GitHub
      const who = {
        GIT_AUTHOR_NAME: req.user.login,
        GIT_AUTHOR_EMAIL: `${req.user.id}+${req.user.login}@users.noreply.github.test`,
        GIT_COMMITTER_NAME: 'GitHub',
        GIT_COMMITTER_EMAIL: 'noreply@github.com',
      };
      const oid = git(bare, ['commit-tree', tree, '-p', head, '-F', '-'], { input: message, env: who }).trim();
      git(bare, ['update-ref', `refs/heads/${branch}`, oid]);
      repo.refs.set(`heads/${branch}`, oid);
      return { createCommitOnBranch: { commit: { oid, url: `${repo.htmlUrl}/commit/${oid}` } } };
    } finally {
      rmSync(index, { force: true });
    }
  });

  s.route('GET', '/repos/{owner}/{repo}/contents/{path}', (req) => {
    if (req.repo !== repo) throw new HttpError(404, 'Not Found');
    const path = req.params.path;
    const ref = req.query.get('ref') ?? repo.defaultBranch;
    const commit = /^[0-9a-f]{40}$/.test(ref) ? ref : repo.refs.get(`heads/${ref}`);
    if (!commit) throw new HttpError(404, `No commit found for the ref ${ref}`);
    let blob: string;
    try {
      blob = git(bare, ['rev-parse', '--verify', '--quiet', `${commit}:${path}`]).trim();
      if (git(bare, ['cat-file', '-t', blob]).trim() !== 'blob') throw new Error('not a file');
    } catch {
      throw new HttpError(404, 'Not Found');
    }
    const bytes = execFileSync('git', ['cat-file', 'blob', blob], { cwd: bare });
    const body = example('content-file');
    const url = `${repo.url}/contents/${path}?ref=${ref}`;
    Object.assign(body, {
      type: 'file',
      encoding: 'base64',
      size: bytes.length,
      name: path.split('/').pop(),
      path,
      content: bytes.toString('base64').replace(/(.{60})/g, '$1\n'),
      sha: blob,
      url,
      git_url: `${repo.url}/git/blobs/${blob}`,
      html_url: `${repo.htmlUrl}/blob/${ref}/${path}`,
      download_url: `https://raw.github.test/${repo.fullName}/${ref}/${path}`,
      _links: { self: url, git: `${repo.url}/git/blobs/${blob}`, html: `${repo.htmlUrl}/blob/${ref}/${path}` },
    });
    return { status: 200, body };
  });
}
