/** Reading an HTTP request's body for `slipway serve`: bounded (413 beyond --max-body), and parsed as JSON with a precise 400. */
import type { IncomingMessage } from 'node:http';
import { BadRequest, BINARY_UNSUPPORTED } from './oip-decode.js';
import { jsonSyntaxError } from '../spec/json-syntax.js';
import { sendContinue } from './http-continue.js';

/** The client closed the connection before the whole body came: there is no one to answer. */
export class ClientAborted extends Error {}

/** Why readBody refused a body before reading it whole, by the status it answers (slipway_rejected_requests_total's reason). */
export const REFUSED_BODY: Record<number, string> = { 413: 'too_large', 415: 'unsupported_media_type', 408: 'timeout' };

/**
 * The headers of an answer to a body readBody refused before reading it whole (REFUSED_BODY): the rest of
 * that body may still come, so the connection cannot carry another request.
 */
export function refusedBodyHeaders(status: number): Record<string, string> {
  return status in REFUSED_BODY ? { connection: 'close' } : {};
}

/** Bodies being read that have a deadline, each with what ends it: checked once a second by one timer, not a timer per request. */
const deadlines = new Map<IncomingMessage, { at: number; expire: () => void }>();
let sweeper: NodeJS.Timeout | undefined;

function watch(req: IncomingMessage, at: number, expire: () => void): void {
  deadlines.set(req, { at, expire });
  sweeper ??= setInterval(() => {
    const now = Date.now();
    for (const [r, d] of deadlines) {
      if (d.at > now) continue;
      deadlines.delete(r);
      d.expire();
    }
    if (deadlines.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }, 1000).unref();
}

/**
 * The whole body; a 415 for a compressed one; a 413 as soon as the declared or received length passes
 * `maxBody` bytes (both before a `100 Continue` is sent: http-continue.ts); ClientAborted when the client
 * goes before the end; a 408 when it has not all come within `timeoutMs` (to the second; a client that sends a
 * byte and stops would otherwise hold its --max-inflight slot until node:http's own 5-minute timeout).
 */
export function readBody(req: IncomingMessage, maxBody: number, timeoutMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return reject(new BadRequest(`content-encoding '${encoding}' is not supported: send the body uncompressed`, 415));
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBody) return reject(new BadRequest(`request body of ${declared} bytes is over the limit of ${maxBody} bytes (--max-body)`, 413));
    sendContinue(req);
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (e: BadRequest) => {
      deadlines.delete(req);
      req.removeAllListeners('data');
      req.resume();
      reject(e);
    };
    if (timeoutMs > 0) watch(req, Date.now() + timeoutMs, () => stop(new BadRequest(`the request body did not arrive within ${timeoutMs / 1000} s (${size} bytes received${Number.isFinite(declared) ? ` of ${declared}` : ''})`, 408)));
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) return stop(new BadRequest(`request body is over the limit of ${maxBody} bytes (--max-body)`, 413));
      chunks.push(c);
    });
    req.on('end', () => {
      deadlines.delete(req);
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    // a connection closed before the body's end destroys the request with an 'aborted' error (ECONNRESET)
    req.on('error', (e) => {
      deadlines.delete(req);
      reject(req.complete ? e : new ClientAborted(`the client closed the connection after ${size} bytes of the body${Number.isFinite(declared) ? ` of ${declared}` : ''}`));
    });
  });
}

/**
 * A request body as JSON, or a 400 naming what is wrong. `binaryHeader`: the request's
 * `Inference-Header-Content-Length`, which marks binary tensor data after a JSON header (Triton's extension).
 */
export function parseBody(raw: Buffer, binaryHeader?: string | string[]): unknown {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    if (binaryHeader !== undefined) throw new BadRequest(`${BINARY_UNSUPPORTED} (the request has an Inference-Header-Content-Length header)`);
    if (text.trim() === '') throw new BadRequest('the request body is empty: expected a JSON object ({"inputs": [...]})');
    if (text.charCodeAt(0) === 0xfeff) throw new BadRequest('malformed JSON body: it starts with a byte order mark (EF BB BF), which JSON does not allow; send the body without it');
    const at = jsonSyntaxError(text, e);
    throw new BadRequest(at ? `malformed JSON body at line ${at.line}, column ${at.column}: ${at.message}` : `malformed JSON body: ${(e as Error).message}`);
  }
}
