/** Repositories: GET /repos/{owner}/{repo}, built from GitHub's documented example with this repo's id, node id and names. */
import type { GitHubTestServer } from '../server.js';
import { example } from '../openapi.js';

export function registerRepoHandlers(s: GitHubTestServer): void {
  s.route('GET', '/repos/{owner}/{repo}', (req) => {
    const repo = req.repo;
    const body = example('full-repository');
    const owner = { ...body.owner, login: repo.owner, url: `${repo.apiUrl}/users/${repo.owner}`, html_url: `https://github.test/${repo.owner}` };
    Object.assign(body, {
      id: repo.id,
      node_id: repo.nodeId,
      name: repo.name,
      full_name: repo.fullName,
      owner,
      html_url: repo.htmlUrl,
      url: repo.url,
      default_branch: repo.defaultBranch,
      git_refs_url: `${repo.url}/git/refs{/sha}`,
      clone_url: `${repo.htmlUrl}.git`,
    });
    // the example's fork fields describe other repositories; this one is not a fork
    delete body.parent;
    delete body.source;
    delete body.template_repository;
    body.fork = false;
    body.has_discussions ??= false;
    return { status: 200, body };
  });
}
