/** `POST /-/reconcile`, the push webhook: signed (GitHub's `X-Hub-Signature-256`, `sha256=` + the hex HMAC-SHA256 of the body) when a secret is set. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendContinue } from './http-continue.js';
import { BadRequest } from './oip-decode.js';
import type { Reconciler } from './reconciler.js';
import { ClientAborted, refusedBodyHeaders } from './request-body.js';

/** The largest webhook payload GitHub sends (25 MB): a push of many commits passes --max-body, which is sized for inference requests. */
export const WEBHOOK_MAX_BYTES = 25 << 20;
/** How long a signed webhook's body may take to arrive (408 beyond). */
export const WEBHOOK_BODY_TIMEOUT_MS = 30_000;

/** Whether `given` (the X-Hub-Signature-256 header) is `sha256=` + `hex`, the body's HMAC; compared in constant time. */
function signatureMatches(hex: string, given: string | string[] | undefined): boolean {
  const want = 'sha256=' + hex;
  const got = typeof given === 'string' ? given : '';
  return got.length === want.length && timingSafeEqual(Buffer.from(got), Buffer.from(want));
}

export interface ReconcileRouteContext {
  secret?: string;
  /** --max-body; a signed payload may be larger, up to WEBHOOK_MAX_BYTES */
  maxBody: number;
  /** test hook: the body's deadline */
  bodyTimeoutMs?: number;
  reconciler: Pick<Reconciler, 'reconcile' | 'status'>;
  send: (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;
}

/**
 * Starts a reconcile (202), or with `?wait=1` answers when it is done (200 and the status). The payload is not
 * used (the reconciler reads git itself): without a secret it is discarded unread, whatever its size (GitHub's
 * push payloads reach 25 MB); with one it is hashed as it arrives, never held whole, up to 25 MB (or --max-body
 * if larger), and must be signed (401).
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
  bodyHmac(req, secret, Math.max(c.maxBody, WEBHOOK_MAX_BYTES), c.bodyTimeoutMs ?? WEBHOOK_BODY_TIMEOUT_MS).then(
    (hex) => {
      if (!signatureMatches(hex, req.headers['x-hub-signature-256'])) {
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

/** The hex HMAC-SHA256 of the request's body, computed as it arrives: a 413 past `max` bytes, a 415 for a compressed body, a 408 after `timeoutMs`. */
function bodyHmac(req: IncomingMessage, secret: string, max: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return reject(new BadRequest(`content-encoding '${encoding}' is not supported: send the body uncompressed`, 415));
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) return reject(new BadRequest(`webhook payload of ${declared} bytes is over the limit of ${max} bytes`, 413));
    sendContinue(req);
    const hmac = createHmac('sha256', secret);
    let size = 0;
    const stop = (e: BadRequest) => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      req.resume();
      reject(e);
    };
    const timer = setTimeout(() => stop(new BadRequest(`the webhook payload did not arrive within ${timeoutMs / 1000} s (${size} bytes received)`, 408)), timeoutMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) return stop(new BadRequest(`webhook payload is over the limit of ${max} bytes`, 413));
      hmac.update(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(hmac.digest('hex'));
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(req.complete ? e : new ClientAborted(`the client closed the connection after ${size} bytes of the webhook payload`));
    });
  });
}
