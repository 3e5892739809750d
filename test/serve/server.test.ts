// The server through hono's request function (no socket): every endpoint against the shipped model and a
// real SQLite file, what the library gives for the same request (the server adds no second sampler),
// streaming events in order, edits with masks, Gemini's shape, sessions that continue exactly after
// eviction and after a restart, feedback kept with its request, and every bad input refused with its
// status and the field named.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodePng, encodePng, flatten, parseImage, type RgbImage } from '../../src/data/index.js';
import { editImage, generateImages, Session } from '../../src/infer/index.js';
import { defaultModelDir, loadModel } from '../../src/model/index.js';
import { type Server, startServer } from '../../src/serve/server.js';
import { bombPng, rgbaPng } from '../helpers/png.js';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON, checked field by field
type Body = any;

const dir = mkdtempSync(join(tmpdir(), 'tessera-serve-'));
const lib = loadModel(defaultModelDir());
const PROMPT = 'draw a large red circle at the center, on a white background';
let server: Server;

const json = (body: unknown, method = 'POST') => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function call(path: string, init?: RequestInit) {
  const res = await server.app.request(path, init);
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json')
    ? await res.json()
    : type.includes('image')
      ? new Uint8Array(await res.arrayBuffer())
      : await res.text();
  return { status: res.status, body: body as Body, headers: res.headers };
}

const rgbOf = (b64: string | Uint8Array): RgbImage =>
  flatten(decodePng(typeof b64 === 'string' ? Buffer.from(b64, 'base64') : b64, 'test'));

function form(fields: Record<string, string | Uint8Array>) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields))
    if (typeof v === 'string') f.append(k, v);
    else f.append(k, new Blob([new Uint8Array(v)], { type: 'image/png' }), `${k}.png`);
  return { method: 'POST', body: f };
}

function sceneImage(): RgbImage {
  return generateImages(lib.model, lib.tok, PROMPT, { n: 1, seed: 3, temperature: 0 })[0];
}

