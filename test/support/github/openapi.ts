/**
 * GitHub's official OpenAPI description (@octokit/openapi), loaded once per process, with
 * per-operation validators compiled lazily (only the operations a test actually calls).
 *
 *   findOperation(method, path)  → the operation whose path template matches, or undefined
 *   validateRequest(op, …)       → list of problems with path/query parameters and JSON body
 *   validateResponse(op, status, body) → list of problems with what a handler answered
 *   example(name)                → a deep copy of components/examples/<name> (full GitHub shapes)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

interface Spec {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; parameters: Record<string, Json>; examples: Record<string, Json>; responses: Record<string, Json> };
}

export interface ParamSpec {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Json;
}

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  segments: string[];
  literalCount: number;
  params: ParamSpec[];
  raw: Json;
  validators?: { params: Map<string, ValidateFunction>; body?: ValidateFunction; bodyRequired: boolean; bodyType?: string; responses: Map<string, ValidateFunction | null> };
}

let spec: Spec | undefined;
let ajv: Ajv | undefined;
let operations: Operation[] | undefined;
const SPEC_ID = 'https://api.github.com/openapi.json';

function load(): Spec {
  if (!spec) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
    ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateFormats: true, discriminator: false });
    addFormats(ajv);
    // Only the components are registered; operation schemas are compiled on demand with their
    // local `#/components/...` refs pointed at this document.
    ajv.addSchema({ $id: SPEC_ID, components: { schemas: rebase(spec.components.schemas) } });
    operations = [];
    for (const [template, item] of Object.entries(spec.paths)) {
      const segments = template.split('/').slice(1);
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete', 'head'].includes(method)) continue;
        const params = ([...(item.parameters ?? []), ...(op.parameters ?? [])] as Json[]).map(deref) as ParamSpec[];
        operations.push({
          method: method.toUpperCase(),
          template,
          operationId: op.operationId,
          segments,
          literalCount: segments.filter((s) => !s.startsWith('{')).length,
          params,
          raw: op,
        });
      }
    }
  }
  return spec;
}

function deref(x: Json): Json {
  if (x && typeof x === 'object' && typeof x.$ref === 'string' && x.$ref.startsWith('#/')) {
    let cur: Json = load();
    for (const part of x.$ref.slice(2).split('/')) cur = cur[part];
    return deref(cur);
  }
  return x;
}

/** Points local refs at the registered document so ajv resolves them. */
function rebase(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema && typeof schema === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) out[k] = SPEC_ID + v;
      else if (k === 'example' || k === 'examples' || k === 'nullable') continue;
      else out[k] = rebase(v);
    }
    return schema.nullable === true ? nullable(out) : out;
  }
  return schema;
}

/** OpenAPI 3.0 `nullable: true` as plain JSON Schema (ajv's own support needs `type` beside it). */
function nullable(s: Json): Json {
  if (typeof s.type === 'string' && !s.enum) return { ...s, type: [s.type, 'null'] };
  if (Array.isArray(s.enum) && !s.enum.includes(null)) s = { ...s, enum: [...s.enum, null] };
  if (typeof s.type === 'string') return { ...s, type: [s.type, 'null'] };
  return { anyOf: [s, { type: 'null' }] };
}

function compile(schema: Json): ValidateFunction {
  return ajv!.compile(rebase(schema));
}

export function allOperations(): Operation[] {
  load();
  return operations!;
}

/** Matches a concrete path (no query) to the most specific template; params are URI-decoded. */
export function findOperation(method: string, path: string): { op: Operation; params: Record<string, string> } | undefined {
  const parts = path.split('/').slice(1);
  let best: { op: Operation; params: Record<string, string> } | undefined;
  for (const op of allOperations()) {
    if (op.method !== method) continue;
    const params = matchSegments(op.segments, parts);
    if (!params) continue;
    if (!best || op.literalCount > best.op.literalCount) best = { op, params };
  }
  return best;
}

