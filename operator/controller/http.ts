// The operator's own HTTP endpoints: /metrics for Prometheus, /healthz (the
// process answers) and /readyz (caches synced) for the kubelet.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0 picks a free port); without a registry it serves only the probes. */
export async function startProbeServer(
  host: string,
  port: number,
  registry: Registry | undefined,
  ready: () => boolean,
): Promise<ProbeServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    if (path === '/readyz')
      return ready() ? send(res, 200, 'text/plain', 'ok\n') : send(res, 503, 'text/plain', 'informer caches not synced\n');
    if (path === '/metrics' && registry) {
      registry.metrics().then(
        (text) => send(res, 200, registry.contentType, text),
        (err: unknown) => send(res, 500, 'text/plain', `${String(err)}\n`),
      );
      return;
    }
    send(res, 404, 'text/plain', 'not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: import('node:http').ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
