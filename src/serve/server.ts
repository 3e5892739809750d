// A running server, with or without a socket: the store opened (and migrated), the model worker started
// with the served models loaded, the app built. Tests call startServer() and app.request(); `tessera serve`
// adds listen() and a graceful shutdown: on SIGTERM/SIGINT it stops accepting connections, lets accepted
// model jobs finish (or fails them with 503 past the grace period), then closes the store.
import { basename, resolve } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { createApp } from './app.js';
import { ModelHost } from './host.js';
import { type ServeLimits, serveLimits } from './http.js';
import { Metrics } from './metrics.js';
import { Service } from './service.js';
import { openStore } from './store/index.js';
import type { Store } from './store/types.js';

export interface ServerOptions {
  /** Model checkpoint folders; the first is the default model. Ids are the folder names. */
  models: string[];
  /** A store URL (sqlite:FILE, postgres://...). */
  store: string;
  limits?: Partial<ServeLimits>;
  log?: (line: string) => void;
}

export interface Server {
  app: Hono;
  service: Service;
  metrics: Metrics;
  store: Store;
  host: ModelHost;
  /** Stops the model worker (after the accepted jobs, up to graceMs) and closes the store. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer(o: ServerOptions): Promise<Server> {
  const limits = serveLimits(o.limits);
  const models = o.models.map((dir) => ({ id: basename(resolve(dir)), dir: resolve(dir) }));
  const ids = new Set(models.map((m) => m.id));
  if (ids.size !== models.length)
    throw new Error(`two served models have the same folder name: ${o.models.join(', ')}`);
  const store = await openStore(o.store);
  const metrics = new Metrics();
  const host = new ModelHost(
    {
      models,
      maxQueue: limits.maxQueue,
      timeoutMs: limits.timeoutMs,
      maxLiveSessions: limits.maxLiveSessions,
      maxCacheBytes: limits.maxCacheBytes,
    },
    { onJob: (kind, outcome, wait, run) => metrics.onJob(kind, outcome, wait, run) },
  );
  let loaded: Awaited<ReturnType<ModelHost['start']>>;
  try {
    loaded = await host.start();
  } catch (e) {
    await store.close();
    throw e;
  }
  metrics.watch(host);
  const service = new Service(host, store, loaded, limits);
  const app = createApp(service, metrics, { log: o.log });
  return {
    app,
    service,
    metrics,
    store,
    host,
    async close(graceMs = 30_000) {
      await host.close(graceMs);
      await store.close();
    },
  };
}

/** Puts the server on a port (0 = any free one); resolves with the port once it listens. */
export function listen(
  server: Server,
  port: number,
  hostname = '127.0.0.1',
): Promise<{ port: number; http: ServerType }> {
  return new Promise((resolveListen, reject) => {
    const http = serve({ fetch: server.app.fetch, port, hostname }, (info) => resolveListen({ port: info.port, http }));
    http.once('error', reject);
  });
}
