/**
 * The dashboard: a few static files from the package's public/ folder, read once at start-up and
 * served from memory. Only the files listed here are served, so no request path ever reaches the
 * file system. The Content-Security-Policy allows this origin only: the page cannot load anything from
 * a CDN, which is what keeps it working offline.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** services/gateway/public, from src/routes (tsx/vitest) and dist/routes (node) alike. */
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

const FILES: Array<{ route: string; file: string; type: string }> = [
  { route: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { route: '/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { route: '/charts.js', file: 'charts.js', type: 'text/javascript; charset=utf-8' },
  { route: '/style.css', file: 'style.css', type: 'text/css; charset=utf-8' },
  { route: '/favicon.svg', file: 'favicon.svg', type: 'image/svg+xml' },
];

const CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function registerDashboardRoutes(app: FastifyInstance, publicDir = PUBLIC_DIR): void {
  for (const { route, file, type } of FILES) {
    const body = readFileSync(`${publicDir}${file}`);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
    app.get(route, { logLevel: 'warn' }, async (request, reply) => {
      reply
        .header('cache-control', 'no-cache')
        .header('etag', etag)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', CSP);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type(type).send(body);
    });
  }
}
