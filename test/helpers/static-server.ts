// A static file server on loopback for the browser tests: URL prefixes mapped to folders, GET only, and a
// log of every request, so a test can show the page made no call but for static files.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { contentType } from '../../src/serve/content-types.js';
import { closer } from '../../src/serve/server.js';

export interface Served {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Every request: method, path and the status it got. */
  requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

/** The file a path names under the longest matching prefix, or null (outside every folder, or absent). */
function fileFor(routes: Record<string, string>, path: string): string | null {
  const prefix = Object.keys(routes)
    .filter((p) => path.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) return null;
  const folder = resolve(routes[prefix]);
  const file = resolve(join(folder, decodeURIComponent(path.slice(prefix.length))));
  if (!file.startsWith(folder + sep)) return null;
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

/** Serves `routes` ({"/studio/": "dist/web", ...}) on 127.0.0.1 at a free port. */
export async function serveStatic(routes: Record<string, string>): Promise<Served> {
  const requests: Served['requests'] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = req.method === 'GET' ? fileFor(routes, path) : null;
    const status = req.method !== 'GET' ? 405 : file ? 200 : 404;
    requests.push({ method: req.method ?? '?', path, status });
    if (!file) {
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 405 ? 'GET only' : 'not found');
      return;
    }
    res.writeHead(200, {
      'content-type': contentType(file),
      'content-length': statSync(file).size,
    });
    createReadStream(file).pipe(res);
  });
  const close = closer(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => close(),
  };
}
