/**
 * A fake GitHub REST API for tests: a real HTTP server on 127.0.0.1 that checks EVERY request
 * against GitHub's official OpenAPI description (@octokit/openapi) and keeps state, so tests run
 * the real Octokit against it and assert whole sequences.
 *
 *   const gh = await GitHubTestServer.start();          // gh.apiUrl → pass as apiUrl / GITHUB_API_URL
 *   gh.addToken('t0ken', 'alice');                      // token → user (login); installation tokens:
 *   gh.addToken('ghs_x', 'github-actions[bot]', { installation: true, permissions: { checks: 'read' } });
 *   … run code …
 *   expect(gh.violations).toEqual([]);                  // every request matched the spec
 *   gh.repo('acme', 'risk').commentsOf(7)              // state: issues, comments, checkRuns, pulls,
 *                                                       // refs, commits, releases, assets, dispatches
 *   gh.requests                                         // every request: method, path, template, status, user
 *   await gh.close();
 *
 * For every request: method + path are matched to an operation of the spec (404 and a recorded
 * violation if none); path and query parameters and the JSON body are validated against the
 * operation's schemas (500 with the details and a recorded violation if not); a handler answers;
 * its answer is validated against the documented responses (a violation if it drifts). Responses
 * carry GitHub's headers (x-ratelimit-*, x-github-request-id, Link for pagination).
 *
 * Extending (other areas put handlers in test/support/github/handlers/<area>.ts):
 *   gh.route('POST', '/repos/{owner}/{repo}/pulls', (req) => ({ status: 201, body: {...} }));
 *   - the template must be a path of the spec; req has params, query, body, rawBody, user, repo
 *     (the RepoState for {owner}/{repo}), server; throw new HttpError(422, 'Validation Failed') for errors;
 *   - `paginate(req, items)` returns a response with GitHub's Link header.
 *   gh.graphql('createCommitOnBranch', (vars, req) => ({ createCommitOnBranch: {...} }))  // POST /graphql,
 *     dispatched on the first field of the operation; throw GraphQLError for `errors`.
 *
 * Failure injection (retry/throttle tests):
 *   gh.fail({ method: 'POST', route: '/repos/{owner}/{repo}/check-runs', status: 502, times: 2 })
 *   gh.fail({ kind: 'rate-limit' })                 // 403 x-ratelimit-remaining: 0, reset = now
 *   gh.fail({ kind: 'secondary', status: 429, retryAfter: 1 })
 *   gh.fail({ status: 403, message: 'Resource not accessible by integration', times: Infinity })
 *
 * Seeding state without the API: createPull(repo, user, {...}), createIssue(repo, user, {...}),
 * createCommit(repo, {...}) (exported below), commentObject(...) in state.ts, gh.userObject(login),
 * and plain Map edits (repo.refs.set('heads/main', sha)).
 *
 * Uploads: release assets are uploaded to `${gh.uploadsUrl}/repos/{owner}/{repo}/releases/{id}/assets?name=…`
 * (the release's `upload_url` points there), as uploads.github.com / GHES /api/uploads are.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { findOperation, validateRequest, validateResponse, allOperations, type Operation } from './openapi.js';
import { RepoState, newId, type Access, type Area, type GhUser, type Json, type TokenInfo } from './state.js';
import { registerDefaultHandlers } from './handlers/index.js';

export { RepoState } from './state.js';
export type { Json, GhUser, TokenInfo } from './state.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class GraphQLError extends Error {
  constructor(
    message: string,
    readonly type?: string,
  ) {
    super(message);
  }
}

export interface GhRequest {
  method: string;
  path: string;
  template: string;
  operationId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Json;
  rawBody: Buffer;
  token: TokenInfo;
  /** the GitHub user object of the caller */
  user: Json;
  /** the repository of {owner}/{repo}, created on first use */
  repo: RepoState;
  server: GitHubTestServer;
  /** the full URL as the client sent it (for Link headers) */
  url: URL;
}

export interface GhResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** raw bytes (e.g. a release asset download) instead of JSON */
  raw?: Buffer;
}

