/**
 * `Expect: 100-continue` (RFC 9110 §10.1.1). Left to itself node:http sends `100 Continue` to every such
 * request, and the client then sends its body even when the answer is a refusal that never reads it (a 413
 * for 1 GB). With a 'checkContinue' listener the server decides: the request is handled as any other, and its
 * `100 Continue` goes out only when its body is about to be read (readBody in request-body.ts, after its 413
 * and 415 checks). Whatever is answered before that (404, 405, 413, 415, 503, an unknown model or version,
 * a route that ignores its body) goes without it and with `connection: close`: the body the client may still
 * send is not read, so the connection cannot carry another request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** requests waiting for their `100 Continue`, with their responses */
const waiting = new WeakMap<IncomingMessage, ServerResponse>();

/** The server's 'checkContinue' handler, before the request is handled as usual. */
export function expectContinue(req: IncomingMessage, res: ServerResponse): void {
  waiting.set(req, res);
  res.setHeader('connection', 'close');
}

/** Whether the client waits for `100 Continue` before it sends the body (so an answer needing no body should come first). */
export function awaitsContinue(req: IncomingMessage): boolean {
  return waiting.has(req);
}

/** The body is about to be read: sends the `100 Continue` the client waits for, if it waits for one. */
export function sendContinue(req: IncomingMessage): void {
  const res = waiting.get(req);
  if (!res) return;
  waiting.delete(req);
  res.removeHeader('connection');
  res.writeContinue();
}
