/**
 * The broker's HTTP port (node:http, no framework): /healthz, /readyz, /metrics, /status.
 * It reads the broker through the small MonitorSource interface and changes nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Readiness {
  ready: boolean;
  reason: string;
}

export interface MonitorSource {
  /** the receive loops are running */
  healthy(): boolean;
  /** serving, and at least one live worker serves the default model */
  readiness(): Readiness;
  status(): unknown;
  metrics(): Promise<string>;
  metricsContentType: string;
}

export interface HttpServerHandle {
  host: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
}

export async function startHttpServer(host: string, port: number, source: MonitorSource): Promise<HttpServerHandle> {
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      json(res, 405, { error: 'method not allowed' });
      return;
    }
    switch (path) {
      case '/healthz': {
        const ok = source.healthy();
        json(res, ok ? 200 : 503, { status: ok ? 'ok' : 'failing' });
        return;
      }
      case '/readyz': {
        const r = source.readiness();
        json(res, r.ready ? 200 : 503, { ready: r.ready, reason: r.reason });
        return;
      }
      case '/status':
        json(res, 200, source.status());
        return;
      case '/metrics':
        source.metrics().then(
          (text) => send(res, 200, source.metricsContentType, text),
          (error: unknown) => json(res, 500, { error: `metrics failed: ${String(error)}` }),
        );
        return;
      default:
        json(res, 404, { error: `no such endpoint ${path}; try /healthz /readyz /metrics /status` });
    }
  };
  const server: Server = createServer(handle);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