export type Handler = (req: GhRequest) => GhResponse | Promise<GhResponse>;
export type GraphQLHandler = (variables: Record<string, unknown>, req: { query: string; token: TokenInfo; user: Json; server: GitHubTestServer }) => Json | Promise<Json>;

export interface Violation {
  kind: 'unknown-route' | 'request' | 'response' | 'no-handler' | 'graphql';
  method: string;
  path: string;
  template?: string;
  problems: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  template?: string;
  operationId?: string;
  status: number;
  login?: string;
  body?: Json;
  query: Record<string, string>;
}

export interface FailureSpec {
  method?: string;
  /** a path template of the spec, e.g. '/repos/{owner}/{repo}/check-runs'; any route when omitted */
  route?: string;
  /** 'error' (default): answer status/message; 'rate-limit': primary (403, remaining 0); 'secondary': 403/429 + retry-after */
  kind?: 'error' | 'rate-limit' | 'secondary';
  status?: number;
  message?: string;
  retryAfter?: number;
  /** how many matching requests fail (default 1; Infinity for always) */
  times?: number;
}

export interface ServerOptions {
  /** serve the API under this prefix, e.g. '/api/v3' (GitHub Enterprise Server) */
  prefix?: string;
  /** check handlers' answers against the documented responses (default true) */
  validateResponses?: boolean;
}

const AREAS: [RegExp, Area][] = [
  [/^\/repos\/[^/]+\/[^/]+\/(issues|labels)/, 'issues'],
  [/^\/repos\/[^/]+\/[^/]+\/pulls/, 'pull_requests'],
  [/^\/repos\/[^/]+\/[^/]+\/(check-runs|check-suites)/, 'checks'],
  [/^\/repos\/[^/]+\/[^/]+\/(git|contents|releases|commits|branches)/, 'contents'],
  [/^\/repos\/[^/]+\/[^/]+\/actions/, 'actions'],
];

