// The server under load and at shutdown, and an official client: a full queue refuses with 429 and a
// Retry-After (nothing accepted is dropped), a request past its time limit gets 504, shutting down finishes
// what was accepted and refuses what comes after with 503, and the `openai` npm package pointed at a local
// server generates and edits.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { decodePng, encodePng } from '../../src/data/index.js';
import { generateImages } from '../../src/infer/index.js';
import { defaultModelDir, loadModel } from '../../src/model/index.js';
import type { ServeLimits } from '../../src/serve/http.js';
import { listen, startServer } from '../../src/serve/server.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PROMPT = 'draw a large red circle at the center, on a white background';
let k = 0;
const start = (limits: Partial<ServeLimits>) =>
  startServer({ models: [defaultModelDir()], store: `sqlite:${join(dir, `s${k++}.db`)}`, limits });
const gen = (n: number) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ prompt: PROMPT, n, seed: 1 }),
});

test('a full queue: 429 with Retry-After; every accepted request answered', async () => {
  const s = await start({ maxQueue: 1 });
  try {
    const res = await Promise.all(Array.from({ length: 6 }, () => s.app.request('/v1/images/generations', gen(4))));
    const codes = res.map((r) => r.status);
    // one runs, one waits, the rest are refused at once
    assert.equal(codes.filter((c) => c === 200).length, 2, codes.join(','));
    assert.equal(codes.filter((c) => c === 429).length, 4, codes.join(','));
    for (const r of res.filter((x) => x.status === 429)) {
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'rate_limited');
    }
    const metrics = await (await s.app.request('/metrics')).text();
    assert.match(metrics, /tessera_rate_limited_total 4/);
    assert.match(metrics, /tessera_model_jobs_total\{kind="generate",outcome="ok"\} 2/);
  } finally {
    await s.close();
  }
});

test('a request past its time limit: 504', async () => {
  const s = await start({ timeoutMs: 30 });
  try {
    const r = await s.app.request('/v1/images/generations', gen(16));
    assert.equal(r.status, 504);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'timeout');
    // the worker is free again afterwards
    assert.equal((await s.app.request('/readyz')).status, 200);
  } finally {
    await s.close();
  }
});

test('shutdown finishes accepted work and refuses new work with 503', async () => {
  const s = await start({});
  const accepted = [s.app.request('/v1/images/generations', gen(4)), s.app.request('/v1/images/generations', gen(4))];
  await new Promise((r) => setTimeout(r, 20));
  const closing = s.host.close(30_000);
  const late = await s.app.request('/v1/images/generations', gen(1));
  assert.equal(late.status, 503);
  assert.deepEqual(
    (await Promise.all(accepted)).map((r) => r.status),
    [200, 200],
  );
  await closing;
  await s.store.close();
});

test('the openai npm client generates and edits against a local server', async () => {
  const s = await start({});
  const listening = await listen(s, 0);
  const { port } = listening;
  try {
    const client = new OpenAI({ apiKey: 'local', baseURL: `http://127.0.0.1:${port}/v1` });
    const g = await client.images.generate({
      model: 'tessera-default',
      prompt: PROMPT,
      n: 2,
      response_format: 'b64_json',
      size: '256x256',
    });
    assert.equal(g.data?.length, 2);
    const png = decodePng(Buffer.from(g.data![0].b64_json!, 'base64'), 'openai client');
    assert.equal(png.width, 256);
    const lib = loadModel(defaultModelDir());
    const input = generateImages(lib.model, lib.tok, PROMPT, { n: 1, seed: 2, temperature: 0 })[0];
    const e = await client.images.edit({
      model: 'tessera-default',
      image: await toFile(encodePng(input), 'in.png', { type: 'image/png' }),
      prompt: 'make the circle blue',
    });
    assert.equal(decodePng(Buffer.from(e.data![0].b64_json!, 'base64'), 'edit').width, 64);
    const models = await client.models.list();
    assert.ok(models.data.some((m) => m.id === 'tessera-default'));
  } finally {
    await listening.close();
    await s.close();
  }
});

test('kill -9 of `tessera serve` loses no acknowledged feedback or session turn', async () => {
  const { spawn } = await import('node:child_process');
  const { openStore } = await import('../../src/serve/store/index.js');
  const storeUrl = `sqlite:${join(dir, 'crash.db')}`;
  const proc = spawn(
    process.execPath,
    ['dist/src/cli/index.js', 'serve', '--port', '0', '--quiet', '--store', storeUrl, '--model', defaultModelDir()],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', () => reject(new Error('tessera serve exited before it listened')));
  });
  const base = `http://127.0.0.1:${port}`;
  const post = async (path: string, body: unknown) => {
    const r = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> & { id: string } };
  };
  const gen = await post('/v1/images/generations', { prompt: PROMPT, n: 2, seed: 1 });
  const rid = (gen.body.tessera as { request_id: string }).request_id;
  const session = (await post('/v1/sessions', { seed: 3 })).body.id;
  const acked: string[] = [];
  let turns = 0;
  // writers in flight when the process is killed: feedback in a tight loop and session turns
  const feedback = (async () => {
    for (let i = 0; ; i++) {
      try {
        const r = await post('/v1/feedback', {
          kind: 'rating',
          request_id: rid,
          index: i % 2,
          rating: 'up',
          note: `n${i}`,
        });
        if (r.status === 201) acked.push(r.body.id);
      } catch {
        return;
      }
    }
  })();
  const turning = (async () => {
    for (;;) {
      try {
        const r = await post(`/v1/sessions/${session}/turns`, {
          text: 'draw a small blue square at the top left, on a white background',
        });
        if (r.status === 201) turns++;
      } catch {
        return;
      }
    }
  })();
  while (acked.length < 40 || turns < 2) await new Promise((r) => setTimeout(r, 5));
  proc.kill('SIGKILL');
  await Promise.all([feedback, turning]);
  const store = await openStore(storeUrl);
  try {
    const kept = new Set((await store.listFeedback({ limit: 100_000 })).map((f) => f.id));
    for (const id of acked) assert.ok(kept.has(id), `acknowledged feedback ${id} lost`);
    const s = await store.getSession(session);
    assert.ok(s && s.turns.length >= turns, `${turns} acknowledged turns, ${s?.turns.length} stored`);
  } finally {
    await store.close();
  }
});
