/**
 * Open Inference Protocol conformance: every route's real responses (and our request bodies, and
 * the spec's own request examples) validated with ajv against ../shared/specs/open_inference_rest.yaml.
 * The spec lists only versioned model paths; unversioned ones are checked against the same bodies.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServer } from '../../src/serve/serve.js';
import { applicant, call, CONTENT_TYPE_OK, CONTENT_TYPE_REFUSED, contentTyped, jsonRowsRequest, OUT_OF_RANGE, tensorRequest, tensorText } from './client.js';
import { buildWorld, ENV, type World } from './fixtures.js';

const SPEC = join(process.cwd(), '..', 'shared', 'specs', 'open_inference_rest.yaml');
const present = existsSync(SPEC);
if (!present) console.log(`skipping the OIP conformance test: ${SPEC} is absent (see ../shared/specs/SOURCES.md)`);

interface Operation {
  responses: Record<string, { content?: { 'application/json': { schema: { $ref: string } } } }>;
  requestBody?: { content: { 'application/json': { schema: { $ref: string } } } };
}
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, { 'x-examples'?: Record<string, unknown> }> } };

let doc: Doc;
let ajv: Ajv;
let w: World;
let s: RunningServer;

/** Matches a concrete path to the spec's templates ({MODEL_NAME}, {MODEL_VERSION}); unversioned model paths map to the versioned template. */
function template(path: string): string {
  const versioned = path.replace(/^\/v2\/models\/([^/]+)(?!\/versions)(\/ready|\/infer)?$/, '/v2/models/$1/versions/_$2');
  const p = versioned === '/v2' ? '/v2/' : versioned;
  for (const t of Object.keys(doc.paths)) {
    const re = new RegExp('^' + t.replace(/\{[A-Z_]+\}/g, '[^/]+') + '$');
    if (re.test(p)) return t;
  }
  throw new Error(`no spec path for ${path}`);
}

function validator(ref: string) {
  return ajv.getSchema(`oip${ref}`) ?? ajv.compile({ $ref: `oip${ref}` });
}

/** Validates a real response against the spec's schema for (path, method, status); error bodies against the error schema. */
function check(path: string, method: string, status: number, body: unknown): void {
  const op = doc.paths[template(path)][method.toLowerCase()];
  expect(op, `${method} ${path} is in the spec`).toBeDefined();
  const declared = op.responses[String(status)]?.content?.['application/json']?.schema.$ref;
  const ref = declared ?? (status >= 400 ? '#/components/schemas/inference_error_response' : undefined);
  if (!ref) return; // the spec gives no body for this response (health: 200 OK)
  const v = validator(ref);
  const ok = v(body);
  expect(ok, `${method} ${path} ${status}: ${JSON.stringify(v.errors)}`).toBe(true);
  if (status >= 400) expect(typeof (body as { error: unknown }).error).toBe('string');
}