export class GitHubTestServer {
  readonly violations: Violation[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly tokens = new Map<string, TokenInfo>();
  readonly users = new Map<string, GhUser>();
  private readonly repos = new Map<string, RepoState>();
  private readonly handlers = new Map<string, Handler>();
  private readonly gqlHandlers = new Map<string, GraphQLHandler>();
  private failures: (FailureSpec & { left: number })[] = [];
  private remaining = new Map<string, number>();
  private server!: Server;
  origin = '';
  readonly prefix: string;
  private readonly checkResponses: boolean;

  private constructor(opts: ServerOptions) {
    this.prefix = (opts.prefix ?? '').replace(/\/+$/, '');
    this.checkResponses = opts.validateResponses ?? true;
  }

  static async start(opts: ServerOptions = {}): Promise<GitHubTestServer> {
    const s = new GitHubTestServer(opts);
    allOperations(); // load the description once per process, before the first request
    registerDefaultHandlers(s);
    s.server = createServer((req, res) => void s.handle(req, res));
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.origin = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  /** the REST base URL (what GITHUB_API_URL would be) */
  get apiUrl(): string {
    return this.origin + this.prefix;
  }
  /** base of upload URLs (uploads.github.com on github.com) */
  get uploadsUrl(): string {
    return `${this.origin}${this.prefix}/uploads`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addToken(token: string, login: string, opts: { installation?: boolean; permissions?: Partial<Record<Area, Access>>; type?: 'User' | 'Bot' } = {}): TokenInfo {
    let user = this.users.get(login);
    if (!user) {
      user = { login, id: newId(), type: opts.type ?? (login.endsWith('[bot]') ? 'Bot' : 'User') };
      this.users.set(login, user);
    }
    const info: TokenInfo = { user, installation: opts.installation ?? false, permissions: opts.permissions ?? {} };
    this.tokens.set(token, info);
    return info;
  }

  repo(owner: string, name: string): RepoState {
    const key = `${owner}/${name}`.toLowerCase();
    let r = this.repos.get(key);
    if (!r) {
      r = new RepoState(owner, name, this.apiUrl);
      this.repos.set(key, r);
    }
    return r;
  }

  /** Adds or replaces the handler of one operation. The template must be a path of the spec. */
  route(method: string, template: string, handler: Handler): void {
    const m = method.toUpperCase();
    if (!allOperations().some((o) => o.method === m && o.template === template)) {
      throw new Error(`GitHubTestServer.route: ${m} ${template} is not an operation of GitHub's OpenAPI description`);
    }
    this.handlers.set(`${m} ${template}`, handler);
  }

  /** Registers a GraphQL handler for the operation whose first field is `field` (e.g. createCommitOnBranch). */
  graphql(field: string, handler: GraphQLHandler): void {
    this.gqlHandlers.set(field, handler);
  }

  fail(spec: FailureSpec): void {
    this.failures.push({ ...spec, left: spec.times ?? 1 });
  }

  /** requests that reached a given operation, in order */
  calls(method: string, template: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.template === template);
  }

  userObject(login: string): Json {
    const u = this.users.get(login);
    if (!u) throw new Error(`unknown user ${login}`);
    return userJson(u, this.apiUrl);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const rec: RecordedRequest = { method, path: url.pathname, status: 0, query: Object.fromEntries(url.searchParams) };
    this.requests.push(rec);
    const send = (r: GhResponse) => this.send(res, r, rec);
    try {
      let path = url.pathname;
      // GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql
      const ghesGraphql = this.prefix.endsWith('/api/v3') && path === this.prefix.replace(/\/v3$/, '/graphql');
      if (ghesGraphql) path = this.prefix + '/graphql';
      if (this.prefix) {
        if (!path.startsWith(this.prefix + '/') && path !== this.prefix) {
          return send(this.violation(rec, 'unknown-route', [`request outside the API prefix ${this.prefix}`], 404));
        }
        path = path.slice(this.prefix.length) || '/';
      }
      const upload = path.startsWith('/uploads/');
      if (upload) path = path.slice('/uploads'.length);
      const token = this.authenticate(req);
      rec.login = token?.user.login;
      if (method === 'POST' && path === '/graphql') return send(await this.handleGraphQL(raw, token, rec));
      const found = findOperation(method, path);
      if (!found) {
        return send(this.violation(rec, 'unknown-route', [`${method} ${path} is not an operation in GitHub's OpenAPI description`], 404));
      }
      const { op, params } = found;
      rec.template = op.template;
      rec.operationId = op.operationId;
      const contentType = req.headers['content-type'];
      let body: Json = undefined;
      if (raw.length > 0 && contentType?.includes('json')) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return send(this.violation(rec, 'request', ['request body is not valid JSON'], 500));
        }
      }
      rec.body = body ?? (raw.length ? `<${raw.length} bytes>` : undefined);
      const isUploadOp = op.raw.servers?.some((s: Json) => /uploads/.test(s.url));
      if (upload !== !!isUploadOp) {
        return send(this.violation(rec, 'unknown-route', [upload ? `${op.template} is not served by the uploads host` : `${op.template} must be sent to the uploads host (upload_url)`], 404));
      }
      const problems = validateRequest(op, { pathParams: params, query: url.searchParams, contentType, body, rawLength: raw.length });
      if (problems.length) return send(this.violation(rec, 'request', problems, 500));

      if (!token) return send({ status: 401, body: ghError('Bad credentials', 401) });
      const injected = this.takeFailure(method, op.template);
      if (injected) return send(injected);
      const denied = this.authorize(token, method, path, op);
      if (denied) return send(denied);

      const handler = this.handlers.get(`${method} ${op.template}`);
      if (!handler) {
        return send(this.violation(rec, 'no-handler', [`the test server has no handler for ${method} ${op.template} (add one with server.route)`], 501));
      }
      const ghReq: GhRequest = {
        method,
        path,
        template: op.template,
        operationId: op.operationId,
        params,
        query: url.searchParams,
        headers: req.headers,
        body,
        rawBody: raw,
        token,
        user: userJson(token.user, this.apiUrl),
        repo: params.owner && params.repo ? this.repo(params.owner, params.repo) : (undefined as unknown as RepoState),
        server: this,
        url: new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`),
      };
      let out: GhResponse;
      try {
        out = await handler(ghReq);
      } catch (e) {
        if (e instanceof HttpError) out = { status: e.status, body: ghError(e.message, e.status, e.extra), headers: e.headers };
        else throw e;
      }
      if (this.checkResponses && !out.raw) {
        const rp = validateResponse(op, out.status, out.body, out.body === undefined ? undefined : 'application/json');
        if (rp.length) this.violations.push({ kind: 'response', method, path, template: op.template, problems: rp });
      }
      return send(out);
    } catch (e) {
      this.violations.push({ kind: 'no-handler', method, path: url.pathname, problems: [`handler crashed: ${(e as Error).stack ?? String(e)}`] });
      return send({ status: 500, body: ghError(`test server handler crashed: ${(e as Error).message}`, 500) });
    }
  }

  private violation(rec: RecordedRequest, kind: Violation['kind'], problems: string[], status: number): GhResponse {
    this.violations.push({ kind, method: rec.method, path: rec.path, template: rec.template, problems });
    return { status, body: ghError(`GitHubTestServer: ${kind}: ${rec.method} ${rec.path}${rec.template ? ` (${rec.template})` : ''}\n- ${problems.join('\n- ')}`, status) };
  }

  private authenticate(req: IncomingMessage): TokenInfo | undefined {
    const h = req.headers.authorization;
    const m = h ? /^(?:token|bearer)\s+(.+)$/i.exec(h) : null;
    return m ? this.tokens.get(m[1].trim()) : undefined;
  }

  private authorize(token: TokenInfo, method: string, path: string, op: Operation): GhResponse | undefined {
    if (op.template === '/user' && method === 'GET' && token.installation) {
      return { status: 403, body: ghError('Resource not accessible by integration', 403) };
    }
    const area = AREAS.find(([re]) => re.test(path))?.[1];
    if (!area) return undefined;
    const access = token.permissions[area] ?? 'write';
    const needs: Access = method === 'GET' || method === 'HEAD' ? 'read' : 'write';
    if (access === 'none' || (needs === 'write' && access === 'read')) {
      return { status: 403, body: ghError('Resource not accessible by integration', 403) };
    }
    return undefined;
  }

  private takeFailure(method: string, template: string): GhResponse | undefined {
    const f = this.failures.find((x) => x.left > 0 && (!x.method || x.method.toUpperCase() === method) && (!x.route || x.route === template));
    if (!f) return undefined;
    f.left--;
    const kind = f.kind ?? 'error';
    if (kind === 'rate-limit') {
      const status = f.status ?? 403;
      return {
        status,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)), 'x-ratelimit-used': '5000' },
        body: ghError(f.message ?? 'API rate limit exceeded for user ID 1.', status),
      };
    }
    if (kind === 'secondary') {
      const status = f.status ?? 403;
      return {
        status,
        headers: { 'retry-after': String(f.retryAfter ?? 1) },
        body: ghError(f.message ?? 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', status),
      };
    }
    const status = f.status ?? 502;
    return {
      status,
      headers: f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {},
      body: ghError(f.message ?? (status >= 500 ? 'Server Error' : 'Injected failure'), status),
    };
  }

  private async handleGraphQL(raw: Buffer, token: TokenInfo | undefined, rec: RecordedRequest): Promise<GhResponse> {
    rec.template = '/graphql';
    let doc: Json;
    try {
      doc = JSON.parse(raw.toString('utf8'));
    } catch {
      return this.violation(rec, 'graphql', ['GraphQL request body is not JSON'], 400);
    }
    rec.body = doc;
    if (!doc || typeof doc.query !== 'string') return this.violation(rec, 'graphql', ['GraphQL request has no query string'], 400);
    if (!token) return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/graphql' } };
    const injected = this.takeFailure('POST', '/graphql');
    if (injected) return injected;
    const field = /^\s*(?:query|mutation)?\s*\w*\s*(?:\([^)]*\))?\s*\{\s*(\w+)/.exec(doc.query)?.[1];
    const handler = field ? this.gqlHandlers.get(field) : undefined;
    if (!handler) return this.violation(rec, 'graphql', [`no GraphQL handler for field '${field ?? '?'}' (add one with server.graphql)`], 200);
    try {
      const data = await handler(doc.variables ?? {}, { query: doc.query, token, user: userJson(token.user, this.apiUrl), server: this });
      return { status: 200, body: { data } };
    } catch (e) {
      if (e instanceof GraphQLError) return { status: 200, body: { data: null, errors: [{ message: e.message, ...(e.type ? { type: e.type } : {}) }] } };
      throw e;
    }
  }

  private send(res: ServerResponse, r: GhResponse, rec: RecordedRequest): void {
    rec.status = r.status;
    const login = rec.login ?? 'anonymous';
    const left = Math.max(0, (this.remaining.get(login) ?? 5000) - 1);
    this.remaining.set(login, left);
    const headers: Record<string, string> = {
      'x-github-request-id': randomUUID().toUpperCase(),
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(left),
      'x-ratelimit-used': String(5000 - left),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      ...(r.headers ?? {}),
    };
    if (r.raw) {
      headers['content-type'] ??= 'application/octet-stream';
      res.writeHead(r.status, headers);
      res.end(r.raw);
      return;
    }
    if (r.body === undefined) {
      res.writeHead(r.status, headers);
      res.end();
      return;
    }
    headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(r.status, headers);
    res.end(JSON.stringify(r.body));
  }
}

export function ghError(message: string, status: number, extra: Record<string, unknown> = {}): Json {
  return { message, documentation_url: 'https://docs.github.com/rest', status: String(status), ...extra };
}

function userJson(u: GhUser, apiUrl: string): Json {
  const login = encodeURIComponent(u.login);
  return {
    login: u.login,
    id: u.id,
    node_id: Buffer.from(`User${u.id}`).toString('base64'),
    avatar_url: `https://avatars.github.test/u/${u.id}`,
    gravatar_id: '',
    url: `${apiUrl}/users/${login}`,
    html_url: `https://github.test/${login}`,
    followers_url: `${apiUrl}/users/${login}/followers`,
    following_url: `${apiUrl}/users/${login}/following{/other_user}`,
    gists_url: `${apiUrl}/users/${login}/gists{/gist_id}`,
    starred_url: `${apiUrl}/users/${login}/starred{/owner}{/repo}`,
    subscriptions_url: `${apiUrl}/users/${login}/subscriptions`,
    organizations_url: `${apiUrl}/users/${login}/orgs`,
    repos_url: `${apiUrl}/users/${login}/repos`,
    events_url: `${apiUrl}/users/${login}/events{/privacy}`,
    received_events_url: `${apiUrl}/users/${login}/received_events`,
    type: u.type,
    site_admin: false,
  };
}

/**
 * A page of `items` as GitHub answers list endpoints: per_page (default 30, max 100), page
 * (1-based) and a Link header with next/last/first/prev.
 */
export function paginate(req: GhRequest, items: unknown[]): GhResponse {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30)));
  const page = Math.max(1, Number(req.query.get('page') ?? 1));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number) => {
    const u = new URL(req.url);
    u.searchParams.set('per_page', String(perPage));
    u.searchParams.set('page', String(p));
    return u.toString();
  };
  const rels: string[] = [];
  if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
  if (page > 1) rels.push(`<${link(1)}>; rel="first"`, `<${link(page - 1)}>; rel="prev"`);
  return { status: 200, body: items.slice((page - 1) * perPage, page * perPage), headers: rels.length ? { link: rels.join(', ') } : {} };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Seeding helpers for tests (state a test starts from, without going through the API). */
export { createPull } from './handlers/pulls.js';
export { createIssue } from './handlers/issues.js';
export { createCommit, refObject } from './handlers/git.js';
