import { openDuckDB, readerSql } from '../data/duckdb.js';

export type Row = Record<string, string | number | boolean | null>;

/** Rows of a data file as JSON-ready objects (what a client would send). */
export async function readRows(path: string, limit: number, drop: string[] = []): Promise<Row[]> {
  const conn = await openDuckDB();
  try {
    const r = await conn.runAndReadAll(`SELECT * FROM ${readerSql(path)} LIMIT ${Math.trunc(limit)}`);
    return r.getRowObjects().map((o) => {
      const row: Row = {};
      for (const [k, v] of Object.entries(o)) if (!drop.includes(k)) row[k] = typeof v === 'bigint' ? Number(v) : (v as Row[string]);
      return row;
    });
  } finally {
    conn.closeSync();
  }
}

export interface TrafficResult {
  sent: number;
  ok: number;
  failed: number;
  /** status codes of failures */
  failures: Record<string, number>;
  versions: Record<string, number>;
}

/**
 * Open Inference Protocol requests (named-columns form) of `batch` rows each, `concurrency` at a time.
 * Counts are of requests.
 */
export async function sendRows(url: string, model: string, rows: Row[], concurrency = 8, batch = 1): Promise<TrafficResult> {
  const res: TrafficResult = { sent: 0, ok: 0, failed: 0, failures: {}, versions: {} };
  let next = 0;
  async function worker(): Promise<void> {
    while (next < rows.length) {
      const chunk = rows.slice(next, next + batch);
      next += batch;
      res.sent++;
      try {
        const r = await fetch(`${url}/v2/models/${model}/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            id: String(chunk[0].id ?? res.sent),
            inputs: [{ name: 'rows', shape: [chunk.length], datatype: 'BYTES', parameters: { content_type: 'json' }, data: chunk.map((row) => JSON.stringify(row)) }],
          }),
        });
        const body = (await r.json()) as { model_version?: string };
        if (r.ok) {
          res.ok++;
          const v = body.model_version ?? '?';
          res.versions[v] = (res.versions[v] ?? 0) + 1;
        } else {
          res.failed++;
          res.failures[r.status] = (res.failures[r.status] ?? 0) + 1;
        }
      } catch (e) {
        res.failed++;
        const k = (e as Error).message;
        res.failures[k] = (res.failures[k] ?? 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return res;
}

/** Constant background load until stopped; what it saw is returned by stop(). */
export function constantLoad(url: string, model: string, rows: Row[], concurrency = 4): { stop: () => Promise<TrafficResult> } {
  let running = true;
  const total: TrafficResult = { sent: 0, ok: 0, failed: 0, failures: {}, versions: {} };
  const loop = (async () => {
    let i = 0;
    while (running) {
      const batch = rows.slice(i % rows.length, (i % rows.length) + 32);
      i += 32;
      const r = await sendRows(url, model, batch.length ? batch : rows.slice(0, 32), concurrency);
      total.sent += r.sent;
      total.ok += r.ok;
      total.failed += r.failed;
      for (const [k, v] of Object.entries(r.failures)) total.failures[k] = (total.failures[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.versions)) total.versions[k] = (total.versions[k] ?? 0) + v;
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return total;
    },
  };
}
