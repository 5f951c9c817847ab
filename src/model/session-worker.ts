/**
 * The worker-thread side of openWorkerSession (worker-session.ts): opens one ONNX Runtime session and
 * answers predict requests from the thread that owns it, so that ONNX Runtime's run (synchronous native
 * work, tens of µs per batch) does not hold the serving event loop. Messages:
 *  in:  { id, batch } (a FeatureBatch), { close: true }
 *  out: { ready, signature, provider } | { notice } | { id, values, width } | { id, error, kind } | { openError, kind }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSession, type ModelSession, type SessionOptions } from './session.js';
import type { FeatureBatch } from './features.js';

interface Init {
  path: string;
  options: Omit<SessionOptions, 'notice'>;
}

const port = parentPort!;
const init = workerData as Init;
const kindOf = (e: unknown) => (e instanceof Error ? e.name : 'Error');
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

let session: ModelSession;
try {
  session = await openSession(init.path, { ...init.options, notice: (notice) => port.postMessage({ notice }) });
} catch (e) {
  port.postMessage({ openError: messageOf(e), kind: kindOf(e) });
  port.close();
  process.exit(0);
}
port.postMessage({ ready: true, signature: session.signature, provider: session.provider });

port.on('message', (m: { id: number; batch: FeatureBatch } | { close: true }) => {
  if ('close' in m) {
    void session.close().finally(() => process.exit(0));
    return;
  }
  session.predict(m.batch).then(
    (p) => port.postMessage({ id: m.id, values: p.values, width: p.width }, [p.values.buffer as ArrayBuffer]),
    (e: unknown) => port.postMessage({ id: m.id, error: messageOf(e), kind: kindOf(e) }),
  );
});
