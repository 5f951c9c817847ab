/**
 * A git smart-HTTP server on 127.0.0.1: `git http-backend` (git's own CGI program) serving the bare
 * repositories under `root`, behind a check that every request carries `Authorization: Basic` of
 * `x-access-token:<token>` (as GitHub takes a token over HTTPS); other requests get 401. It records each
 * request's Authorization header, so a test can tell what git sent.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHttpServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** the Authorization header of every request, in order ('' when there was none) */
  authorizations: string[];
  close(): Promise<void>;
}

export async function startGitHttp(root: string, token: string): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const authorizations: string[] = [];
  const server = createServer((req, res) => {
    const given = req.headers.authorization ?? '';
    authorizations.push(given);
    // the scheme is case-insensitive (RFC 9110 §11.1): git sends what its config says, actions/checkout 'basic'
    if (given.replace(/^basic /i, 'Basic ') !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"', 'content-type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const header = (name: string): string => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : (v ?? '');
    };
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: header('content-type'),
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: header('content-length') } : {}),
        HTTP_CONTENT_ENCODING: header('content-encoding'),
        GIT_PROTOCOL: header('git-protocol'),
        REMOTE_USER: 'x-access-token',
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    const out: Buffer[] = [];
    cgi.stdout.on('data', (d: Buffer) => out.push(d));
    cgi.on('close', () => {
      // a CGI answer: header lines, a blank line, the body
      const all = Buffer.concat(out);
      const end = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head) {
        const i = line.indexOf(':');
        const [k, v] = [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()];
        if (k === 'status') status = Number.parseInt(v, 10);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.end(all.subarray(end + 4));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
