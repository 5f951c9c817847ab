// Types of actions/bootstrap.js (plain JavaScript, committed as is: it runs before any dependency exists).
export function dependenciesPresent(root: string, cuda: boolean): boolean;
export function cacheKey(root: string, cuda: boolean): string;
export function ensureDependencies(
  root: string,
  opts?: { cuda?: boolean; env?: NodeJS.ProcessEnv; log?: (message: string) => void },
): Promise<'present' | 'cached' | 'installed'>;
export function npmCommand(platform?: string, execPath?: string): { file: string; pre: string[]; shell: boolean };
/** The job's tokens, which a dependency's install script does not get. */
export const WITHHELD_FROM_INSTALL_SCRIPT: string[];
export function installScriptEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export function loadEntry(root: string, entry: string): Promise<{ run: () => Promise<number> }>;
export function runAction(entry: string, opts?: { gpu?: boolean }): Promise<void>;
/** A problem with the runner or the install that the user can act on: the action exits 2. */
export class SetupError extends Error {}
