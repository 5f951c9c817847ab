import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFromRows } from '../../src/model/features.js';
import { openSession } from '../../src/model/session.js';
import { fnv1a } from '../../src/serve/deployment.js';
import { SETTLED_AFTER_MS } from '../../src/serve/client-gauge.js';
import { hashValue } from '../../src/serve/log-writer.js';
import type { PredictionLogRecord } from '../../src/serve/prediction-log.js';
import { startServe, type RunningServer } from '../../src/serve/serve.js';
import type { ServeStatus } from '../../src/serve/status.js';
import { loadModel } from '../../src/spec/model.js';
import { applicant, call, jsonRowsRequest, tensorRequest } from './client.js';
import { buildWorld, ENV, git, type World } from './fixtures.js';

let w: World;
let s: RunningServer;
const lines: string[] = [];
const logsDir = () => join(w.root, 'logs');
const infer = (body: unknown, path = '/v2/models/credit-risk/infer', headers: Record<string, string> = {}) => call(s.url, 'POST', path, body, headers);
const reconcile = async () => (await call(s.url, 'POST', '/-/reconcile?wait=true')).body as ServeStatus;
const prob = (r: { body: unknown }) => ((r.body as { outputs: { name: string; data: number[] }[] }).outputs.find((o) => o.name === 'probability')!.data);
const version = (r: { body: unknown }) => (r.body as { model_version: string }).model_version;

beforeAll(async () => {
  w = await buildWorld({ l2s: [1, 300], serve: '  log_sample_rate: 1.0\n  log_sensitive: hash' });
  w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'promote 1.0.0');
  s = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, logs: logsDir(), log: (l) => lines.push(l) });
});

afterAll(async () => {
  await s?.stop(5000);
  if (w) rmSync(w.root, { recursive: true, force: true });
});