function matchSegments(tpl: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < tpl.length; i++) {
    const t = tpl[i];
    const isLast = i === tpl.length - 1;
    if (i >= parts.length) return undefined;
    if (t.startsWith('{') && t.endsWith('}')) {
      // A trailing parameter like {ref} or {path} may hold slashes when sent unencoded.
      const raw = isLast ? parts.slice(i).join('/') : parts[i];
      if (raw === '') return undefined;
      params[t.slice(1, -1)] = safeDecode(raw);
      if (isLast) return params;
    } else if (t !== parts[i]) {
      return undefined;
    }
  }
  return tpl.length === parts.length ? params : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function validators(op: Operation): NonNullable<Operation['validators']> {
  if (op.validators) return op.validators;
  const params = new Map<string, ValidateFunction>();
  for (const p of op.params) if (p.in !== 'header' && p.schema) params.set(`${p.in}:${p.name}`, compile(p.schema));
  const rb = deref(op.raw.requestBody);
  let body: ValidateFunction | undefined;
  let bodyType: string | undefined;
  if (rb?.content) {
    bodyType = Object.keys(rb.content)[0];
    const schema = rb.content['application/json']?.schema;
    if (schema) body = compile(schema);
  }
  op.validators = { params, body, bodyRequired: !!rb?.required, bodyType, responses: new Map() };
  return op.validators;
}

/** Coerces a string from the URL to what the parameter's schema says it is, for validation. */
function coerce(value: string, schema: Json): unknown {
  const s = deref(schema);
  const types: string[] = s.oneOf ? s.oneOf.map((x: Json) => deref(x).type) : [].concat(s.type ?? []);
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  if (types.includes('array')) return value.split(',');
  return value;
}

function fmt(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${where}${e.instancePath || ''}: ${e.message ?? 'invalid'}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`);
}

export interface RequestParts {
  pathParams: Record<string, string>;
  query: URLSearchParams;
  contentType: string | undefined;
  body: unknown;
  rawLength: number;
}

export function validateRequest(op: Operation, req: RequestParts): string[] {
  const v = validators(op);
  const problems: string[] = [];
  for (const p of op.params) {
    if (p.in === 'header') continue;
    const fn = v.params.get(`${p.in}:${p.name}`);
    const raw = p.in === 'path' ? req.pathParams[p.name] : req.query.get(p.name);
    if (raw === undefined || raw === null) {
      if (p.required) problems.push(`${p.in} parameter '${p.name}' is required`);
      continue;
    }
    if (fn && !fn(coerce(raw, p.schema))) problems.push(...fmt(`${p.in} parameter '${p.name}'='${raw}'`, fn.errors));
  }
  const known = new Set(op.params.filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of new Set(req.query.keys())) {
    if (!known.has(name)) problems.push(`query parameter '${name}' is not defined for ${op.method} ${op.template}`);
  }
  if (v.bodyType === 'application/json' || v.body) {
    if (req.body === undefined) {
      if (v.bodyRequired) problems.push('a JSON request body is required');
    } else if (v.body && !v.body(req.body)) {
      problems.push(...fmt('body', v.body.errors));
    }
  } else if (!v.bodyType && req.rawLength > 0 && op.method !== 'GET') {
    problems.push(`${op.method} ${op.template} takes no request body, got ${req.rawLength} bytes`);
  }
  return problems;
}

/** Checks a handler's answer against the documented responses of the operation. */
export function validateResponse(op: Operation, status: number, body: unknown, contentType: string | undefined): string[] {
  const v = validators(op);
  const responses = op.raw.responses ?? {};
  const key = String(status);
  if (!(key in responses)) {
    return [`status ${status} is not documented for ${op.method} ${op.template} (documented: ${Object.keys(responses).join(', ')})`];
  }
  if (status >= 300 || !contentType?.includes('json')) return [];
  if (!v.responses.has(key)) {
    const r = deref(responses[key]);
    const schema = r?.content?.['application/json']?.schema;
    v.responses.set(key, schema ? compile(schema) : null);
  }
  const fn = v.responses.get(key);
  if (fn && !fn(body)) return fmt(`response ${status}`, fn.errors).slice(0, 10);
  return [];
}

/** A deep copy of one of GitHub's documented example objects (components/examples/<name>). */
export function example<T = Json>(name: string): T {
  const ex = deref(load().components.examples[name]);
  if (!ex) throw new Error(`no example named ${name} in the OpenAPI description`);
  return structuredClone(ex.value) as T;
}