before(async () => {
  server = await startServer({
    models: [defaultModelDir()],
    store: `sqlite:${join(dir, 'store.db')}`,
    limits: { maxBodyBytes: 300_000, maxLiveSessions: 1 },
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OpenAI-shaped images', () => {
  test('models, health, readiness', async () => {
    const m = await call('/v1/models');
    assert.equal(m.status, 200);
    assert.equal(m.body.object, 'list');
    assert.deepEqual(
      m.body.data.map((x: Body) => x.id),
      ['tessera-default'],
    );
    assert.equal((await call('/healthz')).body.status, 'ok');
    const r = await call('/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.body.store.kind, 'sqlite');
  });

  test('generations: quality "high" is the library’s best 2 of 16 by the model’s reading, "low" the plain 2', async () => {
    // a held-out colour-shape pair (green cross), where the variants differ
    const PROMPT =
      'draw a small green cross at the top left and a large red square at the center, on a white background';
    const high = await call('/v1/images/generations', json({ prompt: PROMPT, n: 2, seed: 6, quality: 'high' }));
    assert.equal(high.status, 200);
    const want = generateImages(lib.model, lib.tok, PROMPT, { n: 2, candidates: 16, seed: 6, temperature: 0.7 });
    assert.deepEqual(
      high.body.data.map((d: { b64_json: string }) => [...rgbOf(d.b64_json).data]),
      want.map((w) => [...w.data]),
    );
    const low = await call('/v1/images/generations', json({ prompt: PROMPT, n: 2, seed: 6, quality: 'low' }));
    const plain = generateImages(lib.model, lib.tok, PROMPT, { n: 2, seed: 6, temperature: 0.7 });
    assert.notDeepEqual(
      want.map((w) => [...w.data]),
      plain.map((w) => [...w.data]),
      'the ranking picks other drawings than the first two',
    );
    assert.deepEqual(
      low.body.data.map((d: { b64_json: string }) => [...rgbOf(d.b64_json).data]),
      plain.map((w) => [...w.data]),
    );
  });

  test('generations: the library’s images for the same seed, upscaled by nearest on request, urls served', async () => {
    const r = await call('/v1/images/generations', json({ prompt: PROMPT, n: 2, seed: 5, size: '128x128' }));
    assert.equal(r.status, 200);
    assert.equal(r.body.data.length, 2);
    assert.equal(r.body.tessera.size.upscaled, 'nearest');
    const want = generateImages(lib.model, lib.tok, PROMPT, { n: 2, seed: 5, temperature: 0.7 });
    r.body.data.forEach((d: { b64_json: string }, i: number) => {
      const got = rgbOf(d.b64_json);
      assert.equal(got.width, 128);
      for (const [x, y] of [
        [0, 0],
        [77, 31],
        [127, 127],
        [64, 64],
      ])
        assert.deepEqual(
          [...got.data.subarray((y * 128 + x) * 3, (y * 128 + x) * 3 + 3)],
          [...want[i].data.subarray(((y >> 1) * 64 + (x >> 1)) * 3, ((y >> 1) * 64 + (x >> 1)) * 3 + 3)],
        );
    });
    const u = await call('/v1/images/generations', json({ prompt: PROMPT, seed: 5, response_format: 'url' }));
    const path = new URL(u.body.data[0].url).pathname;
    const img = await call(path);
    assert.equal(img.status, 200);
    assert.deepEqual(rgbOf(img.body).data, want[0].data);
    const big = await call(`${path}?scale=4`);
    assert.equal(rgbOf(big.body).width, 256);
  });

  test('prompts: sent in the trained phrasing when they parse, notices for what the model cannot draw', async () => {
    const r = await call(
      '/v1/images/generations',
      json({ prompt: 'a large red circle at the center on a white background', seed: 2 }),
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.tessera.prompt.sent, PROMPT);
    assert.equal(r.body.tessera.prompt.canonicalized, true);
    const want = generateImages(lib.model, lib.tok, PROMPT, { n: 1, seed: 2, temperature: 0.7 });
    assert.deepEqual(rgbOf(r.body.data[0].b64_json).data, want[0].data);
    const raw = await call(
      '/v1/images/generations',
      json({ prompt: 'a large red circle at the center on a white background', seed: 2, raw_prompt: true }),
    );
    assert.equal(raw.body.tessera.prompt.sent, 'a large red circle at the center on a white background');
    const cat = await call('/v1/images/generations', json({ prompt: 'a photo of a cat on a sofa', seed: 2 }));
    assert.equal(cat.body.tessera.prompt.canonicalized, false);
    assert.match(cat.body.tessera.prompt.notices.join(' '), /cat/);
  });

  test('streaming: partial images in order, then one completed event per variant', async () => {
    const res = await server.app.request(
      '/v1/images/generations',
      json({ prompt: PROMPT, n: 2, seed: 9, stream: true, partial_images: 3 }),
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = (await res.text())
      .split('\n\n')
      .filter((b) => b.includes('data:'))
      .map((b) =>
        JSON.parse(
          b
            .split('\n')
            .find((l) => l.startsWith('data:'))!
            .slice(5),
        ),
      );
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(-2), ['image_generation.completed', 'image_generation.completed']);
    const partials = events.filter((e) => e.type === 'image_generation.partial_image');
    assert.equal(partials.length, 6, '3 partial images for each of 2 variants');
    for (const v of [0, 1])
      assert.deepEqual(
        partials.filter((e) => e.index === v).map((e) => e.partial_image_index),
        [0, 1, 2],
      );
    const done = partials.map((e) => e.progress.done);
    assert.deepEqual(
      done,
      [...done].sort((a, b) => a - b),
      'partials in drawing order',
    );
    const want = generateImages(lib.model, lib.tok, PROMPT, { n: 2, seed: 9, temperature: 0.7 });
    assert.deepEqual(rgbOf(events.at(-1).b64_json).data, want[1].data);
  });

  test('edits: the library’s edit; with a mask, nothing outside it changes', async () => {
    const input = sceneImage();
    const png = encodePng(input);
    const r = await call('/v1/images/edits', form({ image: png, prompt: 'make the circle blue', seed: '1' }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // the library's edit of what the server sent the model (the instruction reader may rephrase it)
    const want = editImage(lib.model, lib.tok, input, r.body.tessera.prompt.sent, { n: 1, seed: 1 });
    assert.deepEqual(rgbOf(r.body.data[0].b64_json).data, want[0].data);
    // the mask: only the left half is transparent (editable)
    const mask = rgbaPng(64, 64, 64, 255);
    const masked = maskPng(64, (x) => x < 32);
    const m = await call(
      '/v1/images/edits',
      form({ image: png, mask: masked, prompt: 'make the circle blue', seed: '1' }),
    );
    assert.equal(m.status, 200, JSON.stringify(m.body));
    const got = rgbOf(m.body.data[0].b64_json);
    for (let y = 0; y < 64; y++)
      for (let x = 32; x < 64; x++)
        assert.deepEqual(
          [...got.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)],
          [...input.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)],
        );
    const bad = await call('/v1/images/edits', form({ image: png, mask: maskPng(32, () => true), prompt: 'x' }));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, 'mask');
    assert.match(bad.body.error.message, /32x32 but the image is 64x64/);
    const opaque = await call('/v1/images/edits', form({ image: png, mask, prompt: 'x' }));
    assert.equal(opaque.body.error.param, 'mask');
    assert.match(opaque.body.error.message, /no pixel is transparent/);
  });

  test('variations: the image described, then drawn again n times', async () => {
    const r = await call('/v1/images/variations', form({ image: encodePng(sceneImage()), n: '2', seed: '4' }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data.length, 2);
    assert.ok(r.body.tessera.caption.length > 0);
  });
});

/** A w x w RGBA mask PNG, transparent where editable(x, y). */
function maskPng(w: number, editable: (x: number, y: number) => boolean): Buffer {
  const { PNG } = require('pngjs') as typeof import('pngjs');
  const p = new PNG({ width: w, height: w });
  for (let y = 0; y < w; y++)
    for (let x = 0; x < w; x++) p.data.set([0, 0, 0, editable(x, y) ? 0 : 255], (y * w + x) * 4);
  return PNG.sync.write(p);
}

describe('Gemini-shaped generateContent', () => {
  const url = '/v1beta/models/tessera-default:generateContent';
  test('generation, understanding and an edit', async () => {
    const g = await call(
      url,
      json({
        contents: [{ role: 'user', parts: [{ text: PROMPT }] }],
        generationConfig: { responseModalities: ['IMAGE'] },
      }),
    );
    assert.equal(g.status, 200, JSON.stringify(g.body));
    const part = g.body.candidates[0].content.parts.find((p: Body) => p.inlineData);
    assert.equal(part.inlineData.mimeType, 'image/png');
    assert.equal(rgbOf(part.inlineData.data).width, 64);
    const image = { inlineData: { mimeType: 'image/png', data: encodePng(sceneImage()).toString('base64') } };
    const a = await call(
      url,
      json({
        contents: [{ parts: [image, { text: 'what color is the circle?' }] }],
        generationConfig: { responseModalities: ['TEXT'] },
      }),
    );
    assert.equal(a.status, 200);
    assert.ok(a.body.candidates[0].content.parts[0].text.length > 0);
    const e = await call(
      url,
      json({
        contents: [{ parts: [image, { text: 'make the circle blue' }] }],
        generationConfig: { responseModalities: ['IMAGE'] },
      }),
    );
    assert.ok(e.body.candidates[0].content.parts.some((p: Body) => p.inlineData));
  });

  test('errors in Google’s shape with the field named', async () => {
    const r = await call(
      url,
      json({ contents: [{ parts: [{ inlineData: { mimeType: 'image/jpeg', data: 'AAAA' } }] }] }),
    );
    assert.equal(r.status, 400);
    assert.equal(r.body.error.status, 'INVALID_ARGUMENT');
    assert.equal(r.body.error.details[0].fieldViolations[0].field, 'contents[0].parts[0].inlineData.mimeType');
    const m = await call('/v1beta/models/nope:generateContent', json({ contents: [{ parts: [{ text: 'hi' }] }] }));
    assert.equal(m.status, 404);
    assert.equal(m.body.error.status, 'NOT_FOUND');
  });
});

describe('sessions', () => {
  const turns = [
    'draw a large red circle at the center, on a white background',
    'make the circle blue',
    'add a small green square at the top left',
  ];

  test('turns, undo, branch, history and export; continues exactly after eviction and a restart', async () => {
    const c = await call('/v1/sessions', json({ seed: 7 }));
    assert.equal(c.status, 201);
    const id = c.body.id;
    const other = (await call('/v1/sessions', json({ seed: 1 }))).body.id;
    const outputs: Body[] = [];
    const sent: string[] = [];
    for (const [k, text] of turns.entries()) {
      const t = await call(`/v1/sessions/${id}/turns`, json({ text }));
      assert.equal(t.status, 201, JSON.stringify(t.body));
      outputs.push(t.body.turn.output);
      assert.equal(t.body.prompt.asked, text);
      assert.equal(t.body.turn.input.text, t.body.prompt.sent, 'the turn holds what the model was sent');
      sent.push(t.body.prompt.sent);
      // another session's turn evicts this one (one live session at most)
      await call(
        `/v1/sessions/${other}/turns`,
        json({ text: 'draw a small blue square at the bottom right, on a white background' }),
      );
      if (k === 1) {
        // a restart: a new server on the same store
        await server.close();
        server = await startServer({
          models: [defaultModelDir()],
          store: `sqlite:${join(dir, 'store.db')}`,
          limits: { maxBodyBytes: 300_000, maxLiveSessions: 1 },
        });
      }
    }
    // the library's session, turn by turn, never evicted, sent the same texts: what the server must give
    const ref = new Session('ref', 7);
    const want = sent.map((text) => ref.addTurn(lib, { text }).output);
    for (const [k, out] of outputs.entries()) {
      assert.equal(out.length, want[k].length, `turn ${k + 1}: as many outputs as the library's`);
      for (const [i, o] of out.entries()) {
        const w = want[k][i];
        if (o.kind === 'text') assert.deepEqual(o, w);
        else {
          assert.equal(w.kind, 'image');
          const img = await call(new URL(o.url).pathname);
          assert.deepEqual(rgbOf(img.body).data, (w as { image: RgbImage }).image.data, `turn ${k + 1} image ${i}`);
        }
      }
    }
    const h = await call(`/v1/sessions/${id}`);
    assert.deepEqual(h.body.path, [1, 2, 3]);
    const u = await call(`/v1/sessions/${id}/undo`, { method: 'POST' });
    assert.equal(u.body.head, 2);
    const b = await call(`/v1/sessions/${id}/branch`, json({ from: 1 }));
    assert.deepEqual(b.body.path, [1]);
    const t4 = await call(`/v1/sessions/${id}/turns`, json({ text: 'make the circle green' }));
    assert.equal(t4.body.turn.parent, 1);
    const ex = await call(`/v1/sessions/${id}/export`);
    assert.equal(ex.body.format, 'tessera-session');
    assert.equal(ex.body.turns.length, 4);
    // import it as a copy (a new id) and see the same history
    const im = await call('/v1/sessions/import', json({ ...ex.body, id: 'copy-1' }));
    assert.equal(im.status, 201, JSON.stringify(im.body));
    assert.deepEqual(im.body.path, [1, 4]);
    const again = await call('/v1/sessions/import', json({ ...ex.body, id: 'copy-1' }));
    assert.equal(again.status, 409);
  });

  test("a turn's instruction is read against the image it edits, its own or the session's last", async () => {
    const id = (await call('/v1/sessions', json({ seed: 2 }))).body.id;
    const image = encodePng(sceneImage()).toString('base64');
    const scene = parseImage(sceneImage());
    assert.equal(scene.objects.length, 1, 'the scene image has one shape');
    const o = scene.objects[0];
    const it = `make the ${o.size} ${o.color} ${o.shape} ${o.color === 'blue' ? 'green' : 'blue'}`;
    // a question (a text turn) goes as written, and its image becomes the session's last
    const q = await call(`/v1/sessions/${id}/turns`, json({ text: 'what shape is it?', image, mode: 'text' }));
    assert.equal(q.status, 201, JSON.stringify(q.body));
    assert.deepEqual(q.body.prompt, {
      asked: 'what shape is it?',
      sent: 'what shape is it?',
      canonicalized: false,
      notices: [],
    });
    // "it" is the scene's one shape: the turn (no image of its own) edits the question's image
    const e = await call(
      `/v1/sessions/${id}/turns`,
      json({ text: `make it ${o.color === 'blue' ? 'green' : 'blue'}`, mode: 'image' }),
    );
    assert.equal(e.status, 201, JSON.stringify(e.body));
    assert.equal(e.body.prompt.sent, it);
    assert.equal(e.body.prompt.canonicalized, true);
    assert.equal(e.body.turn.input.text, it);
    const rec = await server.store.getRequest(e.body.request_id);
    assert.equal(rec?.prompt, `make it ${o.color === 'blue' ? 'green' : 'blue'}`, 'the request keeps what was asked');
    // raw_prompt: as written
    const raw = await call(`/v1/sessions/${id}/turns`, json({ text: 'make it red', mode: 'image', raw_prompt: true }));
    assert.equal(raw.body.prompt.sent, 'make it red');
    assert.equal(raw.body.turn.input.text, 'make it red');
  });

  test('streamed turn: progress events, then the turn', async () => {
    const id = (await call('/v1/sessions', json({}))).body.id;
    const res = await server.app.request(`/v1/sessions/${id}/turns?stream=true`, json({ text: PROMPT }));
    const events = (await res.text())
      .split('\n\n')
      .filter((b) => b.includes('event:'))
      .map((b) => b.split('\n')[0].slice(7));
    assert.equal(events.at(-1), 'turn');
    assert.ok(events.filter((e) => e === 'progress').length >= 64);
  });

  test("a session's first picture drawn with candidates is the library's ranked one", async () => {
    const id = (await call('/v1/sessions', json({ seed: 4 }))).body.id;
    const t = await call(`/v1/sessions/${id}/turns`, json({ text: PROMPT, mode: 'image', candidates: 4 }));
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const [want] = new Session('ref-c', 4).addTurn(
      lib,
      { text: t.body.prompt.sent },
      { mode: 'image', candidates: 4 },
    ).output;
    assert.equal(want.kind, 'image');
    const img = await call(new URL(t.body.turn.output[0].url).pathname);
    assert.deepEqual(rgbOf(img.body).data, (want as { image: RgbImage }).image.data);
  });

  test('bad session input', async () => {
    assert.equal((await call('/v1/sessions/nope/turns', json({ text: 'hi' }))).status, 404);
    const id = (await call('/v1/sessions', json({}))).body.id;
    const few = await call(`/v1/sessions/${id}/turns`, json({ text: PROMPT, candidates: 0 }));
    assert.equal(few.status, 400);
    assert.equal(few.body.error.param, 'candidates');
    const empty = await call(`/v1/sessions/${id}/turns`, json({ text: '  ' }));
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.param, 'text');
    // a turn longer than the model's context: the library's RequestInputError, as a 422
    const long = await call(`/v1/sessions/${id}/turns`, json({ text: 'draw a red circle '.repeat(100) }));
    assert.equal(long.status, 422, JSON.stringify(long.body));
    assert.match(long.body.error.message, /does not fit the model's context/);
    assert.equal((await call(`/v1/sessions/${id}/undo`, { method: 'POST' })).status, 409);
    const br = await call(`/v1/sessions/${id}/branch`, json({ from: 9 }));
    assert.equal(br.status, 404);
    assert.equal(br.body.error.param, 'from');
    const im = await call(
      '/v1/sessions/import',
      json({
        format: 'tessera-session',
        version: 1,
        id: 'x',
        seed: 0,
        head: null,
        turns: [{ id: 1, parent: 5, input: {}, output: [] }],
      }),
    );
    assert.equal(im.status, 400);
    assert.equal(im.body.error.param, 'turns[0].parent');
  });
});

describe('feedback', () => {
  test('a rating and an A/B choice, kept with the request, the model and the seed', async () => {
    const g = await call('/v1/images/generations', json({ prompt: PROMPT, n: 2, seed: 11 }));
    const rid = g.body.tessera.request_id;
    const up = await call(
      '/v1/feedback',
      json({ kind: 'rating', request_id: rid, index: 1, rating: 'up', note: 'nice' }),
    );
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.seed, 11);
    assert.equal(up.body.model, 'tessera-default');
    assert.equal(up.body.prompt, PROMPT);
    const ab = await call('/v1/feedback', json({ kind: 'choice', request_id: rid, a: 0, b: 1, picked: 'b' }));
    assert.equal(ab.status, 201);
    assert.equal(ab.body.images.length, 2);
    const list = await call('/v1/feedback');
    assert.equal(list.body.data[0].id, ab.body.id);
    const unknown = await call('/v1/feedback', json({ kind: 'rating', request_id: 'req_nope', rating: 'up' }));
    assert.equal(unknown.status, 404);
    const range = await call('/v1/feedback', json({ kind: 'rating', request_id: rid, index: 5, rating: 'down' }));
    assert.equal(range.status, 400);
    assert.equal(range.body.error.param, 'index');
  });
});

describe('bad input: a 4xx whose JSON names the field', () => {
  const gen = (body: unknown) => call('/v1/images/generations', json(body));
  const cases: [string, () => Promise<{ status: number; body: Body }>, number, string | null, RegExp][] = [
    [
      'malformed JSON',
      () =>
        call('/v1/images/generations', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"prompt": ',
        }),
      400,
      null,
      /not valid JSON/,
    ],
    [
      'not JSON',
      () => call('/v1/images/generations', { method: 'POST', body: 'prompt=x' }),
      415,
      null,
      /application\/json/,
    ],
    ['n out of range', () => gen({ prompt: PROMPT, n: 99 }), 400, 'n', /n:/],
    ['n zero', () => gen({ prompt: PROMPT, n: 0 }), 400, 'n', /n:/],
    ['empty prompt', () => gen({ prompt: '  ' }), 400, 'prompt', /must say what to draw/],
    ['unknown field', () => gen({ prompt: PROMPT, colour: 'red' }), 400, null, /colour/],
    ['unserved size', () => gen({ prompt: PROMPT, size: '100x100' }), 400, 'size', /not served/],
    ['unknown model', () => gen({ prompt: PROMPT, model: 'dall-e-3' }), 404, 'model', /unknown model/],
    [
      'non-image upload',
      () => call('/v1/images/edits', form({ image: new TextEncoder().encode('hello'), prompt: 'x' })),
      400,
      'image',
      /not a PNG/i,
    ],
    [
      'PNG bomb',
      () => call('/v1/images/edits', form({ image: bombPng(100_000, 100_000), prompt: 'x' })),
      413,
      'image',
      /limit/,
    ],
    [
      'non-square image',
      () => call('/v1/images/edits', form({ image: rgbaPng(64, 32), prompt: 'x' })),
      400,
      'image',
      /square/,
    ],
    ['missing image', () => call('/v1/images/edits', form({ prompt: 'x' })), 400, 'image', /required/],
    [
      'n as text',
      () => call('/v1/images/edits', form({ image: rgbaPng(64, 64), prompt: 'x', n: 'many' })),
      400,
      'n',
      /n:/,
    ],
    [
      'body too large',
      () => call('/v1/images/generations', json({ prompt: 'x'.repeat(400_000) })),
      413,
      null,
      /over the limit/,
    ],
    ['unknown route', () => call('/v1/nothing'), 404, null, /no route/],
  ];
  for (const [name, run, status, field, message] of cases)
    test(name, async () => {
      const r = await run();
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error.param, field);
      assert.match(r.body.error.message, message);
    });

  test('metrics count requests by route and status', async () => {
    const m = await call('/metrics');
    assert.match(
      m.body,
      /tessera_http_requests_total\{route="\/v1\/images\/generations",method="POST",status="400"\} \d+/,
    );
    assert.match(m.body, /tessera_model_queue_depth 0/);
    assert.match(m.body, /tessera_model_job_seconds_bucket/);
  });
});