describe('serve: reconcile from git and answer OIP v2', () => {
  it('starts Synced and Ready with the pinned version loaded at the branch head', async () => {
    const head = git(w.work, 'rev-parse', 'HEAD').trim();
    const st = (await call(s.url, 'GET', '/-/status')).body as ServeStatus;
    expect(st.sync).toMatchObject({ status: 'Synced', desiredCommit: head, appliedCommit: head });
    expect(st.sync.models['credit-risk']).toMatchObject({ status: 'Synced', loaded: { primary: { version: '1.0.0', digest: w.packages[0].digest } } });
    expect(st.health).toEqual({ status: 'Ready' });
    expect(st.models['credit-risk'].state).toBe('Loaded');
    expect((await call(s.url, 'GET', '/v2/health/ready')).status).toBe(200);
    expect((await call(s.url, 'GET', '/v2/health/live')).status).toBe(200);
    expect((await call(s.url, 'GET', '/v2/models/credit-risk/ready')).status).toBe(200);
    expect((await call(s.url, 'GET', '/v2/models/credit-risk/versions/1.0.0/ready')).status).toBe(200);
  });

  it('answers raw tensors and JSON rows with the same probabilities as a direct ORT session on the package', async () => {
    const rows = [applicant(0), applicant(1), applicant(2)];
    const a = await infer(tensorRequest(rows, 'req-1'));
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ model_name: 'credit-risk', model_version: '1.0.0', id: 'req-1' });
    const b = await infer(jsonRowsRequest(rows));
    expect(b.status).toBe(200);
    expect(prob(b)).toEqual(prob(a));
    // the reference: the same package scored directly
    const model = await loadModel(w.work, 'credit-risk');
    const session = await openSession(join(w.packages[0].dir, 'model.onnx'), { provider: 'cpu', features: model.features, contract: model.schema, task: 'binary-classification', notice: () => {} });
    const direct = await session.predict(batchFromRows(rows, model.features, model.schema));
    await session.close();
    expect(prob(a)).toEqual(Array.from(direct.values));
    const labels = (a.body as { outputs: { name: string; data: number[] }[] }).outputs.find((o) => o.name === 'label')!.data;
    expect(labels).toEqual(Array.from(direct.values).map((p) => (p >= 0.5 ? 1 : 0)));
    // [N, 1] shapes and nested data are accepted too
    const nested = tensorRequest([applicant(0)]) as { inputs: { shape: number[]; data: unknown[] }[] };
    for (const i of nested.inputs) {
      i.shape = [1, 1];
      i.data = [i.data];
    }
    expect(prob(await infer(nested))).toEqual([prob(a)[0]]);
    // requesting one output returns only it
    const only = await infer({ ...tensorRequest([applicant(0)]), outputs: [{ name: 'label' }] });
    expect((only.body as { outputs: { name: string }[] }).outputs.map((o) => o.name)).toEqual(['label']);
    // an empty list asks for no particular output: every one comes back (as from Triton and KServe)
    const all = await infer({ ...tensorRequest([applicant(0)]), outputs: [] });
    expect((all.body as { outputs: { name: string }[] }).outputs.map((o) => o.name)).toEqual(['probability', 'label']);
  });

  it('rejects malformed requests with 400 and a precise message', async () => {
    const cases: [unknown, RegExp][] = [
      ['{"inputs": [', /^malformed JSON body at line 1, column 13: the text ends before the JSON value does$/],
      ['', /^the request body is empty: expected a JSON object/],
      [Buffer.from('\ufeff{"inputs": []}'), /^malformed JSON body: it starts with a byte order mark \(EF BB BF\)/],
      ['{"inputs": [{"name": "income", "shape": [1],\n "datatype": "FP64", "data": [NaN]}]}', /^malformed JSON body at line 2, column 31: unexpected 'N': NaN and Infinity are not JSON .*send null for a missing value$/],
      [{ id: 3, inputs: [] }, /^id: expected a string, got number 3/],
      [{}, /^inputs: required field is missing/],
      [{ inputs: [{ name: 'income', shape: [2], datatype: 'FP64', data: [1] }] }, /inputs\[0\] \(income\): shape \[2\] holds 2 elements but data has 1/],
      [{ inputs: [{ name: 'income', shape: [1], datatype: 'FLOAT', data: [1] }] }, /inputs\[0\]\.datatype: expected one of BOOL, .*got the string "FLOAT"/],
      [{ inputs: [{ name: 'region', shape: [1], datatype: 'FP32', data: [1] }] }, /column 'region' is string in the data contract; expected BYTES, got FP32/],
      [{ inputs: [{ name: 'income', shape: [1], datatype: 'FP64', data: ['x'] }] }, /inputs\[0\] \(income\)\.data\[0\]: expected a number for datatype FP64, got the string "x"/],
      [{ inputs: [{ name: 'credit_lines', shape: [1], datatype: 'INT8', data: [300] }] }, /300 is out of range for datatype INT8/],
      [{ inputs: [{ name: 'nope', shape: [1], datatype: 'FP64', data: [1] }] }, /inputs\[0\] \(nope\): unknown input; expected inputs named after the feature columns/],
      [{ inputs: [{ name: 'income', shape: [1, 2], datatype: 'FP64', data: [1, 2] }] }, /expected \[N\] or \[N, 1\] for a column input/],
      [{ inputs: [{ name: 'income', shape: [1], datatype: 'FP64', data: [1] }] }, /inputs: missing feature columns 'debt_ratio', /],
      [jsonRowsRequest([{ ...applicant(0), income: 'lots' }]), /inputs\[0\] \(rows\)\.data\[0\]\.income: column 'income' is number in the data contract, got the string "lots"/],
      [{ ...tensorRequest([applicant(0)]), outputs: [{ name: 'logits' }] }, /outputs: unknown output 'logits'; this binary-classification model has probability, label/],
    ];
    for (const [body, message] of cases) {
      const r = await infer(body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect((r.body as { error: string }).error).toMatch(message);
    }
    // nested data must follow the shape, or rows would shift onto other inputs; the walk is as deep as the shape, not the data
    const three = tensorRequest([applicant(0), applicant(1), applicant(2)]) as { inputs: { name: string; shape: number[]; data: unknown[] }[] };
    const nested = (data: unknown, shape: number[]) => ({ ...three, inputs: three.inputs.map((inp, k) => (k === 0 ? { ...inp, shape, data } : inp)) });
    const shapes: [unknown, number[], string][] = [
      [[[42000, 1], [2], [3]], [3, 1], 'inputs[0] (income).data[0]: expected an array of 1 (shape [3,1]), got an array of 2'],
      [[[42000], [1, 2]], [3], 'inputs[0] (income).data: nested data holds 2 elements at its first level, but shape [3] says 3'],
      [[[42000], [1], [2]], [3], 'inputs[0] (income).data[0]: expected a value, got an array: the data is nested deeper than shape [3]'],
      [[[[1]], [[2]], [[3]]], [3, 1], 'inputs[0] (income).data[0][0]: expected a value, got an array: the data is nested deeper than shape [3,1]'],
    ];
    for (const [data, shape, message] of shapes) {
      const r = await infer(nested(data, shape));
      expect([r.status, (r.body as { error: string }).error]).toEqual([400, message]);
    }
    // 8,000 levels (a 16 KB body): JSON.stringify, like a recursive walk, would overflow the stack, so the text is built
    const deepText = (data: unknown) => JSON.stringify(nested(data, [3, 1])).replace('"DEEP"', '['.repeat(8000) + '1' + ']'.repeat(8000));
    for (const [data, message] of [
      ['DEEP', 'inputs[0] (income).data: nested data holds 1 elements at its first level, but shape [3,1] says 3'],
      [['DEEP', [2], [3]], 'inputs[0] (income).data[0][0]: expected a value, got an array: the data is nested deeper than shape [3,1]'],
    ] as [unknown, string][]) {
      const deep = await infer(deepText(data));
      expect([deep.status, (deep.body as { error: string }).error]).toEqual([400, message]);
    }
    // Triton's binary tensor data (tritonclient's default): named as such, not as malformed JSON or a missing field
    const header = JSON.stringify({ inputs: [{ name: 'income', shape: [1], datatype: 'FP64', parameters: { binary_data_size: 8 } }] });
    const binary = Buffer.concat([Buffer.from(header), Buffer.from(new Float64Array([42000]).buffer)]);
    for (const [body, headers, field] of [
      [binary, { 'inference-header-content-length': String(header.length), 'content-type': 'application/octet-stream' }, ''],
      [header, {}, 'inputs[0].parameters.binary_data_size: '],
    ] as [string | Buffer, Record<string, string>, string][]) {
      const r = await infer(body, undefined, headers);
      expect(r.status).toBe(400);
      expect((r.body as { error: string }).error.startsWith(`${field}binary tensor data (Triton's binary data extension) is not supported: send each input's values as JSON in its 'data'`)).toBe(true);
    }
    const long = await infer(tensorRequest([applicant(0)], 'x'.repeat(1025)));
    expect([long.status, (long.body as { error: string }).error]).toEqual([400, 'id: at most 1024 characters, got 1025']);
    // the header's id is echoed as the body's is, so it has the same limit
    const longHeader = await infer(tensorRequest([applicant(0)]), undefined, { 'x-request-id': 'x'.repeat(1025) });
    expect([longHeader.status, (longHeader.body as { error: string }).error]).toEqual([400, 'the x-request-id header: at most 1024 characters, got 1025']);
    const rows = tensorRequest([applicant(0), applicant(1)]) as { inputs: { name: string; shape: number[]; data: unknown[] }[] };
    rows.inputs[1].shape = [1];
    rows.inputs[1].data = [0.1];
    expect(((await infer(rows)).body as { error: string }).error).toMatch(/inputs\[1\] \(debt_ratio\)\.shape: 1 rows, but earlier inputs have 2/);
  });

  it('echoes any string id: exact in the body, percent-encoded in x-request-id where a header cannot carry it', async () => {
    for (const [id, header] of [
      ['req-42 ok', 'req-42 ok'],
      ['日本', '%E6%97%A5%E6%9C%AC'],
      ['a\r\nX-Evil: 1', 'a%0D%0AX-Evil:%201'],
      ['\u0000%\u007f', '%00%25%7F'],
      ['\ud800', '%EF%BF%BD'],
    ]) {
      const r = await infer(tensorRequest([applicant(0)], id));
      expect(r.status, id).toBe(200);
      expect((r.body as { id: string }).id).toBe(id);
      expect(r.headers['x-request-id']).toBe(header);
      expect(r.headers['x-evil']).toBeUndefined();
    }
  });

  it('answers 404 for unknown models, versions and routes, 405 for wrong methods, 413 for oversized bodies', async () => {
    const r = await infer(tensorRequest([applicant(0)]), '/v2/models/nope/infer');
    expect(r.status).toBe(404);
    expect((r.body as { error: string }).error).toBe("model 'nope' not found; this server serves credit-risk");
    const v = await infer(tensorRequest([applicant(0)]), '/v2/models/credit-risk/versions/7.0.0/infer');
    expect(v.status).toBe(404);
    expect((v.body as { error: string }).error).toMatch(/has no version '7.0.0'; loaded: 1.0.0/);
    const wrong = await call(s.url, 'GET', '/v2/models/credit-risk/infer');
    expect([wrong.status, wrong.headers.allow]).toEqual([405, 'POST']);
    const post = await call(s.url, 'POST', '/v2/health/ready');
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    // HEAD answers every GET route with its headers and no body (curl -I, some load balancers' probes)
    for (const path of ['/v2/health/ready', '/v2/health/live', '/v2', '/v2/models/credit-risk', '/v2/models/credit-risk/ready', '/-/status', '/metrics']) {
      const [get, head] = [await call(s.url, 'GET', path), await call(s.url, 'HEAD', path)];
      expect([head.status, head.text, head.headers['content-type']], path).toEqual([get.status, '', get.headers['content-type']]);
    }
    expect((await call(s.url, 'HEAD', '/v2/models/credit-risk/infer')).status).toBe(405);
    expect((await call(s.url, 'GET', '/v3')).status).toBe(404);
    // the protocol lists no models, but a newcomer asks for the list first: the 404 names them
    for (const path of ['/v2/models', '/v2/models/']) {
      const list = await call(s.url, 'GET', path);
      expect([list.status, (list.body as { error: string }).error]).toEqual([404, `no route for GET ${path}: the Open Inference Protocol has no list of models; this server serves credit-risk (GET /v2/models/{name} for one's metadata, GET /-/status for all)`]);
    }
    const big = JSON.stringify({ inputs: [{ name: 'income', shape: [1], datatype: 'FP64', data: [1] }], pad: 'x'.repeat((1 << 20) + 10) });
    const t = await infer(big);
    expect(t.status).toBe(413);
    expect((t.body as { error: string }).error).toMatch(/over the limit of 1048576 bytes \(--max-body\)/);
  });

  it('an environment the branch has no manifest for is Degraded with the environments it has and the nearest one', async () => {
    for (const [env, tail] of [
      [ENV.slice(0, -1), `; its environments: ${ENV} (did you mean --env ${ENV}?)`],
      ['qa', `; its environments: ${ENV}`],
    ]) {
      const t = await startServe({ environment: env, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath });
      try {
        const commit = git(w.remote, 'rev-parse', 'refs/heads/main').trim();
        expect(t.reconciler.status().health).toEqual({ status: 'Degraded', reason: `environments/${env}.yaml does not exist at ${commit.slice(0, 12)} (branch main)${tail}` });
      } finally {
        await t.stop(5000);
      }
    }
  });

  it('splits canary traffic by hash(id) mod 100 < weight and reports the answering version', async () => {
    w.pin({ 'credit-risk': { pkg: w.packages[0], canary: { pkg: w.packages[1], weight: 30 } } }, 'canary 1.1.0 at 30%');
    const st = await reconcile();
    expect(st.sync.status).toBe('Synced');
    expect(st.sync.models['credit-risk'].loaded?.canary).toMatchObject({ version: '1.1.0', weight: 30 });
    let canary = 0;
    for (let i = 0; i < 60; i++) {
      const id = `user-${i}`;
      const r = await infer(tensorRequest([applicant(1)], id));
      const expected = fnv1a(id) % 100 < 30 ? '1.1.0' : '1.0.0';
      expect(version(r)).toBe(expected);
      if (expected === '1.1.0') canary++;
      // deterministic: the same id lands on the same version (x-request-id header works the same)
      const again = await infer(tensorRequest([applicant(1)]), undefined, { 'x-request-id': id });
      expect(version(again)).toBe(expected);
    }
    expect(canary).toBeGreaterThan(5);
    expect(canary).toBeLessThan(40);
    // the two versions really are different models
    const p0 = prob(await infer(tensorRequest([applicant(1)]), '/v2/models/credit-risk/versions/1.0.0/infer'))[0];
    const p1 = prob(await infer(tensorRequest([applicant(1)]), '/v2/models/credit-risk/versions/1.1.0/infer'))[0];
    expect(Math.abs(p0 - p1)).toBeGreaterThan(1e-3);
    const meta = (await call(s.url, 'GET', '/v2/models/credit-risk')).body as { versions: string[] };
    expect(meta.versions).toEqual(['1.0.0', '1.1.0']);
  });

  it('runs the shadow after the primary answered and logs paired outputs; sensitive columns hashed', async () => {
    w.pin({ 'credit-risk': { pkg: w.packages[0], shadow: w.packages[1] } }, 'shadow 1.1.0');
    await reconcile();
    const ids = ['sh-1', 'sh-2', 'sh-3'];
    for (const id of ids) expect(version(await infer(tensorRequest([applicant(2)], id)))).toBe('1.0.0');
    await s.http.shadow.idle();
    await s.logs!.flush();
    const records: PredictionLogRecord[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else for (const l of readFileSync(join(d, e.name), 'utf8').split('\n')) if (l) records.push(JSON.parse(l) as PredictionLogRecord);
      }
    };
    walk(logsDir());
    expect(readdirSync(join(logsDir(), 'credit-risk'))[0]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const id of ids) {
      const pair = records.filter((r) => r.request_id === id);
      expect(pair.map((r) => `${r.role}:${r.version}`).sort()).toEqual(['primary:1.0.0', 'shadow:1.1.0']);
      expect(pair[0].inputs.sex).toBe(hashValue('F'));
      expect(pair[0].inputs.income).toBe(applicant(2).income);
      expect(pair[0].prediction).not.toEqual(pair[1].prediction);
    }
    // a request of several rows logs one record per row as <id>#<i>
    await infer(tensorRequest([applicant(0), applicant(1)], 'multi'));
    await s.logs!.flush();
    records.length = 0;
    walk(logsDir());
    expect(records.filter((r) => r.request_id.startsWith('multi#') && r.role === 'primary').map((r) => r.request_id)).toEqual(['multi#0', 'multi#1']);
  });

  it('a failed load keeps the previous version serving, reports Degraded, and is not retried at the same commit', async () => {
    const good = w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'back to 1.0.0 only');
    await reconcile();
    w.pin({ 'credit-risk': { pkg: w.broken } }, 'promote the broken 9.9.9');
    const before = lines.filter((l) => l.includes('loading credit-risk 9.9.9')).length;
    const st = await reconcile();
    expect(st.health.status).toBe('Degraded');
    expect(st.health.reason).toMatch(/credit-risk 9\.9\.9 .*smoke test gave 7, not a probability/);
    expect(st.models['credit-risk']).toMatchObject({ state: 'FailedToLoad' });
    expect(st.sync).toMatchObject({ status: 'OutOfSync', appliedCommit: good });
    expect(st.sync.models['credit-risk'].loaded?.primary.version).toBe('1.0.0');
    expect(version(await infer(tensorRequest([applicant(0)])))).toBe('1.0.0');
    expect((await call(s.url, 'GET', '/v2/health/ready')).status).toBe(200);
    // the same (commit, digest) is not tried again
    await reconcile();
    await reconcile();
    expect(lines.filter((l) => l.includes('loading credit-risk 9.9.9')).length).toBe(before + 1);
    // a digest missing from the store is a clear failure as well
    const missing = { ...w.packages[0], version: '2.0.0', digest: `sha256:${'0'.repeat(64)}` };
    w.pin({ 'credit-risk': { pkg: missing } }, 'pin a digest nobody published');
    expect((await reconcile()).health.reason).toMatch(/sha256:0{64} is not in the store/);
    // git revert of the bad commits = rollback: Synced and Ready again
    git(w.work, 'revert', '--no-edit', 'HEAD', 'HEAD~1');
    git(w.work, 'push', '--quiet', 'origin', 'main');
    const back = await reconcile();
    expect(back.health).toEqual({ status: 'Ready' });
    expect(back.sync.status).toBe('Synced');
    const metrics = (await call(s.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/slipway_reconcile_total\{result="failed"\} [1-9]/);
    expect(metrics).toMatch(/slipway_model_loaded_info\{model="credit-risk",version="1.0.0",digest="sha256:[0-9a-f]{64}",role="primary"\} 1/);
    expect(metrics).toMatch(/slipway_inference_requests_total\{model="credit-risk",version="1.0.0",code="200"\} \d+/);
    expect(metrics).toMatch(/slipway_inference_requests_total\{model="credit-risk",version="",code="400"\} \d+/);
    expect(metrics).toMatch(/slipway_inference_duration_seconds_bucket\{le="0.005",model="credit-risk",version="1.1.0"\} \d+/);
    expect(metrics).not.toMatch(/version="9.9.9"/);
    // names from URLs never become label values (404s are counted under _unknown)
    expect(metrics).toMatch(/slipway_inference_requests_total\{model="_unknown",version="",code="404"\} [1-9]/);
    expect(metrics).not.toMatch(/model="nope"|version="7.0.0"/);
  });

  it('a model removed from the manifest is unloaded; an invalid manifest is Degraded with its location', async () => {
    w.pin(null, 'remove credit-risk');
    const st = await reconcile();
    expect(st.models).toEqual({});
    expect(st.sync.status).toBe('Synced');
    const r = await infer(tensorRequest([applicant(0)]));
    expect(r.status).toBe(404);
    expect((r.body as { error: string }).error).toBe("model 'credit-risk' not found; this server serves no models");
    const bad = join(w.work, 'environments', `${ENV}.yaml`);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, 'apiVersion: slipway/v1\nkind: Environment\nname: staging\npromotion: sometimes\n');
    git(w.work, 'commit', '--quiet', '-am', 'broken manifest');
    git(w.work, 'push', '--quiet', 'origin', 'main');
    const d = await reconcile();
    expect(d.health.status).toBe('Degraded');
    expect(d.health.reason).toMatch(/invalid manifest at [0-9a-f]{12}: environments\/staging\.yaml@[0-9a-f]{12}:4:12: \/promotion: expected one of "pull-request", "push"/);
    w.pin({ 'credit-risk': { pkg: w.packages[1] } }, 'promote 1.1.0');
    const ok = await reconcile();
    expect(ok.health.status).toBe('Ready');
    expect(version(await infer(tensorRequest([applicant(0)])))).toBe('1.1.0');
  });
});

