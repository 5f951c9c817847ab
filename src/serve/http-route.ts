/** Small rules of the server's routing and answers (http-server.ts). */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { BadRequest } from './oip-decode.js';

/** GET, and HEAD with it (node:http sends a HEAD answer's headers without its body), as HTTP asks of every GET route. */
export function readOnly(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/**
 * The path and query of a request target: origin-form (`/v2/models/m/infer?x`) as it is, absolute-form
 * (`http://host:port/v2/models/m/infer?x`, which RFC 9112 §3.2.2 says a server MUST accept) without its
 * scheme and authority. Anything else (`*`, authority-form) is a path that matches no route.
 */
export function requestTarget(url: string): { path: string; query: string } {
  let target = url;
  if (target.charCodeAt(0) !== 0x2f) {
    const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
    if (absolute) target = target.slice(absolute[0].length) || '/';
    if (target.charCodeAt(0) === 0x3f) target = '/' + target; // http://host?q: the path is /
  }
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** Decodes a path segment; a malformed escape stays as written (and then matches no model). */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `/v2/models/{m}[/versions/{v}][/ready|/infer]` taken apart, or not a route (`none`: what a 404 adds to its message). */
export function modelPath(path: string): { model: string; version?: string; action?: 'ready' | 'infer' } | { none: string } {
  const rest = path.slice('/v2/models/'.length);
  const parts = rest.includes('%') ? rest.split('/').map(safeDecode) : rest.split('/');
  const model = parts[0] ?? '';
  let i = 1;
  let version: string | undefined;
  if (parts[i] === 'versions') {
    version = parts[i + 1];
    if (!version) return { none: ': expected /v2/models/{name}/versions/{version}' };
    i += 2;
  }
  const action = parts[i];
  if (parts.length > i + 1 || (action !== undefined && action !== 'ready' && action !== 'infer') || !model) return { none: '' };
  return { model, version, action };
}

/**
 * A 404's message. The protocol has no list of models, but `GET /v2/models` is what a newcomer tries first:
 * that one names the models served and where to look.
 */
export function noRoute(method: string, path: string, models: Iterable<string>, more = ''): string {
  if (path !== '/v2/models' && path !== '/v2/models/') return `no route for ${method} ${path}${more}`;
  const names = [...models].sort();
  return `no route for ${method} ${path}: the Open Inference Protocol has no list of models; this server serves ${names.length ? names.join(', ') : 'none yet'} (GET /v2/models/{name} for one's metadata, GET /-/status for all)`;
}

/** The longest request id accepted (in UTF-16 units): an id is echoed in a header, where clients cap the size. */
export const MAX_ID_LENGTH = 1024;

/** A request id from the body (or from the header `where` names), or a 400 when it is too long to echo. */
export function checkedId(id: string | undefined, where = 'id'): string | undefined {
  if (id !== undefined && id.length > MAX_ID_LENGTH) throw new BadRequest(`${where}: at most ${MAX_ID_LENGTH} characters, got ${id.length}`);
  return id;
}

const HEADER_SAFE = /^[\x20-\x7e]*$/;

/**
 * The id as the x-request-id header carries it: as given when it is printable ASCII, else its UTF-8 bytes
 * percent-encoded (a header cannot carry control characters, and non-ASCII text there is read as Latin-1).
 * The body's `id` is always the exact one.
 */
export function headerId(id: string): string {
  if (HEADER_SAFE.test(id)) return id;
  let out = '';
  for (const b of Buffer.from(id, 'utf8')) out += b > 0x20 && b < 0x7f && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/**
 * node:http's answer to a request it cannot parse (a bad request line, conflicting lengths, a header too
 * large, a request that took too long), with the `{"error": …}` body every other error has; the connection closes.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const open = socket as Duplex & { _httpMessage?: { headersSent?: boolean } };
  if (err.code === 'ECONNRESET' || !socket.writable || open._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const what = status === 408 ? 'the request did not arrive in time' : status === 431 ? 'the request line or headers are too large' : 'malformed HTTP request';
  const body = JSON.stringify({ error: `${what} (${err.code ?? 'error'}: ${err.message})` });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
