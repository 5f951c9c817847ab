/** The handlers every GitHubTestServer starts with. Areas add theirs with server.route in their own file. */
import type { GitHubTestServer } from '../server.js';
import { registerIssueHandlers } from './issues.js';
import { registerCheckHandlers } from './checks.js';
import { registerPullHandlers } from './pulls.js';
import { registerGitHandlers } from './git.js';
import { registerReleaseHandlers } from './releases.js';
import { registerRepoHandlers } from './repos.js';

export function registerDefaultHandlers(s: GitHubTestServer): void {
  s.route('GET', '/user', (req) => ({
    status: 200,
    body: { ...req.user, name: null, company: null, blog: '', location: null, email: null, hireable: null, bio: null, public_repos: 0, public_gists: 0, followers: 0, following: 0, created_at: '2020-01-01T00:00:00Z', updated_at: '2020-01-01T00:00:00Z' },
  }));
  s.route('POST', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', (req) => {
    req.repo.dispatches.push({ workflow_id: req.params.workflow_id, ref: String(req.body.ref), inputs: req.body.inputs ?? {} });
    return { status: 204 };
  });
  registerIssueHandlers(s);
  registerCheckHandlers(s);
  registerPullHandlers(s);
  registerGitHandlers(s);
  registerReleaseHandlers(s);
  registerRepoHandlers(s);
}
