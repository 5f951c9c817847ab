/**
 * Credentials for fetching the GitOps repository over HTTPS without putting them in its URL, where every
 * user of the machine reads them in the process list (the server's arguments and each git's). A GitHub token
 * (SLIPWAY_GITHUB_TOKEN or GITHUB_TOKEN) goes to git as an extra `Authorization` header, as
 * actions/checkout passes one, through git's `GIT_CONFIG_*` environment, and only for the GitHub server
 * (GITHUB_SERVER_URL, github.com by default): a token is never sent to another host.
 */
import { registerSecret } from '../secrets.js';

/** `scheme://user[:password]@…`: a URL that carries a credential of its own */
export const URL_CREDENTIAL = /^([a-z][a-z0-9+.-]*:\/\/)([^@/]+)@/i;

/** The environment additions that let git fetch `repo` with `token`, or undefined where the token is not for it. */
export function gitAuthEnv(repo: string, token: string | undefined, serverUrl: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  if (!token || URL_CREDENTIAL.test(repo)) return undefined;
  const base = `${serverUrl.replace(/\/+$/, '')}/`;
  if (!/^https?:\/\//i.test(base) || repo.slice(0, base.length).toLowerCase() !== base.toLowerCase()) return undefined;
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  registerSecret(basic);
  // after any GIT_CONFIG_* entries of the environment's own
  const given = env.GIT_CONFIG_COUNT;
  const n = given !== undefined && /^\d+$/.test(given) ? Number(given) : 0;
  return { GIT_CONFIG_COUNT: String(n + 1), [`GIT_CONFIG_KEY_${n}`]: `http.${base}.extraheader`, [`GIT_CONFIG_VALUE_${n}`]: `AUTHORIZATION: basic ${basic}` };
}
