// The HTTP server: one hono app over the service (service.ts) with the OpenAI-shaped image endpoints, the
// Gemini-shaped generateContent, sessions, feedback, stored images, health/readiness/metrics and the studio.
// Tested without a socket through app.request(); `tessera serve` puts it on a port (serve.ts).
//
// Every request: a body limit (413 before the body is read), metrics by route, and one error handler that
// turns every refusal into the client's error shape with the field named (OpenAI's, or Google's under
// /v1beta), 429 with Retry-After when the model queue is full.
import { existsSync, readFileSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { packageRoot } from '../tensor/index.js';
import { contentType } from './content-types.js';
import { errorBody, errorInfo } from './http.js';
import type { Metrics } from './metrics.js';
import { geminiRoutes } from './routes/gemini.js';
import { openaiRoutes } from './routes/openai.js';
import { sessionRoutes } from './routes/sessions.js';
import type { Service } from './service.js';

export interface AppOptions {
  /** Called for every finished request (a log line). */
  log?: (line: string) => void;
}

export function createApp(service: Service, metrics: Metrics, o: AppOptions = {}): Hono {
  const app = new Hono();
  const google = (path: string) => path.startsWith('/v1beta/');

  app.use('*', async (c, next) => {
    const t0 = performance.now();
    await next();
    const route = c.req.routePath === '/*' ? 'other' : c.req.routePath;
    metrics.requests.inc({ route, method: c.req.method, status: String(c.res.status) });
    metrics.latency.observe({ route }, (performance.now() - t0) / 1000);
    if (c.res.status === 429) metrics.rateLimited.inc();
    o.log?.(`${c.req.method} ${c.req.path} ${c.res.status} ${(performance.now() - t0).toFixed(0)} ms`);
  });

  app.use(
    '*',
    bodyLimit({
      maxSize: service.limits.maxBodyBytes,
      onError: (c) =>
        c.json(
          errorBody(
            {
              status: 413,
              message: `the request body is over the limit of ${service.limits.maxBodyBytes} bytes (TESSERA_MAX_BODY_BYTES)`,
              field: null,
              code: 'body_too_large',
            },
            google(c.req.path),
          ),
          413,
        ),
    }),
  );

  app.onError((e, c) => {
    const info = errorInfo(e);
    if (info.status >= 500 && info.status !== 503 && info.status !== 504) console.error(e);
    const headers: Record<string, string> = info.retryAfter ? { 'retry-after': String(info.retryAfter) } : {};
    return c.json(errorBody(info, google(c.req.path)), info.status as 400, headers);
  });
  app.notFound((c) =>
    c.json(
      errorBody(
        { status: 404, message: `no route ${c.req.method} ${c.req.path}`, field: null, code: 'not_found' },
        google(c.req.path),
      ),
      404,
    ),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await service.store.ping();
    } catch (e) {
      return c.json({ ready: false, reason: `store ${service.store.where}: ${(e as Error).message}` }, 503);
    }
    return c.json({
      ready: true,
      models: service.models.map((m) => m.id),
      store: { kind: service.store.kind, where: service.store.where },
      queue: { depth: service.host.queueDepth, busy: service.host.busy, limit: service.limits.maxQueue },
    });
  });
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );

  openaiRoutes(app, service);
  geminiRoutes(app, service);
  sessionRoutes(app, service);
  studioRoutes(app, service);
  return app;
}

/** A file under root for a request path, or null (no path outside root is ever read). */
function fileUnder(root: string, rel: string): string | null {
  const base = resolve(root);
  const p = normalize(join(base, rel));
  if (!p.startsWith(base + sep) || !existsSync(p)) return null;
  return p;
}

/** The studio page and its bundle (web/, dist/web/), and the served models' files for in-browser inference. */
function studioRoutes(app: Hono, service: Service): void {
  const root = packageRoot();
  const send = (c: Context, file: string | null) => {
    if (!file)
      return c.json(
        errorBody({ status: 404, message: `no file ${c.req.path}`, field: null, code: 'not_found' }, false),
        404,
      );
    return c.body(readFileSync(file), 200, { 'content-type': contentType(file) });
  };
  app.get('/', (c) => send(c, fileUnder(join(root, 'web'), 'studio.html')));
  app.get('/studio/model/:id/*', (c) => {
    const m = service.model(c.req.param('id'));
    const rel = c.req.path.slice(`/studio/model/${m.id}/`.length);
    return send(c, fileUnder(m.dir, decodeURIComponent(rel)));
  });
  app.get('/studio/*', (c) => {
    const rel = decodeURIComponent(c.req.path.slice('/studio/'.length));
    return send(c, fileUnder(join(root, 'dist', 'web'), rel) ?? fileUnder(join(root, 'web'), rel));
  });
}
