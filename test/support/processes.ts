import { existsSync, readFileSync } from 'node:fs';
import { processAlive } from '../../src/train/run-command.js';

/** The pid a shell wrote to `file`, once the file is there and not empty (up to 5 s). */
export async function pidFromFile(file: string): Promise<number> {
  for (let i = 0; i < 200 && !(existsSync(file) && readFileSync(file, 'utf8').trim()); i++) await new Promise((r) => setTimeout(r, 25));
  return Number(readFileSync(file, 'utf8').trim());
}

/** Whether process `pid` has ended (a zombie counts as ended), waiting up to 2 s for it. */
export async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !processAlive(pid);
}
