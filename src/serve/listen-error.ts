/** Why `slipway serve` cannot listen where it was told to, as an error the user can act on (exit 2, no stack trace). */
import { UsageError } from '../errors.js';

export function listenError(e: NodeJS.ErrnoException, host: string, port: number): UsageError {
  const where = `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return new UsageError(`${where}: the port is already in use (another server, or another slipway serve?); choose another --port, or --port 0 for a free one`);
    case 'EACCES':
      return new UsageError(`${where}: permission denied (ports below 1024 need privileges); choose a --port from 1024 up`);
    case 'EADDRNOTAVAIL':
      return new UsageError(`${where}: no network interface of this machine has the address ${host}; use --host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new UsageError(`${where}: --host '${host}' is not an address and does not resolve; give an IP address such as 127.0.0.1 or 0.0.0.0`);
    default:
      return new UsageError(`${where}: ${e.message}`);
  }
}
