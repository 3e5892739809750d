// The server on a real PostgreSQL store: a generation with feedback, a session whose second turn comes
// from a restarted server and equals the library's uninterrupted session, export. (The endpoint suite
// runs on SQLite in server.test.ts; the store suite runs on both engines in store.test.ts.)
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { decodePng, flatten } from '../../src/data/index.js';
import { Session } from '../../src/infer/index.js';
import { defaultModelDir, loadModel } from '../../src/model/index.js';
import { type Server, startServer } from '../../src/serve/server.js';
import { describePostgres, postgresForTests } from '../helpers/postgres.js';

const PROMPT = 'draw a large red circle at the center, on a white background';
const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describePostgres('the server on PostgreSQL', await postgresForTests(), (pg) => {
  let server: Server | null = null;
  after(() => server?.close());
  const start = async (url: string) => {
    server = await startServer({ models: [defaultModelDir()], store: url });
    return server;
  };
  const call = async (path: string, init?: RequestInit) => {
    const r = await server!.app.request(path, init);
    return {
      status: r.status,
      body: (r.headers.get('content-type') ?? '').includes('json')
        ? await r.json()
        : new Uint8Array(await r.arrayBuffer()),
    } as {
      status: number;
      // biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON, checked field by field
      body: any;
    };
  };

  test('generation, feedback, a session continued by a restarted server', async () => {
    const url = await pg.newSchema();
    await start(url);
    assert.equal((await call('/readyz')).body.store.kind, 'postgres');
    const g = await call('/v1/images/generations', json({ prompt: PROMPT, n: 2, seed: 4 }));
    assert.equal(g.status, 200);
    const f = await call(
      '/v1/feedback',
      json({ kind: 'choice', request_id: g.body.tessera.request_id, a: 0, b: 1, picked: 'a' }),
    );
    assert.equal(f.status, 201);
    assert.equal(f.body.seed, 4);
    const id = (await call('/v1/sessions', json({ seed: 2 }))).body.id;
    // sent as written (raw_prompt) so that the library's session gets the same text
    const texts = [PROMPT, 'make the circle blue'];
    const lib = loadModel(defaultModelDir());
    const ref = new Session('ref', 2);
    const want = texts.map((text) => ref.addTurn(lib, { text }).output);
    const t1 = await call(`/v1/sessions/${id}/turns`, json({ text: texts[0], raw_prompt: true }));
    assert.equal(t1.status, 201);
    await server!.close();
    await start(url);
    const t2 = await call(`/v1/sessions/${id}/turns`, json({ text: texts[1], raw_prompt: true }));
    assert.equal(t2.status, 201);
    for (const [k, t] of [t1, t2].entries()) {
      const img = t.body.turn.output.find((o: { kind: string }) => o.kind === 'image');
      const w = want[k].find((o) => o.kind === 'image');
      assert.equal(Boolean(img), Boolean(w), `turn ${k + 1}: an image in both or neither`);
      if (img && w?.kind === 'image') {
        const got = await call(new URL(img.url).pathname);
        assert.deepEqual(flatten(decodePng(got.body, 'stored')).data, w.image.data);
      }
    }
    const ex = await call(`/v1/sessions/${id}/export`);
    assert.equal(ex.body.turns.length, 2);
  });
});
