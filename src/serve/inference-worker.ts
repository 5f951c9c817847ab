/**
 * The worker-thread side of an InferenceThread (inference-thread.ts): one loaded model version's ONNX
 * Runtime session, its dynamic batcher, and the hot path of an inference request from the body's bytes
 * to the answer's `outputs` (oip-scan.ts decode, one batched run, oip-encode.ts), so that the serving
 * event loop keeps only HTTP. Each message is one turn of the event loop's requests:
 *  in:  { init } (first, only to a spare started without workerData) | { seq, buf, offs, rows } (request
 *       bodies concatenated in `buf` at `offs`; row sets decoded on the event loop) | { close: true }
 *  out: { ready, signature, provider } | { cpuNotice } (SessionOptions' notice: the CPU fallback's) | { openError, kind } |
 *       { seq, ids, outputs, values, widths, errors } (per body: its id and `outputs` JSON, or '' when the
 *       scanner declined it; per row set: its predictions; errors as [index, message, kind], bodies first)
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSession, type ModelSession } from '../model/session.js';
import { rowScorer } from './batcher.js';
import { scanRequest } from './oip-scan.js';
import { encodeOutputsJson, type Prediction } from './oip-encode.js';
import type { ThreadInit, TurnIn, TurnOut } from './inference-thread.js';

const port = parentPort!;
// a spare (worker-spare.ts) starts without its model, and waits for it
const init = (workerData as ThreadInit | null) ?? (await new Promise<ThreadInit>((resolve) => port.once('message', (m: { init: ThreadInit }) => resolve(m.init))));
const kindOf = (e: unknown) => (e instanceof Error ? e.name : 'Error');
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

let session: ModelSession;
try {
  session = await openSession(init.path, { ...init.options, notice: (cpuNotice) => port.postMessage({ cpuNotice }) });
} catch (e) {
  port.postMessage({ openError: messageOf(e), kind: kindOf(e) });
  port.close();
  process.exit(0);
}
const ctx = init.decode;
const predict = rowScorer(session, init.options.features, init.options.contract, init.batch);
port.postMessage({ ready: true, signature: session.signature, provider: session.provider });

async function turn(m: TurnIn): Promise<TurnOut> {
  const nBodies = m.offs.length - 1;
  const ids: (string | null)[] = new Array(nBodies).fill(null);
  const outputs: string[] = new Array(nBodies).fill('');
  const preds: (Prediction | null)[] = new Array(m.rows.length).fill(null);
  const errors: [number, string, string][] = [];
  const work: Promise<void>[] = [];
  const fail = (i: number) => (e: unknown) => void errors.push([i, messageOf(e), kindOf(e)]);
  for (let i = 0; i < nBodies; i++) {
    const decoded = scanRequest(Buffer.from(m.buf, m.offs[i], m.offs[i + 1] - m.offs[i]), ctx);
    if (!decoded) continue;
    ids[i] = decoded.id ?? null;
    work.push(predict(decoded.rows).then((p) => void (outputs[i] = encodeOutputsJson(p, init.task, init.threshold)), fail(i)));
  }
  m.rows.forEach((rows, j) => work.push(predict(rows).then((p) => void (preds[j] = p), fail(nBodies + j))));
  await Promise.all(work);
  // the row sets' predictions go back in one array: one transfer instead of one clone each
  let total = 0;
  for (const p of preds) total += p ? p.values.length : 0;
  const values = new Float64Array(total);
  const widths = preds.map((p) => (p ? p.width : 0));
  let at = 0;
  for (const p of preds) {
    if (!p) continue;
    values.set(p.values, at);
    at += p.values.length;
  }
  return { seq: m.seq, ids, outputs, values, widths, errors };
}

port.on('message', (m: TurnIn | { close: true }) => {
  if ('close' in m) {
    void session.close().finally(() => process.exit(0));
    return;
  }
  void turn(m).then((out) => port.postMessage(out, [out.values.buffer as ArrayBuffer]));
});
