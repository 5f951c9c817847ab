/** The server's answers, written alike to node:http's ServerResponse and to the fast lane's (http-lane.ts). */
import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import type { Role } from './deployment.js';
import { headerId } from './http-route.js';

/** Where an answer goes: node:http's ServerResponse, or the lane's. */
export interface Reply {
  readonly headersSent: boolean;
  statusCode: number;
  writeHead(status: number, reason: string | undefined, headers: OutgoingHttpHeaders): unknown;
  end(text: string): unknown;
}

/** A JSON answer. `closing`: the server is shutting down, and the connection closes after it. */
export function sendJson(res: Reply, status: number, body: unknown, headers: Record<string, string>, closing: boolean): void {
  const text = JSON.stringify(body);
  // the reason phrase named: a 500 after a failed writeHead(200) would otherwise keep its "OK"
  res.writeHead(status, STATUS_CODES[status], { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...(closing ? { connection: 'close' } : {}), ...headers });
  res.end(text);
}

/** A prediction's 200, built as text directly (the same bytes as JSON.stringify of the response object): the hot path. */
export function sendPrediction(res: Reply, model: string, version: string, id: string, role: Role, outputs: string, closing: boolean): void {
  const text = `{"model_name":${JSON.stringify(model)},"model_version":${JSON.stringify(version)},"id":${JSON.stringify(id)},"parameters":{"role":"${role}"},"outputs":${outputs}}`;
  const length = Buffer.byteLength(text);
  const header = headerId(id);
  res.writeHead(200, undefined, closing ? { 'content-type': 'application/json', 'content-length': length, 'x-request-id': header, connection: 'close' } : { 'content-type': 'application/json', 'content-length': length, 'x-request-id': header });
  res.end(text);
}
