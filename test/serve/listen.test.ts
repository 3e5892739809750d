// Stopping a listening server (closer in src/serve/server.ts): sockets that never sent a request (a
// browser's preconnects) and idle keep-alive sockets do not hold the close up; a request in flight gets its
// whole answer; one that outlives the grace period is cut. The grace periods of the first three cases are
// far longer than the test's timeout, so a close that waited on them fails the test.
import assert from 'node:assert/strict';
import { Agent, createServer, get, type RequestListener } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { test } from 'node:test';
import { closer } from '../../src/serve/server.js';

const NEVER = 10 * 60_000;

async function serveOn(handler: RequestListener) {
  const http = createServer(handler);
  const close = closer(http);
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  return { port: (http.address() as AddressInfo).port, close };
}

function fetchText(port: number, agent?: Agent): Promise<string> {
  return new Promise((ok, fail) => {
    get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => ok(body));
      res.on('error', fail);
    }).on('error', fail);
  });
}

test('a socket that never sent a request is dropped, not waited for', { timeout: 20_000 }, async () => {
  const { port, close } = await serveOn((_q, r) => r.end('ok'));
  const socket = connect(port, '127.0.0.1');
  await new Promise((ok) => socket.once('connect', ok));
  const closed = new Promise((ok) => socket.once('close', ok));
  await close(NEVER);
  await closed;
});

test('an idle keep-alive socket is dropped, not waited for', { timeout: 20_000 }, async () => {
  const { port, close } = await serveOn((_q, r) => r.end('ok'));
  const agent = new Agent({ keepAlive: true });
  assert.equal(await fetchText(port, agent), 'ok');
  assert.equal(Object.values(agent.freeSockets).flat().length, 1, 'the socket stayed open for reuse');
  await close(NEVER);
  agent.destroy();
});

test('a request in flight when the close begins gets its whole answer', { timeout: 20_000 }, async () => {
  let started!: () => void;
  const inFlight = new Promise<void>((ok) => {
    started = ok;
  });
  let finish!: () => void;
  const { port, close } = await serveOn((_q, r) => {
    r.write('first half, ');
    finish = () => r.end('second half');
    started();
  });
  const answer = fetchText(port);
  await inFlight;
  const closing = close(NEVER);
  setTimeout(() => finish(), 50);
  assert.equal(await answer, 'first half, second half');
  await closing;
});

test('a request that outlives the grace period is cut when it ends', { timeout: 20_000 }, async () => {
  let started!: () => void;
  const inFlight = new Promise<void>((ok) => {
    started = ok;
  });
  const { port, close } = await serveOn((_q, r) => {
    r.write('never finished');
    started();
  });
  const answer = fetchText(port);
  await inFlight;
  await close(200);
  await assert.rejects(answer, /aborted|socket hang up|ECONNRESET/);
});
