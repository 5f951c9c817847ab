import { call, type GitHub } from './client.js';

/** The login Actions' GITHUB_TOKEN acts as (GET /user is not allowed for installation tokens). */
export const ACTIONS_BOT = 'github-actions[bot]';

const cache = new WeakMap<GitHub, Promise<string>>();

/**
 * The login of the token's identity: GET /user for user tokens; for installation tokens (Actions'
 * GITHUB_TOKEN, GitHub Apps) GitHub answers 403 and the identity is github-actions[bot].
 */
export function whoami(octokit: GitHub): Promise<string> {
  const cached = cache.get(octokit);
  if (cached) return cached;
  const p = (async (): Promise<string> => {
    try {
      const res = await octokit.request('GET /user');
      return res.data.login;
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 403) return ACTIONS_BOT;
      return call<string>('identify the token (GET /user)', () => Promise.reject(e));
    }
  })();
  cache.set(octokit, p);
  p.catch(() => cache.delete(octokit));
  return p;
}
