/**
 * GraphQL `updateRefs` for git-backed repositories of the fake GitHub (registered by registerGitBackedRepo):
 * several ref updates applied all-or-nothing to the RepoState refs and mirrored into the bare repo.
 *
 * GitHub documents the mutation (docs.github.com/graphql/reference/mutations#updaterefs): every update
 * is checked first (beforeOid: the ref must point there, 40 zeros: it must not exist; without force, a
 * non-fast-forward is refused), and if one is rejected no ref is modified. It does not document the form of
 * the refusal; this fake answers `errors: [{ type: 'UNPROCESSABLE', message }]` with `data: null`, and
 * Slipway's client does not depend on the message (it re-reads the ref to tell a moved ref from another
 * refusal; see src/github/refs.ts).
 */
import { execFileSync } from 'node:child_process';
import { Ajv } from 'ajv';
import { mutationInput } from './graphql-input.js';
import { GraphQLError, type GitHubTestServer } from '../server.js';
import type { RepoState } from '../state.js';

export const ZERO_OID = '0'.repeat(40);

/**
 * UpdateRefsInput as documented (docs.github.com/graphql/reference/input-objects#updaterefsinput):
 * clientMutationId: String, refUpdates: [RefUpdate!]!, repositoryId: ID!; RefUpdate: afterOid: GitObjectID!,
 * beforeOid: GitObjectID, force: Boolean (default false), name: GitRefname! (fully qualified, refs/heads/…).
 */
export const updateRefsInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['repositoryId', 'refUpdates'],
  properties: {
    clientMutationId: { type: ['string', 'null'] },
    repositoryId: { type: 'string', minLength: 1 },
    refUpdates: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'afterOid'],
        properties: {
          name: { type: 'string', pattern: '^refs/[^/]+/.+$' },
          beforeOid: { type: ['string', 'null'], pattern: '^[0-9a-f]{40}$' },
          afterOid: { type: 'string', pattern: '^[0-9a-f]{40}$' },
          force: { type: ['boolean', 'null'] },
        },
      },
    },
  },
};

const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(updateRefsInputSchema);

function gitOk(bare: string, args: string[], input?: string): boolean {
  try {
    execFileSync('git', args, { cwd: bare, input, stdio: ['pipe', 'ignore', 'ignore'] });
    return true;
  } catch {
    return false;
  }
}

/** the git-backed repositories of each server by node ID, so updateRefs finds the one `repositoryId` names */
const byNodeId = new WeakMap<GitHubTestServer, Map<string, { repo: RepoState; bare: string }>>();

export function registerUpdateRefs(s: GitHubTestServer, repo: RepoState, bare: string): void {
  let repos = byNodeId.get(s);
  if (!repos) byNodeId.set(s, (repos = new Map()));
  repos.set(repo.nodeId, { repo, bare });

  s.graphql('updateRefs', (vars, req) => {
    const input = mutationInput(s, req.query, vars, 'updateRefs', 'UpdateRefsInput', validate);
    const target = repos.get(input.repositoryId);
    if (!target) throw new GraphQLError(`Could not resolve to a node with the global id of '${input.repositoryId}'`, 'NOT_FOUND');
    const { repo: r, bare: b } = target;
    const updates = input.refUpdates as { name: string; beforeOid?: string | null; afterOid: string; force?: boolean | null }[];
    // check every update before touching any ref: all or nothing
    for (const u of updates) {
      const key = u.name.slice('refs/'.length);
      const cur = r.refs.get(key);
      if (u.beforeOid != null) {
        if (u.beforeOid === ZERO_OID ? cur !== undefined : cur !== u.beforeOid) {
          const why = cur === undefined ? 'it does not exist' : u.beforeOid === ZERO_OID ? 'it already exists' : `it does not point to ${u.beforeOid}`;
          throw new GraphQLError(`Reference cannot be updated: ${u.name}: ${why}`, 'UNPROCESSABLE');
        }
      }
      if (u.afterOid === ZERO_OID) {
        if (cur === undefined) throw new GraphQLError(`Reference cannot be deleted: ${u.name} does not exist`, 'UNPROCESSABLE');
        continue;
      }
      if (!gitOk(b, ['cat-file', '-e', `${u.afterOid}^{commit}`]) && !r.commits.has(u.afterOid)) throw new GraphQLError(`Object ${u.afterOid} does not exist`, 'UNPROCESSABLE');
      if (cur !== undefined && !u.force && !gitOk(b, ['merge-base', '--is-ancestor', cur, u.afterOid])) {
        throw new GraphQLError(`Reference cannot be updated: ${u.name} update is not a fast forward`, 'UNPROCESSABLE');
      }
    }
    // mirrored into the bare repo where it can hold the commit (commits seeded only in RepoState are not there)
    const tx = updates.filter((u) => u.afterOid === ZERO_OID || gitOk(b, ['cat-file', '-e', `${u.afterOid}^{commit}`])).map((u) => (u.afterOid === ZERO_OID ? `delete ${u.name}` : `update ${u.name} ${u.afterOid}`));
    if (!gitOk(b, ['update-ref', '--stdin'], `start\n${tx.join('\n')}\nprepare\ncommit\n`)) throw new Error(`the bare repository ${b} refused the ref transaction`);
    for (const u of updates) {
      const key = u.name.slice('refs/'.length);
      if (u.afterOid === ZERO_OID) r.refs.delete(key);
      else r.refs.set(key, u.afterOid);
    }
    return { updateRefs: { clientMutationId: input.clientMutationId ?? null } };
  });
}
