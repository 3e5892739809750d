// Sessions for multi-turn editing: create, add a turn (text, image or both; JSON with a base64 PNG, or
// multipart), undo, branch from a turn, history, export/import as the library's session JSON. The store holds
// every turn (acknowledged only after its transaction commits); the worker keeps live sessions' KV caches.
// A turn can stream its progress as server-sent events (`?stream=true` or Accept: text/event-stream).
// Also: feedback on any request (a rating or an A/B choice) and the stored images themselves.
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { errorBody, errorInfo, formBody, formValues, jsonBody, parseWith, seedSchema } from '../http.js';
import { RequestError, servedPng, uploadedImage } from '../images.js';
import type { Service, TurnRequest } from '../service.js';
import type { StoredSession, StoredTurn } from '../store/types.js';

const createSchema = z.strictObject({ model: z.string().optional(), seed: seedSchema.default(0) });

const turnSchema = (maxText: number) =>
  z.strictObject({
    text: z.string().max(maxText).optional(),
    image: z.string().min(1).optional(),
    mode: z.enum(['auto', 'image', 'text']).default('auto'),
    guidance: z.number().min(0).max(20).optional(),
    image_guidance: z.number().min(0).max(20).optional(),
    temperature: z.number().min(0).max(2).optional(),
    candidates: z.number().int().min(1).max(64).optional(),
    raw_prompt: z.boolean().default(false),
  });

const branchSchema = z.strictObject({ from: z.number().int().min(1).nullable() });

const feedbackSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('rating'),
    request_id: z.string().min(1),
    index: z.number().int().min(0).optional(),
    rating: z.enum(['up', 'down']),
    note: z.string().max(2000).optional(),
  }),
  z.strictObject({
    kind: z.literal('choice'),
    request_id: z.string().min(1),
    a: z.number().int().min(0),
    b: z.number().int().min(0),
    picked: z.enum(['a', 'b', 'tie']),
    note: z.string().max(2000).optional(),
  }),
]);

/** A stored session as the API shows it: images as URLs, the path from the start to the head. */
export function sessionView(c: Context, s: StoredSession) {
  const base = new URL(c.req.url).origin;
  const url = (h: string) => `${base}/v1/images/${h}.png`;
  const byId = new Map(s.turns.map((t) => [t.id, t]));
  const path: number[] = [];
  for (
    let t = s.head === null ? undefined : byId.get(s.head);
    t;
    t = t.parent === null ? undefined : byId.get(t.parent)
  )
    path.unshift(t.id);
  return {
    id: s.id,
    model: s.model,
    seed: s.seed,
    head: s.head,
    path,
    created_at: s.createdAt,
    turns: s.turns.map((t) => turnView(t, url)),
  };
}

function turnView(t: StoredTurn, url: (h: string) => string) {
  return {
    id: t.id,
    parent: t.parent,
    created_at: t.createdAt,
    input: { text: t.input.text, image: t.input.image ? { hash: t.input.image, url: url(t.input.image) } : undefined },
    output: t.output.map((o) => (o.kind === 'text' ? o : { kind: 'image', hash: o.image, url: url(o.image) })),
  };
}

async function turnInput(c: Context, service: Service, size: number): Promise<TurnRequest> {
  const schema = turnSchema(service.limits.maxTextChars);
  let b: z.infer<typeof schema>;
  let imageBytes: Uint8Array | undefined;
  if ((c.req.header('content-type') ?? '').includes('multipart/form-data')) {
    const form = await formBody(c);
    b = parseWith(
      schema,
      formValues(form.fields, {
        numbers: ['guidance', 'image_guidance', 'temperature', 'candidates'],
        booleans: ['raw_prompt'],
      }),
    );
    imageBytes = form.files.image;
  } else {
    b = await jsonBody(c, schema);
    imageBytes = b.image ? Buffer.from(b.image, 'base64') : undefined;
  }
  const text = b.text?.trim() ? b.text : undefined;
  if (!text && !imageBytes) throw new RequestError('text: a turn needs text, an image, or both; got neither', 'text');
  return {
    text,
    image: imageBytes ? uploadedImage(imageBytes, size, 'image') : undefined,
    mode: b.mode,
    guidance: b.guidance,
    imageGuidance: b.image_guidance,
    temperature: b.temperature,
    candidates: b.candidates,
    raw: b.raw_prompt,
  };
}

