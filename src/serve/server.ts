// A running server, with or without a socket: the store opened (and migrated), the model worker started
// with the served models loaded, the app built. Tests call startServer() and app.request(); `tessera serve`
// adds listen() and a graceful shutdown: on SIGTERM/SIGINT it stops accepting connections, lets accepted
// model jobs finish (or fails them with 503 past the grace period), then closes the store.
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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

/** A listening server: its port, the node server, and `close`, which stops accepting and resolves once every
 *  connection is gone. */
export interface Listening {
  port: number;
  http: ServerType;
  close(graceMs?: number): Promise<void>;
}

/** Puts the server on a port (0 = any free one); resolves once it listens. */
export function listen(server: Server, port: number, hostname = '127.0.0.1'): Promise<Listening> {
  return new Promise((resolveListen, reject) => {
    const http = serve({ fetch: server.app.fetch, port, hostname }, (info) =>
      resolveListen({ port: info.port, http, close }),
    );
    const close = closer(http as HttpServer);
    http.once('error', reject);
  });
}

/** How to stop `http` (call before it accepts connections): stop accepting, drop the idle connections and
 *  those that never sent a request, let requests in flight finish for up to `graceMs`, then drop what is
 *  left (a connection is dropped as soon as its last answer is sent). http.Server.close alone waits for
 *  every socket, and a browser opens sockets it may never use (Chromium's preconnects), which Node does
 *  not count as idle: with one open, close never returns. */
export function closer(http: HttpServer): (graceMs?: number) => Promise<void> {
  const unused = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  let closing = false;
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    unused.delete(req.socket);
    // a socket kept alive after an answer given while closing would be waited for until keepAliveTimeout
    res.once('finish', () => closing && setImmediate(() => http.closeIdleConnections()));
  });
  return (graceMs = 30_000) =>
    new Promise((done) => {
      closing = true;
      const timer = setTimeout(() => http.closeAllConnections(), graceMs);
      http.close(() => {
        clearTimeout(timer);
        done();
      });
      http.closeIdleConnections();
      for (const socket of unused) socket.destroy();
    });
}
