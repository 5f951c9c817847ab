/** A raw HTTP/1.1 client for the tests at the edges of HTTP: bytes written as given, bytes read as they come. */
import { connect, type Socket } from 'node:net';

export interface RawConnection {
  sock: Socket;
  /** everything received so far (Latin-1) */
  received: () => string;
  /** resolves with everything received so far once `what` matches, the connection closes, or `ms` pass */
  until: (what: RegExp | ((text: string) => boolean), ms?: number) => Promise<string>;
  ended: Promise<void>;
}

export function rawConnection(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    let text = '';
    const waiters: (() => void)[] = [];
    const sock = connect(port, '127.0.0.1');
    const ended = new Promise<void>((r) => sock.on('close', () => r()));
    const wake = () => waiters.splice(0).forEach((f) => f());
    sock.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      wake();
    });
    sock.on('close', wake);
    sock.on('error', () => {});
    const until = (what: RegExp | ((text: string) => boolean), ms = 3000) =>
      new Promise<string>((done) => {
        const timer = setTimeout(() => done(text), ms);
        const check = () => {
          if ((typeof what === 'function' ? what(text) : what.test(text)) || sock.destroyed) {
            clearTimeout(timer);
            done(text);
          } else waiters.push(check);
        };
        check();
      });
    sock.once('connect', () => resolve({ sock, received: () => text, until, ended }));
    sock.once('error', reject);
  });
}

/** the status lines of every response in `raw`, in order */
export const statusLines = (raw: string) => raw.split('\r\n').filter((l) => l.startsWith('HTTP/1.1 '));

/** whether the last response in `raw` has all of its Content-Length body */
export const complete = (raw: string) => {
  const at = raw.lastIndexOf('\r\n\r\n');
  const length = /\r\ncontent-length: (\d+)\r\n/i.exec(raw.slice(raw.lastIndexOf('HTTP/1.1 '), at + 2));
  return length !== null && raw.length - at - 4 >= Number(length[1]);
};

export const lastBody = (raw: string) => JSON.parse(raw.slice(raw.lastIndexOf('\r\n\r\n') + 4)) as { id?: string; error?: string; outputs?: unknown };

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The responses in `raw` taken apart: status line, headers (names in lower case, without Date, which changes
 * by the second) and body. Every response must carry a Content-Length.
 */
export function responses(raw: string): { status: string; headers: Record<string, string>; body: string }[] {
  const out: { status: string; headers: Record<string, string>; body: string }[] = [];
  let at = 0;
  while (at < raw.length) {
    const headEnd = raw.indexOf('\r\n\r\n', at);
    if (headEnd < 0) throw new Error(`an incomplete response head at ${at}: ${raw.slice(at, at + 80)}`);
    const [status, ...lines] = raw.slice(at, headEnd).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const colon = l.indexOf(':');
      const name = l.slice(0, colon).toLowerCase();
      if (name !== 'date') headers[name] = l.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    out.push({ status, headers, body: raw.slice(headEnd + 4, headEnd + 4 + length) });
    at = headEnd + 4 + length;
  }
  return out;
}
