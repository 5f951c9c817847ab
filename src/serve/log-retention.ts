/**
 * Retention of prediction logs: `<dir>/<model>/<YYYY-MM-DD>/` directories older than the last `keepDays`
 * days (UTC, today included) are removed. Only directories named as a day, one level under a model's
 * directory, are touched: whatever else lives under the logs directory stays.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The first day kept (YYYY-MM-DD) when `keepDays` days are kept on `today` (YYYY-MM-DD). */
export function firstKeptDay(today: string, keepDays: number): string {
  const t = Date.parse(`${today}T00:00:00Z`) - (keepDays - 1) * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Removes the day directories older than the last `keepDays` days; the paths removed. */
export async function pruneLogDays(dir: string, keepDays: number, today: string): Promise<string[]> {
  const first = firstKeptDay(today, keepDays);
  const removed: string[] = [];
  for (const model of await readdir(dir, { withFileTypes: true })) {
    if (!model.isDirectory()) continue;
    const days = await readdir(join(dir, model.name), { withFileTypes: true }).catch(() => []);
    for (const day of days) {
      if (!day.isDirectory() || !DAY.test(day.name) || day.name >= first) continue;
      const path = join(dir, model.name, day.name);
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}
