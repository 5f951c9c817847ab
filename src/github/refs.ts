import { redact } from '../secrets.js';
import { call, GitHubError, toGitHubError, type RepoClient } from './client.js';

/**
 * Ref updates through the GitHub API as a compare-and-swap: the GraphQL mutation `updateRefs`
 * (docs.github.com/graphql/reference/mutations#updaterefs). Each RefUpdate names the value the ref must
 * have before (`beforeOid`; 40 zeros: the ref must not exist) and GitHub applies all of them or none.
 * The REST `PATCH git/refs` has no such check: with force it overwrites whatever is there.
 */

/** GitHub's "no object": as beforeOid, the ref must not exist; as afterOid, the ref is deleted. */
export const ZERO_OID = '0'.repeat(40);

export const UPDATE_REFS = `mutation slipwayUpdateRefs($input: UpdateRefsInput!) {
  updateRefs(input: $input) { clientMutationId }
}`;

/** RefUpdate, as GitHub documents it. */
export interface RefUpdate {
  /** fully qualified, e.g. refs/heads/main */
  name: string;
  beforeOid?: string;
  afterOid: string;
  /** allow a non-fast-forward update */
  force?: boolean;
}

/** UpdateRefsInput, as GitHub documents it. */
export interface UpdateRefsInput {
  repositoryId: string;
  refUpdates: RefUpdate[];
  clientMutationId?: string;
}

/** The repository's GraphQL node ID (what `repositoryId` takes), from REST GET /repos/{owner}/{repo}. */
export async function repositoryNodeId(gh: RepoClient): Promise<string> {
  const res = await call(`read repository ${gh.owner}/${gh.repo}`, () => gh.octokit.request('GET /repos/{owner}/{repo}', { owner: gh.owner, repo: gh.repo }));
  return res.data.node_id;
}

/**
 * GitHub answered the mutation with GraphQL errors: it refused the update (a ref not at its beforeOid, a
 * non-fast-forward without force, an unknown object, no permission…). GitHub does not document how a
 * beforeOid mismatch is reported, so callers that need to know whether the ref moved read it again.
 */
export class RefUpdateRefused extends GitHubError {
  constructor(
    message: string,
    readonly errors: { type?: string; message?: string }[],
  ) {
    super(message, undefined);
  }
}

/** Runs updateRefs; throws RefUpdateRefused when GitHub refused it and GitHubError for any other failure (HTTP, network). */
export async function updateRefs(gh: RepoClient, input: UpdateRefsInput): Promise<void> {
  try {
    await gh.octokit.graphql(UPDATE_REFS, { input });
  } catch (e) {
    const errors = (e as { errors?: { type?: string; message?: string }[] }).errors;
    if (errors?.length) {
      const names = input.refUpdates.map((u) => u.name).join(', ');
      const why = errors.map((x) => `${x.type ? `${x.type}: ` : ''}${x.message ?? ''}`).join('; ');
      throw new RefUpdateRefused(redact(`GitHub API: update ${names} failed: ${why}`), errors);
    }
    throw toGitHubError(`update ${input.refUpdates.map((u) => u.name).join(', ')}`, e);
  }
}
