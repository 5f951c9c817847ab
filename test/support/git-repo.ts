import { execFileSync } from 'node:child_process';

/** Makes `dir` a git repository on branch main with everything in it committed once ("init"). */
export function gitInitCommit(dir: string): void {
  const g = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  g('init', '-q', '-b', 'main');
  g('config', 'user.email', 't@example.com');
  g('config', 'user.name', 'T');
  g('add', '-A');
  g('commit', '-q', '-m', 'init');
}