describe.skipIf(!present)('Open Inference Protocol v2 REST conformance', () => {
  beforeAll(async () => {
    const text = readFileSync(SPEC, 'utf8').replace(/\$\{(MODEL_NAME|MODEL_VERSION)\}/g, '{$1}');
    doc = parse(text) as Doc;
    ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addSchema({ components: doc.components }, 'oip');
    w = await buildWorld({ l2s: [1] });
    w.pin({ 'credit-risk': { pkg: w.packages[0] } });
    s = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath });
  });
  afterAll(async () => {
    await s?.stop(2000);
    if (w) rmSync(w.root, { recursive: true, force: true });
  });

  it('the spec paths were rewritten for routing and cover every versioned route', () => {
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v2/',
      '/v2/health/live',
      '/v2/health/ready',
      '/v2/models/{MODEL_NAME}/versions/{MODEL_VERSION}',
      '/v2/models/{MODEL_NAME}/versions/{MODEL_VERSION}/infer',
      '/v2/models/{MODEL_NAME}/versions/{MODEL_VERSION}/ready',
    ]);
    // the schemas are live: a response without model_name is refused
    expect(validator('#/components/schemas/inference_response')({ outputs: [] })).toBe(false);
  });

  it('GET routes answer with bodies valid against the spec, versioned and unversioned', async () => {
    for (const path of ['/v2', '/v2/', '/v2/health/live', '/v2/health/ready', '/v2/models/credit-risk', '/v2/models/credit-risk/versions/1.0.0', '/v2/models/credit-risk/ready', '/v2/models/credit-risk/versions/1.0.0/ready']) {
      const r = await call(s.url, 'GET', path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
      check(path, 'GET', r.status, r.body);
    }
    // metadata fields we promise beyond the required ones
    const meta = (await call(s.url, 'GET', '/v2/models/credit-risk/versions/1.0.0')).body as { versions: string[]; inputs: unknown[]; outputs: { name: string }[] };
    expect(meta.versions).toEqual(['1.0.0']);
    expect(meta.inputs).toHaveLength(12);
    expect(meta.outputs.map((o) => o.name)).toEqual(['probability', 'label']);
  });

  it('inference requests and responses (200 and errors) are valid, versioned and unversioned', async () => {
    const req = validator('#/components/schemas/inference_request');
    const bodies = [tensorRequest([applicant(0), applicant(1)], 'c-1'), jsonRowsRequest([applicant(3)], 'c-2'), { ...tensorRequest([applicant(0)]), outputs: [{ name: 'probability' }] }];
    for (const body of bodies) {
      expect(req(body), JSON.stringify(req.errors)).toBe(true);
      for (const path of ['/v2/models/credit-risk/infer', '/v2/models/credit-risk/versions/1.0.0/infer']) {
        const r = await call(s.url, 'POST', path, body);
        expect(r.status).toBe(200);
        check(path, 'POST', 200, r.body);
        expect((r.body as { model_version: string }).model_version).toBe('1.0.0');
      }
    }
    const errors: [string, unknown, number][] = [
      ['/v2/models/credit-risk/infer', { inputs: [{ name: 'income', shape: [3], datatype: 'FP64', data: [1] }] }, 400],
      ['/v2/models/credit-risk/versions/1.0.0/infer', 'not json', 400],
      ['/v2/models/nope/infer', tensorRequest([applicant(0)]), 404],
      ['/v2/models/credit-risk/versions/0.0.1/infer', tensorRequest([applicant(0)]), 404],
    ];
    for (const [path, body, status] of errors) {
      const r = await call(s.url, 'POST', path, body);
      expect(r.status).toBe(status);
      check(path, 'POST', status, r.body);
    }
    for (const path of ['/v2/models/nope', '/v2/models/nope/ready', '/v2/models/credit-risk/versions/0.0.1']) {
      const r = await call(s.url, 'GET', path);
      expect(r.status).toBe(404);
      check(path, 'GET', 404, r.body);
    }
  });

  it("values past their datatype's range are schema-valid requests, answered 400 naming the input, element and range", async () => {
    const req = validator('#/components/schemas/inference_request');
    for (const [name, datatype, raw, message] of OUT_OF_RANGE) {
      const text = tensorText(name, datatype, raw, 'range');
      expect(req(JSON.parse(text)), `${datatype} ${raw}`).toBe(true);
      const path = '/v2/models/credit-risk/infer';
      const r = await call(s.url, 'POST', path, text);
      expect([r.status, r.body], `${datatype} ${raw}`).toEqual([400, { error: message }]);
      check(path, 'POST', 400, r.body);
    }
  });

  it('parameters.content_type: the values that mean what we do are read as the plain request, the others are a 400 naming what is read', async () => {
    const req = validator('#/components/schemas/inference_request');
    const path = '/v2/models/credit-risk/infer';
    const plain = (await call(s.url, 'POST', path, tensorRequest([applicant(0)], 'ct'))).body;
    for (const [request, inputs] of CONTENT_TYPE_OK) {
      const body = contentTyped(request, inputs, 'ct');
      expect(req(body)).toBe(true);
      const r = await call(s.url, 'POST', path, body);
      expect([r.status, r.body], JSON.stringify([request, inputs])).toEqual([200, plain]);
    }
    for (const [request, inputs, message] of CONTENT_TYPE_REFUSED) {
      const body = contentTyped(request, inputs, 'ct');
      expect(req(body)).toBe(true);
      const r = await call(s.url, 'POST', path, body);
      expect([r.status, r.body]).toEqual([400, { error: message }]);
      check(path, 'POST', 400, r.body);
    }
  });

  it("the spec's own request examples validate, and our stricter checks catch what its schema does not (shape × data length)", async () => {
    const req = validator('#/components/schemas/inference_request');
    const examples = doc.components.schemas.inference_request['x-examples']!;
    const first = examples['Example 1'] as { inputs: { name: string; shape: number[]; datatype: string; data: unknown[] }[] };
    expect(req(first)).toBe(true);
    // its input1 says shape [3] but holds one element: schema-valid, yet our decoder refuses it precisely
    const bad = { inputs: [{ ...first.inputs[1], name: 'has_cosigner' }] };
    expect(req(bad)).toBe(true);
    const r = await call(s.url, 'POST', '/v2/models/credit-risk/infer', bad);
    expect(r.status).toBe(400);
    expect((r.body as { error: string }).error).toBe('inputs[0] (has_cosigner): shape [3] holds 3 elements but data has 1');
    // a datatype outside the OIP list is schema-valid (a free string) but refused
    const odd = { inputs: [{ name: 'income', shape: [1], datatype: 'FLOAT64', data: [1] }] };
    expect(req(odd)).toBe(true);
    expect((await call(s.url, 'POST', '/v2/models/credit-risk/infer', odd)).status).toBe(400);
  });
});
