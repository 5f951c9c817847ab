/** Reading an HTTP request's body for `slipway serve`: bounded (413 beyond --max-body), and parsed as JSON with a precise 400. */
import type { IncomingMessage } from 'node:http';
import { BadRequest } from './oip-decode.js';
import { jsonSyntaxError } from '../spec/json-syntax.js';

/** The whole body, or a 413 as soon as the declared or received length passes `maxBody` bytes. */
export function readBody(req: IncomingMessage, maxBody: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBody) return reject(new BadRequest(`request body of ${declared} bytes is over the limit of ${maxBody} bytes (--max-body)`, 413));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BadRequest(`request body is over the limit of ${maxBody} bytes (--max-body)`, 413));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A request body as JSON, or a 400 naming what is wrong. */
export function parseBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const at = jsonSyntaxError(text, e);
    throw new BadRequest(at ? `malformed JSON body at line ${at.line}, column ${at.column}: ${at.message}` : `malformed JSON body: ${(e as Error).message}`);
  }
}
