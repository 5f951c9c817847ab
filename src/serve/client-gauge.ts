import type { Server, Socket } from 'node:net';

/**
 * The server's open client connections and its inference requests in flight, for the dynamic batcher: over
 * HTTP/1.1 a connection carries one request at a time, so once every open connection has a request in
 * flight, no other request can arrive before some answer goes out, and waiting to gather a bigger batch
 * only adds the wait (a client scoring rows one after the other would get one answer per batch interval).
 * The counts live in a SharedArrayBuffer so that a batcher on an inference thread reads them too; the event
 * loop is their only writer.
 */
export class ClientGauge {
  private readonly counts: Int32Array;

  constructor(readonly shared = new SharedArrayBuffer(8)) {
    this.counts = new Int32Array(shared);
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

  opened(): void {
    this.counts[0]++;
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

  /** Whether a request may still arrive without waiting for an answer: some open connection has none in flight. */
  get canGather(): boolean {
    return this.counts[0] > this.counts[1];
  }
}
