import type { Server, Socket } from 'node:net';

/** how long after a client's last new connection the set of connections counts as settled (ms) */
export const SETTLED_AFTER_MS = 1000;

/**
 * The server's open client connections and its inference requests in flight, for the dynamic batcher: over
 * HTTP/1.1 a connection carries one request at a time, so once every open connection has a request in
 * flight and no connection is being added, no other request can arrive before some answer goes out, and
 * waiting to gather a bigger batch only adds the wait (a client scoring rows one after the other would get
 * one answer per batch interval). A client that is still opening connections (a pool growing under load, a
 * generator of independent requests) may open another at once, so for SETTLED_AFTER_MS after a new
 * connection the batcher paces as usual. The counts live in a SharedArrayBuffer so that a batcher on an
 * inference thread reads them too; the event loop is their only writer.
 */
export class ClientGauge {
  private readonly counts: Int32Array;
  /** Date.now() at the last new connection (the same clock on every thread) */
  private readonly lastOpened: Float64Array;

  constructor(readonly shared = new SharedArrayBuffer(16)) {
    this.counts = new Int32Array(shared, 0, 2);
    this.lastOpened = new Float64Array(shared, 8, 1);
  }

  /** open client connections */
  get connections(): number {
    return this.counts[0];
  }

  /** inference requests between their headers and their answer */
  get inflight(): number {
    return this.counts[1];
  }

  /** counts a server's client connections from now on */
  watch(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.opened();
      socket.once('close', () => this.closed());
    });
  }

  opened(now = Date.now()): void {
    this.counts[0]++;
    this.lastOpened[0] = now;
  }

  closed(): void {
    this.counts[0]--;
  }

  /** an inference request started; returns how many are now in flight */
  started(): number {
    return ++this.counts[1];
  }

  /** an inference request was answered; returns how many are still in flight */
  finished(): number {
    return --this.counts[1];
  }

  /**
   * Whether another request may still arrive without waiting for an answer: some open connection has none
   * in flight, or a connection was opened in the last SETTLED_AFTER_MS (another may follow).
   */
  canGather(now = Date.now()): boolean {
    return this.counts[0] > this.counts[1] || now - this.lastOpened[0] < SETTLED_AFTER_MS;
  }
}
