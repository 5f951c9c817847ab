import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';

/** Appends name=value to a GITHUB_OUTPUT file, using a random heredoc delimiter for multi-line values. */
export function writeOutput(file: string | undefined, name: string, value: string): void {
  if (!file) return;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`invalid output name ${name}`);
  const delim = `slipway_${randomBytes(8).toString('hex')}`;
  if (value.includes(delim)) throw new Error('output value contains its delimiter');
  appendFileSync(file, `${name}<<${delim}\n${value}\n${delim}\n`);
}
