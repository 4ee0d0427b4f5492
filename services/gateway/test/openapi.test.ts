/** The OpenAPI document describes exactly the routes the server registers, and every error status. */
import { ErrorCode } from '@yolomq/protocol';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { parseGatewayConfig } from '../src/config.js';
import { HTTP_STATUS_BY_CODE } from '../src/errors-http.js';
import { openApiDocument } from '../src/openapi.js';

/** Files of the dashboard page: served, but not API. */
const ASSETS = new Set(['/app.js', '/charts.js', '/style.css', '/favicon.svg']);

describe('openapi.json', () => {
  it('documents every route the gateway registers, and only those', async () => {
    const parsed = parseGatewayConfig({});
    if (!parsed.ok) throw new Error(parsed.message);
    const { app, routes } = await buildApp({
      config: parsed.config,
      logger: pino({ level: 'silent' }),
      detector: {
        detect: async () => {
          throw new Error('not used');
        },
        ping: async () => 1,
        close: async () => {},
      },
      readStatus: async () => ({ ok: false, at: 0, message: 'not used' }),
      readMetrics: async () => undefined,
    });
    await app.ready();
    await app.close();

    const registered = routes
      .filter((r) => !ASSETS.has(r.url))
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    const documented = Object.entries(openApiDocument.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(registered);
  });

  it('lists every status a detection can fail with', () => {
    const responses = Object.keys(openApiDocument.paths['/v1/detect'].post.responses);
    for (const code of Object.values(ErrorCode)) {
      expect(responses, code).toContain(String(HTTP_STATUS_BY_CODE[code]));
    }
    expect(responses).toContain('415');
  });

  it('is JSON with resolvable local references', () => {
    const text = JSON.stringify(openApiDocument);
    const doc = JSON.parse(text);
    for (const [, ref] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = ref!.split('/').reduce((node: Record<string, unknown> | undefined, key) => {
        return node?.[key] as Record<string, unknown> | undefined;
      }, doc);
      expect(target, ref).toBeDefined();
    }
  });
});
