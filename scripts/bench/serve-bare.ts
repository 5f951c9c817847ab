/**
 * The baseline of scripts/bench/serve.ts, run as its own process: a bare node:http server answering every
 * request with the fixed bytes of a single-row `slipway serve` answer. Prints its URL on stdout.
 * Run through tsx, which after start-up leaves plain JavaScript running: the request path is node:http's alone.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({ model_name: 'credit-risk', model_version: '1.0.0', id: 'x', parameters: { role: 'primary' }, outputs: [{ name: 'probability', datatype: 'FP64', shape: [1], data: [0.2157473381252899] }, { name: 'label', datatype: 'INT64', shape: [1], data: [0] }] });
const length = String(Buffer.byteLength(body));
const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`serving bare on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
