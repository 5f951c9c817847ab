import { call, type RepoClient } from './client.js';

/**
 * Starts a workflow_dispatch run of `workflow` (file name like retrain.yml, or its numeric id) on
 * `ref`. Inputs are strings (GitHub allows at most 25); values are passed as given, never interpolated.
 */
export async function dispatchWorkflow(gh: RepoClient, workflow: string | number, ref: string, inputs: Record<string, string> = {}): Promise<void> {
  if (Object.keys(inputs).length > 25) throw new Error('workflow_dispatch accepts at most 25 inputs');
  await call(`dispatch workflow ${workflow}`, () =>
    gh.octokit.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', { owner: gh.owner, repo: gh.repo, workflow_id: workflow, ref, inputs }),
  );
}