describe('serve: signed webhook', () => {
  it('with SLIPWAY_WEBHOOK_SECRET, POST /-/reconcile needs the X-Hub-Signature-256 HMAC of the body', async () => {
    const secret = 'webhook-secret-for-tests';
    const s3 = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, env: { SLIPWAY_WEBHOOK_SECRET: secret } });
    try {
      const payload = JSON.stringify({ ref: 'refs/heads/main' });
      const bad = await call(s3.url, 'POST', '/-/reconcile', payload, { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) });
      expect(bad.status).toBe(401);
      expect((bad.body as { error: string }).error).toMatch(/webhook signature missing or wrong/);
      expect((await call(s3.url, 'POST', '/-/reconcile', payload)).status).toBe(401);
      const sig = 'sha256=' + createHmac('sha256', secret).update(payload).digest('hex');
      const ok = await call(s3.url, 'POST', '/-/reconcile?wait=true', payload, { 'x-hub-signature-256': sig });
      expect(ok.status).toBe(200);
      expect((ok.body as ServeStatus).lastReconcile?.trigger).toBe('webhook');
    } finally {
      await s3.stop(1000);
    }
  });
});

describe('serve: overload and shutdown', () => {
  /** Opens an infer request and sends only part of its body: it stays in flight until finish() is called. */
  function pending(url: string): { finish: () => Promise<{ status: number; body: string }>; reply: Promise<{ status: number; body: string }> } {
    const body = JSON.stringify(tensorRequest([applicant(0)]));
    let resolveReply!: (r: { status: number; body: string }) => void;
    const reply = new Promise<{ status: number; body: string }>((r) => (resolveReply = r));
    const req = request(url + '/v2/models/credit-risk/infer', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolveReply({ status: res.statusCode ?? 0, body: t }));
    });
    // a server that answers before the body is done closes the connection under the rest of it
    req.on('error', () => {});
    req.flushHeaders();
    req.write(body.slice(0, 10));
    return {
      reply,
      finish: () => {
        req.end(body.slice(10));
        return reply;
      },
    };
  }

  it('answers 408 to a body that does not arrive in time (freeing its slot), 415 to a compressed one, and JSON to HTTP it cannot parse', async () => {
    const s3 = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, bodyTimeoutMs: 1000 });
    try {
      const started = Date.now();
      const slow = pending(s3.url);
      const r = await slow.reply;
      expect(r.status).toBe(408);
      expect(JSON.parse(r.body).error).toMatch(/^the request body did not arrive within 1 s \(10 bytes received of \d+\)$/);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(s3.http.clients.inflight).toBe(0);
      const gz = await call(s3.url, 'POST', '/v2/models/credit-risk/infer', tensorRequest([applicant(0)]), { 'content-encoding': 'gzip' });
      expect([gz.status, (gz.body as { error: string }).error]).toEqual([415, "content-encoding 'gzip' is not supported: send the body uncompressed"]);
      const raw = await new Promise<string>((resolve, reject) => {
        const sock = connect(s3.port, '127.0.0.1', () => sock.write('POST /v2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'));
        let t = '';
        sock.on('data', (c) => (t += c));
        sock.on('end', () => resolve(t));
        sock.on('error', reject);
      });
      const [head, text] = raw.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(head).toContain('content-type: application/json');
      expect(JSON.parse(text).error).toMatch(/^malformed HTTP request \(HPE_/);
    } finally {
      await s3.stop(1000);
    }
  });

  it('answers 503 + Retry-After beyond --max-inflight, and drains in-flight requests on shutdown', async () => {
    const s2 = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, maxInflight: 2 });
    try {
      const opening = Date.now();
      const a = pending(s2.url);
      const b = pending(s2.url);
      for (let i = 0; i < 500 && s2.http.clients.inflight < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(s2.http.clients.inflight).toBe(2);
      // the batchers' view (client-gauge.ts): both open connections wait for an answer, so once no new
      // connection has come for a while, no other request can come (times given: however slow the wait above)
      const settled = Date.now() + SETTLED_AFTER_MS;
      expect([s2.http.clients.connections, s2.http.clients.canGather(opening), s2.http.clients.canGather(settled)]).toEqual([2, true, false]);
      const over = await call(s2.url, 'POST', '/v2/models/credit-risk/infer', tensorRequest([applicant(0)]));
      expect(over.status).toBe(503);
      expect([s2.http.clients.connections, s2.http.clients.inflight, s2.http.clients.canGather(settled + 2 * SETTLED_AFTER_MS)]).toEqual([3, 2, true]);
      expect(over.headers['retry-after']).toBe('1');
      expect((over.body as { error: string }).error).toMatch(/server overloaded: 2 requests in flight \(--max-inflight 2\)/);
      // health and status are never refused
      expect((await call(s2.url, 'GET', '/v2/health/live')).status).toBe(200);
      // the version the drained requests must report: whatever the branch head pins (earlier tests in this file promote)
      const serving = ((await call(s2.url, 'GET', '/-/status')).body as ServeStatus).sync.models['credit-risk'].loaded?.primary.version;
      expect(serving).toMatch(/^1\.[01]\.0$/);
      // SIGTERM path: stop accepting, let the two in-flight requests finish
      const stopping = s2.stop(10_000);
      await new Promise((r) => setTimeout(r, 50));
      const [ra, rb] = await Promise.all([a.finish(), b.finish()]);
      expect([ra.status, rb.status]).toEqual([200, 200]);
      expect([JSON.parse(ra.body).model_version, JSON.parse(rb.body).model_version]).toEqual([serving, serving]);
      expect(await stopping).toEqual({ drained: true });
      expect([s2.http.clients.connections, s2.http.clients.inflight]).toEqual([0, 0]);
      await expect(call(s2.url, 'GET', '/v2/health/live')).rejects.toThrow();
    } finally {
      await s2.stop(1000);
    }
  });
});
