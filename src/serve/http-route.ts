/** Small rules of the server's routing (http-server.ts). */

/** GET, and HEAD with it (node:http sends a HEAD answer's headers without its body), as HTTP asks of every GET route. */
export function readOnly(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** Decodes a path segment; a malformed escape stays as written (and then matches no model). */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