const wantsStream = (c: Context) =>
  c.req.query('stream') === 'true' || (c.req.header('accept') ?? '').includes('text/event-stream');

export function sessionRoutes(app: Hono, service: Service): void {
  app.post('/v1/sessions', async (c) => {
    const b =
      (c.req.header('content-length') ?? '0') === '0' ? createSchema.parse({}) : await jsonBody(c, createSchema);
    return c.json(sessionView(c, await service.createSession(b.model, b.seed)), 201);
  });

  app.get('/v1/sessions', async (c) => {
    const limit = Number(c.req.query('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new RequestError('limit: must be an integer in 1..1000', 'limit');
    return c.json({ object: 'list', data: await service.store.listSessions(limit) });
  });

  app.get('/v1/sessions/:id', async (c) => c.json(sessionView(c, await service.session(c.req.param('id')))));

  app.post('/v1/sessions/:id/turns', async (c) => {
    const s = await service.session(c.req.param('id'));
    const input = await turnInput(c, service, service.model(s.model).imageSize);
    if (!wantsStream(c)) {
      const done = await service.turn(s.id, input);
      return c.json(
        {
          request_id: done.requestId,
          turn: turnView(done.turn, urlOf(c)),
          session: sessionView(c, done.session),
          cache: done.cache,
          prompt: done.prompt,
        },
        201,
      );
    }
    return streamSSE(c, async (sse) => {
      const sent: Promise<void>[] = [];
      try {
        const done = await service.turn(s.id, input, (p) => {
          sent.push(sse.writeSSE({ event: 'progress', data: JSON.stringify(p) }));
        });
        await Promise.all(sent);
        await sse.writeSSE({
          event: 'turn',
          data: JSON.stringify({
            request_id: done.requestId,
            turn: turnView(done.turn, urlOf(c)),
            session: sessionView(c, done.session),
            prompt: done.prompt,
          }),
        });
      } catch (e) {
        await sse.writeSSE({ event: 'error', data: JSON.stringify(errorBody(errorInfo(e), false)) });
      }
    });
  });

  app.post('/v1/sessions/:id/undo', async (c) => c.json(sessionView(c, await service.undo(c.req.param('id')))));

  app.post('/v1/sessions/:id/branch', async (c) => {
    const b = await jsonBody(c, branchSchema);
    return c.json(sessionView(c, await service.branch(c.req.param('id'), b.from)));
  });

  app.get('/v1/sessions/:id/export', async (c) => {
    const s = await service.session(c.req.param('id'));
    return c.json(await service.sessionJson(s), 200, { 'content-disposition': `attachment; filename="${s.id}.json"` });
  });

  app.post('/v1/sessions/import', async (c) => {
    const json = await jsonBody(c, z.unknown());
    return c.json(sessionView(c, await service.importSession(json, c.req.query('model'))), 201);
  });

  app.post('/v1/feedback', async (c) => {
    const b = await jsonBody(c, feedbackSchema);
    const r = await service.feedback(
      b.kind === 'rating'
        ? { kind: 'rating', requestId: b.request_id, index: b.index, rating: b.rating, note: b.note }
        : { kind: 'choice', requestId: b.request_id, a: b.a, b: b.b, picked: b.picked, note: b.note },
    );
    return c.json(r, 201);
  });

  app.get('/v1/feedback', async (c) => {
    const limit = Number(c.req.query('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000)
      throw new RequestError('limit: must be an integer in 1..10000', 'limit');
    return c.json({ object: 'list', data: await service.store.listFeedback({ limit }) });
  });

  app.get('/v1/images/:file{[0-9a-f]{64}\\.png}', async (c) => {
    const hash = c.req.param('file').slice(0, 64);
    const png = await service.store.getImage(hash);
    if (!png) throw new RequestError(`no image ${hash} in the store`, 'hash', 404, 'not_found');
    const scale = Number(c.req.query('scale') ?? 1);
    if (![1, 2, 4, 8, 16].includes(scale)) throw new RequestError('scale: must be 1, 2, 4, 8 or 16', 'scale');
    const body = servedPng(png, scale, 'stored image');
    return c.body(new Uint8Array(body), 200, {
      'content-type': 'image/png',
      'cache-control': 'public, max-age=31536000, immutable',
    });
  });
}

const urlOf = (c: Context) => {
  const base = new URL(c.req.url).origin;
  return (h: string) => `${base}/v1/images/${h}.png`;
};
