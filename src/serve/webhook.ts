/** `POST /-/reconcile`, the push webhook: signed (GitHub's `X-Hub-Signature-256`, `sha256=` + the hex HMAC-SHA256 of the body) when a secret is set. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BadRequest } from './oip-decode.js';
import type { Reconciler } from './reconciler.js';
import { ClientAborted, readBody, refusedBodyHeaders } from './request-body.js';

/** Whether `given` (the header) is the body's signature with `secret`; compared in constant time. */
export function webhookSigned(secret: string, body: Buffer, given: string | string[] | undefined): boolean {
  const want = 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
  const got = typeof given === 'string' ? given : '';
  return got.length === want.length && timingSafeEqual(Buffer.from(got), Buffer.from(want));
}

export interface ReconcileRouteContext {
  secret?: string;
  maxBody: number;
  reconciler: Pick<Reconciler, 'reconcile' | 'status'>;
  send: (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;
}

/**
 * Starts a reconcile (202), or with `?wait=1` answers when it is done (200 and the status). The payload is not
 * used (the reconciler reads git itself): without a secret it is discarded unread, whatever its size (GitHub's
 * push payloads reach 25 MB); with one it is read, up to --max-body, and must be signed (401).
 */
export function reconcileRoute(req: IncomingMessage, res: ServerResponse, query: string, c: ReconcileRouteContext): void {
  const start = () => {
    const run = c.reconciler.reconcile('webhook');
    if (!/(^|&)wait=(1|true)(&|$)/.test(query)) return c.send(res, 202, { accepted: true });
    void run.then(() => c.send(res, 200, c.reconciler.status()));
  };
  const secret = c.secret;
  if (!secret) {
    req.resume();
    return start();
  }
  readBody(req, c.maxBody).then(
    (body) => {
      if (!webhookSigned(secret, body, req.headers['x-hub-signature-256'])) {
        return c.send(res, 401, { error: 'webhook signature missing or wrong: expected X-Hub-Signature-256 with the HMAC of the body (SLIPWAY_WEBHOOK_SECRET)' });
      }
      start();
    },
    (e: BadRequest | ClientAborted) => {
      if (e instanceof ClientAborted) return; // no one to answer
      c.send(res, e.status ?? 400, { error: e.message }, refusedBodyHeaders(e.status ?? 400));
    },
  );
}
